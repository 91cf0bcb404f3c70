// Package issuer issues the RS256 JWTs that Dynamic's external JWT sign-in
// ("Bring Your Own Auth") accepts, and manages the RSA keys that sign them.
//
// The shortest working use:
//
//	key, _ := issuer.GenerateKey(0, "")           // or issuer.LoadEnv(nil)
//	ring, _ := issuer.NewRing(key, nil)            // publish it with jwks.NewHandler(ring, nil)
//	iss, _ := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: ring})
//	token, err := iss.Issue(ctx, issuer.Claims{Subject: "user-123", Email: "a@example.com"})
//
// Keys come from GenerateKey, ParseJWK and ParsePEM (in-memory RSA keys),
// NewKey (any crypto.Signer, such as a KMS or HSM key) or LoadEnv (the
// reference demo's JWT_PROVIDER_* variables). A Ring holds the active key,
// a staged next key and retired keys, and is the jwks.Source for the JWKS
// handler, so a key is always published before it signs and stays published
// until the last token it signed has expired.
//
// Tokens are compact JWS with the header {"alg":"RS256","kid":...,"typ":"JWT"}
// and the claims iss, sub, aud (optional), iat, exp, jti, email and
// emailVerified (optional) and any extra claims. When an email is given
// without emailVerified, emailVerified is true, as in the reference demo.
package issuer
