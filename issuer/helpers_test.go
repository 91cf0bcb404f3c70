package issuer

import (
	"bufio"
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/extauth/extauth/jwks"
)

// readFixture returns testdata/name.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// demoEnv parses testdata/demo.env (the reference demo's .env.local block)
// into a map, keeping values exactly as written (single quotes included).
func demoEnv(tb testing.TB) map[string]string {
	tb.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(readFixture(tb, "demo.env")))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			tb.Fatalf("bad demo.env line %q", line)
		}
		env[name] = value
	}
	return env
}

// unquote strips the single quotes around a demo.env value.
func unquote(s string) string { return strings.Trim(s, "'") }

var (
	fixtureOnce sync.Once
	fixtureKeys []*Key
	fixtureErr  error
)

// testKeys returns three distinct 2048-bit keys parsed from the fixtures
// (no key generation, so tests stay fast): the demo key (kid
// demo-key-1739180000000), other-key, and the PKCS#1 key (kid "pem-key").
func testKeys(tb testing.TB) []*Key {
	tb.Helper()
	fixtureOnce.Do(func() {
		env := demoEnv(tb)
		k1, err := ParseJWK([]byte(unquote(env[EnvPrivateKey])))
		if err != nil {
			fixtureErr = err
			return
		}
		k2, err := ParseJWK(readFixture(tb, "other.jwk.json"))
		if err != nil {
			fixtureErr = err
			return
		}
		k3, err := ParsePEM(readFixture(tb, "pkcs1.pem"), "pem-key")
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureKeys = []*Key{k1, k2, k3}
	})
	if fixtureErr != nil {
		tb.Fatal(fixtureErr)
	}
	return fixtureKeys
}

// jwksServer serves src with jwks.NewHandler on a loopback httptest server
// and returns a keyfunc that fetches it over HTTP.
func jwksServer(tb testing.TB, src jwks.Source) (*httptest.Server, keyfunc.Keyfunc) {
	tb.Helper()
	h, err := jwks.NewHandler(src, &jwks.Options{CacheControl: "no-store"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(h.Close)
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{srv.URL}, keyfunc.Override{
		RefreshInterval:   time.Hour,
		RateLimitWaitMax:  10 * time.Second,             // also bounds the refresh request
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1), // refetch on every unknown kid
	})
	if err != nil {
		tb.Fatal(err)
	}
	return srv, kf
}

// verify parses and verifies token with kf the way a relying party would.
func verify(tb testing.TB, kf keyfunc.Keyfunc, token, iss string, opts ...jwt.ParserOption) (jwt.MapClaims, *jwt.Token) {
	tb.Helper()
	claims := jwt.MapClaims{}
	opts = append([]jwt.ParserOption{
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(iss),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}, opts...)
	tok, err := jwt.ParseWithClaims(token, claims, kf.Keyfunc, opts...)
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	return claims, tok
}
