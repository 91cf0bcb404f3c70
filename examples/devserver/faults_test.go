package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A misbehaving Dynamic (slow, 5xx, 429, garbage, huge body): every sign-in
// ends within its bound with a clear JSON error, the pages still render,
// and the JWKS and minting keep answering.
func TestDynamicFaults(t *testing.T) {
	const bound = time.Second
	for _, tc := range []struct {
		name   string
		h      http.HandlerFunc
		status int
		want   string
	}{
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, http.StatusGatewayTimeout, "did not answer within 1s"},
		{"500", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			w.Write([]byte(`{"error":"Internal failure"}`))
		}, http.StatusBadGateway, "HTTP 500"},
		{"503 html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			w.Write([]byte(`<html><body>Service Unavailable</body></html>`))
		}, http.StatusBadGateway, "HTTP 503"},
		{"429 with Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			w.Write([]byte(`{"error":"Too many requests. Please try again later."}`))
		}, http.StatusTooManyRequests, "try again in 7s"},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("\x00\x01{{{not json"))
		}, http.StatusBadGateway, "Dynamic sent an answer the devserver cannot read"},
		{"huge body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"nonces":["`))
			chunk := []byte(strings.Repeat("a", 64<<10))
			for i := 0; i < 64; i++ { // 4 MiB
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, http.StatusBadGateway, "exceeds 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dyn := httptest.NewServer(tc.h)
			defer dyn.Close()
			cfg := testConfig(t)
			cfg.EnvironmentID = "2b1f0c1e-1111-4a4a-9c9c-0123456789ab"
			cfg.DynamicAPIURL = dyn.URL + "/api/v0"
			ts := startApp(t, cfg, func(a *app) { a.timeout = bound })

			start := time.Now()
			status, hdr, body := ts.do(t, "POST", signInPath, "application/json", `{"sub":"fault-user"}`)
			if elapsed := time.Since(start); elapsed > bound+2*time.Second {
				t.Errorf("sign-in took %v, bound %v", elapsed, bound)
			}
			if status != tc.status || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			t.Logf("error: %s", body)
			if msg := errorText(t, body); !strings.Contains(msg, tc.want) || strings.Contains(msg, "eyJ") {
				t.Errorf("error %q, want it to mention %q (and no token)", msg, tc.want)
			}
			start = time.Now()
			status, _, body = ts.do(t, "GET", "/", "", "")
			if status != 200 || !strings.Contains(string(body), `id="settings-error"`) {
				t.Errorf("home: %d", status)
			}
			if elapsed := time.Since(start); elapsed > bound+2*time.Second {
				t.Errorf("home took %v", elapsed)
			}
			for _, p := range []string{jwksPath, "/jwt"} {
				if status, _, _ := ts.do(t, "GET", p, "", ""); status != 200 {
					t.Errorf("GET %s while Dynamic misbehaves: %d", p, status)
				}
			}
			if status, _, _ := ts.do(t, "POST", jwtPath, "application/json", `{}`); status != 200 {
				t.Errorf("mint while Dynamic misbehaves: %d", status)
			}
		})
	}
}
