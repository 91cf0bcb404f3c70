package issuer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/extauth/extauth/jwks"
)

// Environment variables read by LoadEnv: the same names and formats as the
// reference demo's .env.local.
const (
	EnvKID        = "JWT_PROVIDER_KID"
	EnvIssuer     = "JWT_PROVIDER_ISSUER"
	EnvPublicKey  = "JWT_PROVIDER_PUBLIC_KEY"
	EnvPrivateKey = "JWT_PROVIDER_PRIVATE_KEY"
)

// keygenHint says how to get a fresh set of variables, in words that work
// outside this repository.
const keygenHint = "generate a key pair (issuer.GenerateKey and Key.MarshalPrivateJWK, or the extauth devserver's keygen command)"

// ErrEnvNotSet is returned (wrapped) by LoadEnv when none of the four
// JWT_PROVIDER_* variables is set, so callers can fall back to, say, a
// generated development key.
var ErrEnvNotSet = errors.New("none of " + EnvKID + ", " + EnvIssuer + ", " + EnvPublicKey + ", " + EnvPrivateKey + " is set")

// LoadEnv loads a signing key and the issuer from the environment, in the
// reference demo's format (each value may be wrapped in single quotes, as
// in .env.local):
//
//   - JWT_PROVIDER_PRIVATE_KEY: the private JWK, or a PEM private key
//     (PKCS#1 or PKCS#8). Required.
//   - JWT_PROVIDER_ISSUER: the iss claim. Required.
//   - JWT_PROVIDER_KID: the kid sent in token headers. Optional: it defaults
//     to the private JWK's kid (else the RFC 7638 thumbprint); if both are
//     present they must be equal.
//   - JWT_PROVIDER_PUBLIC_KEY: the public JWK. Optional, since the public
//     half is derived from the private key; if present it must be the same
//     key (same n and e) and any kid in it must agree too, so a stale
//     value is noticed rather than silently ignored.
//
// getenv nil means os.Getenv. Errors name the variable and say what to do;
// when none of the four is set the error wraps ErrEnvNotSet. Errors never
// contain private key material.
func LoadEnv(getenv func(string) string) (key *Key, iss string, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	kidVar := envValue(getenv, EnvKID)
	iss = envValue(getenv, EnvIssuer)
	pubVar := envValue(getenv, EnvPublicKey)
	privVar := envValue(getenv, EnvPrivateKey)
	switch {
	case kidVar == "" && iss == "" && pubVar == "" && privVar == "":
		return nil, "", fmt.Errorf("%w: %s and add them to your environment (or .env.local)", ErrEnvNotSet, keygenHint)
	case privVar == "":
		return nil, "", fmt.Errorf("%s is not set: %s", EnvPrivateKey, keygenHint)
	case iss == "":
		return nil, "", fmt.Errorf("%s is not set: set it to the iss value entered in Dynamic's dashboard", EnvIssuer)
	}
	if err := checkIssuer(iss); err != nil {
		return nil, "", fmt.Errorf("%s: %w", EnvIssuer, err)
	}
	key, err = envPrivateKey(privVar, kidVar)
	if err != nil {
		return nil, "", err
	}
	if pubVar != "" {
		if err := checkEnvPublic(pubVar, key); err != nil {
			return nil, "", err
		}
	}
	return key, iss, nil
}

// envPrivateKey parses JWT_PROVIDER_PRIVATE_KEY (JWK or PEM) and applies
// JWT_PROVIDER_KID.
func envPrivateKey(privVar, kidVar string) (*Key, error) {
	if strings.HasPrefix(privVar, "-----BEGIN") {
		key, err := ParsePEM([]byte(unescapeNewlines(privVar)), kidVar)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvPrivateKey, err)
		}
		return key, nil
	}
	key, err := ParseJWK([]byte(privVar))
	if err != nil {
		if errors.Is(err, errPublicJWK) {
			return nil, fmt.Errorf("%s holds a public JWK (no d, p, q, ...): put the private JWK there; %s", EnvPrivateKey, keygenHint)
		}
		return nil, fmt.Errorf("%s: %w (%s for a fresh key)", EnvPrivateKey, err, keygenHint)
	}
	if kidVar == "" || kidVar == key.id {
		return key, nil
	}
	if err := checkPublic(key.pub, kidVar); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKID, err)
	}
	if jwkKID := jwkKID(privVar); jwkKID != "" {
		return nil, fmt.Errorf("%s is %s but the kid in %s is %s: make them equal (or remove one of them)", EnvKID, show(kidVar), EnvPrivateKey, show(jwkKID))
	}
	key, err = finish(key.signer, key.pub, key.priv, kidVar)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKID, err)
	}
	return key, nil
}

// checkEnvPublic checks that JWT_PROVIDER_PUBLIC_KEY is key's public half.
func checkEnvPublic(pubVar string, key *Key) error {
	pub, err := jwks.ParseKey([]byte(pubVar))
	if err != nil {
		return fmt.Errorf("%s: %w (or unset it: it is optional)", EnvPublicKey, err)
	}
	if !pub.Public.Equal(key.pub) {
		return fmt.Errorf("%s does not match %s (different key): regenerate both (%s) or unset %s", EnvPublicKey, EnvPrivateKey, keygenHint, EnvPublicKey)
	}
	if kid := jwkKID(pubVar); kid != "" && kid != key.id {
		return fmt.Errorf("the kid in %s is %s but tokens will use %s: make them equal", EnvPublicKey, show(kid), show(key.id))
	}
	return nil
}

// jwkKID returns a JWK's own kid member ("" when absent or blank).
func jwkKID(data string) string {
	var m struct {
		KID string `json:"kid"`
	}
	if json.Unmarshal([]byte(data), &m) != nil {
		return ""
	}
	return strings.TrimSpace(m.KID)
}

// show quotes a metadata value (a kid) for an error message, unless it is
// long enough to be key material pasted into the wrong variable: every
// private member of a 2048-bit key is longer than 64 bytes.
func show(v string) string {
	if len(v) > 64 {
		return fmt.Sprintf("(a %d-byte value)", len(v))
	}
	return strconv.Quote(v)
}

// unescapeNewlines turns literal \n sequences into newlines, for a PEM key
// written on one line of an env file.
func unescapeNewlines(v string) string {
	if strings.Contains(v, "\n") {
		return v
	}
	return strings.ReplaceAll(v, `\n`, "\n")
}

// envValue returns the variable with surrounding spaces and one pair of
// surrounding single quotes removed.
func envValue(getenv func(string) string, name string) string {
	v := strings.TrimSpace(getenv(name))
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		v = strings.TrimSpace(v[1 : len(v)-1])
	}
	return v
}
