package pkcs11signer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/internal/keyfunctest"
	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/issuer/keyset"
	"github.com/extauth/extauth/jwks"
)

func TestOpenRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{TokenLabel: "t", PIN: "p"}, "Config.Path is empty"},
		{Config{Path: "/x.so", PIN: "p"}, "Config.TokenLabel is empty"},
		{Config{Path: "/x.so", TokenLabel: "t"}, "Config.PIN is empty"},
		{Config{Path: "/x.so", TokenLabel: "t", PIN: "p", Bits: 1024}, "at least 2048"},
		{Config{Path: "/x.so", TokenLabel: "t", PIN: "p", Sessions: 1}, "at least 2"},
		{Config{Path: "/x.so", TokenLabel: "t", PIN: "p", SessionWait: -time.Second}, "must be positive"},
		{Config{Path: "/nonexistent/libpkcs11.so", TokenLabel: "t", PIN: "secret-pin"}, "/nonexistent/libpkcs11.so"},
	} {
		_, err := Open(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v, want an error saying %q", tc.cfg, err, tc.want)
		}
		if err != nil && tc.cfg.PIN != "" && strings.Contains(err.Error(), tc.cfg.PIN) && tc.cfg.PIN != "p" {
			t.Errorf("the error shows the PIN: %v", err)
		}
	}
}

// TestOpenWrongPIN runs while no Token is open: PKCS#11 login state is
// per process, so a wrong PIN is only noticed by the first login.
func TestOpenWrongPIN(t *testing.T) {
	needSoftHSM(t)
	_, err := Open(Config{Path: softhsmLib, TokenLabel: testToken, PIN: "wrong-pin-4242"})
	if err == nil || strings.Contains(err.Error(), "wrong-pin-4242") {
		t.Errorf("wrong PIN: %v", err)
	}
	_, err = Open(Config{Path: softhsmLib, TokenLabel: "no-such-token", PIN: testPIN})
	if err == nil || !strings.Contains(err.Error(), "no-such-token") {
		t.Errorf("unknown token: %v", err)
	}
}

// verify checks raw the way Dynamic does: keyfunc on the JWKS that src
// publishes, served over HTTP.
func verify(t *testing.T, src jwks.Source, raw string) *jwt.Token {
	t.Helper()
	return keyfunctest.Verify(t, keyfunctest.Serve(t, src), raw, "https://auth.example.com", time.Time{})
}

func issue(t *testing.T, keys issuer.KeySource) string {
	t.Helper()
	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := iss.Issue(context.Background(), issuer.Claims{Subject: "user-1"})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestHSMKeySignsVerifiableTokens: a key generated on the token signs
// RS256 tokens that verify against its JWKS; another Token (another
// replica) finds the same key by label.
func TestHSMKeySignsVerifiableTokens(t *testing.T) {
	tok := openToken(t)
	key, err := tok.Generate("signs-verifiable")
	if err != nil {
		t.Fatal(err)
	}
	raw := issue(t, key)
	if got := verify(t, key, raw); got.Header["kid"] != key.ID() {
		t.Errorf("kid %v, want %s", got.Header["kid"], key.ID())
	}
	if _, err := key.MarshalPrivateJWK(); err == nil {
		t.Error("an HSM key exported a private JWK")
	}
	other := openToken(t)
	again, err := other.Key("signs-verifiable")
	if err != nil || again.ID() != key.ID() {
		t.Fatalf("another Token finds %v, %v; want kid %s", again, err, key.ID())
	}
	verify(t, key, issue(t, again))
}

// TestKeysetKeepsKeysOnTheToken: a keyset.Set whose keys the token
// generates stores only their labels, and a second replica opens them.
func TestKeysetKeepsKeysOnTheToken(t *testing.T) {
	tok := openToken(t)
	store := &keyset.MemoryStore{}
	cfg := keyset.Config{Store: store, NewKey: tok.NewKey, Open: tok.OpenKey}
	a, err := keyset.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	doc, err := store.Load(context.Background())
	if err != nil || len(doc.Keys) != 1 {
		t.Fatalf("stored %+v, %v", doc, err)
	}
	if r := doc.Keys[0]; !strings.HasPrefix(r.Ref, "extauth-") || len(r.Private) != 0 {
		t.Errorf("stored record: ref %q, %d bytes of private key; want a label and none", r.Ref, len(r.Private))
	}
	cfg.NewKey, cfg.Open = openToken(t).NewKey, openToken(t).OpenKey
	b, err := keyset.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	verify(t, a, issue(t, b))
}

// TestSignFailures: a deleted key, a closed Token, a missing or replaced
// label give errors naming the cause; a hung sign costs no more than the
// context.
func TestSignFailures(t *testing.T) {
	tok := openToken(t)
	if _, err := tok.Key("never-generated"); !errors.Is(err, ErrNoKey) {
		t.Errorf("missing label: %v, want ErrNoKey", err)
	}
	if _, err := tok.Generate("twice"); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Generate("twice"); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Key("twice"); err == nil || !strings.Contains(err.Error(), "label of its own") {
		t.Errorf("two keys under one label: %v", err)
	}
	if _, err := tok.Key("bad label!"); err == nil || !strings.Contains(err.Error(), "key label") {
		t.Errorf("bad label: %v", err)
	}
	k1, err := tok.Generate("replaced")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.OpenKey(context.Background(), "replaced", "some-other-kid"); err == nil || !strings.Contains(err.Error(), "another key") {
		t.Errorf("kid mismatch: %v", err)
	}
	if _, err := tok.OpenKey(context.Background(), "replaced", k1.ID()); err != nil {
		t.Errorf("OpenKey: %v", err)
	}

	doomed, err := tok.Generate("deleted")
	if err != nil {
		t.Fatal(err)
	}
	s, err := tok.ctx.FindKeyPair(nil, []byte("deleted"))
	if err != nil || s == nil {
		t.Fatal(s, err)
	}
	if err := s.Delete(); err != nil {
		t.Fatal(err)
	}
	iss, _ := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: doomed})
	if _, err := iss.Issue(context.Background(), issuer.Claims{Subject: "u"}); !errors.Is(err, ErrSign) {
		t.Errorf("deleted key: %v, want ErrSign", err)
	}

	closing := openToken(t)
	k, err := closing.Key("replaced")
	if err != nil {
		t.Fatal(err)
	}
	if err := closing.Close(); err != nil {
		t.Fatal(err)
	}
	iss, _ = issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: k})
	if _, err := iss.Issue(context.Background(), issuer.Claims{Subject: "u"}); !errors.Is(err, ErrSign) {
		t.Errorf("closed token: %v, want ErrSign", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, _, err := tok.NewKey(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("NewKey after the deadline: %v", err)
	}
}
