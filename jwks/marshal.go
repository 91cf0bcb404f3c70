package jwks

import (
	"encoding/json"
	"fmt"
)

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
// and ID, if Key.Validate refuses a key or two keys share an ID.
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
		j, err := k.encode()
		if err == nil {
			if _, dup := seen[k.ID]; dup {
				err = fmt.Errorf("%w: duplicate key ID: give every key its own ID (the RFC 7638 thumbprint is a good default)", ErrInvalidKey)
			}
		}
		if err != nil {
			err = keyError(i, k, err)
			if strict {
				return publicSet{}, nil, err
			}
			skipped = append(skipped, err)
			continue
		}
		seen[k.ID] = struct{}{}
		set.Keys = append(set.Keys, j)
	}
	return set, skipped, nil
}

// keyError wraps err with the position and ID of the key it is about.
// It never includes key material.
func keyError(i int, k Key, err error) error {
	return fmt.Errorf("jwks: key %d (kid %s): %w", i, quote(k.ID), err)
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
