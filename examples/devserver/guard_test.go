package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLoopbackGuard(t *testing.T) {
	ts := startApp(t, testConfig(t))
	h := ts.app.Handler()
	for _, tc := range []struct {
		name   string
		remote string
		host   string
		path   string
		hdr    map[string]string
		status int
		reason string
	}{
		{"loopback ok", "127.0.0.1:5000", "127.0.0.1:3000", "/jwt", nil, 200, ""},
		{"localhost host ok", "127.0.0.1:5000", "localhost:3000", "/jwt", nil, 200, ""},
		{"ipv6 loopback ok", "[::1]:5000", "[::1]:3000", "/jwt", nil, 200, ""},
		{"same-origin browser ok", "127.0.0.1:5000", "localhost:3000", "/jwt", map[string]string{"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-origin"}, 200, ""},
		{"non-loopback peer", "192.0.2.7:5000", "127.0.0.1:3000", "/jwt", nil, 403, "peer address"},
		{"non-loopback peer on mint", "10.0.0.2:5000", "127.0.0.1:3000", jwtPath, nil, 403, "peer address"},
		{"non-loopback host (DNS rebinding)", "127.0.0.1:5000", "evil.example:3000", "/jwt", nil, 403, "Host header"},
		{"ngrok host", "127.0.0.1:5000", "a1b2.ngrok-free.app", jwtPath, nil, 403, "Host header"},
		{"empty host", "127.0.0.1:5000", "", "/jwt", nil, 403, "Host header"},
		{"x-forwarded-for", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"X-Forwarded-For": "203.0.113.9"}, 403, "X-Forwarded-For"},
		{"x-forwarded-host", "127.0.0.1:5000", "localhost:3000", "/", map[string]string{"X-Forwarded-Host": "a.ngrok.app"}, 403, "X-Forwarded-Host"},
		{"x-forwarded-proto", "127.0.0.1:5000", "localhost:3000", "/", map[string]string{"X-Forwarded-Proto": "https"}, 403, "X-Forwarded-Proto"},
		{"forwarded", "127.0.0.1:5000", "localhost:3000", ngrokPath, map[string]string{"Forwarded": "for=203.0.113.9"}, 403, "Forwarded"},
		{"x-real-ip", "127.0.0.1:5000", "localhost:3000", signInPath, map[string]string{"X-Real-IP": "203.0.113.9"}, 403, "X-Real-Ip"},
		{"via", "127.0.0.1:5000", "localhost:3000", "/dashboard", map[string]string{"Via": "1.1 proxy"}, 403, "Via"},
		{"cross-site origin", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"Origin": "https://evil.example"}, 403, "Origin"},
		{"null origin", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"Origin": "null"}, 403, "Origin"},
		{"null origin cross-site", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403, "Origin"},
		{"null origin same-origin form post", "127.0.0.1:5000", "localhost:3000", "/jwt", map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 200, ""},
		// Another origin on this machine (another dev server's page) is
		// another origin all the same: no minting, signing in or out.
		{"other localhost port origin", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"Origin": "http://localhost:8080", "Sec-Fetch-Site": "same-site"}, 403, "Origin"},
		{"other localhost port origin, no sec-fetch", "127.0.0.1:5000", "localhost:3000", signInPath, map[string]string{"Origin": "http://localhost:8080"}, 403, "Origin"},
		{"loopback ip origin vs localhost host", "127.0.0.1:5000", "localhost:3000", signInPath, map[string]string{"Origin": "http://127.0.0.1:3000"}, 403, "Origin"},
		{"https origin", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"Origin": "https://localhost:3000"}, 403, "Origin"},
		{"same-site fetch without origin", "127.0.0.1:5000", "localhost:3000", ngrokPath, map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"}, 403, "same-site"},
		{"same-origin ip host", "127.0.0.1:5000", "127.0.0.1:3000", jwtPath, map[string]string{"Origin": "http://127.0.0.1:3000", "Sec-Fetch-Site": "same-origin"}, 200, ""},
		{"origin host case-insensitive", "127.0.0.1:5000", "LOCALHOST:3000", jwtPath, map[string]string{"Origin": "http://localhost:3000"}, 200, ""},
		{"typed url", "127.0.0.1:5000", "localhost:3000", "/jwt", map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 200, ""},
		// A link on another site to a page is fine; a subresource is not.
		{"cross-site link to a page", "127.0.0.1:5000", "localhost:3000", "/jwt", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 200, ""},
		{"cross-site iframe", "127.0.0.1:5000", "localhost:3000", "/jwt", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}, 403, "cross-site"},
		{"cross-site script include", "127.0.0.1:5000", "localhost:3000", ngrokPath, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}, 403, "cross-site"},
		{"cross-site form post navigation", "127.0.0.1:5000", "localhost:3000", signInPath, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 403, "cross-site"},
		{"absolute-form target", "127.0.0.1:5000", "localhost:3000", "http://localhost:3000/jwt", nil, 403, "absolute URL"},
		{"x-original-host (ngrok host rewrite)", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"X-Original-Host": "a1b2.ngrok-free.app"}, 403, "X-Original-Host"},
		{"cf-connecting-ip (cloudflared)", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"Cf-Connecting-Ip": "203.0.113.9"}, 403, "Cf-Connecting-Ip"},
		{"sec-fetch-site cross-site", "127.0.0.1:5000", "localhost:3000", jwtPath, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross-site"},
		{"local dynamic guarded too", "192.0.2.7:5000", "localhost:3000", localDynPrefix + "/api/v0/sdk/x/settings", nil, 403, "peer address"},
		// The JWKS is public: through a tunnel, from anywhere.
		{"jwks through ngrok", "127.0.0.1:5000", "a1b2.ngrok-free.app", jwksPath, map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}, 200, ""},
		{"jwks from a remote peer", "198.51.100.3:4000", "jwks.example.com", jwksPath, nil, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.path, nil)
			if tc.path == jwtPath || tc.path == signInPath {
				req = httptest.NewRequest("POST", tc.path, strings.NewReader("{}"))
				req.Header.Set("Content-Type", "application/json")
			}
			req.RemoteAddr = tc.remote
			req.Host = tc.host
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == http.StatusForbidden {
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				if msg := errorText(t, rec.Body.Bytes()); !strings.Contains(msg, tc.reason) {
					t.Errorf("reason %q does not mention %q", msg, tc.reason)
				}
			}
		})
	}
}

// A tunnel like ngrok: a reverse proxy on this machine that forwards public
// traffic with X-Forwarded-* headers, with the public Host or (ngrok's
// --host-header=rewrite) with the devserver's own Host. Only the JWKS gets
// through; nothing can mint a token or sign in.
func TestThroughTunnel(t *testing.T) {
	ts := startApp(t, testConfig(t))
	target, _ := url.Parse(ts.url)
	for _, rewriteHost := range []bool{false, true} {
		proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			if !rewriteHost {
				pr.Out.Host = "a1b2c3d4.ngrok-free.app"
			}
		}})
		for _, tc := range []struct {
			method, path, body string
			status             int
		}{
			{"GET", jwksPath, "", 200},
			{"HEAD", jwksPath, "", 200},
			{"POST", jwtPath, `{"sub":"tunnel"}`, 403},
			{"POST", signInPath, `{"sub":"tunnel"}`, 403},
			{"GET", "/jwt", "", 403},
			{"GET", "/", "", 403},
			{"GET", ngrokPath, "", 403},
			{"GET", localDynPrefix + "/api/v0/sdk/x/settings", "", 403},
		} {
			req, _ := http.NewRequest(tc.method, proxy.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("host rewrite %v: %s %s through the tunnel: %d, want %d: %s", rewriteHost, tc.method, tc.path, resp.StatusCode, tc.status, b)
			}
			if strings.Contains(string(b), "eyJ") && tc.path != jwksPath {
				t.Errorf("a token came out of the tunnel: %s", b)
			}
		}
		proxy.Close()
	}
	if strings.Contains(ts.logs.String(), `msg="signed in"`) {
		t.Error("someone signed in through the tunnel")
	}
}

// TestRequestFraming (issue 9.7): a request framed by Transfer-Encoding,
// here with a Content-Length too, could carry a second request that a
// front end framing by Content-Length passes on as part of the body. The
// devserver refuses it on guarded paths and closes the connection either
// way, so nothing after it on the connection is read as a request.
func TestRequestFraming(t *testing.T) {
	ts := startApp(t, testConfig(t))
	addr := strings.TrimPrefix(ts.url, "http://")
	smuggled := "GET " + ngrokPath + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"CL and TE on the mint endpoint", "POST " + jwtPath + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"chunked GET of a page", "GET /jwt HTTP/1.1\r\nHost: " + addr + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"chunked GET of the JWKS", "GET " + jwksPath + " HTTP/1.1\r\nHost: " + addr + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, tc.req); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !resp.Close {
				t.Fatalf("status %d, Connection: close %v (%s); want %d and a closed connection", resp.StatusCode, resp.Close, body, tc.status)
			}
			if second, err := http.ReadResponse(br, nil); err == nil {
				t.Fatalf("the smuggled request was answered: %s", second.Status)
			}
		})
	}
}

// TestHostWithNamedPort: "localhost:evil.example" is not a loopback Host,
// though it splits into localhost and a "port".
func TestHostWithNamedPort(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost:3000": true, "127.0.0.1:3000": true, "[::1]:3000": true, "localhost": true,
		"localhost:evil.example": false, "localhost:3000x": false, "localhost:+80": false, "localhost:0": false,
		"localhost:99999": false, "127.0.0.1:evil.example": false,
	} {
		if got := loopbackHost(host); got != want {
			t.Errorf("loopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
