package jwks_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"

	"github.com/extauth/extauth/jwks"
)

// get fetches url and prints the status and the headers a JWKS consumer
// cares about.
func get(url string) {
	resp, err := http.Get(url)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), len(body) > 0)
}

// Serve the JWK Set at the conventional path on an http.ServeMux.
func ExampleNewHandler() {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	key := jwks.Key{ID: jwks.Thumbprint(&priv.PublicKey), Public: &priv.PublicKey}

	h, err := jwks.NewHandler(jwks.Static(key), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	mux := http.NewServeMux()
	mux.Handle("/.well-known/jwks.json", h)

	srv := httptest.NewServer(mux) // in production: http.ListenAndServe(addr, mux)
	defer srv.Close()
	get(srv.URL + "/.well-known/jwks.json")
	// Output:
	// 200 OK application/json public, max-age=300 true
}

// The Handler ignores the request path, so it mounts anywhere: at the
// reference demo's route with a method pattern, or under a sub-path of
// another mux with http.StripPrefix.
func ExampleNewHandler_subPath() {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	h, err := jwks.NewHandler(jwks.Static(jwks.Key{ID: "demo-key-1", Public: &priv.PublicKey}),
		&jwks.Options{CacheControl: "public, max-age=3600"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	auth := http.NewServeMux()
	auth.Handle("GET /.well-known/jwks.json", h)

	mux := http.NewServeMux()
	mux.Handle("GET /api/dev/jwks", h)                    // the demo's route
	mux.Handle("/auth/", http.StripPrefix("/auth", auth)) // /auth/.well-known/jwks.json

	srv := httptest.NewServer(mux)
	defer srv.Close()
	get(srv.URL + "/api/dev/jwks")
	get(srv.URL + "/auth/.well-known/jwks.json")
	// Output:
	// 200 OK application/json public, max-age=3600 true
	// 200 OK application/json public, max-age=3600 true
}

// rfc7638Key is the example key of RFC 7638 §3.1.
func rfc7638Key() *rsa.PublicKey {
	n, _ := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
}

// A Static source publishes a fixed set; Marshal shows the exact body.
func ExampleStatic() {
	src := jwks.Static(jwks.Key{ID: "2011-04-29", Public: rfc7638Key()})
	src.Subscribe(func(keys []jwks.Key) {
		body, err := jwks.Marshal(keys)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%.60s…%s\n", body, body[len(body)-60:])
	})
	// Output:
	// {"keys":[{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbX…","e":"AQAB","kid":"2011-04-29","use":"sig","alg":"RS256"}]}
}

// The RFC 7638 thumbprint is a stable default key ID.
func ExampleThumbprint() {
	fmt.Println(jwks.Thumbprint(rfc7638Key()))
	// Output:
	// NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs
}
