package dynamic

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
		{"other sub", assertion(func(c jwt.MapClaims) { c["sub"] = "mallory" }), "user-123", ErrSubjectMismatch, true},
		{"no external id", assertion(nil), "", ErrSubjectMismatch, true},
		{"no scope", assertion(func(c jwt.MapClaims) { delete(c, "scope") }), "user-123", ErrMissingScope, false},
		{"blank scope", assertion(func(c jwt.MapClaims) { c["scope"] = "  " }), "user-123", ErrMissingScope, false},
		{"no jti", assertion(func(c jwt.MapClaims) { delete(c, "jti") }), "user-123", ErrMissingClaim, true},
		{"expired", assertion(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-2 * time.Hour).Unix() }), "user-123", ErrTokenExpired, true},
		{"wrong iss", assertion(func(c jwt.MapClaims) { c["iss"] = "https://other.test" }), "user-123", ErrIssuerMismatch, true},
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
