package dynamic

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

func TestValidateStepUp(t *testing.T) {
	j := newTestJWKS(t)
	key := rsaKey(t)
	j.set("k1", &key.PublicKey)
	v := newTestValidator(t, j, nil)
	assertion := func(mod func(jwt.MapClaims)) string {
		c := baseClaims()
		c["scope"], c["jti"] = "wallet:export", "jti-1"
		if mod != nil {
			mod(c)
		}
		return sign(t, key, jwt.SigningMethodRS256, "k1", c)
	}
	for _, tc := range []struct {
		name     string
		token    string
		extID    string
		want     error
		external bool // also matches ErrInvalidExternalAuth
	}{
		{"ok", assertion(nil), "user-123", nil, false},
		{"scope array", assertion(func(c jwt.MapClaims) { c["scope"] = []string{"wallet:export", "wallet:sign"} }), "user-123", nil, false},
		{"other sub", assertion(func(c jwt.MapClaims) { c["sub"] = "mallory" }), "user-123", jwt.ErrTokenInvalidSubject, true},
		{"no external id", assertion(nil), "", jwt.ErrTokenInvalidSubject, true},
		{"no scope", assertion(func(c jwt.MapClaims) { delete(c, "scope") }), "user-123", ErrMissingScope, false},
		{"blank scope", assertion(func(c jwt.MapClaims) { c["scope"] = "  " }), "user-123", ErrMissingScope, false},
		{"no jti", assertion(func(c jwt.MapClaims) { delete(c, "jti") }), "user-123", jwt.ErrTokenRequiredClaimMissing, true},
		{"expired", assertion(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-2 * time.Hour).Unix() }), "user-123", jwt.ErrTokenExpired, true},
		{"wrong iss", assertion(func(c jwt.MapClaims) { c["iss"] = "https://other.test" }), "user-123", jwt.ErrTokenInvalidIssuer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.ValidateStepUp(context.Background(), tc.token, tc.extID)
			if tc.want == nil {
				if err != nil || c.Scope == "" || c.ID != "jti-1" {
					t.Fatalf("claims %+v, err %v", c, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || errors.Is(err, ErrInvalidExternalAuth) != tc.external {
				t.Fatalf("err = %v, want %v (invalid_external_auth %v)", err, tc.want, tc.external)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Error("error contains the token")
			}
		})
	}
}

func ExampleValidator_ValidateStepUp() {
	// An issuer's key, published as a JWK Set on loopback.
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(jwksJSON(map[string]*rsa.PublicKey{"k1": &key.PublicKey}))
	}))
	defer jwksSrv.Close()
	v, err := NewValidator(context.Background(), ValidatorConfig{Issuer: "https://auth.example.com", JWKSURL: jwksSrv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	// The assertion your backend signs for the signed-in user (whose
	// Session.User.ExternalUserID() is "user-123").
	mint := func(claims jwt.MapClaims) string {
		claims["iss"], claims["exp"] = "https://auth.example.com", time.Now().Add(5*time.Minute).Unix()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = "k1"
		s, _ := tok.SignedString(key)
		return s
	}
	c, err := v.ValidateStepUp(context.Background(), mint(jwt.MapClaims{"sub": "user-123", "scope": "wallet:export", "jti": "a1"}), "user-123")
	fmt.Println(c.Scope, err)

	_, err = v.ValidateStepUp(context.Background(), mint(jwt.MapClaims{"sub": "user-123", "jti": "a2"}), "user-123")
	fmt.Println(errors.Is(err, ErrMissingScope))
	_, err = v.ValidateStepUp(context.Background(), mint(jwt.MapClaims{"sub": "mallory", "scope": "wallet:export", "jti": "a3"}), "user-123")
	fmt.Println(errors.Is(err, jwt.ErrTokenInvalidSubject), errors.Is(err, ErrInvalidExternalAuth))
	// Output:
	// wallet:export <nil>
	// true
	// true true
}

func TestEmailIsVerified(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		email  string
		claim  *bool
		assume bool
		want   bool
	}{
		{"a@example.com", nil, false, false},
		{"a@example.com", nil, true, true},
		{"a@example.com", &yes, false, true},
		{"a@example.com", &no, true, false},
		{"", &yes, true, false},
	} {
		c := &ExternalClaims{Email: tc.email, EmailVerified: tc.claim}
		if got := c.EmailIsVerified(tc.assume); got != tc.want {
			t.Errorf("email %q claim %v assume %v: got %v", tc.email, tc.claim, tc.assume, got)
		}
	}
}

// TestErrorsBoundTokenValues: token-supplied values (kid, alg, iss, aud,
// sub) are echoed in error messages at bounded length, since the messages
// go to logs and HTTP answers.
func TestErrorsBoundTokenValues(t *testing.T) {
	j := newTestJWKS(t)
	key := rsaKey(t)
	j.set("k1", &key.PublicKey)
	v := newTestValidator(t, j, func(c *ValidatorConfig) { c.Audience = "aud-1" })
	huge := strings.Repeat("é", 50_000)
	withClaims := func(kid string, mod func(jwt.MapClaims)) string {
		c := baseClaims()
		c["aud"], c["scope"], c["jti"] = "aud-1", "s", "j"
		mod(c)
		return sign(t, key, jwt.SigningMethodRS256, kid, c)
	}
	for name, tok := range map[string]string{
		"kid": withClaims(huge, func(jwt.MapClaims) {}),
		"iss": withClaims("k1", func(c jwt.MapClaims) { c["iss"] = huge }),
		"aud": withClaims("k1", func(c jwt.MapClaims) {
			many := make([]string, 100)
			for i := range many {
				many[i] = huge
			}
			c["aud"] = many
		}),
		"sub": withClaims("k1", func(c jwt.MapClaims) { c["sub"] = huge }),
	} {
		_, err := v.ValidateStepUp(context.Background(), tok, "user-123")
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		if n := len(err.Error()); n > 2000 {
			t.Errorf("%s: error message is %d bytes", name, n)
		}
		if !utf8.ValidString(err.Error()) {
			t.Errorf("%s: error message is not valid UTF-8", name)
		}
	}
}
