package issuer

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/MicahParks/jwkset"

	"github.com/extauth/extauth/jwks"
)

// Key-size and key-ID limits.
const (
	// DefaultKeyBits is the RSA modulus size GenerateKey uses when asked for 0 bits.
	DefaultKeyBits = 2048
	// MinKeyBits is the smallest RSA modulus any function of this package accepts.
	MinKeyBits = jwks.MinBits
	// MaxKeyBits is the largest RSA modulus GenerateKey will generate (and any
	// parser accepts): larger keys only make every signature slower.
	MaxKeyBits = jwks.MaxBits
	// MaxKIDLen is the longest key ID accepted, in bytes.
	MaxKIDLen = jwks.MaxKIDLen
)

// ErrInvalidKey is wrapped by every error about a key that cannot be used:
// malformed JWK or PEM, wrong key type, short key, bad kid, mismatched halves.
// Test for it with errors.Is.
var ErrInvalidKey = errors.New("invalid signing key")

// Key is an RSA signing key with its key ID (kid).
//
// A Key is immutable and safe for concurrent use. It holds a crypto.Signer,
// so it may wrap an in-memory *rsa.PrivateKey (GenerateKey, ParseJWK,
// ParsePEM) or a key held elsewhere, such as a KMS or HSM (NewKey).
// Its String method never prints key material.
type Key struct {
	id     string
	signer crypto.Signer
	pub    *rsa.PublicKey
	priv   *rsa.PrivateKey // nil when the signer is not an in-memory RSA key
	// header is the precomputed base64url JWS protected header
	// {"alg":"RS256","kid":"<id>","typ":"JWT"}.
	header string
	sigLen int // signature length in bytes (modulus size)
}

// GenerateKey generates a new RSA signing key.
//
// bits 0 means DefaultKeyBits (2048, like the reference demo); fewer than
// MinKeyBits is an error. An empty kid (or one of only spaces) means the
// RFC 7638 thumbprint of the public key.
func GenerateKey(bits int, kid string) (*Key, error) {
	if bits == 0 {
		bits = DefaultKeyBits
	}
	if bits < MinKeyBits {
		return nil, fmt.Errorf("%w: %d-bit RSA keys are too short: use at least %d bits (or 0 for the default)", ErrInvalidKey, bits, MinKeyBits)
	}
	if bits > MaxKeyBits {
		return nil, fmt.Errorf("%w: %d-bit RSA keys are not supported: use at most %d bits", ErrInvalidKey, bits, MaxKeyBits)
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("generate %d-bit RSA key: %w", bits, err)
	}
	return newKey(priv, kid)
}

// NewKey wraps any crypto.Signer whose public key is an *rsa.PublicKey of at
// least 2048 bits: an *rsa.PrivateKey, or a key in a KMS or HSM. The signer is
// called as signer.Sign(rand.Reader, sha256Digest, crypto.SHA256) and must
// return an RSASSA-PKCS1-v1_5 signature (RS256).
//
// An empty kid (or one of only spaces) means the RFC 7638 thumbprint of the
// public key.
func NewKey(signer crypto.Signer, kid string) (*Key, error) {
	if signer == nil {
		return nil, fmt.Errorf("%w: signer is nil: pass an *rsa.PrivateKey or a KMS/HSM crypto.Signer", ErrInvalidKey)
	}
	if priv, ok := signer.(*rsa.PrivateKey); ok {
		if priv == nil {
			return nil, fmt.Errorf("%w: signer is a nil *rsa.PrivateKey", ErrInvalidKey)
		}
		// Work on a copy: Precompute writes to the key, and the caller may
		// be using theirs concurrently.
		cp := *priv
		return newKey(&cp, kid)
	}
	pub, ok := signer.Public().(*rsa.PublicKey)
	if !ok || pub == nil {
		return nil, fmt.Errorf("%w: signer's public key is %T: RS256 needs an RSA key", ErrInvalidKey, signer.Public())
	}
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	return finish(signer, pub, nil, kid)
}

// newKey validates and precomputes priv (which the caller hands over) and
// builds a Key from it.
func newKey(priv *rsa.PrivateKey, kid string) (*Key, error) {
	if err := checkPublic(&priv.PublicKey); err != nil {
		return nil, err
	}
	// Precompute once here, not per signature; Validate then checks the
	// whole key (primes, CRT values) against the precomputation.
	priv.Precompute()
	if err := priv.Validate(); err != nil {
		return nil, fmt.Errorf("%w: RSA private key is inconsistent (%v): regenerate it", ErrInvalidKey, err)
	}
	return finish(priv, &priv.PublicKey, priv, kid)
}

func finish(signer crypto.Signer, pub *rsa.PublicKey, priv *rsa.PrivateKey, kid string) (*Key, error) {
	if strings.TrimSpace(kid) == "" {
		kid = jwks.Thumbprint(pub)
	} else if err := checkKID(kid); err != nil {
		return nil, err
	}
	k := &Key{id: kid, signer: signer, pub: pub, priv: priv, sigLen: (pub.N.BitLen() + 7) / 8}
	h := make([]byte, 0, 64+len(kid))
	h = append(h, `{"alg":"RS256","kid":`...)
	h = appendJSONString(h, kid)
	h = append(h, `,"typ":"JWT"}`...)
	k.header = base64.RawURLEncoding.EncodeToString(h)
	return k, nil
}

// checkPublic rejects RSA public keys this package will not sign with.
func checkPublic(pub *rsa.PublicKey) error {
	if pub.N == nil || pub.N.Sign() <= 0 {
		return fmt.Errorf("%w: RSA modulus n is missing", ErrInvalidKey)
	}
	if bits := pub.N.BitLen(); bits < MinKeyBits {
		return fmt.Errorf("%w: RSA key is %d bits: use at least %d bits (generate a new key)", ErrInvalidKey, bits, MinKeyBits)
	} else if bits > MaxKeyBits {
		return fmt.Errorf("%w: RSA key is %d bits: at most %d bits are supported", ErrInvalidKey, bits, MaxKeyBits)
	}
	if pub.N.Bit(0) == 0 {
		return fmt.Errorf("%w: RSA modulus n is even: the key is corrupt", ErrInvalidKey)
	}
	if pub.E < 3 || pub.E%2 == 0 || int64(pub.E) > 1<<31-1 {
		return fmt.Errorf("%w: RSA public exponent e=%d is invalid: use 65537 (AQAB)", ErrInvalidKey, pub.E)
	}
	return nil
}

// checkKID rejects key IDs that cannot safely travel in a JWS header or a
// dashboard: empty, too long, invalid UTF-8, control characters, or
// surrounding spaces.
func checkKID(kid string) error {
	switch {
	case kid == "":
		return fmt.Errorf("%w: kid is empty", ErrInvalidKey)
	case len(kid) > MaxKIDLen:
		return fmt.Errorf("%w: kid is %d bytes: use at most %d", ErrInvalidKey, len(kid), MaxKIDLen)
	case !utf8.ValidString(kid):
		return fmt.Errorf("%w: kid is not valid UTF-8", ErrInvalidKey)
	case hasControl(kid):
		return fmt.Errorf("%w: kid %s contains control characters: remove them", ErrInvalidKey, show(kid))
	case strings.TrimSpace(kid) != kid:
		return fmt.Errorf("%w: kid %s has leading or trailing spaces: remove them", ErrInvalidKey, show(kid))
	}
	return nil
}

// show quotes a metadata value (kty, use, alg, kid) for an error message,
// unless it is long enough to be key material pasted into the wrong member:
// every private member of a 2048-bit key is longer than 64 bytes.
func show(v string) string {
	if len(v) > 64 {
		return fmt.Sprintf("(a %d-byte value)", len(v))
	}
	return strconv.Quote(v)
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

// errZeroKey is returned for a nil or zero Key.
var errZeroKey = fmt.Errorf("%w: key is nil or a zero Key: create it with GenerateKey, ParseJWK, ParsePEM, NewKey or LoadEnv", ErrInvalidKey)

// usable reports whether k was made by this package's constructors (not nil,
// not a zero Key).
func (k *Key) usable() bool { return k != nil && k.signer != nil && k.pub != nil && k.header != "" }

// ID returns the key ID, published as the JWK "kid" and sent in every JWS header.
func (k *Key) ID() string { return k.id }

// Public returns the public half, ready to publish in a JWK Set.
func (k *Key) Public() jwks.Key { return jwks.Key{ID: k.id, Public: k.pub} }

// Signer returns the crypto.Signer the key signs with.
func (k *Key) Signer() crypto.Signer { return k.signer }

// String returns "issuer.Key{kid=<kid>}"; it never prints key material.
func (k *Key) String() string {
	if k == nil {
		return "issuer.Key(nil)"
	}
	return "issuer.Key{kid=" + k.id + "}"
}

// GoString is like String so %#v cannot print key material either.
func (k *Key) GoString() string { return k.String() }

// privateJWK is a private JWK in the reference demo's member order
// (jose exportJWK + kid, use, alg).
type privateJWK struct {
	KTY string `json:"kty"`
	N   string `json:"n"`
	E   string `json:"e"`
	D   string `json:"d"`
	P   string `json:"p"`
	Q   string `json:"q"`
	DP  string `json:"dp"`
	DQ  string `json:"dq"`
	QI  string `json:"qi"`
	KID string `json:"kid"`
	USE string `json:"use"`
	ALG string `json:"alg"`
}

// publicJWK is a public JWK in the reference demo's member order.
type publicJWK struct {
	KTY string `json:"kty"`
	N   string `json:"n"`
	E   string `json:"e"`
	KID string `json:"kid"`
	USE string `json:"use"`
	ALG string `json:"alg"`
}

// MarshalPrivateJWK returns the private JWK in the reference demo's format
// and member order: kty,n,e,d,p,q,dp,dq,qi,kid,use,alg (compact JSON). It is
// an error for keys whose signer is not an in-memory *rsa.PrivateKey (a KMS
// key cannot be exported). Treat the result as a secret.
func (k *Key) MarshalPrivateJWK() ([]byte, error) {
	if !k.usable() {
		return nil, errZeroKey
	}
	if k.priv == nil {
		return nil, fmt.Errorf("key %q: signer is %T, not an *rsa.PrivateKey: its private half cannot be exported", k.id, k.signer)
	}
	if len(k.priv.Primes) != 2 {
		return nil, fmt.Errorf("key %q: multi-prime RSA keys cannot be written in the demo's JWK format", k.id)
	}
	j, err := jwkset.NewJWKFromKey(k.priv, jwkset.JWKOptions{
		Marshal:  jwkset.JWKMarshalOptions{Private: true},
		Metadata: jwkset.JWKMetadataOptions{KID: k.id, USE: jwkset.UseSig, ALG: jwkset.AlgRS256},
	})
	if err != nil {
		return nil, fmt.Errorf("key %q: encode private JWK: %w", k.id, err)
	}
	m := j.Marshal()
	return json.Marshal(privateJWK{
		KTY: string(m.KTY), N: m.N, E: m.E, D: m.D, P: m.P, Q: m.Q, DP: m.DP, DQ: m.DQ, QI: m.QI,
		KID: m.KID, USE: string(m.USE), ALG: string(m.ALG),
	})
}

// MarshalPublicJWK returns the public JWK in the reference demo's format and
// member order: kty,n,e,kid,use,alg (compact JSON).
func (k *Key) MarshalPublicJWK() ([]byte, error) {
	if !k.usable() {
		return nil, errZeroKey
	}
	j, err := jwkset.NewJWKFromKey(k.pub, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{KID: k.id, USE: jwkset.UseSig, ALG: jwkset.AlgRS256},
	})
	if err != nil {
		return nil, fmt.Errorf("key %q: encode public JWK: %w", k.id, err)
	}
	m := j.Marshal()
	return json.Marshal(publicJWK{KTY: string(m.KTY), N: m.N, E: m.E, KID: m.KID, USE: string(m.USE), ALG: string(m.ALG)})
}

// jwkMembers is what ParseJWK checks before handing the JSON to jwkset.
// Private members are kept as raw JSON only to test for presence.
type jwkMembers struct {
	KTY *string         `json:"kty"`
	KID *string         `json:"kid"`
	USE *string         `json:"use"`
	ALG *string         `json:"alg"`
	N   *string         `json:"n"`
	E   *string         `json:"e"`
	D   json.RawMessage `json:"d"`
	P   json.RawMessage `json:"p"`
	Q   json.RawMessage `json:"q"`
	DP  json.RawMessage `json:"dp"`
	DQ  json.RawMessage `json:"dq"`
	QI  json.RawMessage `json:"qi"`
	OTH json.RawMessage `json:"oth"`
}

// privateCount reports how many of d,p,q,dp,dq,qi are present.
func (m *jwkMembers) privateCount() int {
	c := 0
	for _, v := range []json.RawMessage{m.D, m.P, m.Q, m.DP, m.DQ, m.QI} {
		if v != nil {
			c++
		}
	}
	return c
}

// jsonError describes a JSON decoding error without echoing the input.
func jsonError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("member %q must be a JSON string, not %s", typ.Field, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	case errors.Is(err, errTrailing):
		return "trailing data after the JSON object"
	default:
		return "malformed JSON"
	}
}

var errTrailing = errors.New("trailing data")

// decodeMembers decodes the JWK's metadata members and checks the ones
// common to public and private JWKs. Errors never contain member values
// other than kty, use, alg and kid.
func decodeMembers(data []byte, what string) (*jwkMembers, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: %s is empty: pass the JWK JSON", ErrInvalidKey, what)
	}
	if data[0] != '{' {
		hint := ""
		if bytes.HasPrefix(data, []byte("-----BEGIN")) {
			hint = " (this looks like PEM: use ParsePEM)"
		}
		return nil, fmt.Errorf("%w: %s is not a JSON object%s", ErrInvalidKey, what, hint)
	}
	var m jwkMembers
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s: %s: check that the whole JWK was copied", ErrInvalidKey, what, jsonError(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s: %s: pass exactly one JWK", ErrInvalidKey, what, jsonError(errTrailing))
	}
	switch {
	case m.KTY == nil:
		return nil, fmt.Errorf(`%w: %s has no "kty": expected "RSA"`, ErrInvalidKey, what)
	case *m.KTY != "RSA":
		return nil, fmt.Errorf(`%w: %s has kty %s: RS256 needs an "RSA" key`, ErrInvalidKey, what, show(*m.KTY))
	case m.N == nil || *m.N == "" || m.E == nil || *m.E == "":
		return nil, fmt.Errorf(`%w: %s lacks "n" or "e": check that the whole JWK was copied`, ErrInvalidKey, what)
	case m.USE != nil && *m.USE != "sig":
		return nil, fmt.Errorf(`%w: %s has use %s: a signing key needs "sig" (or no "use")`, ErrInvalidKey, what, show(*m.USE))
	case m.ALG != nil && *m.ALG != "RS256":
		return nil, fmt.Errorf(`%w: %s has alg %s: only "RS256" is supported (or no "alg")`, ErrInvalidKey, what, show(*m.ALG))
	case m.OTH != nil:
		return nil, fmt.Errorf(`%w: %s is a multi-prime RSA key ("oth"): use a two-prime key`, ErrInvalidKey, what)
	}
	if m.KID != nil && strings.TrimSpace(*m.KID) != "" {
		if err := checkKID(*m.KID); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	return &m, nil
}

// keyError is an ErrInvalidKey with a cause whose text was tidied up.
type keyError struct {
	msg   string
	cause error
}

func (e *keyError) Error() string   { return e.msg }
func (e *keyError) Unwrap() []error { return []error{ErrInvalidKey, e.cause} }

// parseWithJWKSet hands the JWK to jwkset. jwkset's errors name members
// but never print their values.
func parseWithJWKSet(data []byte, private bool, what string) (any, error) {
	j, err := jwkset.NewJWKFromRawJSON(data, jwkset.JWKMarshalOptions{Private: private}, jwkset.JWKValidateOptions{})
	if err != nil {
		// jwkset joins errors with newlines; keep the message on one line.
		msg := strings.ReplaceAll(err.Error(), "\n", ": ")
		return nil, &keyError{
			msg:   fmt.Sprintf("%v: %s: %s: check that the whole JWK was copied, or generate a new key", ErrInvalidKey, what, msg),
			cause: err,
		}
	}
	return j.Key(), nil
}

// ParseJWK parses a private RSA JWK in the reference demo's format
// (kty,n,e,d,p,q,dp,dq,qi and optional kid,use,alg). The key ID is the JWK's
// "kid", or the RFC 7638 thumbprint when it has none. "use", if present, must
// be "sig" and "alg", if present, "RS256". The key is validated (primes and
// CRT values must match n and d) and precomputed once here.
//
// Errors wrap ErrInvalidKey and never contain private members.
func ParseJWK(data []byte) (*Key, error) {
	const what = "private JWK"
	m, err := decodeMembers(data, what)
	if err != nil {
		return nil, err
	}
	switch c := m.privateCount(); {
	case c == 0:
		return nil, fmt.Errorf(`%w: %s has no private members (d, p, q, dp, dq, qi): this is a public key; pass the private JWK`, ErrInvalidKey, what)
	case c < 6:
		return nil, fmt.Errorf(`%w: %s has only some of d, p, q, dp, dq, qi: all six are needed; check that the whole JWK was copied`, ErrInvalidKey, what)
	}
	// Check the public half first so a short or odd key gets a clear
	// message rather than a low-level validation error.
	pubKey, err := parseWithJWKSet(data, false, what)
	if err != nil {
		return nil, err
	}
	if pub, ok := pubKey.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("%w: %s did not yield an RSA public key", ErrInvalidKey, what)
	} else if err := checkPublic(pub); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	key, err := parseWithJWKSet(data, true, what)
	if err != nil {
		return nil, err
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s did not yield an RSA private key", ErrInvalidKey, what)
	}
	kid := ""
	if m.KID != nil {
		kid = *m.KID
	}
	k, err := newKey(priv, kid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return k, nil
}

// ParsePublicJWK parses a public RSA JWK (kty,n,e and optional
// kid,use,alg), such as JWT_PROVIDER_PUBLIC_KEY. A JWK with private members
// is rejected, so a private key pasted in the wrong place is noticed. The
// key ID is the JWK's "kid", or the RFC 7638 thumbprint when it has none.
func ParsePublicJWK(data []byte) (jwks.Key, error) {
	const what = "public JWK"
	m, err := decodeMembers(data, what)
	if err != nil {
		return jwks.Key{}, err
	}
	if m.privateCount() > 0 {
		return jwks.Key{}, fmt.Errorf(`%w: %s contains private members (d, p, q, ...): publish only kty, n, e, kid, use, alg, and keep the private JWK secret`, ErrInvalidKey, what)
	}
	key, err := parseWithJWKSet(data, false, what)
	if err != nil {
		return jwks.Key{}, err
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return jwks.Key{}, fmt.Errorf("%w: %s did not yield an RSA public key", ErrInvalidKey, what)
	}
	if err := checkPublic(pub); err != nil {
		return jwks.Key{}, fmt.Errorf("%s: %w", what, err)
	}
	kid := jwks.Thumbprint(pub)
	if m.KID != nil && strings.TrimSpace(*m.KID) != "" {
		kid = *m.KID
	}
	return jwks.Key{ID: kid, Public: pub}, nil
}

// ParsePEM parses a PEM-encoded RSA private key: PKCS#1 ("RSA PRIVATE
// KEY") or PKCS#8 ("PRIVATE KEY"). In a bundle (say, certificate + key)
// the first private key block is used. Encrypted PEM is not supported. An empty
// kid means the RFC 7638 thumbprint of the public key. The key is validated
// and precomputed once here.
//
// Errors wrap ErrInvalidKey and never contain key material.
func ParsePEM(data []byte, kid string) (*Key, error) {
	// Use the first private key block, so bundles (certificate + key)
	// work; otherwise report on the first block.
	var first, block *pem.Block
	for rest := data; block == nil; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if first == nil {
			first = b
		}
		if strings.Contains(b.Type, "PRIVATE KEY") {
			block = b
		}
	}
	if block == nil {
		block = first
	}
	if block == nil {
		hint := ""
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			hint = " (this looks like a JWK: use ParseJWK)"
		}
		return nil, fmt.Errorf("%w: no PEM block found%s: pass a \"-----BEGIN PRIVATE KEY-----\" or \"-----BEGIN RSA PRIVATE KEY-----\" block", ErrInvalidKey, hint)
	}
	if _, enc := block.Headers["Proc-Type"]; enc || block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, fmt.Errorf("%w: PEM %q is encrypted: decrypt it first (e.g. `openssl pkey -in key.pem -out key.plain.pem`)", ErrInvalidKey, block.Type)
	}
	var priv *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PEM \"RSA PRIVATE KEY\" is not a valid PKCS#1 key: %w", ErrInvalidKey, err)
		}
		priv = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PEM \"PRIVATE KEY\" is not a valid PKCS#8 key: %w", ErrInvalidKey, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: PKCS#8 key is %T: RS256 needs an RSA key", ErrInvalidKey, k)
		}
		priv = rk
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, fmt.Errorf("%w: PEM %q holds no private key: pass the private key (\"PRIVATE KEY\" or \"RSA PRIVATE KEY\")", ErrInvalidKey, block.Type)
	case "EC PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("%w: PEM %q is not an RSA key in PKCS#1/PKCS#8: RS256 needs an RSA key", ErrInvalidKey, block.Type)
	default:
		return nil, fmt.Errorf("%w: unsupported PEM type %q: pass \"PRIVATE KEY\" (PKCS#8) or \"RSA PRIVATE KEY\" (PKCS#1)", ErrInvalidKey, block.Type)
	}
	k, err := newKey(priv, kid)
	if err != nil {
		return nil, fmt.Errorf("PEM: %w", err)
	}
	return k, nil
}
