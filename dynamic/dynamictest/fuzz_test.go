package dynamictest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSignInBody feeds arbitrary bodies to the sign-in body parser and to the
// whole sign-in handler: no panics, and every rejection is a JSON error body
// with a 4xx status.
func FuzzSignInBody(f *testing.F) {
	ti := newTestIssuer(f)
	cfg := ti.config()
	cfg.AllowMissingDeviceSignature = true
	fake, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(fake.Close)
	good := ti.mint(f, nil)
	f.Add([]byte(`{"jwt":"` + good + `"}`))
	f.Add([]byte(`{"jwt":"` + good + `","sessionPublicKey":"02aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"jwt":null}`))
	f.Add([]byte(`{"jwt":1}`))
	f.Add([]byte(`{"jwt":"a.b.c"} {}`))
	f.Add([]byte(`{"jwt":"\u0000"}`))
	f.Add([]byte("\xff\xfe"))
	path := "/api/v0/sdk/" + fake.EnvironmentID() + "/externalAuth/signin"
	f.Fuzz(func(t *testing.T, body []byte) {
		parsed, err := parseSignInBody(body)
		if err == nil && len(bytes.TrimSpace(body)) > 0 {
			var m map[string]any
			if json.Unmarshal(body, &m) != nil {
				t.Fatalf("accepted a body encoding/json rejects: %q", body)
			}
			if s, ok := m["jwt"].(string); ok && s != parsed.JWT {
				t.Fatalf("jwt %q, want %q", parsed.JWT, s)
			}
		}
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		if rec.Code == http.StatusOK {
			if !strings.Contains(string(body), good) {
				t.Fatalf("sign-in accepted without the valid token: %q", body)
			}
			return
		}
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
			t.Fatalf("error body %q is not {\"error\":...}", rec.Body.Bytes())
		}
	})
}
