package dynamic

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic/internal/wire"
	"github.com/extauth/extauth/internal/logbuf"
)

// testEnv is the environment id of the SDK recordings.
const testEnv = "2762a57b-faa4-41ce-9f16-abff9300e2c9"

// fakeDynamic is a minimal loopback stand-in for Dynamic's SDK API used by
// the client tests: canned settings, random nonces, a canned sign-in answer.
// Handlers can be replaced per test through mux.
type fakeDynamic struct {
	t    testing.TB
	srv  *httptest.Server
	mux  *http.ServeMux // paths relative to /api/v0
	cfg  Config         // the client's configuration, until c() is first called
	cl   *Client        // built from cfg by c()
	clMu sync.Mutex

	mu       sync.Mutex
	requests []*recordedRequest
	issued   map[string]bool // nonces handed out and not yet used

	settingsBody []byte
	signinBody   []byte
	onSettings   func() // called before answering settings, if set

	signinOverride http.HandlerFunc // replaces the sign-in answer
	noncesOverride []byte           // replaces the nonces answer
}

type recordedRequest struct {
	Method   string
	Path     string // full path incl. /api/v0
	RawQuery string
	Header   http.Header
	Body     []byte
}

// setup starts a fake on loopback with everything under /api/v0, so a
// request built with a wrong URL fails loudly, and a Client pointed at it.
func setup(t testing.TB) *fakeDynamic {
	t.Helper()
	f := &fakeDynamic{t: t, mux: http.NewServeMux(), issued: map[string]bool{}}
	f.settingsBody = loadCanned(t, "settings")
	f.signinBody = loadCanned(t, "signinOk")

	prefix := "/sdk/" + testEnv
	f.mux.HandleFunc("GET "+prefix+"/settings", func(w http.ResponseWriter, r *http.Request) {
		if f.onSettings != nil {
			f.onSettings()
		}
		writeJSON(w, 200, f.settingsBody)
	})
	f.mux.HandleFunc("GET "+prefix+"/nonces", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		override := f.noncesOverride
		f.mu.Unlock()
		if override != nil {
			writeJSON(w, 200, override)
			return
		}
		writeJSON(w, 200, f.newNonces(5))
	})
	f.mux.HandleFunc("POST "+prefix+"/externalAuth/signin", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		override := f.signinOverride
		f.mu.Unlock()
		if override != nil {
			override(w, r)
			return
		}
		if n := r.Header.Get(wire.HeaderDeviceNonce); n != "" && !f.useNonce(n) {
			writeJSON(w, 400, []byte(`{"error":"nonce unknown or already used","code":"invalid_nonce"}`))
			return
		}
		writeJSON(w, 200, f.signinBody)
	})
	f.mux.HandleFunc("POST "+prefix+"/externalAuth/verify", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []byte(`{"elevatedAccessToken":"eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6IndhbGxldDpleHBvcnQifQ.c2ln"}`))
	})

	root := http.NewServeMux()
	root.Handle("/api/v0/", http.StripPrefix("/api/v0", f.mux))
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside /api/v0: %s %s", r.Method, r.URL)
		http.Error(w, "wrong base path", http.StatusNotFound)
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.requests = append(f.requests, &recordedRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		root.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.cfg = Config{EnvironmentID: testEnv, BaseURL: f.srv.URL + "/api/v0", HTTPClient: f.srv.Client()}
	return f
}

// c returns the client for f.cfg, built on first use.
func (f *fakeDynamic) c() *Client {
	f.t.Helper()
	f.clMu.Lock()
	defer f.clMu.Unlock()
	if f.cl == nil {
		cl, err := NewClient(f.cfg)
		if err != nil {
			f.t.Fatalf("NewClient: %v", err)
		}
		f.cl = cl
	}
	return f.cl
}

func (f *fakeDynamic) newNonces(n int) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	nonces := make([]string, n)
	for i := range nonces {
		var b [16]byte
		rand.Read(b[:])
		nonces[i] = hex.EncodeToString(b[:])
		f.issued[nonces[i]] = true
	}
	b, _ := json.Marshal(map[string][]string{"nonces": nonces})
	return b
}

func (f *fakeDynamic) useNonce(n string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := f.issued[n]
	delete(f.issued, n)
	return ok
}

// count returns how many requests matched method and path suffix.
func (f *fakeDynamic) count(method, suffix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func (f *fakeDynamic) all() []*recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*recordedRequest(nil), f.requests...)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// loadCanned returns a canned response body from testdata/canned-responses.json,
// with placeholders filled in.
func loadCanned(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/canned-responses.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]struct {
		Body json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	body := doc[name].Body
	if name == "signinOk" {
		var m map[string]any
		json.Unmarshal(body, &m)
		m["jwt"] = testAccessToken
		m["minifiedJwt"] = testAccessToken
		m["expiresAt"] = 1795470667
		u := m["user"].(map[string]any)
		u["projectEnvironmentId"] = testEnv
		u["lastVisit"] = "2026-11-23T19:51:07.939Z"
		// The API model spells it public_identifier; add the externalUser
		// credential Dynamic creates for an external-JWT sign-in.
		u["verifiedCredentials"] = append(u["verifiedCredentials"].([]any), map[string]any{
			"id": "5e6f7a8b-0000-4000-8000-00000000beef", "format": "externalUser",
			"public_identifier": "ext-user-123", "signInEnabled": true,
		})
		body, _ = json.Marshal(m)
	}
	return body
}

// testAccessToken stands in for Dynamic's access token (shape only).
const testAccessToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2Uta2lkIn0.eyJzdWIiOiIzZjZiMmY5ZSJ9.c2lnbmF0dXJl"

// testJWT is the external JWT of the node-success recording.
var testJWT = func() string {
	recs := mustLoadRecording("node-success")
	var b struct {
		JWT string `json:"jwt"`
	}
	for _, r := range recs {
		if r.Route == "externalAuthSignin" {
			json.Unmarshal([]byte(*r.BodyRaw), &b)
		}
	}
	return b.JWT
}()

func TestSignInWithExternalJWT(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	sess, err := f.c().SignInWithExternalJWT(ctx, testJWT, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sess.AccessToken != testAccessToken || sess.JWT != testAccessToken {
		t.Errorf("tokens not decoded")
	}
	if want := time.Unix(1795470667, 0).UTC(); !sess.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", sess.ExpiresAt, want)
	}
	u := sess.User
	if u.ID != "3f6b2f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b" || u.ProjectEnvironmentID != testEnv || u.Email != "alice@example.test" || u.SessionID == "" {
		t.Errorf("user = %+v", u)
	}
	if got := u.ExternalUserID(); got != "ext-user-123" {
		t.Errorf("ExternalUserID() = %q", got)
	}
	if len(u.VerifiedCredentials) != 2 || u.VerifiedCredentials[0].PublicIdentifier != "alice@example.test" {
		t.Errorf("verified credentials = %+v (publicIdentifier fallback)", u.VerifiedCredentials)
	}
	if !json.Valid(sess.Raw) || sess.RequestID == "" {
		t.Errorf("Raw or RequestID missing")
	}
	if s := sess.String(); strings.Contains(s, testAccessToken) || !strings.Contains(s, u.ID) {
		t.Errorf("String() = %q", s)
	}
	// Cold: settings, nonces, sign-in.
	if got := len(f.all()); got != 3 {
		t.Errorf("cold sign-in made %d requests, want 3", got)
	}
}

func TestWarmSignInIsOneRoundTrip(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.c().Prefetch(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.c().st.pool.len(); n != 5 {
		t.Fatalf("pool after Prefetch has %d nonces, want 5", n)
	}
	before := len(f.all())
	for i := 0; i < 3; i++ { // 5 → 2 left: no refill yet
		if _, err := f.c().SignInWithExternalJWT(ctx, testJWT, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.all()) - before; got != 3 {
		t.Errorf("3 warm sign-ins made %d requests, want 3", got)
	}
	// The 4th leaves one nonce: a background refill starts.
	if _, err := f.c().SignInWithExternalJWT(ctx, testJWT, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return f.c().st.pool.len() == 6 })
	if got := f.count("GET", "/nonces"); got != 2 {
		t.Errorf("nonce fetches = %d, want 2", got)
	}
	// Every nonce is used once.
	var used []string
	for _, r := range f.all() {
		if strings.HasSuffix(r.Path, "/signin") {
			used = append(used, r.Header.Get(wire.HeaderDeviceNonce))
		}
	}
	seen := map[string]bool{}
	for _, n := range used {
		if seen[n] {
			t.Errorf("nonce %s used twice", n)
		}
		seen[n] = true
	}
	if !f.c().st.pool.now().Before(f.c().st.pool.expires) {
		t.Error("pool expired")
	}
}

// numberedPool returns a pool on a fake clock (2026-01-01 UTC, moved on by
// advance) whose every fetch returns five nonces named b<fetch>-n<index>.
func numberedPool() (p *noncePool, advance func(time.Duration)) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := 0
	p = &noncePool{
		now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		fetch: func(context.Context) ([]signedNonce, error) {
			mu.Lock()
			batch++
			b := batch
			mu.Unlock()
			out := make([]signedNonce, 5)
			for i := range out {
				out[i] = signedNonce{nonce: fmt.Sprintf("b%d-n%d", b, i)}
			}
			return out, nil
		},
	}
	return p, func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
}

func TestNoncePoolFIFOAndExpiry(t *testing.T) {
	p, advance := numberedPool()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		n, err := p.take(ctx)
		if err != nil || n.nonce != fmt.Sprintf("b1-n%d", i) {
			t.Fatalf("take %d = %q, %v", i, n.nonce, err)
		}
	}
	// 2 left; the pool expires after 24 h: old nonces are dropped and the
	// next take waits for a fresh batch.
	advance(noncePoolLifetime)
	n, err := p.take(ctx)
	if err != nil || n.nonce != "b2-n0" {
		t.Fatalf("take after expiry = %q, %v; want b2-n0", n.nonce, err)
	}
}

func TestNoncePoolConcurrentRefillsShareOneRequest(t *testing.T) {
	var fetches atomic.Int32
	release := make(chan struct{})
	p := &noncePool{now: time.Now, fetch: func(ctx context.Context) ([]signedNonce, error) {
		fetches.Add(1)
		<-release
		out := make([]signedNonce, 5)
		for i := range out {
			var b [8]byte
			rand.Read(b[:])
			out[i] = signedNonce{nonce: hex.EncodeToString(b[:])}
		}
		return out, nil
	}}
	var wg sync.WaitGroup
	got := make(chan string, 5)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := p.take(context.Background())
			if err != nil {
				t.Error(err)
			}
			got <- n.nonce
		}()
	}
	time.Sleep(50 * time.Millisecond) // let all five wait on the same refill
	close(release)
	wg.Wait()
	close(got)
	seen := map[string]bool{}
	for n := range got {
		if seen[n] {
			t.Errorf("nonce %s handed out twice", n)
		}
		seen[n] = true
	}
	// One fetch for the five waiters, plus at most one background refill
	// started when the pool ran low.
	if n := fetches.Load(); n < 1 || n > 2 {
		t.Errorf("fetches = %d, want 1 or 2", n)
	}
}

func TestNoncePoolTakeHonoursContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	p := &noncePool{now: time.Now, fetch: func(ctx context.Context) ([]signedNonce, error) {
		select {
		case <-block:
		case <-ctx.Done():
		}
		return nil, errors.New("stopped")
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.take(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("take returned after %v", d)
	}
}

func TestProjectSettingsCache(t *testing.T) {
	f := setup(t)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.cfg.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := context.Background()
	ps, err := f.c().ProjectSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ea := ps.ExternalAuth
	if ea.Iss != "https://issuer.fake.test" || ea.Aud != "fake-audience" || ea.JWKSURL != "https://issuer.fake.test/.well-known/jwks.json" || ea.Enabled == nil || !*ea.Enabled {
		t.Errorf("externalAuth = %+v", ea)
	}
	if ps.EnvironmentName != "sandbox" || len(ps.Storage) != 1 || ps.CookieMode() || !ps.ExternalAuthOn() {
		t.Errorf("settings = %+v", ps)
	}
	if !json.Valid(ps.Raw) || !bytes.Contains(ps.Raw, []byte(`"Loopback Fake Project"`)) {
		t.Errorf("Raw = %s", ps.Raw)
	}
	// Concurrent callers within the TTL: no new request.
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.c().ProjectSettings(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.count("GET", "/settings"); n != 1 {
		t.Errorf("settings fetched %d times within the TTL, want 1", n)
	}
	mu.Lock()
	now = now.Add(settingsTTL)
	mu.Unlock()
	if ps, err := f.c().ProjectSettings(ctx); err != nil || !ps.ExternalAuthOn() {
		t.Errorf("ProjectSettings after the TTL = %v, %v", ps, err)
	}
	if n := f.count("GET", "/settings"); n != 2 {
		t.Errorf("settings fetched %d times after the TTL, want 2", n)
	}
}

func TestProjectSettingsConcurrentColdShareOneRequest(t *testing.T) {
	f := setup(t)
	release := make(chan struct{})
	f.onSettings = func() { <-release }
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.c().ProjectSettings(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := f.count("GET", "/settings"); n != 1 {
		t.Errorf("%d settings requests for 8 concurrent cold callers, want 1", n)
	}
}

func TestExternalAuthOnQuirk(t *testing.T) {
	tru, fal := true, false
	tests := []struct {
		name string
		ea   ExternalAuthSettings
		want bool
	}{
		{"configured, flag true", ExternalAuthSettings{Enabled: &tru, Iss: "https://i", JWKSURL: "https://i/jwks"}, true},
		{"configured, flag false (inverted API)", ExternalAuthSettings{Enabled: &fal, Iss: "https://i", JWKSURL: "https://i/jwks"}, true},
		{"configured, no flag", ExternalAuthSettings{Iss: "https://i", JWKSURL: "https://i/jwks"}, true},
		{"flag true, nothing configured", ExternalAuthSettings{Enabled: &tru}, false},
		{"iss only", ExternalAuthSettings{Enabled: &fal, Iss: "https://i"}, false},
		{"jwksUrl only", ExternalAuthSettings{JWKSURL: "https://i/jwks"}, false},
	}
	for _, tt := range tests {
		ps := &ProjectSettings{ExternalAuth: tt.ea}
		if got := ps.ExternalAuthOn(); got != tt.want {
			t.Errorf("%s: ExternalAuthOn() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCookieModeSendsNoDeviceHeaders(t *testing.T) {
	tests := []struct {
		name     string
		settings string
	}{
		{"storage cookie", `{"security":{"auth":{"storage":["localstorage","cookie"]},"externalAuth":{"iss":"https://i","jwksUrl":"https://i/j"}}}`},
		{"cookieName", `{"security":{"auth":{"storage":["localstorage"]},"externalAuth":{"iss":"https://i","jwksUrl":"https://i/j","cookieName":"my_jwt"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.settingsBody = []byte(tt.settings)
			if _, err := f.c().SignInWithExternalJWT(context.Background(), testJWT, nil); err != nil {
				t.Fatal(err)
			}
			if n := f.count("GET", "/nonces"); n != 0 {
				t.Errorf("cookie mode fetched nonces %d times", n)
			}
			for _, r := range f.all() {
				if r.Header.Get(wire.HeaderDeviceNonce) != "" || r.Header.Get(wire.HeaderDeviceSignedNonce) != "" {
					t.Errorf("%s %s carries device headers in cookie mode", r.Method, r.Path)
				}
			}
		})
	}
}

func TestStaleSettingsRefreshInBackground(t *testing.T) {
	f := setup(t)
	var mu sync.Mutex
	now := time.Now()
	f.cfg.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := context.Background()
	if err := f.c().Prefetch(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(settingsTTL + time.Second)
	mu.Unlock()
	if _, err := f.c().SignInWithExternalJWT(ctx, testJWT, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return f.count("GET", "/settings") == 2 })
}

func TestRequestElevatedToken(t *testing.T) {
	f := setup(t)
	tok, err := f.c().RequestElevatedToken(context.Background(), testJWT, testAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "eyJ") {
		t.Errorf("token = %q", tok)
	}
	reqs := f.all()
	if len(reqs) != 1 {
		t.Fatalf("step-up made %d requests, want 1 (no settings, no nonces)", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/api/v0/sdk/"+testEnv+"/externalAuth/verify" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testAccessToken {
		t.Errorf("Authorization = %q", got)
	}
	if r.Header.Get(wire.HeaderDeviceNonce) != "" {
		t.Error("step-up carries device headers")
	}
	if string(r.Body) != `{"jwt":"`+testJWT+`"}` {
		t.Errorf("body = %s", r.Body)
	}
	if r.Header.Get(wire.HeaderSessionPublicKey) == "" {
		t.Error("no session public key")
	}
	if _, err := f.c().RequestElevatedToken(context.Background(), testJWT, ""); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("empty access token: %v", err)
	}
}

func TestHeaderOverridesAndUserAgent(t *testing.T) {
	f := setup(t)
	f.cfg.Headers = http.Header{
		"X-Dyn-Version":      {"ClientSDK/9.9.9"},
		"Origin":             {"https://app.example.com"},
		"x-dynamic-platform": nil, // removes it
	}
	f.cfg.UserAgent = "my-backend/1.0"
	if _, err := f.c().SignInWithExternalJWT(context.Background(), testJWT, &SignInOptions{AccessToken: testAccessToken}); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.all() {
		h := r.Header
		if got := h.Values("X-Dyn-Version"); len(got) != 1 || got[0] != "ClientSDK/9.9.9" {
			t.Errorf("x-dyn-version = %q", got)
		}
		if h.Get("Origin") != "https://app.example.com" || h.Get("User-Agent") != "my-backend/1.0" {
			t.Errorf("Origin/User-Agent = %q/%q", h.Get("Origin"), h.Get("User-Agent"))
		}
		if _, ok := h["X-Dynamic-Platform"]; ok {
			t.Error("x-dynamic-platform not removed")
		}
		if strings.HasSuffix(r.Path, "/signin") && h.Get("Authorization") != "Bearer "+testAccessToken {
			t.Errorf("Authorization = %q", h.Get("Authorization"))
		}
	}
	f2 := setup(t)
	if _, err := f2.c().ProjectSettings(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ua := f2.all()[0].Header.Get("User-Agent"); ua != "extauth-go/"+wire.Version {
		t.Errorf("default User-Agent = %q", ua)
	}
	if id := headerValue(f2.c().st.headers, wire.HeaderSessionID); len(id) != sessionIDLen {
		t.Errorf("x-dyn-session-id = %q", id)
	}
}

func TestUpperCaseEnvironmentIDIsLowerCasedInPaths(t *testing.T) {
	f := setup(t)
	f.cfg.EnvironmentID = strings.ToUpper(testEnv)
	if _, err := f.c().SignInWithExternalJWT(context.Background(), testJWT, nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.all() {
		if !strings.Contains(r.Path, testEnv) {
			t.Errorf("path %s is not lower-case", r.Path)
		}
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	f := setup(t)
	var buf syncBuffer
	f.cfg.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.cfg.SessionKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ctx := context.Background()
	if _, err := f.c().SignInWithExternalJWT(ctx, testJWT, &SignInOptions{AccessToken: testAccessToken}); err != nil {
		t.Fatal(err)
	}
	_, err := f.c().RequestElevatedToken(ctx, testJWT, testAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := f.c().SignInWithExternalJWT(ctx, testJWT, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.cfg.Logger.Info("signed in", "session", sess, "value", *sess)
	if s := fmt.Sprintf("%v %+v %s", sess, *sess, sess); strings.Contains(s, testAccessToken) {
		t.Errorf("printing a Session leaks the token: %s", s)
	}
	logs := buf.String()
	for _, secret := range []string{testJWT, testAccessToken, "eyJ", f.c().st.session.PublicKeyHex(), f.c().st.device.PublicKeyHex()} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q", secret[:10])
		}
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d log lines, want 6:\n%s", len(lines), logs)
	}
	var rec map[string]any
	json.Unmarshal([]byte(lines[2]), &rec)
	for _, k := range []string{"method", "path", "status", "duration", "request_id"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("log record lacks %q: %s", k, lines[2])
		}
	}
}

// syncBuffer collects log output from several goroutines.
type syncBuffer = logbuf.Buffer

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSettingsRefreshFailureKeepsPreviousForAMinute(t *testing.T) {
	f := setup(t)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.cfg.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ctx := context.Background()
	if _, err := f.c().ProjectSettings(ctx); err != nil {
		t.Fatal(err)
	}
	f.settingsBody = []byte("<html>oops</html>")
	advance(settingsTTL)
	if _, err := f.c().ProjectSettings(ctx); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("refresh error = %v", err)
	}
	advance(30 * time.Second)
	ps, err := f.c().ProjectSettings(ctx)
	if err != nil || ps.ExternalAuth.Iss == "" {
		t.Fatalf("previous settings not served: %v", err)
	}
	if n := f.count("GET", "/settings"); n != 2 {
		t.Errorf("%d settings requests, want 2 (no retry within the minute)", n)
	}
	advance(31 * time.Second)
	if _, err := f.c().ProjectSettings(ctx); err == nil {
		t.Error("no retry after the minute")
	}
	if n := f.count("GET", "/settings"); n != 3 {
		t.Errorf("%d settings requests, want 3", n)
	}
}

func TestConcurrentSignInsUseEachNonceOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				if _, err := f.c().SignInWithExternalJWT(ctx, testJWT, nil); err != nil {
					t.Error(err) // the fake answers 400 for a reused nonce
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := f.count("GET", "/settings"); n != 1 {
		t.Errorf("settings fetched %d times, want 1", n)
	}
	signins, nonceFetches := f.count("POST", "/signin"), f.count("GET", "/nonces")
	if signins != 80 {
		t.Errorf("%d sign-ins, want 80", signins)
	}
	// 80 nonces needed, 5 per fetch: at least 16 fetches, and not many more
	// (waiters share refills).
	t.Logf("nonce fetches: %d", nonceFetches)
	if nonceFetches < 16 || nonceFetches > 24 {
		t.Errorf("%d nonce fetches for 80 sign-ins", nonceFetches)
	}
}

// mustNewClient is NewClient for tests and benchmarks.
func mustNewClient(tb testing.TB, cfg Config) *Client {
	tb.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		tb.Fatalf("NewClient: %v", err)
	}
	return c
}
