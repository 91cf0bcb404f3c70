// Package wire holds the rules of Dynamic's SDK wire protocol that both the
// client (package dynamic) and the fake (dynamictest) apply: header names and
// values, the device-nonce signature, the session-key format, error codes.
// Users of extauth do not need them.
package wire

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
)

// Encoded sizes of device keys and signatures.
const (
	// DevicePublicKeyHexLen is the length of a compressed SEC1 P-256 public
	// key in hex (33 bytes).
	DevicePublicKeyHexLen = 66
	// DeviceSignatureHexLen is the length of a raw r||s P-256 signature in
	// hex (64 bytes, IEEE P1363 as WebCrypto produces it).
	DeviceSignatureHexLen = 128
)

// ErrBadDeviceSignature is returned (wrapped) by VerifyDeviceSignature and
// ParseDevicePublicKey when the public key, the signature encoding or the
// signature itself is not acceptable. The message says which part is wrong.
var ErrBadDeviceSignature = errors.New("wire: bad device signature")

// DeviceKey is a P-256 key that signs Dynamic device nonces the way the
// official SDK's keychain does: ECDSA with SHA-256 over the nonce's UTF-8
// bytes, raw r||s encoding. The same kind of key serves as the session key
// (x-dyn-session-public-key). Its String method never prints key material.
type DeviceKey struct {
	priv   *ecdsa.PrivateKey
	pubHex string
}

// errZeroDeviceKey reports a DeviceKey not made by NewDeviceKey.
var errZeroDeviceKey = errors.New("wire: DeviceKey is nil or a zero value")

// NewDeviceKey wraps a P-256 private key, e.g. one a backend persists so
// its device identity survives restarts; nil generates a fresh one. Keys on
// other curves and invalid keys are rejected with a message for the field
// they came from (what, e.g. "Config.DeviceKey").
func NewDeviceKey(priv *ecdsa.PrivateKey, what string) (*DeviceKey, error) {
	if priv == nil {
		var err error
		if priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, fmt.Errorf("generating a P-256 key for %s: %w", what, err)
		}
	}
	if priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s is on curve %s, Dynamic needs P-256: generate one with ecdsa.GenerateKey(elliptic.P256(), rand.Reader), or leave it nil", what, curveName(priv.Curve))
	}
	if _, err := priv.Bytes(); err != nil {
		return nil, fmt.Errorf("%s is not a valid P-256 private key: generate a new one, or leave it nil", what)
	}
	uncompressed, err := priv.PublicKey.Bytes()
	if err != nil || len(uncompressed) != 65 {
		return nil, fmt.Errorf("%s has an invalid public key: generate a new one, or leave it nil", what)
	}
	return &DeviceKey{priv: priv, pubHex: hex.EncodeToString(compress(uncompressed))}, nil
}

// compress turns an uncompressed SEC1 point 04||X||Y (65 bytes) into the
// compressed form (02|lowbit(Y))||X (33 bytes), like the SDK's
// compressRawPublicKey.
func compress(uncompressed []byte) []byte {
	out := make([]byte, 33)
	out[0] = 0x02 | (uncompressed[64] & 1)
	copy(out[1:], uncompressed[1:33])
	return out
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "<nil>"
	}
	return c.Params().Name
}

// PublicKeyHex returns the public key as compressed SEC1 in lower-case hex
// (66 characters, starting with 02 or 03), the value of the
// x-dynamic-device-publickey and x-dyn-session-public-key headers.
func (k *DeviceKey) PublicKeyHex() string { return k.pubHex }

// PublicKey returns the public half.
func (k *DeviceKey) PublicKey() *ecdsa.PublicKey { return &k.priv.PublicKey }

// PrivateKey returns the private key, for callers that persist it.
func (k *DeviceKey) PrivateKey() *ecdsa.PrivateKey { return k.priv }

// String describes the key by its public half only.
func (k *DeviceKey) String() string { return "dynamic.DeviceKey{public=" + k.pubHex + "}" }

// SignNonce signs nonce exactly as the SDK does: ECDSA P-256 over
// SHA-256(UTF-8 bytes of nonce as received), encoded as 128 lower-case hex
// characters of r||s (each left-padded to 32 bytes). The value goes into the
// x-dynamic-device-signed-nonce header.
func (k *DeviceKey) SignNonce(nonce string) (string, error) {
	if k == nil || k.priv == nil {
		return "", errZeroDeviceKey
	}
	if nonce == "" {
		return "", errors.New("wire: empty device nonce: fetch one from GET /sdk/{env}/nonces")
	}
	digest := sha256.Sum256([]byte(nonce))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, digest[:])
	if err != nil {
		return "", fmt.Errorf("wire: signing device nonce: %w", err)
	}
	var raw [64]byte
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	return hex.EncodeToString(raw[:]), nil
}

// ParseDevicePublicKey decodes a compressed SEC1 P-256 public key given as 66
// hex characters (prefix 02 or 03). Upper-case hex is accepted; the point must
// lie on the curve. Errors wrap ErrBadDeviceSignature.
func ParseDevicePublicKey(publicKeyHex string) (*ecdsa.PublicKey, error) {
	if len(publicKeyHex) != DevicePublicKeyHexLen {
		return nil, fmt.Errorf("%w: public key is %d hex characters, want %d (compressed SEC1 P-256)", ErrBadDeviceSignature, len(publicKeyHex), DevicePublicKeyHexLen)
	}
	raw, err := hex.DecodeString(publicKeyHex)
	if err != nil {
		return nil, fmt.Errorf("%w: public key is not hex", ErrBadDeviceSignature)
	}
	if raw[0] != 0x02 && raw[0] != 0x03 {
		return nil, fmt.Errorf("%w: public key prefix is %02x, want 02 or 03 (compressed SEC1)", ErrBadDeviceSignature, raw[0])
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), raw)
	if x == nil {
		return nil, fmt.Errorf("%w: public key is not a point on P-256", ErrBadDeviceSignature)
	}
	uncompressed := make([]byte, 65)
	uncompressed[0] = 0x04
	x.FillBytes(uncompressed[1:33])
	y.FillBytes(uncompressed[33:])
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), uncompressed)
	if err != nil {
		return nil, fmt.Errorf("%w: public key is not a point on P-256", ErrBadDeviceSignature)
	}
	return pub, nil
}

// VerifyDeviceSignature checks a device-nonce signature as sent in the
// x-dynamic-device-* headers: publicKeyHex is a compressed P-256 key (66 hex
// characters), signatureHex is raw r||s (128 hex characters, not DER) over
// SHA-256 of the nonce's UTF-8 bytes. Both high-S and low-S signatures are
// accepted, since WebCrypto does not normalise S. It returns nil when the
// signature is valid and an error wrapping ErrBadDeviceSignature otherwise.
// It is the code path dynamictest uses to check sign-ins.
func VerifyDeviceSignature(publicKeyHex, nonce, signatureHex string) error {
	pub, err := ParseDevicePublicKey(publicKeyHex)
	if err != nil {
		return err
	}
	if nonce == "" {
		return fmt.Errorf("%w: nonce is empty", ErrBadDeviceSignature)
	}
	if len(signatureHex) != DeviceSignatureHexLen {
		return fmt.Errorf("%w: signature is %d hex characters, want %d (raw r||s, not DER)", ErrBadDeviceSignature, len(signatureHex), DeviceSignatureHexLen)
	}
	raw, err := hex.DecodeString(signatureHex)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrBadDeviceSignature)
	}
	r := new(big.Int).SetBytes(raw[:32])
	s := new(big.Int).SetBytes(raw[32:])
	digest := sha256.Sum256([]byte(nonce))
	// ecdsa.Verify rejects r or s of zero or ≥ N and accepts either S.
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return fmt.Errorf("%w: signature does not verify for this nonce and public key", ErrBadDeviceSignature)
	}
	return nil
}
