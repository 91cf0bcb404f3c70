package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzJWTBody throws arbitrary bodies and content types at POST
// /api/dev/jwt: the answer is always 200 with {token, sub, email} or a
// 400/413/415 JSON error, never a panic or a 5xx.
func FuzzJWTBody(f *testing.F) {
	for _, seed := range []struct{ ct, body string }{
		{"application/json", `{"sub":"user-123","email":"test@example.com"}`},
		{"application/json", `{}`},
		{"", ``},
		{"application/json", `{"sub":123}`},
		{"application/json", `{"sub":"a\u0000"}`},
		{"application/json", `{"email":"x"}`},
		{"application/json", `[1,2]`},
		{"application/json", `{"sub":"` + strings.Repeat("é", 200) + `"}`},
		{"text/plain", `{"sub":"u"}`},
		{"application/json; charset=utf-8", `{"sub":"u"} `},
		{"application/json", `{"sub":"u"`},
		{"application/json", "{\"sub\":\"\xff\xfe\"}"},
		{"application/json", `{"a":{"b":{"c":[[[[]]]]}}}`},
	} {
		f.Add(seed.ct, []byte(seed.body))
	}
	cfg := testConfig(f)
	a, err := newApp(cfg, newLogger(&syncBuffer{}, 0))
	if err != nil {
		f.Fatal(err)
	}
	if err := a.attach("http://127.0.0.1:3000"); err != nil {
		f.Fatal(err)
	}
	defer a.close()
	h := a.Handler()
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		req := httptest.NewRequest("POST", jwtPath, strings.NewReader(string(body)))
		req.RemoteAddr = "127.0.0.1:40000"
		req.Host = "127.0.0.1:3000"
		if ct != "" {
			req.Header["Content-Type"] = []string{ct}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("Content-Type %q", rec.Header().Get("Content-Type"))
		}
		switch rec.Code {
		case http.StatusOK:
			var res struct {
				Token string  `json:"token"`
				Sub   string  `json:"sub"`
				Email *string `json:"email"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || strings.Count(res.Token, ".") != 2 || res.Sub == "" {
				t.Fatalf("bad 200 answer %q: %v", rec.Body, err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("status %d without a JSON error: %q", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("status %d for ct %q body %q: %s", rec.Code, ct, body, rec.Body)
		}
	})
}
