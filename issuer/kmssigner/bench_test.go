package kmssigner

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/extauth/extauth/internal/pairbench"
	"github.com/extauth/extauth/issuer"
)

// BenchmarkIssueRatio: issuing a token with a KMS key against the floor,
// one KMS Sign call of a SHA-256 digest with the same client (what every
// RS256 token costs at least). Target: issue/floor <= 1.05.
func BenchmarkIssueRatio(b *testing.B) {
	api := client(b, "")
	s, err := New(api, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	key, arn, err := s.NewKey(ctx)
	if err != nil {
		b.Fatal(err)
	}
	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: key})
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ"))
	in := &kms.SignInput{KeyId: aws.String(arn), Message: digest[:], MessageType: types.MessageTypeDigest,
		SigningAlgorithm: types.SigningAlgorithmSpecRsassaPkcs1V15Sha256}
	pairbench.Ratio(b, "issue", func() {
		if _, err := api.Sign(ctx, in); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := iss.Issue(ctx, issuer.Claims{Subject: "user-1"}); err != nil {
			b.Fatal(err)
		}
	})
}
