package issuer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token lifetime defaults.
const (
	// DefaultTTL is the token lifetime when Config.TTL is 0: one hour, as in
	// the reference demo.
	DefaultTTL = time.Hour
	// DefaultMaxTTL is the longest lifetime a token may ask for when
	// Config.MaxTTL (and RingOptions.MaxTTL) is 0.
	DefaultMaxTTL = 24 * time.Hour
)

// maxPooledBuf is the largest scratch buffer kept for reuse; tokens with
// huge Extra claims do not pin large buffers.
const maxPooledBuf = 64 << 10

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
	// hour), capped at MaxTTL. At least one second.
	TTL time.Duration
	// MaxTTL bounds TTL and every Claims.TTL. 0 means the ring's MaxTTL
	// (DefaultMaxTTL unless set otherwise). It may not exceed the ring's
	// MaxTTL, since the ring keeps a retired key published for that long.
	MaxTTL time.Duration
	// Keys holds the signing keys; required. Use NewRing(key, nil) for a
	// single key.
	Keys *Ring
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Claims are the per-token claims.
type Claims struct {
	// Subject is the "sub" claim: your stable user ID. Dynamic creates or
	// finds one user per distinct sub. Required; at most 255 bytes of valid
	// UTF-8 without control characters.
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
	// second and at most Config.MaxTTL.
	TTL time.Duration
	// Extra holds additional claims, encoded with encoding/json (map keys
	// sorted). It may not contain iss, sub, aud, exp, nbf, iat, jti (set by
	// Issue) nor email, emailVerified (use the fields above).
	Extra map[string]any
}

// Issuer issues RS256-signed JWTs for Dynamic's external JWT sign-in. It is
// safe for concurrent use.
type Issuer struct {
	cfg  Config // with defaults filled in
	aud  []byte // precomputed `,"aud":...` member, or nil
	iss  []byte // precomputed `{"iss":"..."` prefix
	bufs sync.Pool
}

// New returns an Issuer for cfg, or an error naming the first invalid field.
func New(cfg Config) (*Issuer, error) {
	if err := checkIssuer(cfg.Issuer); err != nil {
		return nil, err
	}
	if cfg.Keys == nil || cfg.Keys.Active() == nil {
		return nil, errors.New("issuer: Config.Keys is nil or a zero Ring: use issuer.NewRing(key, nil)")
	}
	if err := checkAudience("Config.Audience", cfg.Audience); err != nil {
		return nil, err
	}
	ringMax := cfg.Keys.MaxTTL()
	maxTTL := cfg.MaxTTL
	switch {
	case maxTTL == 0:
		maxTTL = ringMax
	case maxTTL < time.Second:
		return nil, fmt.Errorf("issuer: Config.MaxTTL %v is under one second: use at least 1s (or 0 for the default)", maxTTL)
	case maxTTL > ringMax:
		return nil, fmt.Errorf("issuer: Config.MaxTTL %v exceeds the ring's MaxTTL %v: a retired key would be unpublished while its tokens are still valid; raise RingOptions.MaxTTL", maxTTL, ringMax)
	}
	ttl := cfg.TTL
	switch {
	case ttl == 0:
		ttl = min(DefaultTTL, maxTTL)
	case ttl < time.Second:
		return nil, fmt.Errorf("issuer: Config.TTL %v is under one second: use at least 1s (or 0 for the default)", ttl)
	case ttl > maxTTL:
		return nil, fmt.Errorf("issuer: Config.TTL %v exceeds MaxTTL %v: lower TTL or raise MaxTTL", ttl, maxTTL)
	}
	cfg.Audience = slices.Clone(cfg.Audience)
	cfg.TTL, cfg.MaxTTL = ttl, maxTTL
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	i := &Issuer{cfg: cfg}
	i.iss = appendJSONString(append([]byte(nil), `{"iss":`...), cfg.Issuer)
	i.aud = appendAudience(nil, cfg.Audience)
	i.bufs.New = func() any { b := make([]byte, 0, 1024); return &b }
	return i, nil
}

// errZeroIssuer is returned by Issue on an Issuer not made by New.
var errZeroIssuer = errors.New("issuer: Issuer is nil or a zero value: create it with issuer.New(cfg)")

// Config returns a copy of the configuration, with defaults filled in.
func (i *Issuer) Config() Config {
	c := i.cfg
	c.Audience = slices.Clone(c.Audience)
	return c
}

func checkIssuer(iss string) error {
	if iss == "" {
		return errors.New("issuer: Config.Issuer is empty: set it to the iss value entered in Dynamic's dashboard")
	}
	if err := checkText("Config.Issuer", iss, MaxIssuerLen, ""); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if strings.TrimSpace(iss) != iss {
		return errors.New("issuer: Config.Issuer has leading or trailing spaces: Dynamic compares iss exactly; remove them")
	}
	return nil
}

func checkAudience(field string, aud []string) error {
	for n, a := range aud {
		if err := checkText(field+"["+strconv.Itoa(n)+"]", a, MaxIssuerLen, "remove the empty entry"); err != nil {
			return err
		}
	}
	return nil
}

// appendAudience appends the `,"aud":...` member: a string for one
// audience, an array for several, nothing for none.
func appendAudience(b []byte, aud []string) []byte {
	switch len(aud) {
	case 0:
		return b
	case 1:
		return appendJSONString(append(b, `,"aud":`...), aud[0])
	}
	b = append(b, `,"aud":[`...)
	for n, a := range aud {
		if n > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a)
	}
	return append(b, ']')
}

// Issue returns a signed compact JWS (RS256) for c, signed with the ring's
// active key. The header is {"alg":"RS256","kid":<kid>,"typ":"JWT"}; the
// claims, in order: iss, sub, aud (if any), iat, exp, jti (16 random bytes,
// base64url), email and emailVerified (if any), then Extra (sorted).
//
// Errors about c wrap ErrInvalidClaims. Issue checks ctx before signing;
// the signing itself (a local RSA operation or a crypto.Signer call) is not
// interruptible.
func (i *Issuer) Issue(ctx context.Context, c Claims) (string, error) {
	if i == nil || i.iss == nil {
		return "", errZeroIssuer
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// Read the clock before the key: a key loaded here was active at or
	// after now, so a retired key's retention (rotation time + MaxTTL)
	// always covers exp = now + TTL <= now + MaxTTL.
	now := i.cfg.Now()
	key := i.cfg.Keys.Active()

	ttl := c.TTL
	switch {
	case ttl == 0:
		ttl = i.cfg.TTL
	case ttl < time.Second:
		return "", fmt.Errorf("%w: TTL %v is under one second: use at least 1s (or 0 for the default)", ErrInvalidClaims, ttl)
	case ttl > i.cfg.MaxTTL:
		return "", fmt.Errorf("%w: TTL %v exceeds MaxTTL %v", ErrInvalidClaims, ttl, i.cfg.MaxTTL)
	}
	if err := checkText("sub", c.Subject, MaxSubjectLen, "pass the user's stable ID"); err != nil {
		return "", err
	}
	if c.Email != "" {
		if err := checkEmail(c.Email); err != nil {
			return "", err
		}
	}
	if err := checkAudience("aud", c.Audience); err != nil {
		return "", err
	}
	var extra []byte
	if len(c.Extra) > 0 {
		for _, name := range reservedExtra {
			if _, ok := c.Extra[name]; ok {
				return "", fmt.Errorf("%w: Extra may not set %q: it is set by Issue or by its own Claims field", ErrInvalidClaims, name)
			}
		}
		var err error
		if extra, err = json.Marshal(c.Extra); err != nil {
			return "", fmt.Errorf("%w: Extra cannot be encoded as JSON: %w", ErrInvalidClaims, err)
		}
	}

	bp := i.bufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBuf {
			i.bufs.Put(bp)
		}
	}()
	b := (*bp)[:0]

	// Layout of the scratch buffer: [16 jti bytes][claims JSON][signing
	// input][digest][encoded signature]. Everything lives in one pooled
	// buffer, so a token costs one string plus what the signer allocates.
	b = append(b, make([]byte, 16)...)
	if _, err := rand.Read(b[:16]); err != nil {
		return "", fmt.Errorf("issuer: read random jti: %w", err)
	}
	cs := len(b)
	b = i.appendClaims(b, &c, now, ttl, b[:16], extra)
	ce := len(b)

	si := len(b)
	b = append(b, key.header...)
	b = append(b, '.')
	b = base64.RawURLEncoding.AppendEncode(b, b[cs:ce])
	se := len(b)

	digest := sha256.Sum256(b[si:se])
	b = append(b, digest[:]...)
	if err := ctx.Err(); err != nil {
		*bp = b
		return "", err
	}
	sig, err := key.signer.Sign(rand.Reader, b[se:], crypto.SHA256)
	if err != nil {
		*bp = b
		return "", fmt.Errorf("issuer: sign with key %q: %w", key.id, err)
	}
	if len(sig) != key.sigLen {
		*bp = b
		return "", fmt.Errorf("issuer: signer for key %q returned %d bytes, want %d: it must produce RSASSA-PKCS1-v1_5 signatures", key.id, len(sig), key.sigLen)
	}
	gs := len(b)
	b = base64.RawURLEncoding.AppendEncode(b, sig)
	*bp = b

	var out strings.Builder
	out.Grow(se - si + 1 + len(b) - gs)
	out.Write(b[si:se])
	out.WriteByte('.')
	out.Write(b[gs:])
	return out.String(), nil
}

// appendClaims appends the claims JSON object for c: iss, sub, aud, iat,
// exp, jti (base64url of jti), email, emailVerified, then the members of
// extra (an encoding/json object) if it has any.
func (i *Issuer) appendClaims(b []byte, c *Claims, now time.Time, ttl time.Duration, jti, extra []byte) []byte {
	b = append(b, i.iss...)
	b = append(b, `,"sub":`...)
	b = appendJSONString(b, c.Subject)
	if len(c.Audience) > 0 {
		b = appendAudience(b, c.Audience)
	} else {
		b = append(b, i.aud...)
	}
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, now.Add(ttl).Unix(), 10)
	b = append(b, `,"jti":"`...)
	b = base64.RawURLEncoding.AppendEncode(b, jti)
	b = append(b, '"')
	if c.Email != "" {
		b = append(b, `,"email":`...)
		b = appendJSONString(b, c.Email)
	}
	if c.EmailVerified != nil || c.Email != "" {
		b = append(b, `,"emailVerified":`...)
		b = strconv.AppendBool(b, c.EmailVerified == nil || *c.EmailVerified)
	}
	if len(extra) > 2 { // "{...}" minus the braces
		b = append(b, ',')
		b = append(b, extra[1:len(extra)-1]...)
	}
	b = append(b, '}')
	return b
}
