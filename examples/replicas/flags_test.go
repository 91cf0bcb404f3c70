package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseReplicaRefusesBadInput(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://x", "EXTAUTH_KEK": strings.Repeat("00", 32)}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-table", "Bad-Name"}, nil, "-table"},
		{[]string{"-rotation", "2s", "-publish-lead", "3s"}, nil, "shorter than -rotation"},
		{[]string{"-max-ttl", "500ms"}, nil, "at least 1s"},
		{[]string{"-refresh", "0s"}, nil, "must be positive"},
		{nil, map[string]string{}, "DATABASE_URL is not set"},
		{[]string{"-nonsense"}, nil, "not defined"},
	} {
		g := getenv
		if tc.env != nil {
			g = func(k string) string { return tc.env[k] }
		}
		_, err := parseReplica(tc.args, g, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
	cfg, err := parseReplica([]string{"-name", "r1"}, getenv, io.Discard)
	if err != nil || cfg.Name != "r1" || cfg.Database != "postgres://x" {
		t.Errorf("good flags: %+v, %v", cfg, err)
	}
}

// TestProxySkipsDeadBackend: the proxy round-robins, and a backend that
// refuses connections is skipped; with none answering it says so in JSON.
func TestProxySkipsDeadBackend(t *testing.T) {
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Replica", "live")
		_, _ = w.Write(append([]byte(r.Method+" "+r.URL.Path+" "), body...))
	}))
	defer live.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	p, err := newProxy([]string{deadURL, live.URL}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	for range 4 {
		resp, err := http.Post(srv.URL+"/token", "application/json", strings.NewReader(`{"sub":"a"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != `POST /token {"sub":"a"}` || resp.Header.Get("X-Replica") != "live" {
			t.Errorf("through the proxy: %d %q", resp.StatusCode, b)
		}
	}
	resp, err := http.Post(srv.URL+"/token", "application/json", strings.NewReader(strings.Repeat("x", maxBody+1)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "64 KiB") {
		t.Errorf("oversized body: %d %s", resp.StatusCode, b)
	}
	none, _ := newProxy([]string{deadURL}, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	none.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Errorf("no backend: %d %s", rec.Code, rec.Body)
	}
}
