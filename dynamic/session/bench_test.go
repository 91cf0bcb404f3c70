package session_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/extauth/extauth/internal/pairbench"
)

var separate = flag.Bool("session.separate", false, "BenchmarkVerifyRatio: time Verify and its floor in separate sub-benchmarks")

// BenchmarkVerifyRatio compares Verify on a warm cache with its floor,
// golang-jwt + keyfunc doing the same checks (RS256 by a JWKS key, iss,
// exp, iat, environment_id, sub and sid present, user:basic in scope),
// interleaved in one loop; it reports verify/floor (the median of the
// per-pair ratios). Target: at most 1.10.
func BenchmarkVerifyRatio(b *testing.B) {
	p := newIDP(b)
	fake := dynamictest.NewServer(b, dynamictest.Config{Issuer: testIssuer, JWKSURL: p.jwksURL})
	tok := signIn(b, fake, p, "alice", "alice@example.test").AccessToken
	v := newVerifier(b, fake, nil)
	ctx := context.Background()

	resp, err := http.Get(fake.URL() + "/sdk/" + fake.EnvironmentID() + "/.well-known/jwks")
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	kf, err := keyfunc.NewJWKSetJSON(raw)
	if err != nil {
		b.Fatal(err)
	}
	iss := strings.TrimPrefix(fake.URL(), "http://")
	iss = iss[:strings.Index(iss, "/")] + "/" + fake.EnvironmentID()
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(iss), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithLeeway(30*time.Second))
	type floorClaims struct {
		jwt.RegisteredClaims
		SessionID     string `json:"sid"`
		EnvironmentID string `json:"environment_id"`
		Scope         string `json:"scope"`
	}
	floor := func() {
		var c floorClaims
		if _, err := parser.ParseWithClaims(tok, &c, kf.Keyfunc); err != nil {
			b.Fatal(err)
		}
		if c.EnvironmentID != fake.EnvironmentID() || c.Subject == "" || c.SessionID == "" || !slices.Contains(strings.Fields(c.Scope), "user:basic") {
			b.Fatal("floor checks failed")
		}
	}
	verify := func() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
	if *separate {
		b.Run("floor", func(b *testing.B) {
			for b.Loop() {
				floor()
			}
		})
		b.Run("verify", func(b *testing.B) {
			for b.Loop() {
				verify()
			}
		})
		return
	}
	pairbench.Ratio(b, "verify", floor, verify)
}
