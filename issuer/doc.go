// Package issuer issues the RS256 JWTs that Dynamic's external JWT sign-in
// ("Bring Your Own Auth") accepts, and manages the RSA keys that sign them.
//
// The shortest working use:
//
//	key, err := issuer.GenerateKey(0, "") // or issuer.LoadEnv(nil): the demo's JWT_PROVIDER_* variables
//	if err != nil {
//		return err
//	}
//	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: key})
//	if err != nil {
//		return err
//	}
//	token, err := iss.Issue(ctx, issuer.Claims{Subject: "user-123", Email: "a@example.com"})
//
// and publish the key with jwks.NewHandler(key, nil).
//
// Keys come from GenerateKey, ParseJWK and ParsePEM (in-memory RSA keys),
// NewKey (any crypto.Signer, such as a KMS or HSM key) or LoadEnv. A Key is
// a KeySource of its own; a Ring is the KeySource that rotates: a staged key
// is published before it signs, and a retired key stays published until the
// last token it signed has expired. Any KeySource (a key set shared by
// several replicas, say) works with both the Issuer and jwks.NewHandler.
//
// Tokens are compact JWS (encoded by golang-jwt) with the header
// {"alg":"RS256","kid":...,"typ":"JWT"} and the claims iss, sub, iat, exp,
// jti and optionally aud, nbf, email, emailVerified and extra claims. When
// an email is given without emailVerified, emailVerified is true, as in the
// reference demo.
package issuer
