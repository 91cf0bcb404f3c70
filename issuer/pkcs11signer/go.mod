module github.com/extauth/extauth/issuer/pkcs11signer

go 1.25.0

require (
	github.com/MicahParks/keyfunc/v3 v3.9.1
	github.com/ThalesGroup/crypto11 v1.6.2
	github.com/extauth/extauth v0.0.0
	github.com/golang-jwt/jwt/v5 v5.3.1
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/miekg/pkcs11 v1.1.2 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/thales-e-security/pool v0.0.2 // indirect
	golang.org/x/time v0.15.0 // indirect
)

replace github.com/extauth/extauth => ../..
