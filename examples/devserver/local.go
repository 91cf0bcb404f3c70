package main

import (
	"log/slog"
	"net/http"

	"github.com/extauth/extauth/dynamic/dynamictest"
)

// localDynamic is the in-process fake of Dynamic used when no
// DYNAMIC_ENVIRONMENT_ID is configured.
type localDynamic interface {
	http.Handler
	EnvironmentID() string
	Close()
}

// newLocalDynamic builds a dynamictest server that expects iss and fetches
// the JWKS from jwksURL over real HTTP. With externalAuth false it behaves
// like an environment whose External Authentication toggle is off: settings
// report no iss/jwksUrl and sign-in is refused.
func newLocalDynamic(iss, jwksURL string, externalAuth bool, log *slog.Logger) (localDynamic, error) {
	return dynamictest.New(dynamictest.Config{
		Issuer:   iss,
		JWKSURL:  jwksURL,
		Disabled: !externalAuth,
		Logger:   log,
	})
}
