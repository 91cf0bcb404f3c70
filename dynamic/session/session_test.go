package session_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/extauth/extauth/dynamic/session"
	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
)

const testIssuer = "https://idp.example.test"

// idp is an external issuer on loopback: a key, its JWKS and an Issuer.
type idp struct {
	iss     *issuer.Issuer
	jwksURL string
}

func newIDP(t testing.TB) *idp {
	t.Helper()
	key, err := issuer.GenerateKey(0, "")
	if err != nil {
		t.Fatal(err)
	}
	h, err := jwks.NewHandler(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	iss, err := issuer.New(issuer.Config{Issuer: testIssuer, Keys: key})
	if err != nil {
		t.Fatal(err)
	}
	return &idp{iss: iss, jwksURL: srv.URL}
}

// signIn signs sub in to fake and returns Dynamic's session.
func signIn(t testing.TB, fake *dynamictest.Server, p *idp, sub, email string) *dynamic.Session {
	t.Helper()
	tok, err := p.iss.Issue(context.Background(), issuer.Claims{Subject: sub, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.SignInWithExternalJWT(context.Background(), tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func newVerifier(t testing.TB, fake *dynamictest.Server, mod func(*session.Config)) *session.Verifier {
	t.Helper()
	cfg := session.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL()}
	if mod != nil {
		mod(&cfg)
	}
	v, err := session.NewVerifier(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// TestVerifyDynamictestSessions: the fake's tokens, in Dynamic's shapes,
// verify with the real verification path over loopback.
func TestVerifyDynamictestSessions(t *testing.T) {
	p := newIDP(t)
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: testIssuer, JWKSURL: p.jwksURL})
	sess := signIn(t, fake, p, "alice", "alice@example.test")
	v := newVerifier(t, fake, nil)
	ctx := context.Background()

	c, err := v.Verify(ctx, sess.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != fake.UserID("alice") || c.UserID != sess.User.ID || c.SessionID == "" || c.EnvironmentID != fake.EnvironmentID() ||
		c.Email != "alice@example.test" || c.MFAPending || len(c.Scopes) != 1 || c.Scopes[0] != "user:basic" ||
		c.LastVerifiedCredentialID == "" || !c.ExpiresAt.Equal(sess.ExpiresAt) || len(c.Audience) != 1 {
		t.Errorf("claims = %+v", c)
	}
	// The minified access token carries no credentials; the full jwt does.
	if c.ExternalUserID() != "" {
		t.Errorf("access token ExternalUserID = %q", c.ExternalUserID())
	}
	full, err := v.Verify(ctx, sess.JWT)
	if err != nil {
		t.Fatal(err)
	}
	if full.ExternalUserID() != "alice" {
		t.Errorf("jwt ExternalUserID = %q, want alice", full.ExternalUserID())
	}
}

// TestVerifyRefuses: tampered, expired, other-environment, missing-scope,
// MFA-pending, foreign-audience and unknown-key tokens, each with its
// error.
func TestVerifyRefuses(t *testing.T) {
	p := newIDP(t)
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: testIssuer, JWKSURL: p.jwksURL})
	good := signIn(t, fake, p, "alice", "").AccessToken
	other := dynamictest.NewServer(t, dynamictest.Config{EnvironmentID: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", Issuer: testIssuer, JWKSURL: p.jwksURL})
	foreign := signIn(t, other, p, "alice", "").AccessToken
	mfa := dynamictest.NewServer(t, dynamictest.Config{Issuer: testIssuer, JWKSURL: p.jwksURL, MFAPending: true})
	pending := signIn(t, mfa, p, "bob", "").AccessToken

	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"scope":"user:basic"`, `"scope":"user:basic admin"`, 1))) + "." + parts[2]

	plain := newVerifier(t, fake, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		v     *session.Verifier
		token string
		want  error
	}{
		{"tampered", plain, tampered, jwt.ErrTokenSignatureInvalid},
		{"expired", newVerifier(t, fake, func(c *session.Config) { c.Now = func() time.Time { return time.Now().Add(3 * time.Hour) } }), good, jwt.ErrTokenExpired},
		{"other environment", plain, foreign, session.ErrWrongEnvironment},
		{"missing scope", newVerifier(t, fake, func(c *session.Config) { c.Scopes = []string{"wallet:export"} }), good, session.ErrInsufficientScope},
		{"MFA pending", newVerifier(t, mfa, nil), pending, session.ErrMFAPending},
		{"foreign audience", newVerifier(t, fake, func(c *session.Config) { c.Audience = []string{"https://app.example"} }), good, jwt.ErrTokenInvalidAudience},
		{"wrong issuer", newVerifier(t, fake, func(c *session.Config) { c.Issuer = "app.dynamic.xyz/" + fake.EnvironmentID() }), good, session.ErrWrongEnvironment},
		{"not a JWT", plain, "hello", jwt.ErrTokenMalformed},
		{"empty", plain, "", jwt.ErrTokenMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.v.Verify(ctx, tc.token)
			if !errors.Is(err, tc.want) || !errors.Is(err, session.ErrInvalidSession) {
				t.Fatalf("Verify = %+v, %v; want %v", c, err, tc.want)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error repeats the token")
			}
		})
	}
	// The other environment's key is unknown here: both reasons are given.
	if _, err := plain.Verify(ctx, foreign); !errors.Is(err, dynamic.ErrUnknownKey) {
		t.Errorf("foreign token: %v, want it to match dynamic.ErrUnknownKey too", err)
	}
	// An MFA-pending session is accepted when asked for, and says so.
	c, err := newVerifier(t, mfa, func(c *session.Config) { c.AllowMFAPending = true }).Verify(ctx, pending)
	if err != nil || !c.MFAPending {
		t.Errorf("AllowMFAPending: %+v, %v", c, err)
	}
}

// countingTransport counts the JWKS fetches.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/.well-known/jwks") {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestNoFetchPerRequest: on a warm cache, verifying costs no network call.
func TestNoFetchPerRequest(t *testing.T) {
	p := newIDP(t)
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: testIssuer, JWKSURL: p.jwksURL})
	tok := signIn(t, fake, p, "alice", "").AccessToken
	ct := &countingTransport{}
	v := newVerifier(t, fake, func(c *session.Config) { c.HTTPClient = &http.Client{Transport: ct} })
	for range 200 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := ct.n.Load(); n != 1 {
		t.Errorf("%d JWKS fetches for 200 verifications, want 1", n)
	}
}

func TestMiddleware(t *testing.T) {
	p := newIDP(t)
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: testIssuer, JWKSURL: p.jwksURL})
	tok := signIn(t, fake, p, "alice", "").AccessToken
	v := newVerifier(t, fake, nil)
	strict := newVerifier(t, fake, func(c *session.Config) { c.Scopes = []string{"wallet:export"} })
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := session.FromContext(r.Context())
		if !ok {
			t.Error("no claims in the context")
			return
		}
		_, _ = w.Write([]byte(c.UserID))
	})
	for _, tc := range []struct {
		name        string
		h           http.Handler
		header      string
		cookie      string
		status      int
		challenge   string
		bodyWithout string
	}{
		{"bearer", v.Middleware(api), "Bearer " + tok, "", 200, "", ""},
		{"cookie", v.Middleware(api), "", tok, 200, "", ""},
		{"no token", v.Middleware(api), "", "", 401, `Bearer realm="dynamic"`, ""},
		{"basic auth", v.Middleware(api), "Basic dXNlcjpwdw==", "", 401, `Bearer realm="dynamic"`, ""},
		{"bad token", v.Middleware(api), "Bearer " + tok + "x", "", 401, `Bearer error="invalid_token", error_description=`, tok},
		{"missing scope", strict.Middleware(api), "Bearer " + tok, "", 403, `Bearer error="insufficient_scope", scope="wallet:export"`, tok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/api/me", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "DYNAMIC_JWT_TOKEN", Value: tc.cookie})
			}
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, req)
			if w.Code != tc.status || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), tc.challenge) {
				t.Fatalf("%d %q %s", w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
			}
			if tc.status == 200 && w.Body.String() != fake.UserID("alice") {
				t.Errorf("body %q", w.Body)
			}
			if tc.status != 200 && (!strings.HasPrefix(w.Body.String(), `{"error":`) || w.Header().Get("Content-Type") != "application/json") {
				t.Errorf("refusal body %q", w.Body)
			}
			if tc.bodyWithout != "" && (strings.Contains(w.Body.String(), tc.bodyWithout) || strings.Contains(w.Header().Get("WWW-Authenticate"), tc.bodyWithout)) {
				t.Error("the answer repeats the token")
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []session.Config{
		{},
		{EnvironmentID: "nope"},
		{EnvironmentID: dynamictest.DefaultEnvironmentID, BaseURL: "ftp://x"},
	} {
		if _, err := session.NewVerifier(context.Background(), cfg); !errors.Is(err, dynamic.ErrInvalidConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	// A JWKS nobody serves: reported at once.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := session.NewVerifier(context.Background(), session.Config{EnvironmentID: dynamictest.DefaultEnvironmentID, BaseURL: srv.URL + "/api/v0"})
	if !errors.Is(err, dynamic.ErrJWKSUnreachable) {
		t.Errorf("unreachable JWKS: %v", err)
	}
	var zero session.Verifier
	if _, err := zero.Verify(context.Background(), "a.b.c"); !errors.Is(err, dynamic.ErrInvalidConfig) {
		t.Errorf("zero Verifier: %v", err)
	}
}
