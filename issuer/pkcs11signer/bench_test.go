package pkcs11signer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/extauth/extauth/internal/pairbench"
	"github.com/extauth/extauth/issuer"
)

// BenchmarkIssueRatio: issuing a token with a key on the token against the
// floor, the token's own signature of a SHA-256 digest through crypto11
// (what every RS256 token costs at least). Target: issue/floor <= 1.05.
func BenchmarkIssueRatio(b *testing.B) {
	tok := openToken(b)
	key, err := tok.Generate("bench")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := tok.ctx.FindKeyPair(nil, []byte("bench"))
	if err != nil {
		b.Fatal(err)
	}
	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: key})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	digest := sha256.Sum256([]byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ"))
	pairbench.Ratio(b, "issue", func() {
		if _, err := raw.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := iss.Issue(ctx, issuer.Claims{Subject: "user-1"}); err != nil {
			b.Fatal(err)
		}
	})
}
