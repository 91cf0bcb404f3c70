package kmssigner

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/internal/keyfunctest"
	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/issuer/keyset"
	"github.com/extauth/extauth/jwks"
)

func TestNewRefusesBadOptions(t *testing.T) {
	if _, err := New(nil, nil); err == nil || !strings.Contains(err.Error(), "client is nil") {
		t.Errorf("nil client: %v", err)
	}
	api := kms.New(kms.Options{Region: "eu-west-2"})
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{KeySpec: types.KeySpecEccNistP256}, "RSA_2048"},
		{Options{Timeout: -time.Second}, "must be positive"},
	} {
		if _, err := New(api, &tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tc.opts, err, tc.want)
		}
	}
	s, err := New(api, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "key id is empty") {
		t.Errorf("empty key id: %v", err)
	}
}

// verify checks raw the way Dynamic does: keyfunc on the JWKS that src
// publishes, served over HTTP.
func verify(t *testing.T, src jwks.Source, raw string) *jwt.Token {
	t.Helper()
	return keyfunctest.Verify(t, keyfunctest.Serve(t, src), raw, "https://auth.example.com", time.Time{})
}

func issue(ctx context.Context, t *testing.T, keys issuer.KeySource) (string, error) {
	t.Helper()
	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return iss.Issue(ctx, issuer.Claims{Subject: "user-1"})
}

func newSigner(t *testing.T, api API, opts *Options) *Signer {
	t.Helper()
	s, err := New(api, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKMSKeySignsVerifiableTokens: a key NewKey creates signs RS256 tokens
// that verify against its JWKS; another Signer (another replica) opens it
// by its ARN with the same kid.
func TestKMSKeySignsVerifiableTokens(t *testing.T) {
	ctx := context.Background()
	s := newSigner(t, client(t, ""), nil)
	key, arn, err := s.NewKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(arn, "arn:aws:kms:") {
		t.Errorf("ref %q, want the key's ARN", arn)
	}
	raw, err := issue(ctx, t, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := verify(t, key, raw); got.Header["kid"] != key.ID() {
		t.Errorf("kid %v, want %s", got.Header["kid"], key.ID())
	}
	if _, err := key.MarshalPrivateJWK(); err == nil {
		t.Error("a KMS key exported a private JWK")
	}
	again, err := newSigner(t, client(t, ""), nil).OpenKey(ctx, arn, key.ID())
	if err != nil {
		t.Fatal(err)
	}
	raw, err = issue(ctx, t, again)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, key, raw)
	if _, err := s.OpenKey(ctx, arn, "another-kid"); err == nil || !strings.Contains(err.Error(), "another key") {
		t.Errorf("kid mismatch: %v", err)
	}
}

// TestKeyRefusesUnusableKeys: keys that cannot sign RS256 are refused when
// they are opened, not when the first token is signed.
func TestKeyRefusesUnusableKeys(t *testing.T) {
	ctx := context.Background()
	api := client(t, "")
	s := newSigner(t, api, nil)
	for _, in := range []*kms.CreateKeyInput{
		{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify},
		{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt},
	} {
		out, err := api.CreateKey(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Key(ctx, aws.ToString(out.KeyMetadata.Arn)); !errors.Is(err, ErrUnusableKey) {
			t.Errorf("%s %s key: %v, want ErrUnusableKey", in.KeySpec, in.KeyUsage, err)
		}
	}
	if _, err := s.Key(ctx, "arn:aws:kms:eu-west-2:111122223333:key/00000000-0000-0000-0000-000000000000"); err == nil || errors.Is(err, ErrUnusableKey) {
		t.Errorf("missing key: %v", err)
	}
}

// TestKeysetKeepsKeysInKMS: a keyset.Set whose keys KMS creates stores
// only their ARNs, and a second replica opens them.
func TestKeysetKeepsKeysInKMS(t *testing.T) {
	ctx := context.Background()
	s := newSigner(t, client(t, ""), nil)
	store := &keyset.MemoryStore{}
	cfg := keyset.Config{Store: store, NewKey: s.NewKey, Open: s.OpenKey}
	a, err := keyset.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	doc, err := store.Load(ctx)
	if err != nil || len(doc.Keys) != 1 {
		t.Fatalf("stored %+v, %v", doc, err)
	}
	if r := doc.Keys[0]; !strings.HasPrefix(r.Ref, "arn:aws:kms:") || len(r.Private) != 0 {
		t.Errorf("stored record: ref %q, %d bytes of private key; want an ARN and none", r.Ref, len(r.Private))
	}
	other := newSigner(t, client(t, ""), nil)
	cfg.NewKey, cfg.Open = other.NewKey, other.OpenKey
	b, err := keyset.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	raw, err := issue(ctx, t, b)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, a, raw)
}

// hangingProxy forwards to local-kms but holds Sign calls while hang is set.
func hangingProxy(t *testing.T, hang *atomic.Bool) string {
	t.Helper()
	target, _ := url.Parse(kmsURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() && r.Header.Get("X-Amz-Target") == "TrentService.Sign" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL
}

// TestSignFailures: a disabled key fails with ErrSign; a KMS that hangs
// costs Issue no more than its context, and a Sign no more than
// Options.Timeout.
func TestSignFailures(t *testing.T) {
	ctx := context.Background()
	api := client(t, "")
	s := newSigner(t, api, nil)
	key, arn, err := s.NewKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := issue(ctx, t, key); !errors.Is(err, ErrSign) {
		t.Errorf("disabled key: %v, want ErrSign", err)
	}
	if _, err := api.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}

	var hang atomic.Bool
	proxy := hangingProxy(t, &hang)
	slow := newSigner(t, client(t, proxy), &Options{Timeout: 300 * time.Millisecond})
	hk, err := slow.Key(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := issue(ctx, t, hk); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	hang.Store(true)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := issue(short, t, hk); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("hung KMS, 100 ms context: %v after %s", err, time.Since(start))
	}
	start = time.Now()
	if _, err := issue(ctx, t, hk); !errors.Is(err, ErrSign) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Errorf("hung KMS, 300 ms Options.Timeout: %v after %s", err, time.Since(start))
	}
}
