// Package extauth makes a Go backend the identity provider for Dynamic's
// external JWT authentication ("Bring Your Own Auth").
//
// The flow has four steps:
//
//  1. Your backend signs a short-lived RS256 JWT for a signed-in user with
//     package [github.com/extauth/extauth/issuer]: iss (your issuer string),
//     sub (your user id), iat, exp, a kid naming the signing key, and optionally
//     aud, email and emailVerified.
//  2. Your backend publishes the public half of its signing keys as a JWK Set
//     with package [github.com/extauth/extauth/jwks], an http.Handler you mount
//     at a public URL (the "jwksUrl" of Dynamic's dashboard).
//  3. The client (browser SDK, or your server with package
//     [github.com/extauth/extauth/dynamic]) posts the JWT to Dynamic. Dynamic
//     fetches your JWKS, checks the signature, requires iss to equal the
//     dashboard value exactly, requires sub and an unexpired exp, checks aud
//     when one is configured, and maps sub to a Dynamic user.
//  4. Dynamic answers with its own session: an access token, its expiry and
//     the user.
//
// Package dynamic holds Dynamic's rules once: a client for the API
// (project settings, external-JWT sign-in, step-up, the admin check) and a
// Validator that checks a token exactly as Dynamic does. After sign-in,
// [github.com/extauth/extauth/dynamic/session] verifies Dynamic's session
// tokens on your API and [github.com/extauth/extauth/dynamic/webhook]
// receives its webhooks. Package
// [github.com/extauth/extauth/dynamic/dynamictest] is a faithful local fake
// of Dynamic for tests and offline use.
//
// The example program examples/devserver composes them into a development
// server: `go run ./examples/devserver` needs no configuration.
package extauth
