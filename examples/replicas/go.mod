module github.com/extauth/extauth/examples/replicas

go 1.25.0

require (
	github.com/extauth/extauth v0.0.0
	github.com/extauth/extauth/issuer/keyset/pgstore v0.0.0
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/jackc/pgx/v5 v5.7.6
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.2 // indirect
	golang.org/x/crypto v0.37.0 // indirect
	golang.org/x/sync v0.13.0 // indirect
	golang.org/x/text v0.24.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)

replace (
	github.com/extauth/extauth => ../..
	github.com/extauth/extauth/issuer/keyset/pgstore => ../../issuer/keyset/pgstore
)
