// Package dynamic signs users in to Dynamic (dynamic.xyz) with a JWT your
// own issuer signed ("Bring Your Own Auth", external JWT authentication),
// and holds Dynamic's rules for such tokens in one place.
//
// Create a Client for your environment, then sign a user in with a token
// from package issuer:
//
//	c, err := dynamic.NewClient(dynamic.Config{EnvironmentID: "2762a57b-faa4-41ce-9f16-abff9300e2c9"})
//	if err != nil {
//		return err // the message names the field to fix
//	}
//	sess, err := c.SignInWithExternalJWT(ctx, token, nil)
//	if err != nil {
//		var apiErr *dynamic.APIError
//		switch {
//		case errors.Is(err, dynamic.ErrInvalidExternalAuth):
//			// Dynamic refused the JWT: iss, jwksUrl, kid or exp (see the message).
//		case errors.As(err, &apiErr) && errors.Is(err, dynamic.ErrRateLimited):
//			// retry after apiErr.RetryAfter
//		}
//		return err
//	}
//	fmt.Println(sess.User.ID, sess.User.ExternalUserID(), sess.ExpiresAt)
//
// The Client sends the requests of Dynamic's official JS SDK 1.27.1,
// device-nonce signature included; after the first call a sign-in is one
// HTTP round trip. ProjectSettings reads the dashboard's External
// Authentication settings, and ProjectSettings.Mismatches says where they
// differ from your issuer. RequestElevatedToken exchanges a step-up
// assertion; CheckExternalJWT asks Dynamic's admin API to check a token.
//
// A Validator checks an external JWT exactly as Dynamic does (JWKS fetched
// over HTTP, RS256 with keys of 2048 bits or more, exact iss, sub, unexpired
// exp, aud when configured), and at least as strictly as a strict JOSE
// library; its errors wrap golang-jwt's sentinels (jwt.ErrTokenExpired,
// jwt.ErrTokenInvalidIssuer, …), ErrJWKSUnreachable or ErrUnknownKey, and
// all match ErrInvalidExternalAuth.
//
// After sign-in, package [github.com/extauth/extauth/dynamic/session]
// verifies Dynamic's own session tokens on your API, and package
// [github.com/extauth/extauth/dynamic/webhook] receives Dynamic's webhooks.
// Package [github.com/extauth/extauth/dynamic/dynamictest] is a faithful
// local fake of Dynamic for tests and offline work.
package dynamic
