package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/extauth/extauth/internal/logbuf"
	"github.com/extauth/extauth/issuer"
	"github.com/golang-jwt/jwt/v5"
)

// testKeyJSON is one private JWK shared by the tests (RSA generation is slow).
var testKeyJSON = sync.OnceValue(func() []byte {
	k, err := issuer.GenerateKey(2048, "test-key-1")
	if err != nil {
		panic(err)
	}
	b, err := k.MarshalPrivateJWK()
	if err != nil {
		panic(err)
	}
	return b
})

// syncBuffer collects log output from several goroutines.
type syncBuffer = logbuf.Buffer

// testConfig is a config for a temp working dir holding the shared test
// key, with ngrok pointed at a closed port and the local Dynamic.
func testConfig(t testing.TB) *config {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, defaultStateDir)
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, keyFileName), testKeyJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	return &config{
		Dir:               dir,
		StateDir:          state,
		Host:              "127.0.0.1",
		NgrokAPIURL:       closedURL(t),
		LocalExternalAuth: true,
		LogLevel:          slog.LevelDebug,
		Getenv:            func(string) string { return "" },
	}
}

// closedURL is an http URL on which nothing listens.
func closedURL(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// testServer is a running app.
type testServer struct {
	app  *app
	url  string
	logs *syncBuffer
	srv  *httptest.Server
}

// startApp serves cfg on a loopback httptest server.
func startApp(t testing.TB, cfg *config, tweaks ...func(*app)) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	a, err := newApp(cfg, newLogger(logs, slog.LevelDebug))
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	for _, tw := range tweaks {
		tw(a)
	}
	srv := httptest.NewServer(a.Handler())
	if err := a.attach(srv.URL); err != nil {
		srv.Close()
		t.Fatalf("attach: %v", err)
	}
	t.Cleanup(func() {
		srv.Close()
		a.close()
	})
	return &testServer{app: a, url: srv.URL, logs: logs, srv: srv}
}

// do sends a request and returns status, headers and body.
func (ts *testServer) do(t testing.TB, method, path, contentType, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// errorText decodes {"error": ...}.
func errorText(t testing.TB, body []byte) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("body is not a JSON error: %q", body)
	}
	return e.Error
}

// verifyToken checks tok against the server's JWKS over HTTP with
// keyfunc/v3 + golang-jwt/jwt/v5 and returns its claims.
func verifyToken(t testing.TB, jwksURL, iss, tok string) jwt.MapClaims {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{jwksURL})
	if err != nil {
		t.Fatalf("keyfunc: %v", err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, kf.Keyfunc, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(iss), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	return claims
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
