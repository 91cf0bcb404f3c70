// Package dynamic talks to Dynamic's SDK API for external JWT
// authentication ("Bring Your Own Auth") and holds Dynamic's rules in one
// place.
//
// A [Client] loads project settings, signs a user in with an external JWT
// (attaching the device-nonce signature the official JS SDK sends) and asks
// for elevated step-up tokens. A [Validator] checks an external JWT exactly as
// Dynamic does (JWKS fetched over HTTP, RS256 only, exact iss, sub present,
// unexpired exp, aud when configured), with one sentinel error per failure.
// [DeviceKey] and [VerifyDeviceSignature] implement the device-nonce
// signature (P-256, SHA-256, raw r||s hex) for both sides.
//
// Package [github.com/extauth/extauth/dynamic/dynamictest] is a local fake of
// Dynamic built on these pieces.
package dynamic
