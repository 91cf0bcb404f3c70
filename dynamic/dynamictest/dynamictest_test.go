package dynamictest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/internal/wire"
	"github.com/extauth/extauth/internal/logbuf"
	"github.com/golang-jwt/jwt/v5"
)

// testIssuer is an external identity provider: an RSA key published as a
// JWK Set on loopback, minting external JWTs.
type testIssuer struct {
	iss  string
	kid  string
	key  *rsa.PrivateKey
	srv  *httptest.Server
	down bool
	mu   sync.Mutex
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ti := &testIssuer{iss: "https://idp.example.test", kid: "idp-1", key: key}
	ti.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ti.mu.Lock()
		down := ti.down
		ti.mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		pub := &ti.key.PublicKey
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{
			"kty": "RSA", "kid": ti.kid, "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	}))
	t.Cleanup(ti.srv.Close)
	return ti
}

func (ti *testIssuer) jwksURL() string { return ti.srv.URL + "/jwks" }

func (ti *testIssuer) config() Config {
	return Config{Issuer: ti.iss, JWKSURL: ti.jwksURL()}
}

func (ti *testIssuer) mint(t testing.TB, mod func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{"iss": ti.iss, "sub": "user-123", "email": "alice@example.test", "emailVerified": true,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if mod != nil {
		mod(c)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = ti.kid
	s, err := tok.SignedString(ti.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newClient(fake *Server) *dynamic.Client {
	c, err := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL()})
	if err != nil {
		panic(err)
	}
	return c
}

func mustClient(t testing.TB, cfg dynamic.Config) *dynamic.Client {
	t.Helper()
	c, err := dynamic.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientSignInAndStepUp(t *testing.T) {
	ti := newTestIssuer(t)
	fake := NewServer(t, ti.config())
	client := newClient(fake)
	ctx := context.Background()

	sess, err := client.SignInWithExternalJWT(ctx, ti.mint(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sess.User.ExternalUserID() != "user-123" || sess.User.ID != fake.UserID("user-123") ||
		!sess.User.NewUser || sess.User.Email != "alice@example.test" || sess.User.Scope != "user:basic" {
		t.Fatalf("user = %+v", sess.User)
	}
	if d := time.Until(sess.ExpiresAt); d < defaultSessionTTL-time.Minute || d > defaultSessionTTL+time.Minute {
		t.Fatalf("expiresAt in %s", d)
	}
	// The access token verifies with the fake's published JWKS.
	jwksResp, err := http.Get(fake.URL() + "/sdk/" + fake.EnvironmentID() + "/.well-known/jwks")
	if err != nil {
		t.Fatal(err)
	}
	jwksBody, _ := io.ReadAll(jwksResp.Body)
	jwksResp.Body.Close()
	kid, pub := fake.signingKey()
	if !strings.Contains(string(jwksBody), kid) || !strings.Contains(string(jwksBody), base64.RawURLEncoding.EncodeToString(pub.N.Bytes())) {
		t.Fatalf("jwks = %s", jwksBody)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(sess.AccessToken, claims, func(*jwt.Token) (any, error) { return pub, nil }); err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != sess.User.ID || claims["session_public_key"] == nil || claims["sid"] != sess.User.SessionID {
		t.Fatalf("access claims = %v", claims)
	}

	// Second sign-in: same user, not new.
	sess2, err := client.SignInWithExternalJWT(ctx, ti.mint(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sess2.User.ID != sess.User.ID || sess2.User.NewUser {
		t.Fatalf("second sign-in user = %+v", sess2.User)
	}

	// Step-up.
	assertion := ti.mint(t, func(c jwt.MapClaims) { c["scope"] = "wallet:export"; c["jti"] = "a-1" })
	elevated, err := client.RequestElevatedToken(ctx, assertion, sess.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	ec := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(elevated, ec, func(*jwt.Token) (any, error) { return pub, nil }); err != nil {
		t.Fatal(err)
	}
	if ec["scope"] != "wallet:export" || ec["sub"] != sess.User.ID {
		t.Fatalf("elevated claims = %v", ec)
	}
	// jti is single-use.
	if _, err := client.RequestElevatedToken(ctx, assertion, sess.AccessToken); !errors.Is(err, dynamic.ErrInvalidExternalAuth) {
		t.Fatalf("reused jti: err = %v", err)
	}
	// Wrong sub, no scope, bad bearer.
	other := ti.mint(t, func(c jwt.MapClaims) { c["sub"] = "mallory"; c["scope"] = "wallet:export"; c["jti"] = "a-2" })
	if _, err := client.RequestElevatedToken(ctx, other, sess.AccessToken); !errors.Is(err, dynamic.ErrInvalidExternalAuth) {
		t.Fatalf("other sub: err = %v", err)
	}
	noScope := ti.mint(t, func(c jwt.MapClaims) { c["jti"] = "a-3" })
	var apiErr *dynamic.APIError
	if _, err := client.RequestElevatedToken(ctx, noScope, sess.AccessToken); !errors.As(err, &apiErr) || apiErr.Code != wire.CodeInvalidScopes {
		t.Fatalf("no scope: err = %v", err)
	}
	okAssertion := ti.mint(t, func(c jwt.MapClaims) { c["scope"] = "wallet:export"; c["jti"] = "a-4" })
	if _, err := client.RequestElevatedToken(ctx, okAssertion, ti.mint(t, nil)); !errors.Is(err, dynamic.ErrUnauthorized) {
		t.Fatalf("external JWT as bearer: err = %v", err)
	}
}

func TestUserIDStableAcrossServers(t *testing.T) {
	a, _ := New(Config{})
	b, _ := New(Config{})
	if a.UserID("x") != b.UserID("x") || a.UserID("x") == a.UserID("y") {
		t.Fatal("user ids not stable per (env, sub)")
	}
	c, _ := New(Config{EnvironmentID: "00000000-0000-4000-8000-000000000001"})
	if c.UserID("x") == a.UserID("x") {
		t.Fatal("user id does not depend on the environment")
	}
}

// raw sends a request to the fake; headers as name/value pairs.
func raw(t *testing.T, fake *Server, method, path string, body []byte, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, fake.URL()+"/sdk/"+fake.EnvironmentID()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header, m
}

// deviceHeaders fetches a nonce and signs it with a fresh device key.
func deviceHeaders(t *testing.T, fake *Server) []string {
	t.Helper()
	_, _, m := raw(t, fake, "GET", "/nonce", nil)
	nonce, _ := m["nonce"].(string)
	k, _ := wire.NewDeviceKey(nil, "test")
	sig, err := k.SignNonce(nonce)
	if err != nil {
		t.Fatal(err)
	}
	return []string{wire.HeaderDeviceNonce, nonce, wire.HeaderDevicePublicKey, k.PublicKeyHex(), wire.HeaderDeviceSignedNonce, sig}
}

func body(tok string) []byte { b, _ := json.Marshal(map[string]string{"jwt": tok}); return b }

func TestSignInErrors(t *testing.T) {
	ti := newTestIssuer(t)
	fake := NewServer(t, ti.config())
	good := ti.mint(t, nil)

	tests := []struct {
		name     string
		body     []byte
		device   bool
		hdr      []string
		status   int
		code     string
		contains string
	}{
		{"ok", body(good), true, nil, 200, "", ""},
		{"iss mismatch", body(ti.mint(t, func(c jwt.MapClaims) { c["iss"] = "https://idp.example.test/" })), true, nil,
			422, wire.CodeInvalidExternalAuth, `iss mismatch: token has "https://idp.example.test/", environment expects "https://idp.example.test"`},
		{"expired", body(ti.mint(t, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })), true, nil, 422, wire.CodeInvalidExternalAuth, "expired"},
		{"missing sub", body(ti.mint(t, func(c jwt.MapClaims) { delete(c, "sub") })), true, nil, 422, wire.CodeInvalidExternalAuth, "sub"},
		{"malformed jwt", body("abc"), true, nil, 422, wire.CodeInvalidExternalAuth, "malformed"},
		{"no jwt", []byte(`{}`), true, nil, 422, wire.CodeInvalidExternalAuth, "no external JWT"},
		{"no device headers", body(good), false, nil, 401, wire.CodeInvalidDeviceSignature, "missing device signature"},
		{"partial device headers", body(good), false, []string{wire.HeaderDeviceNonce, "abc"}, 401, wire.CodeInvalidDeviceSignature, "incomplete"},
		{"unknown nonce", body(good), false, func() []string {
			k, _ := wire.NewDeviceKey(nil, "test")
			sig, _ := k.SignNonce("0123456789abcdef0123456789abcdef")
			return []string{wire.HeaderDeviceNonce, "0123456789abcdef0123456789abcdef", wire.HeaderDevicePublicKey, k.PublicKeyHex(), wire.HeaderDeviceSignedNonce, sig}
		}(), 401, wire.CodeInvalidDeviceSignature, "not issued"},
		{"not JSON", []byte(`{"jwt":`), true, nil, 400, "", "JSON object"},
		{"jwt not a string", []byte(`{"jwt":5}`), true, nil, 400, "", "jwt must be a string"},
		{"too large", append(append([]byte(`{"jwt":"`), bytes.Repeat([]byte("a"), maxBodyBytes)...), '"', '}'), true, nil, 400, "", "1 MiB"},
		{"bad session key", []byte(`{"jwt":"` + good + `","sessionPublicKey":"04abc"}`), true, nil, 422, wire.CodeInvalidSessionKey, "66"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := append([]string{"Content-Type", "application/json"}, tt.hdr...)
			if tt.device {
				hdr = append(hdr, deviceHeaders(t, fake)...)
			}
			status, h, m := raw(t, fake, "POST", "/externalAuth/signin", tt.body, hdr...)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%v)", status, tt.status, m)
			}
			if tt.status == 200 {
				return
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
			msg, _ := m["error"].(string)
			code, _ := m["code"].(string)
			if code != tt.code || !strings.Contains(msg, tt.contains) {
				t.Errorf("body %v, want code %q and error containing %q", m, tt.code, tt.contains)
			}
			if len(good) > 30 && strings.Contains(msg, good[len(good)-30:]) {
				t.Errorf("error text contains the token")
			}
		})
	}
}

func TestJWKSUnreachableAndRecovery(t *testing.T) {
	ti := newTestIssuer(t)
	ti.mu.Lock()
	ti.down = true
	ti.mu.Unlock()
	fake := NewServer(t, ti.config())
	client := newClient(fake)
	_, err := client.SignInWithExternalJWT(context.Background(), ti.mint(t, nil), nil)
	var apiErr *dynamic.APIError
	if !errors.Is(err, dynamic.ErrInvalidExternalAuth) || !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, "unreachable") {
		t.Fatalf("err = %v", err)
	}
	ti.mu.Lock()
	ti.down = false
	ti.mu.Unlock()
	if _, err := client.SignInWithExternalJWT(context.Background(), ti.mint(t, nil), nil); err != nil {
		t.Fatalf("after JWKS came up: %v", err)
	}
}

func TestDisabledAndNotFound(t *testing.T) {
	ti := newTestIssuer(t)
	cfg := ti.config()
	cfg.Disabled = true
	fake := NewServer(t, cfg)
	status, _, m := raw(t, fake, "GET", "/settings", nil)
	ea := m["security"].(map[string]any)["externalAuth"].(map[string]any)
	if status != 200 || ea["enabled"] != false || ea["iss"] != nil || ea["jwksUrl"] != nil {
		t.Fatalf("settings %d %v", status, ea)
	}
	status, _, m = raw(t, fake, "POST", "/externalAuth/signin", body(ti.mint(t, nil)), deviceHeaders(t, fake)...)
	if status != 403 || m["error"] == nil {
		t.Fatalf("disabled sign-in: %d %v", status, m)
	}
	// The quirk: report enabled=false while on.
	flag := false
	if err := fake.Configure(func(c *Config) { c.Disabled = false; c.EnabledFlag = &flag }); err != nil {
		t.Fatal(err)
	}
	s, err := newClient(fake).ProjectSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.ExternalAuthOn() != true {
		t.Fatalf("ExternalAuthOn = false with iss and jwksUrl configured: %+v", s.ExternalAuth)
	}
	// 404s: wrong environment, unknown route, wrong method.
	for _, u := range []string{
		"/sdk/00000000-0000-4000-8000-000000000000/settings",
		"/sdk/" + strings.ToUpper(fake.EnvironmentID()) + "/settings",
		"/sdk/" + fake.EnvironmentID() + "/nope",
		"/elsewhere",
	} {
		resp, err := http.Get(fake.URL() + u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || string(b) != `{"error":"Not found","code":"not_found"}` {
			t.Errorf("%s: %d %s", u, resp.StatusCode, b)
		}
	}
	if status, _, _ := raw(t, fake, "DELETE", "/settings", nil); status != 404 {
		t.Errorf("DELETE settings: %d", status)
	}
}

func TestNonces(t *testing.T) {
	fake := NewServer(t, Config{})
	seen := map[string]bool{}
	for q, want := range map[string]int{"?count=5": 5, "?count=9": 5, "": 1, "?count=2": 2} {
		status, _, m := raw(t, fake, "GET", "/nonces"+q, nil)
		list, _ := m["nonces"].([]any)
		if status != 200 || len(list) != want {
			t.Fatalf("nonces%s: %d %v", q, status, m)
		}
		for _, n := range list {
			s := n.(string)
			if len(s) != 32 || strings.Trim(s, "0123456789abcdef") != "" || seen[s] {
				t.Fatalf("bad or repeated nonce %q", s)
			}
			seen[s] = true
		}
	}
	for _, q := range []string{"?count=0", "?count=x", "?count=-1"} {
		if status, _, m := raw(t, fake, "GET", "/nonces"+q, nil); status != 400 || m["error"] == nil {
			t.Errorf("nonces%s: %d %v", q, status, m)
		}
	}
}

func TestNonceExpiry(t *testing.T) {
	ti := newTestIssuer(t)
	now := time.Now()
	var mu sync.Mutex
	cfg := ti.config()
	cfg.NonceTTL = time.Minute
	cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fake := NewServer(t, cfg)
	hdr := deviceHeaders(t, fake)
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	status, _, m := raw(t, fake, "POST", "/externalAuth/signin", body(ti.mint(t, nil)), hdr...)
	if status != 401 || !strings.Contains(m["error"].(string), "expired") {
		t.Fatalf("expired nonce: %d %v", status, m)
	}
}

func TestCookieMode(t *testing.T) {
	ti := newTestIssuer(t)
	cfg := ti.config()
	cfg.CookieName = "idp_token"
	fake := NewServer(t, cfg)
	_, _, m := raw(t, fake, "GET", "/settings", nil)
	if m["security"].(map[string]any)["externalAuth"].(map[string]any)["cookieName"] != "idp_token" {
		t.Fatalf("settings %v", m)
	}
	// No device headers needed; JWT from the cookie.
	status, h, m := raw(t, fake, "POST", "/externalAuth/signin", []byte(`{}`), "Cookie", "idp_token="+ti.mint(t, nil))
	if status != 200 || m["minifiedJwt"] != nil || m["user"] == nil {
		t.Fatalf("cookie sign-in: %d %v", status, m)
	}
	if !strings.Contains(h.Get("Set-Cookie"), wire.AccessTokenCookie+"=") {
		t.Fatalf("no access-token cookie: %v", h)
	}
	if err := fake.Configure(func(c *Config) { c.CookieName = ""; c.CookieStorage = true }); err != nil {
		t.Fatal(err)
	}
	_, _, m = raw(t, fake, "GET", "/settings", nil)
	st := m["security"].(map[string]any)["auth"].(map[string]any)["storage"].([]any)
	if len(st) != 1 || st[0] != "cookie" {
		t.Fatalf("storage %v", st)
	}
	if status, _, m := raw(t, fake, "POST", "/externalAuth/signin", body(ti.mint(t, nil))); status != 200 {
		t.Fatalf("cookie-storage sign-in: %d %v", status, m)
	}
}

func TestAllowMissingDeviceSignature(t *testing.T) {
	ti := newTestIssuer(t)
	cfg := ti.config()
	cfg.AllowMissingDeviceSignature = true
	fake := NewServer(t, cfg)
	if status, _, m := raw(t, fake, "POST", "/externalAuth/signin", body(ti.mint(t, nil))); status != 200 {
		t.Fatalf("%d %v", status, m)
	}
	// Headers that are sent are still checked.
	hdr := deviceHeaders(t, fake)
	hdr[5] = strings.Repeat("0", 128)
	if status, _, _ := raw(t, fake, "POST", "/externalAuth/signin", body(ti.mint(t, nil)), hdr...); status != 401 {
		t.Fatalf("bad signature accepted: %d", status)
	}
}

func TestAssumeEmailVerified(t *testing.T) {
	ti := newTestIssuer(t)
	for _, assume := range []bool{false, true} {
		cfg := ti.config()
		cfg.AssumeEmailVerified = assume
		cfg.AllowMissingDeviceSignature = true
		fake := NewServer(t, cfg)
		tok := ti.mint(t, func(c jwt.MapClaims) { delete(c, "emailVerified") })
		_, _, m := raw(t, fake, "POST", "/externalAuth/signin", body(tok))
		creds := m["user"].(map[string]any)["verifiedCredentials"].([]any)
		if got := len(creds) == 2; got != assume {
			t.Errorf("assume=%v: credentials %v", assume, creds)
		}
		_, _, m = raw(t, fake, "POST", "/externalAuth/signin", body(ti.mint(t, func(c jwt.MapClaims) { c["emailVerified"] = false })))
		if creds := m["user"].(map[string]any)["verifiedCredentials"].([]any); len(creds) != 1 {
			t.Errorf("assume=%v, explicit false: credentials %v", assume, creds)
		}
	}
}

func TestPreflight(t *testing.T) {
	fake := NewServer(t, Config{})
	req, _ := http.NewRequest("OPTIONS", fake.URL()+"/sdk/"+fake.EnvironmentID()+"/externalAuth/signin", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-dyn-version,x-dynamic-device-nonce,authorization,x-evil")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		h.Get("Access-Control-Allow-Headers") != "content-type,x-dyn-version,x-dynamic-device-nonce,authorization" ||
		h.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, h)
	}
}

func TestRequestLogAndInjection(t *testing.T) {
	ti := newTestIssuer(t)
	fake := NewServer(t, ti.config())
	fake.FailNext(string(endpointSettings), 503, "text/html", []byte("<h1>maintenance</h1>"))
	client := newClient(fake)
	if _, err := client.ProjectSettings(context.Background()); !errors.Is(err, dynamic.ErrUnavailable) {
		t.Fatalf("injected 503: err = %v", err)
	}
	fake.failNextSignIn(429, "application/json", []byte(`{"error":"Too many requests. Please try again later."}`))
	_, err := client.SignInWithExternalJWT(context.Background(), ti.mint(t, nil), nil)
	if !errors.Is(err, dynamic.ErrRateLimited) {
		t.Fatalf("injected 429: err = %v", err)
	}
	reqs := fake.Requests()
	var signin *Request
	for i := range reqs {
		if strings.HasSuffix(reqs[i].Path, "/externalAuth/signin") {
			signin = &reqs[i]
		}
	}
	if signin == nil || signin.Method != "POST" || signin.Status != 429 ||
		signin.Header.Get(wire.HeaderDeviceSignedNonce) == "" || !bytes.Contains(signin.Body, []byte(`"jwt"`)) {
		t.Fatalf("logged sign-in = %+v", signin)
	}
	if reqs[0].Query.Get("sdkVersion") != "ClientSDK/"+wire.SDKVersion {
		t.Errorf("logged settings query = %v", reqs[0].Query)
	}
	fake.resetRequests()
	if len(fake.Requests()) != 0 {
		t.Fatal("resetRequests kept entries")
	}
}

func TestConfigureAtRuntime(t *testing.T) {
	ti := newTestIssuer(t)
	fake := NewServer(t, ti.config())
	client := newClient(fake)
	if _, err := client.SignInWithExternalJWT(context.Background(), ti.mint(t, nil), nil); err != nil {
		t.Fatal(err)
	}
	if err := fake.Configure(func(c *Config) { c.Issuer = "https://other.example.test" }); err != nil {
		t.Fatal(err)
	}
	_, err := client.SignInWithExternalJWT(context.Background(), ti.mint(t, nil), nil)
	var apiErr *dynamic.APIError
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, `environment expects "https://other.example.test"`) {
		t.Fatalf("err = %v", err)
	}
	if err := fake.Configure(func(c *Config) { c.EnvironmentID = "NOT-A-UUID" }); err == nil {
		t.Fatal("invalid environment id accepted")
	}
	if err := fake.setConfig(Config{JWKSURL: "relative"}); err == nil {
		t.Fatal("invalid JWKS URL accepted")
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	ti := newTestIssuer(t)
	fake, err := New(ti.config())
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	mux := http.NewServeMux()
	mux.Handle("/local-dynamic/", fake)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := mustClient(t, dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: srv.URL + "/local-dynamic/api/v0"})
	if _, err := client.SignInWithExternalJWT(context.Background(), ti.mint(t, nil), nil); err != nil {
		t.Fatal(err)
	}
	if fake.URL() != "" {
		t.Fatalf("URL of an unstarted fake = %q", fake.URL())
	}
}

func TestConcurrentSignIns(t *testing.T) {
	ti := newTestIssuer(t)
	fake := NewServer(t, ti.config())
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := newClient(fake)
			for k := 0; k < 5; k++ {
				sub := fmt.Sprintf("user-%d-%d", i, k)
				tok := ti.mint(t, func(c jwt.MapClaims) { c["sub"] = sub })
				sess, err := client.SignInWithExternalJWT(context.Background(), tok, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if sess.User.ExternalUserID() != sub {
					t.Errorf("sub %s → %s", sub, sess.User.ExternalUserID())
				}
			}
		}()
	}
	go func() {
		for i := 0; i < 20; i++ {
			_ = fake.Requests()
			_ = fake.Configure(func(c *Config) { c.AssumeEmailVerified = i%2 == 0 })
		}
	}()
	wg.Wait()
}

// TestExternalJWTCheck: Client.CheckExternalJWT against the fake's
// externalJwt/check, which answers with the sign-in's Validator; the API
// token travels only as that call's bearer and is never logged.
func TestExternalJWTCheck(t *testing.T) {
	ti := newTestIssuer(t)
	cfg := ti.config()
	cfg.APIToken = "dyn_secret_api_token_1"
	cfg.Audience = "https://app.example"
	var logs syncLog
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fake := NewServer(t, cfg)
	c := mustClient(t, dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL(), APIToken: cfg.APIToken, Logger: cfg.Logger})
	ctx := context.Background()

	good := ti.mint(t, func(c jwt.MapClaims) { c["aud"] = "https://app.example" })
	if problems, err := c.CheckExternalJWT(ctx, good); err != nil || len(problems) != 0 {
		t.Fatalf("good token: %v, %v", problems, err)
	}
	problems, err := c.CheckExternalJWT(ctx, ti.mint(t, func(c jwt.MapClaims) { c["aud"] = "https://other.example" }))
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0], "Audience (aud) does not match") {
		t.Fatalf("wrong aud: %v, %v", problems, err)
	}
	problems, err = c.CheckExternalJWT(ctx, ti.mint(t, func(c jwt.MapClaims) { c["iss"] = "https://evil.example"; c["aud"] = "https://app.example" }))
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0], "iss mismatch") {
		t.Fatalf("wrong iss: %v, %v", problems, err)
	}
	wrong := mustClient(t, dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL(), APIToken: "dyn_guess"})
	if _, err := wrong.CheckExternalJWT(ctx, good); !errors.Is(err, dynamic.ErrUnauthorized) || strings.Contains(err.Error(), "dyn_guess") {
		t.Errorf("wrong API token: %v", err)
	}
	none := mustClient(t, dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL()})
	if _, err := none.CheckExternalJWT(ctx, good); !errors.Is(err, dynamic.ErrInvalidConfig) {
		t.Errorf("no API token: %v", err)
	}
	if strings.Contains(logs.String(), cfg.APIToken) {
		t.Errorf("the API token is in the logs:\n%s", logs.String())
	}
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Path, "/externalJwt/check") && r.Header.Get("Authorization") != "Bearer "+cfg.APIToken && r.Header.Get("Authorization") != "Bearer dyn_guess" {
			t.Errorf("check request without the bearer token: %v", r.Header)
		}
	}
}

// syncLog collects log output from several goroutines.
type syncLog = logbuf.Buffer
