package session_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/extauth/extauth/dynamic/session"
)

// ExampleVerifier_Middleware protects an API with Dynamic's session tokens.
// dynamictest stands in for Dynamic here; in production leave BaseURL empty.
func ExampleVerifier_Middleware() {
	t := &exampleT{}
	defer t.cleanup()
	p := newIDP(t)
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: testIssuer, JWKSURL: p.jwksURL})
	accessToken := signIn(t, fake, p, "user-123", "").AccessToken // what the browser SDK holds

	v, err := session.NewVerifier(context.Background(), session.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL()})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	api := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := session.FromContext(r.Context())
		fmt.Fprint(w, "hello ", claims.UserID == fake.UserID("user-123"))
	}))

	r := httptest.NewRequest("GET", "/api/me", nil)
	r.Header.Set("Authorization", "Bearer "+accessToken)
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body)

	w = httptest.NewRecorder()
	api.ServeHTTP(w, httptest.NewRequest("GET", "/api/me", nil))
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// 200 hello true
	// 401 Bearer realm="dynamic"
}

// exampleT is the testing.TB an example hands the helpers.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                      {}
func (t *exampleT) Cleanup(f func())             { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatal(args ...any)            { log.Fatal(args...) }
func (t *exampleT) Fatalf(f string, args ...any) { log.Fatalf(f, args...) }
func (t *exampleT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
