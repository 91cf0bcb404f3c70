package issuer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/jwks"
)

// Token lifetime defaults.
const (
	// DefaultTTL is the token lifetime when Config.TTL is 0: one hour, as in
	// the reference demo.
	DefaultTTL = time.Hour
	// DefaultMaxTTL is the longest lifetime of a token signed by a single
	// Key, and a Ring's default (RingOptions.MaxTTL).
	DefaultMaxTTL = 24 * time.Hour
)

// KeySource is what an Issuer signs with and a jwks.Handler publishes: a
// single *Key, a *Ring, or a key set shared by several replicas.
//
// SigningKey returns the key that signs a token issued now, and the longest
// lifetime such a token may have: the source promises to keep that key
// published (through Subscribe) for at least maxTTL after the call, so every
// token it signed can be verified until it expires.
type KeySource interface {
	jwks.Source
	SigningKey(ctx context.Context) (key *Key, maxTTL time.Duration, err error)
}

// Config configures an Issuer.
type Config struct {
	// Issuer is the "iss" claim: exactly the string entered as iss in
	// Dynamic's dashboard (Dynamic compares it byte for byte). Required.
	Issuer string
	// Audience is the default "aud" claim, omitted when empty. One entry is
	// sent as a JSON string, several as an array. Set it only if an aud is
	// configured in Dynamic's dashboard.
	Audience []string
	// TTL is the default token lifetime (exp - iat). 0 means DefaultTTL (one
	// hour), or the key source's maximum when that is shorter. At least one
	// second; a longer TTL than the key source allows fails at Issue.
	TTL time.Duration
	// Keys signs the tokens: a *Key, a *Ring or any KeySource. Required.
	Keys KeySource
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Claims are the per-token claims.
type Claims struct {
	// Subject is the "sub" claim: your stable user ID. Dynamic creates or
	// finds one user per distinct sub. Required; at most 255 bytes of valid
	// UTF-8 without control characters, not blank, and without leading or
	// trailing white space (" alice" would be a different user from "alice").
	Subject string
	// Email is the optional "email" claim; it must look like an address.
	Email string
	// EmailVerified is the "emailVerified" claim. When Email is set and
	// EmailVerified is nil, the token says emailVerified: true, as the
	// reference demo does. Set it to a false value to send false. When set
	// without Email it is sent as given.
	EmailVerified *bool
	// Audience, when non-empty, replaces Config.Audience for this token.
	Audience []string
	// TTL is this token's lifetime; 0 means Config.TTL. At least one
	// second and at most the key source's maximum (DefaultMaxTTL for a Key,
	// RingOptions.MaxTTL for a Ring).
	TTL time.Duration
	// NotBefore, when not zero, is the "nbf" claim: the token is not valid
	// before it. It must lie before exp.
	NotBefore time.Time
	// Extra holds additional claims, encoded with encoding/json. No name may
	// equal, ignoring case as encoding/json does, a claim Issue sets (iss,
	// sub, aud, exp, nbf, iat, jti) or has a field for (email,
	// emailVerified): a Go verifier would read "SUB" as sub.
	Extra map[string]any
}

// Issuer issues RS256-signed JWTs for Dynamic's external JWT sign-in. It is
// safe for concurrent use.
type Issuer struct {
	cfg Config // with defaults filled in
}

// New returns an Issuer for cfg, or an error naming the first invalid field.
func New(cfg Config) (*Issuer, error) {
	if err := checkIssuer(cfg.Issuer); err != nil {
		return nil, err
	}
	if cfg.Keys == nil {
		return nil, errors.New("issuer: Config.Keys is nil: pass a key (GenerateKey, LoadEnv, ...) or a Ring")
	}
	if err := checkAudience("Config.Audience", cfg.Audience); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if cfg.TTL != 0 && cfg.TTL < time.Second {
		return nil, fmt.Errorf("issuer: Config.TTL %v is under one second: use at least 1s (or 0 for the default)", cfg.TTL)
	}
	// A key source that cannot name a key now is a configuration error.
	if _, maxTTL, err := cfg.Keys.SigningKey(context.Background()); err != nil {
		return nil, fmt.Errorf("issuer: Config.Keys: %w", err)
	} else if cfg.TTL > maxTTL {
		return nil, fmt.Errorf("issuer: Config.TTL %v exceeds the key source's maximum token lifetime %v: lower TTL (or raise RingOptions.MaxTTL)", cfg.TTL, maxTTL)
	}
	cfg.Audience = slices.Clone(cfg.Audience)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Issuer{cfg: cfg}, nil
}

// errZeroIssuer is returned by Issue on an Issuer not made by New.
var errZeroIssuer = errors.New("issuer: Issuer is nil or a zero value: create it with issuer.New(cfg)")

// Issue returns a signed compact JWS (RS256) for c, signed with the key
// source's current signing key. The header is
// {"alg":"RS256","kid":<kid>,"typ":"JWT"}; the claims are iss, sub, aud (if
// any), iat, exp, nbf (if NotBefore is set), jti (16 random bytes,
// base64url), email and emailVerified (if any), and Extra.
//
// Errors about c wrap ErrInvalidClaims. Issue checks ctx before signing, and
// waits for a KMS or HSM signer no longer than ctx allows.
func (i *Issuer) Issue(ctx context.Context, c Claims) (string, error) {
	if i == nil || i.cfg.Keys == nil {
		return "", errZeroIssuer
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// Read the clock before the key: a key handed out here was the signing
	// key at or after now, so its retention (now + maxTTL at the latest
	// call) covers exp = now + TTL.
	now := i.cfg.Now()
	key, maxTTL, err := i.cfg.Keys.SigningKey(ctx)
	if err != nil {
		return "", fmt.Errorf("issuer: no signing key: %w", err)
	}
	claims, err := i.claims(&c, now, maxTTL)
	if err != nil {
		return "", err
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = key.id
	input, err := tok.SigningString()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidClaims, err)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	sig, err := key.sign(ctx, input)
	if err != nil {
		return "", fmt.Errorf("issuer: sign with key %q: %w", key.id, err)
	}
	if want := (key.pub.N.BitLen() + 7) / 8; len(sig) != want {
		return "", fmt.Errorf("issuer: signer for key %q returned %d bytes, want %d: it must produce RSASSA-PKCS1-v1_5 signatures", key.id, len(sig), want)
	}
	return input + "." + tok.EncodeSegment(sig), nil
}

// check checks the claims a caller sets.
func (c *Claims) check() error {
	if err := checkSubject(c.Subject); err != nil {
		return err
	}
	if c.Email != "" {
		if err := checkEmail(c.Email); err != nil {
			return err
		}
	}
	if err := checkAudience("aud", c.Audience); err != nil {
		return err
	}
	return checkExtra(c.Extra)
}

// claims checks c and builds the token's claims.
func (i *Issuer) claims(c *Claims, now time.Time, maxTTL time.Duration) (jwt.MapClaims, error) {
	ttl, err := i.ttl(c.TTL, maxTTL)
	if err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	var jti [16]byte
	_, _ = rand.Read(jti[:]) // never fails (Go ≥ 1.24: it crashes the program instead)
	m := make(jwt.MapClaims, 8+len(c.Extra))
	for k, v := range c.Extra {
		m[k] = v
	}
	m["iss"] = i.cfg.Issuer
	m["sub"] = c.Subject
	m["iat"] = now.Unix()
	m["exp"] = now.Add(ttl).Unix()
	if err := setNotBefore(m, c.NotBefore, now.Add(ttl)); err != nil {
		return nil, err
	}
	m["jti"] = base64.RawURLEncoding.EncodeToString(jti[:])
	aud := c.Audience
	if len(aud) == 0 {
		aud = i.cfg.Audience
	}
	switch len(aud) {
	case 0:
	case 1:
		m["aud"] = aud[0]
	default:
		m["aud"] = aud
	}
	if c.Email != "" {
		m["email"] = c.Email
	}
	if c.EmailVerified != nil || c.Email != "" {
		m["emailVerified"] = c.EmailVerified == nil || *c.EmailVerified
	}
	return m, nil
}

// setNotBefore sets nbf when nbf is not zero; it must lie before exp.
func setNotBefore(m jwt.MapClaims, nbf, exp time.Time) error {
	if nbf.IsZero() {
		return nil
	}
	if !nbf.Before(exp) {
		return fmt.Errorf("%w: NotBefore %s is not before exp %s: the token would never be valid", ErrInvalidClaims, nbf.UTC().Format(time.RFC3339), exp.UTC().Format(time.RFC3339))
	}
	m["nbf"] = nbf.Unix()
	return nil
}

// ttl picks the token's lifetime: the claim's, else the configured one,
// else DefaultTTL, within the key source's maximum.
func (i *Issuer) ttl(ttl, maxTTL time.Duration) (time.Duration, error) {
	switch {
	case ttl == 0 && i.cfg.TTL != 0:
		ttl = i.cfg.TTL
	case ttl == 0:
		return min(DefaultTTL, maxTTL), nil
	case ttl < time.Second:
		return 0, fmt.Errorf("%w: TTL %v is under one second: use at least 1s (or 0 for the default)", ErrInvalidClaims, ttl)
	}
	if ttl > maxTTL {
		return 0, fmt.Errorf("%w: TTL %v exceeds the key source's maximum token lifetime %v", ErrInvalidClaims, ttl, maxTTL)
	}
	return ttl, nil
}

// sha256Sum is SHA-256 of s.
func sha256Sum(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
