package issuer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"

	"github.com/extauth/extauth/internal/jsonobj"
	"github.com/extauth/extauth/jwks"
)

// ErrInvalidKey is wrapped by every error about a key that cannot be used:
// malformed JWK or PEM, wrong key type, short key, bad kid, mismatched halves.
// Such errors also match jwks.ErrInvalidKey when the public-key rules refused
// the key. Test for it with errors.Is.
var ErrInvalidKey = errors.New("invalid signing key")

// Key is an RSA signing key with its key ID (kid).
//
// A Key is immutable and safe for concurrent use. It holds a crypto.Signer,
// so it may wrap an in-memory *rsa.PrivateKey (GenerateKey, ParseJWK,
// ParsePEM) or a key held elsewhere, such as a KMS or HSM (NewKey).
// Its String method never prints key material.
//
// A Key is a KeySource of its own: pass it to New and to jwks.NewHandler
// when one key is all you need.
type Key struct {
	id     string
	signer crypto.Signer
	pub    *rsa.PublicKey
	priv   *rsa.PrivateKey // nil when the signer is not an in-memory RSA key
}

// GenerateKey generates a new RSA signing key.
//
// bits 0 means 2048 (like the reference demo); fewer than jwks.MinBits or
// more than 16384 is an error. An empty kid (or one of only spaces) means
// the RFC 7638 thumbprint of the public key.
func GenerateKey(bits int, kid string) (*Key, error) {
	if bits == 0 {
		bits = 2048
	}
	if err := checkBits(bits); err != nil {
		return nil, err
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("issuer: generate %d-bit RSA key: %w", bits, err)
	}
	return newKey(priv, kid)
}

// checkBits applies the public-key size rules before a key is generated.
func checkBits(bits int) error {
	switch {
	case bits < jwks.MinBits:
		return fmt.Errorf("%w: %d-bit RSA keys are too short: use at least %d bits (or 0 for the default)", ErrInvalidKey, bits, jwks.MinBits)
	case bits > 16384:
		return fmt.Errorf("%w: %d-bit RSA keys are not supported: use at most 16384 bits", ErrInvalidKey, bits)
	}
	return nil
}

// NewKey wraps any crypto.Signer whose public key is an *rsa.PublicKey of at
// least 2048 bits: an *rsa.PrivateKey, or a key in a KMS or HSM. The signer is
// called as signer.Sign(rand.Reader, sha256Digest, crypto.SHA256) and must
// return an RSASSA-PKCS1-v1_5 signature (RS256). Issue waits for a signer
// that is not an *rsa.PrivateKey no longer than its context allows.
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
	return finish(signer, pub, nil, kid)
}

// newKey validates and precomputes priv (which the caller hands over) and
// builds a Key from it.
func newKey(priv *rsa.PrivateKey, kid string) (*Key, error) {
	if err := checkPublic(&priv.PublicKey, "a placeholder"); err != nil {
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

// checkPublic applies jwks' public-key rules (with kid, or a placeholder
// when the kid is not known yet).
func checkPublic(pub *rsa.PublicKey, kid string) error {
	if err := (jwks.Key{ID: kid, Public: pub}).Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return nil
}

func finish(signer crypto.Signer, pub *rsa.PublicKey, priv *rsa.PrivateKey, kid string) (*Key, error) {
	if strings.TrimSpace(kid) == "" {
		kid = jwks.Thumbprint(pub)
	}
	if err := checkPublic(pub, kid); err != nil {
		return nil, err
	}
	return &Key{id: kid, signer: signer, pub: pub, priv: priv}, nil
}

// keyError is an ErrInvalidKey with a cause whose text was tidied up.
type keyError struct {
	msg   string
	cause error
}

func (e *keyError) Error() string   { return e.msg }
func (e *keyError) Unwrap() []error { return []error{ErrInvalidKey, e.cause} }

// errZeroKey is returned for a nil or zero Key.
var errZeroKey = fmt.Errorf("%w: key is nil or a zero Key: create it with GenerateKey, ParseJWK, ParsePEM, NewKey or LoadEnv", ErrInvalidKey)

// usable reports whether k was made by this package's constructors (not nil,
// not a zero Key).
func (k *Key) usable() bool { return k != nil && k.signer != nil && k.pub != nil && k.id != "" }

// ID returns the key ID, published as the JWK "kid" and sent in every JWS header.
func (k *Key) ID() string { return k.id }

// Public returns the public half, ready to publish in a JWK Set.
// json.Marshal of it is the public JWK (JWT_PROVIDER_PUBLIC_KEY).
func (k *Key) Public() jwks.Key {
	if k == nil {
		return jwks.Key{}
	}
	return jwks.Key{ID: k.id, Public: k.pub}
}

// String returns "issuer.Key{kid=<kid>}"; it never prints key material.
func (k *Key) String() string {
	if k == nil {
		return "issuer.Key(nil)"
	}
	return "issuer.Key{kid=" + k.id + "}"
}

// GoString is like String so %#v cannot print key material either.
func (k *Key) GoString() string { return k.String() }

// Subscribe implements jwks.Source: it hands fn the key's public half once.
// A single key never changes, so cancel does nothing.
func (k *Key) Subscribe(fn func([]jwks.Key)) (cancel func()) {
	if fn != nil && k.usable() {
		fn([]jwks.Key{k.Public()})
	}
	return func() {}
}

// SigningKey implements KeySource: the key signs every token, which may live
// up to DefaultMaxTTL (a single key never retires; use a Ring for rotation
// and other lifetimes).
func (k *Key) SigningKey(context.Context) (*Key, time.Duration, error) {
	if !k.usable() {
		return nil, 0, errZeroKey
	}
	return k, DefaultMaxTTL, nil
}

// sign returns the RS256 signature of signingInput. An in-memory key signs
// in the caller's goroutine; any other crypto.Signer (an HSM or KMS) runs in
// its own, so that a hung signer costs the caller no more than ctx allows.
func (k *Key) sign(ctx context.Context, signingInput string) ([]byte, error) {
	digest := sha256Sum(signingInput)
	if k.priv != nil {
		return k.priv.Sign(rand.Reader, digest, crypto.SHA256)
	}
	type result struct {
		sig []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		sig, err := k.signer.Sign(rand.Reader, digest, crypto.SHA256)
		done <- result{sig, err}
	}()
	select {
	case r := <-done:
		return r.sig, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

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

// MarshalPrivateJWK returns the private JWK in the reference demo's format
// and member order: kty,n,e,d,p,q,dp,dq,qi,kid,use,alg (compact JSON), the
// value of JWT_PROVIDER_PRIVATE_KEY. It is an error for keys whose signer is
// not an in-memory *rsa.PrivateKey (a KMS key cannot be exported). Treat the
// result as a secret.
func (k *Key) MarshalPrivateJWK() ([]byte, error) {
	if !k.usable() {
		return nil, errZeroKey
	}
	if k.priv == nil {
		return nil, fmt.Errorf("issuer: key %q: signer is %T, not an *rsa.PrivateKey: its private half cannot be exported", k.id, k.signer)
	}
	if len(k.priv.Primes) != 2 {
		return nil, fmt.Errorf("issuer: key %q: multi-prime RSA keys cannot be written in the demo's JWK format", k.id)
	}
	j, err := jwkset.NewJWKFromKey(k.priv, jwkset.JWKOptions{
		Marshal:  jwkset.JWKMarshalOptions{Private: true},
		Metadata: jwkset.JWKMetadataOptions{KID: k.id, USE: jwkset.UseSig, ALG: jwkset.AlgRS256},
	})
	if err != nil {
		return nil, fmt.Errorf("issuer: key %q: encode private JWK: %w", k.id, err)
	}
	m := j.Marshal()
	return json.Marshal(privateJWK{
		KTY: string(m.KTY), N: m.N, E: m.E, D: m.D, P: m.P, Q: m.Q, DP: m.DP, DQ: m.DQ, QI: m.QI,
		KID: m.KID, USE: string(m.USE), ALG: string(m.ALG),
	})
}

// errPublicJWK is ParseJWK's error for a public JWK.
var errPublicJWK = fmt.Errorf(`%w: private JWK has no private members (d, p, q, dp, dq, qi): this is a public key; pass the private JWK`, ErrInvalidKey)

// privateNames are the members of a two-prime private RSA JWK beyond the
// public ones.
var privateNames = [...]string{"d", "p", "q", "dp", "dq", "qi"}

// ParseJWK parses a private RSA JWK in the reference demo's format
// (kty,n,e,d,p,q,dp,dq,qi and optional kid,use,alg). The key ID is the JWK's
// "kid", or the RFC 7638 thumbprint when it has none. "use", if present, must
// be "sig" and "alg", if present, "RS256". The key is validated (primes and
// CRT values must match n and d) and precomputed once here.
//
// Errors wrap ErrInvalidKey and never contain private members.
func ParseJWK(data []byte) (*Key, error) {
	var members map[string]json.RawMessage
	if err := jsonobj.Decode(data, &members, "private JWK"); err != nil {
		hint := ": check that the whole JWK was copied"
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
			hint = " (this looks like PEM: use ParsePEM)"
		} else if bytes.IndexByte(data, '{') != bytes.LastIndexByte(data, '{') && bytes.Count(data, []byte("}")) > 1 && strings.Contains(err.Error(), "trailing") {
			hint = ": pass exactly one JWK"
		}
		return nil, fmt.Errorf("%w: %w%s", ErrInvalidKey, err, hint)
	}
	if _, ok := members["oth"]; ok {
		return nil, fmt.Errorf(`%w: private JWK is a multi-prime RSA key ("oth"): use a two-prime key`, ErrInvalidKey)
	}
	present := 0
	private := make(map[string]json.RawMessage, len(privateNames))
	for _, name := range privateNames {
		if v, ok := members[name]; ok {
			present++
			private[name] = v
			delete(members, name)
		}
	}
	// The public members go through jwks' rules (kty, n, e, use, alg, kid,
	// size) first, so a short or odd key gets a clear message.
	publicPart, err := json.Marshal(members)
	if err != nil {
		return nil, fmt.Errorf("%w: private JWK: %w", ErrInvalidKey, err)
	}
	pub, err := jwks.ParseKey(publicPart)
	if err != nil {
		return nil, fmt.Errorf("%w: private JWK: %w", ErrInvalidKey, err)
	}
	switch present {
	case 0:
		return nil, errPublicJWK
	case len(privateNames):
	default:
		return nil, fmt.Errorf(`%w: private JWK has only some of d, p, q, dp, dq, qi: all six are needed; check that the whole JWK was copied`, ErrInvalidKey)
	}
	j, err := jwkset.NewJWKFromRawJSON(data, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
	if err != nil {
		// jwkset joins errors with newlines; keep the message on one line.
		return nil, &keyError{msg: fmt.Sprintf("%v: private JWK: %s: check that the whole JWK was copied, or generate a new key", ErrInvalidKey, strings.ReplaceAll(err.Error(), "\n", ": ")), cause: err}
	}
	priv, ok := j.Key().(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: private JWK did not yield an RSA private key", ErrInvalidKey)
	}
	return newKey(priv, pub.ID)
}

// ParsePEM parses a PEM-encoded RSA private key: PKCS#1 ("RSA PRIVATE
// KEY") or PKCS#8 ("PRIVATE KEY"). In a bundle (say, certificate + key)
// the first private key block is used. Encrypted PEM is not supported. An empty
// kid means the RFC 7638 thumbprint of the public key. The key is validated
// and precomputed once here.
//
// Errors wrap ErrInvalidKey and never contain key material.
func ParsePEM(data []byte, kid string) (*Key, error) {
	block := firstPrivateBlock(data)
	if block == nil {
		hint := ""
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			hint = " (this looks like a JWK: use ParseJWK)"
		}
		return nil, fmt.Errorf("%w: no PEM block found%s: pass a \"-----BEGIN PRIVATE KEY-----\" or \"-----BEGIN RSA PRIVATE KEY-----\" block", ErrInvalidKey, hint)
	}
	priv, err := pemPrivateKey(block)
	if err != nil {
		return nil, err
	}
	k, err := newKey(priv, kid)
	if err != nil {
		return nil, fmt.Errorf("PEM: %w", err)
	}
	return k, nil
}

// firstPrivateBlock returns the first PEM block holding a private key, so
// bundles (certificate + key) work; else the first block, to report on.
func firstPrivateBlock(data []byte) *pem.Block {
	var first *pem.Block
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return first
		}
		if strings.Contains(b.Type, "PRIVATE KEY") {
			return b
		}
		if first == nil {
			first = b
		}
	}
}

// pemPrivateKey decodes an RSA private key block.
func pemPrivateKey(block *pem.Block) (*rsa.PrivateKey, error) {
	if _, enc := block.Headers["Proc-Type"]; enc || block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, fmt.Errorf("%w: PEM %q is encrypted: decrypt it first (e.g. `openssl pkey -in key.pem -out key.plain.pem`)", ErrInvalidKey, block.Type)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PEM \"RSA PRIVATE KEY\" is not a valid PKCS#1 key: %w", ErrInvalidKey, err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PEM \"PRIVATE KEY\" is not a valid PKCS#8 key: %w", ErrInvalidKey, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: PKCS#8 key is %T: RS256 needs an RSA key", ErrInvalidKey, k)
		}
		return rk, nil
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, fmt.Errorf("%w: PEM %q holds no private key: pass the private key (\"PRIVATE KEY\" or \"RSA PRIVATE KEY\")", ErrInvalidKey, block.Type)
	case "EC PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("%w: PEM %q is not an RSA key in PKCS#1/PKCS#8: RS256 needs an RSA key", ErrInvalidKey, block.Type)
	}
	return nil, fmt.Errorf("%w: unsupported PEM type %q: pass \"PRIVATE KEY\" (PKCS#8) or \"RSA PRIVATE KEY\" (PKCS#1)", ErrInvalidKey, block.Type)
}
