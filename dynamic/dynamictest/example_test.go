package dynamictest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/golang-jwt/jwt/v5"
)

func ExampleNewServer() {
	t := &exampleT{} // in a real test, this is the test's *testing.T
	defer t.cleanup()
	idp := startIdentityProvider(t) // your issuer: an RSA key and its JWKS URL

	// The two lines a test needs: a local Dynamic, and a client pointed at it.
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: idp.issuer, JWKSURL: idp.jwksURL})
	client, err := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatalf("%v", err)
	}

	sess, err := client.SignInWithExternalJWT(context.Background(), idp.mint(idp.issuer, "user-123"), nil)
	fmt.Println(sess.User.ExternalUserID(), sess.User.ID == fake.UserID("user-123"), err)

	// Dynamic's checks apply: a token whose iss differs from the configured
	// one is refused with invalid_external_auth.
	_, err = client.SignInWithExternalJWT(context.Background(), idp.mint(idp.issuer+"/", "user-123"), nil)
	fmt.Println(errors.Is(err, dynamic.ErrInvalidExternalAuth))
	// Output:
	// user-123 true <nil>
	// true
}

type identityProvider struct {
	issuer, jwksURL string
	key             *rsa.PrivateKey
}

func startIdentityProvider(t testing.TB) *identityProvider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("%v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{
			"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	t.Cleanup(srv.Close)
	return &identityProvider{issuer: "https://idp.example.test", jwksURL: srv.URL, key: key}
}

func (p *identityProvider) mint(iss, sub string) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": iss, "sub": sub, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = "k1"
	s, _ := tok.SignedString(p.key)
	return s
}

// exampleT stands in for *testing.T so the example can run as documentation.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                        {}
func (t *exampleT) Cleanup(f func())               { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (t *exampleT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// New returns the fake as a plain http.Handler, to mount in a server of your
// own (a development server, say) under the /api/v0/ prefix clients use.
func ExampleNew() {
	fake, err := dynamictest.New(dynamictest.Config{
		Issuer:  "https://auth.example.com",
		JWKSURL: "https://auth.example.com/.well-known/jwks.json",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fake.Close()
	mux := http.NewServeMux()
	mux.Handle("/api/v0/", fake)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client, err := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: srv.URL + "/api/v0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ps, err := client.ProjectSettings(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ps.ExternalAuthOn(), err)
	fmt.Println(len(fake.Requests()), fake.Requests()[0].Path)
	// Output:
	// true <nil>
	// 1 /api/v0/sdk/2762a57b-faa4-41ce-9f16-abff9300e2c9/settings
}
