// Package keyfunctest verifies tokens in tests the way Dynamic does: a
// fresh keyfunc on a JWK Set served over HTTP on loopback. The adapter
// modules' tests share it.
package keyfunctest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/jwks"
)

// Serve serves the keys src publishes on loopback until t ends and returns
// the JWKS URL.
func Serve(t testing.TB, src jwks.Source) string {
	t.Helper()
	h, err := jwks.NewHandler(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	return srv.URL
}

// Verify checks raw (RS256, issuer iss) against a fresh fetch of the JWKS
// at url, as a verifier with an empty cache would, at now (zero: the
// current time), and fails t if it does not verify.
func Verify(t testing.TB, url, raw, iss string, now time.Time) *jwt.Token {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{url})
	if err != nil {
		t.Fatal(err)
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(iss)}
	if !now.IsZero() {
		opts = append(opts, jwt.WithTimeFunc(func() time.Time { return now }))
	}
	tok, err := jwt.Parse(raw, kf.Keyfunc, opts...)
	if err != nil {
		t.Fatalf("the token does not verify against %s: %v", url, err)
	}
	return tok
}
