package webhook

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzEvent signs fuzzed bodies correctly and hands them to the Handler:
// it never panics, answers 204 only for an envelope it decoded, and
// 400 otherwise.
func FuzzEvent(f *testing.F) {
	for _, s := range []string{
		`{"eventName":"user.created","timestamp":"2026-12-01T12:00:00Z","data":{"id":"u"}}`,
		`{"eventName":"user.session.created","timestamp":"2026-12-01T12:00:00Z","data":{"id":"s","expiresAt":"x"}}`,
		`{"eventName":"other","timestamp":"2026-12-01T12:00:00Z","data":[1]}`,
		`{"eventName":"user.created","data":"str"}`, `[]`, `{`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	h, err := NewHandler(Config{Secret: "s", Now: func() time.Time { return now }, OnEvent: func(_ context.Context, e *Event) error {
		if e.EventName == "" {
			panic("an event without a name reached OnEvent")
		}
		return nil
	}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set(SignatureHeader, Sign("s", body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 204 && w.Code != 400 && w.Code != 413 {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if _, err := decodeEvent(body); (err == nil) != (w.Code == 204) && w.Code != 400 {
			t.Fatalf("decodeEvent and the Handler disagree on %q", body)
		}
	})
}
