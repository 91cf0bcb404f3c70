// Package pkcs11signer signs extauth tokens with RSA keys that never leave
// a PKCS#11 token (an HSM, a cloud HSM, SoftHSM), through
// github.com/ThalesGroup/crypto11.
//
// A Token's keys are issuer.Keys: pass one to issuer.Config.Keys, or let an
// issuer/keyset.Set generate and find them, storing only their labels:
//
//	tok, err := pkcs11signer.Open(pkcs11signer.Config{
//		Path: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "idp", PIN: os.Getenv("HSM_PIN"),
//	})
//	set, err := keyset.New(ctx, keyset.Config{Store: store, NewKey: tok.NewKey, Open: tok.OpenKey})
//
// Signing runs on the token (CKM_RSA_PKCS over a SHA-256 DigestInfo, which
// is RS256). A crypto.Signer has no context: issuer.Issue stops waiting for
// a hung token when its context ends; Config.SessionWait bounds how long a
// signature waits for a free session.
package pkcs11signer

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	"github.com/ThalesGroup/crypto11"

	"github.com/extauth/extauth/issuer"
)

// ErrSign is wrapped by every error of a signature the token refused or
// failed (a deleted key, a closed Token, a token that went away).
var ErrSign = errors.New("pkcs11signer: the token did not sign")

// ErrNoKey is returned by Key and OpenKey when the token has no key pair
// with that label.
var ErrNoKey = errors.New("pkcs11signer: no key pair with that label on the token")

// Config says which token to use.
type Config struct {
	// Path is the PKCS#11 module (libsofthsm2.so, your HSM vendor's
	// library). Required.
	Path string
	// TokenLabel is the label of the token. Required.
	TokenLabel string
	// PIN is the user PIN. Required.
	PIN string
	// Sessions is how many sessions signatures share: zero means 8, and
	// crypto11 needs at least 2.
	Sessions int
	// SessionWait bounds how long a signature waits for a free session;
	// zero means 10 seconds.
	SessionWait time.Duration
	// Bits is the size of the keys NewKey generates; zero means 2048.
	Bits int
}

// Token is an open PKCS#11 token. It is safe for concurrent use.
type Token struct {
	ctx   *crypto11.Context
	bits  int
	close sync.Once
	err   error
}

// Open logs in to the token.
func Open(cfg Config) (*Token, error) {
	switch {
	case cfg.Path == "":
		return nil, errors.New("pkcs11signer: Config.Path is empty: pass the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so")
	case cfg.TokenLabel == "":
		return nil, errors.New("pkcs11signer: Config.TokenLabel is empty: pass the label of the token")
	case cfg.PIN == "":
		return nil, errors.New("pkcs11signer: Config.PIN is empty: pass the token's user PIN")
	case cfg.Bits != 0 && cfg.Bits < 2048:
		return nil, fmt.Errorf("pkcs11signer: Config.Bits is %d: RS256 keys need at least 2048", cfg.Bits)
	case cfg.Sessions < 0 || cfg.Sessions == 1:
		return nil, fmt.Errorf("pkcs11signer: Config.Sessions is %d: use 0 (8 sessions) or at least 2", cfg.Sessions)
	case cfg.SessionWait < 0:
		return nil, fmt.Errorf("pkcs11signer: Config.SessionWait is %s: it must be positive (0 means 10 s)", cfg.SessionWait)
	}
	if cfg.Sessions == 0 {
		cfg.Sessions = 8
	}
	if cfg.SessionWait == 0 {
		cfg.SessionWait = 10 * time.Second
	}
	if cfg.Bits == 0 {
		cfg.Bits = 2048
	}
	c, err := crypto11.Configure(&crypto11.Config{
		Path: cfg.Path, TokenLabel: cfg.TokenLabel, Pin: cfg.PIN,
		MaxSessions: cfg.Sessions, PoolWaitTimeout: cfg.SessionWait,
	})
	if err != nil {
		// crypto11's errors name the module and token, never the PIN.
		return nil, fmt.Errorf("pkcs11signer: open token %q with %s: %w", cfg.TokenLabel, cfg.Path, err)
	}
	return &Token{ctx: c, bits: cfg.Bits}, nil
}

// Close waits for signatures under way, then closes the sessions (and logs
// out when it is the process's last Token on that module); keys of this
// Token then fail to sign with ErrSign. Close is idempotent.
func (t *Token) Close() error {
	t.close.Do(func() {
		if err := t.ctx.Close(); err != nil {
			t.err = fmt.Errorf("pkcs11signer: close: %w", err)
		}
	})
	return t.err
}

var labelRule = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func checkLabel(label string) error {
	if !labelRule.MatchString(label) {
		return fmt.Errorf("pkcs11signer: key label %q: use 1-64 letters, digits and . _ : -", label)
	}
	return nil
}

// Key is the key pair labelled label, as an issuer.Key whose kid is its
// RFC 7638 thumbprint.
func (t *Token) Key(label string) (*issuer.Key, error) {
	if err := checkLabel(label); err != nil {
		return nil, err
	}
	found, err := t.ctx.FindKeyPairs(nil, []byte(label))
	switch {
	case err != nil:
		return nil, fmt.Errorf("pkcs11signer: find key %q: %w", label, err)
	case len(found) == 0:
		return nil, fmt.Errorf("%w: %q", ErrNoKey, label)
	case len(found) > 1:
		return nil, fmt.Errorf("pkcs11signer: %d key pairs on the token are labelled %q: give each key a label of its own", len(found), label)
	}
	return issuer.NewKey(signer{found[0], label}, "")
}

// Generate makes a new RSA key pair on the token, labelled label (Bits
// bits; the private key is sensitive and not extractable).
func (t *Token) Generate(label string) (*issuer.Key, error) {
	if err := checkLabel(label); err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	s, err := t.ctx.GenerateRSAKeyPairWithLabel(id, []byte(label), t.bits)
	if err != nil {
		return nil, fmt.Errorf("pkcs11signer: generate key %q: %w", label, err)
	}
	return issuer.NewKey(signer{s, label}, "")
}

// NewKey is a keyset.Config.NewKey: it generates a key on the token under
// a fresh label, which is the ref the key set stores.
func (t *Token) NewKey(ctx context.Context) (*issuer.Key, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	label := fmt.Sprintf("extauth-%x", b)
	k, err := t.Generate(label)
	if err != nil {
		return nil, "", err
	}
	return k, label, nil
}

// OpenKey is a keyset.Config.Open: the key labelled ref, which must have
// the kid the key set recorded.
func (t *Token) OpenKey(ctx context.Context, ref, kid string) (*issuer.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := t.Key(ref)
	if err != nil {
		return nil, err
	}
	if k.ID() != kid {
		return nil, fmt.Errorf("pkcs11signer: key %q on the token has kid %s, the key set recorded %s: the label now names another key", ref, k.ID(), kid)
	}
	return k, nil
}

// signer marks the token's errors with ErrSign.
type signer struct {
	crypto11.Signer
	label string
}

func (s signer) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := s.Signer.Sign(r, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("%w with key %q: %w", ErrSign, s.label, err)
	}
	return sig, nil
}
