package jwks

import "crypto/rsa"

// Key is a public signing key to publish in a JWK Set.
//
// It holds only public material by type: there is no field that could carry
// a private exponent or CRT values, so a Handler can never leak one.
type Key struct {
	// ID is the key ID published as the JWK "kid" member. It must be
	// non-empty and unique within a set.
	ID string
	// Public is the RSA public key. It must be non-nil and at least 2048 bits.
	Public *rsa.PublicKey
}

// Source is anything that hands a Handler the keys to publish and tells it
// when they change.
//
// Subscribe calls fn synchronously once with the current keys, then after
// every change (synchronously, before the change is considered done).
// Calling the returned cancel func stops notifications; it is safe to call
// more than once.
type Source interface {
	Subscribe(fn func(keys []Key)) (cancel func())
}
