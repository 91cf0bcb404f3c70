package main

import (
	"errors"
	"log/slog"
	"net/http"
)

// localDynamic is the in-process fake of Dynamic used when no
// DYNAMIC_ENVIRONMENT_ID is configured.
type localDynamic interface {
	http.Handler
	EnvironmentID() string
	Close()
}

// newLocalDynamic is a placeholder until dynamic/dynamictest lands.
func newLocalDynamic(iss, jwksURL string, externalAuth bool, log *slog.Logger) (localDynamic, error) {
	return nil, errors.New("the local Dynamic (dynamic/dynamictest) is not available yet: set DYNAMIC_ENVIRONMENT_ID")
}
