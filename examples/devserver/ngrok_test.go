package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeNgrok is an ngrok agent API answering /api/tunnels with h.
func fakeNgrok(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// portWriter replaces {PORT} in what a fake agent writes.
type portWriter struct {
	http.ResponseWriter
	port string
}

func (w *portWriter) Write(b []byte) (int, error) {
	if _, err := w.ResponseWriter.Write(bytes.ReplaceAll(b, []byte("{PORT}"), []byte(w.port))); err != nil {
		return 0, err
	}
	return len(b), nil
}

func tunnels(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/tunnels" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}
}

func TestNgrokDetect(t *testing.T) {
	// Another server with a valid tunnel list: the detector must not be
	// redirected to it.
	elsewhere := fakeNgrok(t, tunnels(`{"tunnels":[{"public_url":"https://elsewhere.ngrok-free.app","proto":"https","config":{"addr":"3000"}}]}`))
	two := `{"tunnels":[
		{"public_url":"http://plain.ngrok-free.app","proto":"http","config":{"addr":"http://localhost:3000"}},
		{"public_url":"https://other.ngrok-free.app","proto":"https","config":{"addr":"http://localhost:8080"}},
		{"public_url":"https://ours.ngrok-free.app/","proto":"https","config":{"addr":"http://localhost:3000"}}]}`
	for _, tc := range []struct {
		name    string
		h       http.HandlerFunc
		port    int
		wantURL string
		wantErr error
	}{
		{"prefers the tunnel to our port", tunnels(two), 3000, "https://ours.ngrok-free.app", nil},
		{"falls back to the first https", tunnels(two), 4000, "https://other.ngrok-free.app", nil},
		{"port only addr", tunnels(`{"tunnels":[{"public_url":"https://a.ngrok.app","proto":"https","config":{"addr":"9000"}},{"public_url":"https://b.ngrok.app","proto":"https","config":{"addr":"127.0.0.1:3000"}}]}`), 3000, "https://b.ngrok.app", nil},
		{"no https tunnel", tunnels(`{"tunnels":[{"public_url":"http://a.ngrok.app","proto":"http"}]}`), 3000, "", errNoHTTPSTunnel},
		{"no tunnels at all", tunnels(`{"tunnels":[]}`), 3000, "", errNoHTTPSTunnel},
		{"missing tunnels member", tunnels(`{}`), 3000, "", errNoHTTPSTunnel},
		{"https tunnel with a bogus url", tunnels(`{"tunnels":[{"public_url":"javascript:alert(1)","proto":"https"}]}`), 3000, "", errNoHTTPSTunnel},
		{"agent error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, 3000, "", errNgrokAPIError},
		{"agent 404", http.NotFound, 3000, "", errNgrokAPIError},
		{"agent redirects elsewhere", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere+"/api/tunnels", http.StatusFound)
		}, 3000, "", errNgrokAPIError},
		{"garbage", tunnels(`<html>not json`), 3000, "", errNgrokNotDetected},
		{"wrong shape", tunnels(`{"tunnels":"nope"}`), 3000, "", errNgrokNotDetected},
		{"empty body", tunnels(``), 3000, "", errNgrokNotDetected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newNgrokDetector(fakeNgrok(t, tc.h))
			res, err := d.detect(context.Background(), tc.port)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.URL != tc.wantURL || res.JWKSURL != tc.wantURL+jwksPath {
				t.Errorf("got %+v, want url %s", res, tc.wantURL)
			}
			// A tunnel to another port is only a fallback: say so.
			if other := tc.name == "falls back to the first https"; other != (res.Warning != "") ||
				(other && !strings.Contains(res.Warning, "not to this devserver (port 4000)")) {
				t.Errorf("warning %q for %s", res.Warning, tc.name)
			}
		})
	}
}

func TestForwardsTo(t *testing.T) {
	for addr, want := range map[string]bool{
		"http://localhost:3000": true, "https://localhost:3000": true, "localhost:3000": true, "3000": true,
		"127.0.0.1:3000": true, "[::1]:3000": true, "http://localhost:3001": false, "example.com:3000": false,
		"": false, "localhost": false, "0.0.0.0:3000": true,
	} {
		if got := forwardsTo(addr, 3000); got != want {
			t.Errorf("forwardsTo(%q, 3000) = %v, want %v", addr, got, want)
		}
	}
}

// The agent is slow: /api/dev/ngrok answers 503 within the 2 s bound and
// the rest of the devserver keeps serving meanwhile.
func TestNgrokSlowAgent(t *testing.T) {
	release := make(chan struct{})
	slow := fakeNgrok(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	defer close(release)
	cfg := testConfig(t)
	cfg.NgrokAPIURL = slow
	ts := startApp(t, cfg)

	done := make(chan struct{})
	var status int
	var body []byte
	start := time.Now()
	go func() {
		defer close(done)
		status, _, body = ts.do(t, "GET", ngrokPath, "", "")
	}()
	// Meanwhile the JWKS and the minting endpoint answer at once.
	if st, _, _ := ts.do(t, "GET", jwksPath, "", ""); st != 200 {
		t.Errorf("JWKS while ngrok hangs: %d", st)
	}
	if st, _, _ := ts.do(t, "POST", jwtPath, "application/json", `{}`); st != 200 {
		t.Errorf("mint while ngrok hangs: %d", st)
	}
	<-done
	elapsed := time.Since(start)
	if status != http.StatusServiceUnavailable || errorText(t, body) != "ngrok not detected" {
		t.Errorf("slow agent: %d %s", status, body)
	}
	if elapsed < ngrokTimeout-100*time.Millisecond || elapsed > ngrokTimeout+1500*time.Millisecond {
		t.Errorf("slow agent answered after %v, want about %v", elapsed, ngrokTimeout)
	}
}

// /api/dev/ngrok maps agent answers to the demo's statuses and bodies.
func TestNgrokEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name      string
		agent     http.HandlerFunc // nil: agent down
		status    int
		wantError string
		wantURL   string
	}{
		{"down", nil, 503, "ngrok not detected", ""},
		{"garbage", tunnels("\x00\x01garbage"), 503, "ngrok not detected", ""},
		{"non-2xx", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", http.StatusBadGateway) }, http.StatusBadGateway, "ngrok API returned error", ""},
		{"no https", tunnels(`{"tunnels":[{"public_url":"tcp://0.tcp.ngrok.io:1234","proto":"tcp"}]}`), 404, "No HTTPS tunnel found", ""},
		// {PORT} is the devserver's port: the demo's exact body.
		{"ok", tunnels(`{"tunnels":[{"public_url":"https://a1b2c3d4.ngrok-free.app","proto":"https","config":{"addr":"http://localhost:{PORT}"}}]}`), 200, "", "https://a1b2c3d4.ngrok-free.app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			var port atomic.Int64
			if tc.agent != nil {
				cfg.NgrokAPIURL = fakeNgrok(t, func(w http.ResponseWriter, r *http.Request) {
					tc.agent(&portWriter{ResponseWriter: w, port: strconv.FormatInt(port.Load(), 10)}, r)
				})
			}
			ts := startApp(t, cfg)
			port.Store(int64(ts.app.port))
			status, hdr, body := ts.do(t, "GET", ngrokPath, "", "")
			if status != tc.status || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d (%s), want %d: %s", status, hdr.Get("Content-Type"), tc.status, body)
			}
			if tc.wantError != "" {
				if got := errorText(t, body); got != tc.wantError {
					t.Errorf("error %q, want %q", got, tc.wantError)
				}
				var e ngrokErrorResponse
				json.Unmarshal(body, &e)
				if e.Details == "" || strings.Contains(e.Details, tc.wantError) {
					t.Errorf("details %q should add to, not repeat, the error", e.Details)
				}
				return
			}
			want := `{"url":"` + tc.wantURL + `","jwksUrl":"` + tc.wantURL + `/api/dev/jwks"}` + "\n"
			if string(body) != want {
				t.Errorf("body %s, want %s", body, want)
			}
		})
	}
}
