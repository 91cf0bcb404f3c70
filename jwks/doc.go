// Package jwks publishes RSA public keys as a JWK Set (RFC 7517), the
// document a relying party such as Dynamic fetches from your jwksUrl to
// verify the RS256 tokens your issuer signs.
//
// The shortest use serves one key:
//
//	h, err := jwks.NewHandler(jwks.Static(jwks.Key{ID: kid, Public: &priv.PublicKey}), nil)
//	if err != nil { … }
//	http.Handle("/.well-known/jwks.json", h)
//
// For rotation, pass a Source that reports key changes instead of Static
// (issuer.Ring is one): the Handler re-marshals the set once per change and
// swaps it in atomically.
//
// A Key holds only an *rsa.PublicKey, and the published members are exactly
// kty, n, e, kid, use ("sig") and alg ("RS256"), in the reference demo's
// order: a private member cannot be published. Answers carry a strong ETag
// (If-None-Match is answered with 304), Cache-Control (default
// "public, max-age=300") and Access-Control-Allow-Origin: *.
package jwks
