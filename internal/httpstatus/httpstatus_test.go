package httpstatus

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecorder(t *testing.T) {
	for name, tc := range map[string]struct {
		h    http.HandlerFunc
		want int
	}{
		"nothing":          {func(http.ResponseWriter, *http.Request) {}, 200},
		"body":             {func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("x")) }, 200},
		"404":              {func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }, 404},
		"first of two":     {func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503); w.WriteHeader(200) }, 503},
		"header then body": {func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(201); _, _ = w.Write([]byte("x")) }, 201},
	} {
		rec := httptest.NewRecorder()
		w := &Recorder{ResponseWriter: rec}
		tc.h(w, httptest.NewRequest("GET", "/", nil))
		if w.Code() != tc.want || rec.Code != tc.want {
			t.Errorf("%s: recorded %d, sent %d, want %d", name, w.Code(), rec.Code, tc.want)
		}
	}
}
