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

// FuzzDotenv: parsing never panics, and updating the four JWT_PROVIDER_*
// lines of a quote-free file leaves every other variable as it was.
func FuzzDotenv(f *testing.F) {
	for _, s := range []string{
		"A=1\nB='x'\n",
		"JWT_PROVIDER_KID=old\nexport JWT_PROVIDER_ISSUER=x # c\n",
		"X=\"multi\nline\"\nJWT_PROVIDER_PRIVATE_KEY='{\"a\":1}'\n",
		"\ufeffA=1\r\nB=2",
		"=novalue\n#c\n  \n1A=2\n",
	} {
		f.Add([]byte(s))
	}
	vals := map[string]string{
		"JWT_PROVIDER_KID": "k", "JWT_PROVIDER_ISSUER": "https://i.example",
		"JWT_PROVIDER_PUBLIC_KEY": "'{\"p\":1}'", "JWT_PROVIDER_PRIVATE_KEY": "'{\"s\":1}'",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before, warns := parseDotenv(data)
		out := updateDotenv(data, keygenHeader, envOrder, vals)
		after, _ := parseDotenv(out)
		if strings.ContainsAny(string(data), "\r") || strings.Contains(strings.Join(warns, "\n"), "unterminated") {
			return // lone CRs, and a quote never closed (the lines we append could close it)
		}
		for k, v := range before {
			if _, ours := vals[k]; !ours && after[k] != v {
				t.Fatalf("%s changed from %q to %q\nin:\n%s\nout:\n%s", k, v, after[k], data, out)
			}
		}
		if after["JWT_PROVIDER_KID"] != "k" || after["JWT_PROVIDER_PRIVATE_KEY"] != `{"s":1}` {
			t.Fatalf("our lines not set:\n%s", out)
		}
	})
}

// FuzzNgrokTunnels: whatever the agent answers, a picked tunnel is an
// https URL.
func FuzzNgrokTunnels(f *testing.F) {
	f.Add([]byte(`{"tunnels":[{"public_url":"https://a.ngrok-free.app","proto":"https","config":{"addr":"http://localhost:3000"}}]}`), 3000)
	f.Add([]byte(`{"tunnels":[{"public_url":"http://a","proto":"http"},{"public_url":"https://b","proto":"https","config":{"addr":"3001"}}]}`), 3001)
	f.Add([]byte(`{"tunnels":null}`), 0)
	f.Fuzz(func(t *testing.T, data []byte, port int) {
		var body struct {
			Tunnels []ngrokTunnel `json:"tunnels"`
		}
		if json.Unmarshal(data, &body) != nil {
			return
		}
		if tun := pickTunnel(body.Tunnels, port); tun != nil && (tun.Proto != "https" || !validPublicURL(tun.PublicURL)) {
			t.Fatalf("picked %+v", tun)
		}
	})
}
