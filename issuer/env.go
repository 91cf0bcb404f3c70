package issuer

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Environment variables read by LoadEnv: the same names and formats as the
// reference demo's .env.local.
const (
	EnvKID        = "JWT_PROVIDER_KID"
	EnvIssuer     = "JWT_PROVIDER_ISSUER"
	EnvPublicKey  = "JWT_PROVIDER_PUBLIC_KEY"
	EnvPrivateKey = "JWT_PROVIDER_PRIVATE_KEY"
)

// keygenHint is what to run to get a fresh set of variables.
const keygenHint = "run `go run ./examples/devserver keygen`"

// ErrEnvNotSet is returned (wrapped) by LoadEnv when none of the four
// JWT_PROVIDER_* variables is set, so callers can fall back to, say, a
// generated development key.
var ErrEnvNotSet = errors.New("none of " + EnvKID + ", " + EnvIssuer + ", " + EnvPublicKey + ", " + EnvPrivateKey + " is set")

// EnvConfig is what LoadEnv found.
type EnvConfig struct {
	// Key is the signing key from JWT_PROVIDER_PRIVATE_KEY, with its kid.
	Key *Key
	// Issuer is JWT_PROVIDER_ISSUER, for Config.Issuer.
	Issuer string
}

// LoadEnv loads a signing key and issuer from the environment, in the
// reference demo's format (each value may be wrapped in single quotes, as
// in .env.local):
//
//   - JWT_PROVIDER_PRIVATE_KEY: the private JWK. Required.
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
func LoadEnv(getenv func(string) string) (*EnvConfig, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	kidVar := envValue(getenv, EnvKID)
	issVar := envValue(getenv, EnvIssuer)
	pubVar := envValue(getenv, EnvPublicKey)
	privVar := envValue(getenv, EnvPrivateKey)
	if kidVar == "" && issVar == "" && pubVar == "" && privVar == "" {
		return nil, fmt.Errorf("%w: %s and add its output to your environment (or .env.local)", ErrEnvNotSet, keygenHint)
	}
	if privVar == "" {
		return nil, fmt.Errorf("%s is not set: %s", EnvPrivateKey, keygenHint)
	}
	if issVar == "" {
		return nil, fmt.Errorf("%s is not set: set it to the iss value entered in Dynamic's dashboard (%s prints one)", EnvIssuer, keygenHint)
	}
	if err := checkIssuer(issVar); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvIssuer, err)
	}
	m, mErr := decodeMembers([]byte(privVar), "private JWK")
	if mErr == nil && m.privateCount() == 0 {
		return nil, fmt.Errorf("%s holds a public JWK (no d, p, q, ...): put the private JWK there; %s", EnvPrivateKey, keygenHint)
	}
	// The kid is chosen below, so parse with the JWK's own kid first.
	key, err := ParseJWK([]byte(privVar))
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%s for a fresh key)", EnvPrivateKey, err, keygenHint)
	}
	jwkKID := ""
	if mErr == nil && m.KID != nil {
		jwkKID = strings.TrimSpace(*m.KID)
	}
	kid := key.ID()
	if kidVar != "" {
		if err := checkKID(kidVar); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKID, err)
		}
		if jwkKID != "" && jwkKID != kidVar {
			return nil, fmt.Errorf("%s is %s but the kid in %s is %s: make them equal (or remove one of them)", EnvKID, show(kidVar), EnvPrivateKey, show(jwkKID))
		}
		kid = kidVar
		if kid != key.ID() {
			if key, err = finish(key.signer, key.pub, key.priv, kid); err != nil {
				return nil, fmt.Errorf("%s: %w", EnvKID, err)
			}
		}
	}
	if pubVar != "" {
		pub, err := ParsePublicJWK([]byte(pubVar))
		if err != nil {
			return nil, fmt.Errorf("%s: %w (or unset it: it is optional)", EnvPublicKey, err)
		}
		if !pub.Public.Equal(key.pub) {
			return nil, fmt.Errorf("%s does not match %s (different key): regenerate both (%s) or unset %s", EnvPublicKey, EnvPrivateKey, keygenHint, EnvPublicKey)
		}
		if pm, err := decodeMembers([]byte(pubVar), "public JWK"); err == nil && pm.KID != nil && strings.TrimSpace(*pm.KID) != "" && *pm.KID != kid {
			return nil, fmt.Errorf("the kid in %s is %s but tokens will use %s: make them equal", EnvPublicKey, show(*pm.KID), show(kid))
		}
	}
	return &EnvConfig{Key: key, Issuer: issVar}, nil
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
