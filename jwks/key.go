package jwks

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/MicahParks/jwkset"

	"github.com/extauth/extauth/internal/jsonobj"
)

// MinBits is the smallest RSA modulus, in bits, that this module publishes,
// signs with or verifies with. Keys may have at most 16384 bits.
const MinBits = 2048

// Limits on keys beyond MinBits.
const (
	maxBits   = 16384 // larger keys are almost certainly a mistake and slow every verifier
	maxKIDLen = 255   // bytes
)

// ErrInvalidKey matches every error about a key that cannot be published,
// parsed or used: nil, outside 2048..16384 bits, an unusual exponent, a bad or
// duplicate key ID, or a JWK that is malformed or carries private members.
// The message says which; it never contains key material.
var ErrInvalidKey = errors.New("jwks: invalid key")

// Key is a public signing key to publish in a JWK Set.
//
// It holds only public material by type: there is no field that could carry
// a private exponent or CRT values, so a Handler can never leak one.
type Key struct {
	// ID is the key ID published as the JWK "kid" member: at most 255 bytes
	// of UTF-8 without control characters or surrounding spaces, unique
	// within a set. Thumbprint is a good default.
	ID string
	// Public is the RSA public key: 2048 to 16384 bits, exponent odd and in
	// 3..2^31-1.
	Public *rsa.PublicKey
}

// Validate reports whether k may be published and used for RS256: the
// rules of this package's Key documentation. The error matches
// ErrInvalidKey and says what to change.
func (k Key) Validate() error {
	if err := validatePublic(k.Public); err != nil {
		return err
	}
	return validateKID(k.ID)
}

// validatePublic checks an RSA public key against the size and exponent
// rules.
func validatePublic(pub *rsa.PublicKey) error {
	switch {
	case pub == nil || pub.N == nil || pub.N.Sign() <= 0:
		return fmt.Errorf("%w: the RSA public key is missing: set Key.Public", ErrInvalidKey)
	case pub.N.BitLen() < MinBits:
		return fmt.Errorf("%w: RSA key is %d bits, too short: use at least %d bits (generate a new key)", ErrInvalidKey, pub.N.BitLen(), MinBits)
	case pub.N.BitLen() > maxBits:
		return fmt.Errorf("%w: RSA key is %d bits: at most %d are supported (use 2048, 3072 or 4096)", ErrInvalidKey, pub.N.BitLen(), maxBits)
	case pub.N.Bit(0) == 0:
		return fmt.Errorf("%w: RSA modulus is even: the key is corrupt", ErrInvalidKey)
	case pub.E < 3 || pub.E&1 == 0 || int64(pub.E) > 1<<31-1:
		return fmt.Errorf("%w: RSA public exponent e=%d is invalid: use 65537 (AQAB)", ErrInvalidKey, pub.E)
	}
	return nil
}

// validateKID checks a key ID. It quotes the ID only when it is short
// enough not to be key material pasted into the wrong place.
func validateKID(kid string) error {
	switch {
	case kid == "":
		return fmt.Errorf("%w: key ID is empty: set one (Thumbprint gives a good default)", ErrInvalidKey)
	case len(kid) > maxKIDLen:
		return fmt.Errorf("%w: key ID is %d bytes: use at most %d", ErrInvalidKey, len(kid), maxKIDLen)
	case !utf8.ValidString(kid):
		return fmt.Errorf("%w: key ID is not valid UTF-8", ErrInvalidKey)
	case hasControl(kid):
		return fmt.Errorf("%w: key ID %s contains control characters: remove them", ErrInvalidKey, quote(kid))
	case strings.TrimSpace(kid) != kid:
		return fmt.Errorf("%w: key ID %s has leading or trailing spaces: remove them", ErrInvalidKey, quote(kid))
	}
	return nil
}

// hasControl reports whether s contains a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return true
		}
	}
	return false
}

// quote quotes a short metadata value for an error message; a long one may
// be key material and is described by its length only.
func quote(v string) string {
	if len(v) > 64 {
		return fmt.Sprintf("(a %d-byte value)", len(v))
	}
	return strconv.Quote(v)
}

// publicJWK is the wire form of one published key. It has public members
// only, in the reference demo's order (jose's exportJWK plus kid, use, alg):
// there is no field a private member could be written to.
type publicJWK struct {
	Kty string `json:"kty"`
	N   string `json:"n"`
	E   string `json:"e"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// encode validates k and returns its wire form. jwkset does the JWK encoding
// of n and e (base64url, big-endian, no leading zeros); its own member order
// differs from the demo's, so the members are copied into publicJWK.
func (k Key) encode() (publicJWK, error) {
	if err := k.Validate(); err != nil {
		return publicJWK{}, err
	}
	m, err := marshalPublic(k.Public, k.ID)
	if err != nil {
		return publicJWK{}, err
	}
	return publicJWK{Kty: string(m.KTY), N: m.N, E: m.E, Kid: k.ID, Use: string(m.USE), Alg: string(m.ALG)}, nil
}

func marshalPublic(pub *rsa.PublicKey, kid string) (jwkset.JWKMarshal, error) {
	j, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.AlgRS256, KID: kid, USE: jwkset.UseSig},
	})
	if err != nil {
		return jwkset.JWKMarshal{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return j.Marshal(), nil
}

// MarshalJSON returns k as a public JWK in the reference demo's member order,
// {"kty":"RSA","n":…,"e":…,"kid":…,"use":"sig","alg":"RS256"}: the value of
// JWT_PROVIDER_PUBLIC_KEY. It fails for a key Validate refuses.
func (k Key) MarshalJSON() ([]byte, error) {
	j, err := k.encode()
	if err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

// Thumbprint returns the RFC 7638 JWK thumbprint of pub: the unpadded
// base64url SHA-256 of {"e":…,"kty":"RSA","n":…}. It is the conventional
// default key ID. It returns "" for a nil key and does not otherwise validate
// it (Key.Validate does).
func Thumbprint(pub *rsa.PublicKey) string {
	if pub == nil || pub.N == nil || pub.N.Sign() <= 0 || pub.E <= 0 {
		return ""
	}
	m, err := marshalPublic(pub, "")
	if err != nil {
		return ""
	}
	// The required members in lexicographic order, no white space (RFC 7638 §3.2).
	b, err := json.Marshal(struct {
		E   string `json:"e"`
		Kty string `json:"kty"`
		N   string `json:"n"`
	}{m.E, string(m.KTY), m.N})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// privateMembers are the JWK members that make a key private (RFC 7518
// §6.3.2), and "k" of symmetric keys.
var privateMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseKey parses one public RSA JWK, such as JWT_PROVIDER_PUBLIC_KEY or a
// member of a JWK Set: kty "RSA", n and e, and optionally kid, use ("sig")
// and alg ("RS256"). A JWK with private members is refused, so a private key
// pasted into a public place is noticed. The ID is the JWK's kid, or the
// Thumbprint when it has none. Errors match ErrInvalidKey and never contain
// key material.
func ParseKey(data []byte) (Key, error) {
	var members map[string]json.RawMessage
	if err := jsonobj.Decode(data, &members, "public JWK"); err != nil {
		hint := ""
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
			hint = " (this looks like PEM, not a JWK)"
		}
		return Key{}, fmt.Errorf("%w: %w%s: check that the whole JWK was copied", ErrInvalidKey, err, hint)
	}
	for _, name := range privateMembers {
		if _, ok := members[name]; ok {
			return Key{}, fmt.Errorf("%w: public JWK contains private members (%q): publish only kty, n, e, kid, use and alg, and keep the private JWK secret", ErrInvalidKey, name)
		}
	}
	meta, err := decodeMeta(members)
	if err != nil {
		return Key{}, err
	}
	j, err := jwkset.NewJWKFromRawJSON(data, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
	if err != nil {
		// jwkset joins errors with newlines; keep the message on one line.
		return Key{}, fmt.Errorf("%w: the public JWK does not decode (%s): check that the whole JWK was copied", ErrInvalidKey, strings.ReplaceAll(err.Error(), "\n", ": "))
	}
	pub, ok := j.Key().(*rsa.PublicKey)
	if !ok {
		return Key{}, fmt.Errorf("%w: the public JWK is not an RSA key", ErrInvalidKey)
	}
	if strings.TrimSpace(meta.kid) == "" {
		meta.kid = Thumbprint(pub)
	}
	k := Key{ID: meta.kid, Public: pub}
	if err := k.Validate(); err != nil {
		return Key{}, err
	}
	return k, nil
}

// jwkMeta is what ParseKey reads of a JWK's metadata.
type jwkMeta struct{ kid string }

// jwkString returns the string member name of a JWK (ok false when absent).
func jwkString(members map[string]json.RawMessage, name string) (v string, ok bool, err error) {
	raw, ok := members[name]
	if !ok {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", true, fmt.Errorf("%w: the JWK member %q must be a JSON string", ErrInvalidKey, name)
	}
	return v, true, nil
}

// metaRules are the rules on a public JWK's members: for each, whether it
// must be present, and the value it must have ("" for any non-empty one).
var metaRules = []struct {
	name, want, hint string
	required         bool
}{
	{"kty", "RSA", `RS256 needs an "RSA" key`, true},
	{"n", "", "check that the whole JWK was copied", true},
	{"e", "", "check that the whole JWK was copied", true},
	{"use", "sig", `a signing key needs "sig" (or no "use")`, false},
	{"alg", "RS256", `only "RS256" is supported (or no "alg")`, false},
}

// decodeMeta checks kty, n, e, use and alg, and reads kid.
func decodeMeta(members map[string]json.RawMessage) (jwkMeta, error) {
	for _, r := range metaRules {
		v, ok, err := jwkString(members, r.name)
		switch {
		case err != nil:
			return jwkMeta{}, err
		case !ok && r.required, ok && r.want == "" && v == "":
			return jwkMeta{}, fmt.Errorf(`%w: the JWK has no %q: %s`, ErrInvalidKey, r.name, r.hint)
		case ok && r.want != "" && v != r.want:
			return jwkMeta{}, fmt.Errorf(`%w: the JWK has %s %s: %s`, ErrInvalidKey, r.name, quote(v), r.hint)
		}
	}
	kid, _, err := jwkString(members, "kid")
	if err != nil {
		return jwkMeta{}, err
	}
	if strings.TrimSpace(kid) != "" {
		if err := validateKID(kid); err != nil {
			return jwkMeta{}, err
		}
	}
	return jwkMeta{kid: kid}, nil
}

// Source is anything that hands a Handler the keys to publish and tells it
// when they change: a single issuer.Key, an issuer.Ring, Static.
//
// Subscribe calls fn synchronously once with the current keys, then after
// every change (synchronously, before the change is considered done).
// Calling the returned cancel func stops notifications; it is safe to call
// more than once.
type Source interface {
	Subscribe(fn func(keys []Key)) (cancel func())
}
