package dynamic_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/extauth/extauth/dynamic"
)

const exampleEnvID = "2762a57b-faa4-41ce-9f16-abff9300e2c9"

// exampleExternalJWT stands for a token your issuer signed (see package issuer).
// The stand-in server below does not verify it; dynamictest does.
const exampleExternalJWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImszIn0.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJl"

// startExampleDynamic stands in for Dynamic on loopback with canned answers, so the
// examples run offline. signinStatus/signinBody override the sign-in answer.
func startExampleDynamic(signinStatus int, signinBody string) *httptest.Server {
	mux := http.NewServeMux()
	prefix := "/api/v0/sdk/" + exampleEnvID
	answer := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("GET "+prefix+"/settings", answer(200, `{"environmentName":"sandbox","chains":[],"kyc":[],"design":{},"general":{},"privacy":{},"sdk":{},
		"security":{"auth":{"storage":["localstorage"]},"externalAuth":{"enabled":false,"iss":"https://auth.example.com","aud":null,
		"jwksUrl":"https://auth.example.com/.well-known/jwks.json","cookieName":null,"assumeEmailVerified":false}}}`))
	mux.HandleFunc("GET "+prefix+"/nonces", answer(200, `{"nonces":["n1","n2","n3","n4","n5"]}`))
	mux.HandleFunc("POST "+prefix+"/externalAuth/signin", answer(signinStatus, signinBody))
	mux.HandleFunc("POST /api/v0/environments/"+exampleEnvID+"/externalJwt/check", answer(200, `{"valid":false,"errors":["iss mismatch"]}`))
	return httptest.NewServer(mux)
}

const exampleSigninOK = `{"expiresAt":1795470667,"minifiedJwt":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkeW4ifQ.c2ln","jwt":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkeW4ifQ.c2ln",
	"user":{"id":"3f6b2f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b","projectEnvironmentId":"` + exampleEnvID + `","email":"alice@example.com","newUser":true,
	"verifiedCredentials":[{"id":"5e6f7a8b-0000-4000-8000-00000000beef","format":"externalUser","public_identifier":"user-123","signInEnabled":true}]}}`

func ExampleClient_SignInWithExternalJWT() {
	srv := startExampleDynamic(200, exampleSigninOK)
	defer srv.Close()

	c, err := dynamic.NewClient(dynamic.Config{
		EnvironmentID: exampleEnvID,
		BaseURL:       srv.URL + "/api/v0", // omit for Dynamic's production API
	})
	if err != nil {
		log.Fatal(err) // a malformed environment id or URL, named in the message
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	sess, err := c.SignInWithExternalJWT(ctx, exampleExternalJWT, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Dynamic user:", sess.User.ID)
	fmt.Println("external id:", sess.User.ExternalUserID())
	fmt.Println("new user:", sess.User.NewUser)
	fmt.Println("expires:", sess.ExpiresAt.Format(time.RFC3339))
	fmt.Println("has access token:", sess.AccessToken != "")
	// Output:
	// Dynamic user: 3f6b2f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b
	// external id: user-123
	// new user: true
	// expires: 2026-11-23T21:51:07Z
	// has access token: true
}

func ExampleClient_ProjectSettings() {
	srv := startExampleDynamic(200, exampleSigninOK)
	defer srv.Close()

	c, err := dynamic.NewClient(dynamic.Config{EnvironmentID: exampleEnvID, BaseURL: srv.URL + "/api/v0"})
	if err != nil {
		log.Fatal(err)
	}
	ps, err := c.ProjectSettings(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	ea := ps.ExternalAuth
	fmt.Println("iss:", ea.Iss)
	fmt.Println("jwksUrl:", ea.JWKSURL)
	// The raw flag may be reported inverted; ExternalAuthOn decides by the
	// configuration instead.
	fmt.Println("raw enabled flag:", *ea.Enabled)
	fmt.Println("external auth on:", ps.ExternalAuthOn())
	fmt.Println("cookie mode:", ps.CookieMode())
	// Does the dashboard match what your issuer signs and serves?
	fmt.Println(ps.Mismatches("https://auth.example.com/", "https://auth.example.com/.well-known/jwks.json", nil))
	// Output:
	// iss: https://auth.example.com
	// jwksUrl: https://auth.example.com/.well-known/jwks.json
	// raw enabled flag: false
	// external auth on: true
	// cookie mode: false
	// [the dashboard's iss is "https://auth.example.com" but the tokens carry "https://auth.example.com/": Dynamic compares them exactly]
}

func ExampleAPIError() {
	srv := startExampleDynamic(400, `{"error":"Invalid external JWT","code":"invalid_external_auth"}`)
	defer srv.Close()

	c, err := dynamic.NewClient(dynamic.Config{EnvironmentID: exampleEnvID, BaseURL: srv.URL + "/api/v0"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.SignInWithExternalJWT(context.Background(), exampleExternalJWT, nil)

	switch {
	case errors.Is(err, dynamic.ErrInvalidExternalAuth):
		fmt.Println("Dynamic rejected the JWT: check iss, jwksUrl and exp")
	case errors.Is(err, dynamic.ErrRateLimited):
		fmt.Println("rate limited")
	}
	var apiErr *dynamic.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("status:", apiErr.StatusCode)
		fmt.Println("code:", apiErr.Code)
		fmt.Println("message:", apiErr.Message)
		fmt.Println("request id length:", len(apiErr.RequestID))
	}
	// Output:
	// Dynamic rejected the JWT: check iss, jwksUrl and exp
	// status: 400
	// code: invalid_external_auth
	// message: Invalid external JWT
	// request id length: 50
}

// A backend that signs users in keeps one device identity across restarts
// by persisting the device key and handing it to every Client it creates.
func ExampleNewClient_stableDevice() {
	// Persist this key (e.g. x509.MarshalECPrivateKey) and load it at
	// start-up.
	device, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	_, err = dynamic.NewClient(dynamic.Config{EnvironmentID: exampleEnvID, DeviceKey: device})
	fmt.Println(err)

	// A key on another curve is refused when the Client is created.
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, err = dynamic.NewClient(dynamic.Config{EnvironmentID: exampleEnvID, DeviceKey: p384})
	fmt.Println(errors.Is(err, dynamic.ErrInvalidConfig))
	// Output:
	// <nil>
	// true
}

// Dynamic's admin API checks a token against the saved settings, as the
// dashboard's "Check JWT" does. The API token is a secret: it is sent as
// that call's bearer token only, never logged.
func ExampleClient_CheckExternalJWT() {
	srv := startExampleDynamic(200, exampleSigninOK)
	defer srv.Close()

	c, err := dynamic.NewClient(dynamic.Config{
		EnvironmentID: exampleEnvID,
		BaseURL:       srv.URL + "/api/v0",
		APIToken:      "dyn_example_api_token", // os.Getenv("DYNAMIC_API_TOKEN")
	})
	if err != nil {
		log.Fatal(err)
	}
	problems, err := c.CheckExternalJWT(context.Background(), exampleExternalJWT)
	if err != nil {
		log.Fatal(err) // the call failed (e.g. ErrUnauthorized), not the JWT
	}
	fmt.Println(problems)
	// Output: [iss mismatch]
}
