// Package jwks publishes RSA public keys as a JWK Set (RFC 7517).
package jwks
