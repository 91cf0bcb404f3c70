package jwks

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"unicode/utf8"

	"github.com/MicahParks/jwkset"
)

// Limits on published keys.
const (
	// MinBits is the smallest RSA modulus, in bits, that is published.
	MinBits = 2048
	// MaxBits is the largest RSA modulus, in bits, that is published
	// (larger keys are almost certainly a mistake and slow every verifier).
	MaxBits = 16384
	// MaxKIDLen is the longest key ID, in bytes, that is published.
	MaxKIDLen = 255
)

// Errors reported for keys that cannot be published. Every one of them
// matches ErrInvalidKey with errors.Is.
var (
	// ErrInvalidKey matches every error about a key that cannot be published.
	ErrInvalidKey = errors.New("jwks: invalid key")
	// ErrNilKey reports a Key whose Public field (or modulus) is nil.
	ErrNilKey = fmt.Errorf("%w: public key is nil", ErrInvalidKey)
	// ErrKeySize reports an RSA modulus outside MinBits..MaxBits.
	ErrKeySize = fmt.Errorf("%w: RSA modulus size out of range", ErrInvalidKey)
	// ErrExponent reports an RSA public exponent that is not an odd number in 3..2^31-1.
	ErrExponent = fmt.Errorf("%w: RSA public exponent out of range", ErrInvalidKey)
	// ErrEmptyKID reports a Key with an empty ID.
	ErrEmptyKID = fmt.Errorf("%w: key ID is empty", ErrInvalidKey)
	// ErrBadKID reports a key ID that is not valid UTF-8 or longer than MaxKIDLen.
	ErrBadKID = fmt.Errorf("%w: key ID is not valid UTF-8 of at most 255 bytes", ErrInvalidKey)
	// ErrDuplicateKID reports two keys with the same ID in one set.
	ErrDuplicateKID = fmt.Errorf("%w: duplicate key ID", ErrInvalidKey)
)

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

// publicSet is the wire form of a JWK Set.
type publicSet struct {
	Keys []publicJWK `json:"keys"`
}

// Marshal returns the compact JWK Set JSON for keys:
//
//	{"keys":[{"kty":"RSA","n":"…","e":"AQAB","kid":"…","use":"sig","alg":"RS256"}]}
//
// Members appear in the reference demo's order (kty, n, e, kid, use, alg);
// alg is always present because keyfunc skips its algorithm check for keys
// without one. An empty or nil keys gives {"keys":[]}.
//
// Marshal returns an error matching ErrInvalidKey, naming the key by index
// and ID, if any key is nil, outside MinBits..MaxBits, has an unusual
// exponent, or has an empty, malformed or duplicate ID.
func Marshal(keys []Key) ([]byte, error) {
	set, _, err := buildSet(keys, true)
	if err != nil {
		return nil, err
	}
	return jsonMarshal(set)
}

// buildSet validates and encodes keys. With strict, the first invalid key
// is returned as err; otherwise invalid keys are left out of the set and
// reported one by one in skipped.
func buildSet(keys []Key, strict bool) (set publicSet, skipped []error, err error) {
	set.Keys = make([]publicJWK, 0, len(keys))
	seen := make(map[string]struct{}, len(keys))
	for i, k := range keys {
		j, err := encodeKey(k, seen)
		if err != nil {
			err = keyError(i, k, err)
			if strict {
				return publicSet{}, nil, err
			}
			skipped = append(skipped, err)
			continue
		}
		set.Keys = append(set.Keys, j)
	}
	return set, skipped, nil
}

// keyError wraps err with the position and ID of the key it is about.
// It never includes key material.
func keyError(i int, k Key, err error) error {
	kid := k.ID
	if len(kid) > 64 {
		kid = kid[:64] + "…"
	}
	return fmt.Errorf("jwks: key %d (kid %q): %w", i, kid, err)
}

// encodeKey validates k and returns its public JWK; seen collects the IDs
// already used in the set.
func encodeKey(k Key, seen map[string]struct{}) (publicJWK, error) {
	if err := validateKey(k); err != nil {
		return publicJWK{}, err
	}
	if _, dup := seen[k.ID]; dup {
		return publicJWK{}, fmt.Errorf("%w: give every key its own ID (the RFC 7638 thumbprint is a good default)", ErrDuplicateKID)
	}
	// jwkset does the JWK encoding of n and e (base64url, big-endian,
	// no leading zeros); its own member order differs from the demo's, so
	// the members are copied into publicJWK.
	jwk, err := jwkset.NewJWKFromKey(k.Public, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{
			ALG: jwkset.AlgRS256,
			KID: k.ID,
			USE: jwkset.UseSig,
		},
	})
	if err != nil {
		return publicJWK{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	m := jwk.Marshal()
	seen[k.ID] = struct{}{}
	return publicJWK{
		Kty: string(m.KTY),
		N:   m.N,
		E:   m.E,
		Kid: k.ID,
		Use: string(m.USE),
		Alg: string(m.ALG),
	}, nil
}

// validateKey checks one key on its own (duplicates are checked by the caller).
func validateKey(k Key) error {
	switch {
	case k.Public == nil || k.Public.N == nil:
		return fmt.Errorf("%w: set Key.Public to the RSA public key", ErrNilKey)
	case k.Public.N.Sign() <= 0 || k.Public.N.BitLen() < MinBits:
		return fmt.Errorf("%w: %d bits, need at least %d: generate a new key of 2048 bits or more", ErrKeySize, k.Public.N.BitLen(), MinBits)
	case k.Public.N.BitLen() > MaxBits:
		return fmt.Errorf("%w: %d bits, at most %d are published: use a 2048-, 3072- or 4096-bit key", ErrKeySize, k.Public.N.BitLen(), MaxBits)
	case k.Public.E < 3 || k.Public.E&1 == 0 || int64(k.Public.E) > 1<<31-1:
		return fmt.Errorf("%w: e=%d: use the standard exponent 65537", ErrExponent, k.Public.E)
	case k.ID == "":
		return fmt.Errorf("%w: set Key.ID (the RFC 7638 thumbprint from Thumbprint is a good default)", ErrEmptyKID)
	case len(k.ID) > MaxKIDLen || !utf8.ValidString(k.ID):
		return fmt.Errorf("%w: use a short printable ID", ErrBadKID)
	}
	return nil
}

// Thumbprint returns the RFC 7638 JWK thumbprint of pub: the unpadded
// base64url SHA-256 of {"e":…,"kty":"RSA","n":…}. It is the conventional
// default key ID. Thumbprint does not validate the key (see Marshal for
// that) and returns "" for a nil key.
func Thumbprint(pub *rsa.PublicKey) string {
	if pub == nil || pub.N == nil {
		return ""
	}
	enc := base64.RawURLEncoding
	// Required members in lexicographic order, no whitespace (RFC 7638 §3.2).
	// The base64url alphabet needs no JSON escaping.
	b := make([]byte, 0, 64+enc.EncodedLen((pub.N.BitLen()+7)/8))
	b = append(b, `{"e":"`...)
	b = enc.AppendEncode(b, big.NewInt(int64(pub.E)).Bytes())
	b = append(b, `","kty":"RSA","n":"`...)
	b = enc.AppendEncode(b, pub.N.Bytes())
	b = append(b, `"}`...)
	sum := sha256.Sum256(b)
	return enc.EncodeToString(sum[:])
}

// jsonMarshal encodes a set; it cannot fail for publicSet, but the error is
// passed on rather than ignored.
func jsonMarshal(set publicSet) ([]byte, error) {
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("jwks: encoding the JWK Set: %w", err)
	}
	return b, nil
}
