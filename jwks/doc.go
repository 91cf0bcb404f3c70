// Package jwks publishes RSA public keys as a JWK Set (RFC 7517), the
// document a relying party such as Dynamic fetches from your jwksUrl to
// verify the RS256 tokens your issuer signs, and owns the rules for such
// keys (Key.Validate, ParseKey, Thumbprint).
//
// The shortest use serves one key of package issuer:
//
//	h, err := jwks.NewHandler(key, nil) // key is an *issuer.Key; a Ring works too
//	if err != nil {
//		return err
//	}
//	http.Handle("GET /.well-known/jwks.json", h)
//
// A Source hands the Handler its keys and tells it when they change; the
// Handler marshals the set once per change and swaps it in atomically.
// Static serves public keys you hold as jwks.Key values.
//
// A Key holds only an *rsa.PublicKey, and the published members are exactly
// kty, n, e, kid, use ("sig") and alg ("RS256"), in the reference demo's
// order: a private member cannot be published. Answers carry a strong ETag
// (If-None-Match is answered with 304), Cache-Control (default
// "public, max-age=300") and Access-Control-Allow-Origin: *.
package jwks
