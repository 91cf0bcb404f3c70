package issuer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/extauth/extauth/internal/pairbench"
	"github.com/golang-jwt/jwt/v5"
)

// Benchmarks: Issue against the floor, a bare SHA-256 + rsa.SignPKCS1v15
// with the same precomputed 2048-bit key over an input of the same size.
// Target: Issue <= 1.03x the floor (issue #8).
//
//	go test -run '^$' -bench . -benchtime=2s -count=3 ./issuer
//
// BenchmarkIssueRatio interleaves the two in one loop and reports the
// ratio of their CPU times directly (issue/floor), which is far steadier
// on a busy machine than comparing two separate wall-clock runs.

func benchSetup(b *testing.B) (*Issuer, *rsa.PrivateKey, Claims, []byte) {
	b.Helper()
	key := testKeys(b)[0]
	ring, err := NewRing(key, nil)
	if err != nil {
		b.Fatal(err)
	}
	iss, err := New(Config{Issuer: "https://demo-jwt-provider.example.com", Keys: ring})
	if err != nil {
		b.Fatal(err)
	}
	claims := Claims{Subject: "user-123", Email: "test@example.com"}
	token, err := iss.Issue(context.Background(), claims)
	if err != nil {
		b.Fatal(err)
	}
	// The floor signs an input as long as the token's signing input.
	signingInput := []byte(token[:len(token)-343])
	return iss, key.priv, claims, signingInput
}

func floorSign(b *testing.B, priv *rsa.PrivateKey, input []byte) {
	digest := sha256.Sum256(input)
	if _, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:]); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkFloorSignPKCS1v15(b *testing.B) {
	_, priv, _, input := benchSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		floorSign(b, priv, input)
	}
}

func BenchmarkIssue(b *testing.B) {
	iss, _, claims, _ := benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Issue(ctx, claims); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueExtra(b *testing.B) {
	iss, _, claims, _ := benchSetup(b)
	claims.Extra = map[string]any{"role": "admin", "org": "acme"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Issue(ctx, claims); err != nil {
			b.Fatal(err)
		}
	}
}

// golangJWTSign is golang-jwt's SignedString with the same key and the
// same claims, for comparison.
func golangJWTSign(b *testing.B, priv *rsa.PrivateKey) {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": "https://demo-jwt-provider.example.com", "sub": "user-123",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "0123456789abcdefghijkl",
		"email": "test@example.com", "emailVerified": true,
	})
	tok.Header["kid"] = "demo-key-1739180000000"
	if _, err := tok.SignedString(priv); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGolangJWT(b *testing.B) {
	_, priv, _, _ := benchSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		golangJWTSign(b, priv)
	}
}

// BenchmarkIssueRatio reports Issue's CPU time relative to the floor,
// measured pairwise in one loop (see pairRatio). Target: issue/floor <= 1.03.
func BenchmarkIssueRatio(b *testing.B) {
	iss, priv, claims, input := benchSetup(b)
	ctx := context.Background()
	pairbench.Ratio(b, "issue", func() { floorSign(b, priv, input) }, func() {
		if _, err := iss.Issue(ctx, claims); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkGolangJWTRatio is the same measurement for golang-jwt.
func BenchmarkGolangJWTRatio(b *testing.B) {
	_, priv, _, input := benchSetup(b)
	pairbench.Ratio(b, "golangjwt", func() { floorSign(b, priv, input) }, func() { golangJWTSign(b, priv) })
}
