package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/dynamic"
)

func mintJSON(t *testing.T, ts *testServer, body string) (int, mintResponse, []byte) {
	t.Helper()
	status, _, raw := ts.do(t, "POST", jwtPath, "application/json", body)
	var m mintResponse
	if status == http.StatusOK {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
	}
	return status, m, raw
}

// TestMintOptions: aud, ttl, extra claims and a step-up assertion, each
// checked on the verified token.
func TestMintOptions(t *testing.T) {
	ts := startApp(t, testConfig(t))
	jwksURL := ts.url + jwksPath
	_, m, _ := mintJSON(t, ts, `{"sub":"u1","aud":["a","b"],"ttl":120,"claims":{"role":"admin","org":{"id":7}}}`)
	c := verifyToken(t, jwksURL, defaultIssuer, m.Token)
	exp, iat := c["exp"].(float64), c["iat"].(float64)
	if aud, _ := c["aud"].([]any); len(aud) != 2 || c["role"] != "admin" || exp-iat != 120 || c["sub"] != "u1" {
		t.Errorf("claims = %v", c)
	}
	_, m, _ = mintJSON(t, ts, `{"sub":"u1","aud":"only","scope":"wallet:export"}`)
	c = verifyToken(t, jwksURL, defaultIssuer, m.Token)
	if c["aud"] != "only" || c["scope"] != "wallet:export" || c["jti"] == "" || c["exp"].(float64)-c["iat"].(float64) != assertionTTL.Seconds() {
		t.Errorf("assertion claims = %v", c)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"ttl":0}`, `"ttl" is 0`},
		{`{"ttl":90000}`, `"ttl" is 90000`},
		{`{"aud":5}`, `"aud" must be a string or an array`},
		{`{"claims":{"SUB":"victim"}}`, `reads as "sub"`},
		{`{"claims":{"iss":"x"}}`, `Extra may not set "iss"`},
		{`{"scope":" "}`, `"scope" is empty`},
		{`{"invalid":"nonsense"}`, `use one of bad-signature, expired, not-yet-valid, unknown-kid, wrong-aud, wrong-iss`},
	} {
		status, _, raw := mintJSON(t, ts, tc.body)
		if status != http.StatusBadRequest || !strings.Contains(errorText(t, raw), tc.want) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", tc.body, status, raw, tc.want)
		}
	}
}

// TestMintInvalidTokens: each kind of invalid token is refused by
// Dynamic's rules (dynamic.Validator against the served JWKS) for exactly
// its reason, and "Generate & Sign In" shows the local Dynamic's refusal.
func TestMintInvalidTokens(t *testing.T) {
	ts := startApp(t, testConfig(t))
	ctx := context.Background()
	newValidator := func(aud string) *dynamic.Validator {
		v, err := dynamic.NewValidator(ctx, dynamic.ValidatorConfig{Issuer: defaultIssuer, JWKSURL: ts.url + jwksPath, Audience: aud})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		return v
	}
	plain, withAud := newValidator(""), newValidator("https://dyn.example")
	for kind, want := range map[string]error{
		"expired":       jwt.ErrTokenExpired,
		"not-yet-valid": jwt.ErrTokenNotValidYet,
		"wrong-iss":     jwt.ErrTokenInvalidIssuer,
		"wrong-aud":     jwt.ErrTokenInvalidAudience,
		"unknown-kid":   dynamic.ErrUnknownKey,
		"bad-signature": jwt.ErrTokenSignatureInvalid,
	} {
		t.Run(kind, func(t *testing.T) {
			status, m, raw := mintJSON(t, ts, `{"sub":"u1","invalid":"`+kind+`"}`)
			if status != http.StatusOK || m.Invalid != kind || m.Refusal == "" {
				t.Fatalf("mint: %d %s", status, raw)
			}
			v := plain
			if kind == "wrong-aud" {
				v = withAud
				if _, err := plain.Validate(ctx, m.Token); err != nil {
					t.Errorf("without an aud configured the token is accepted: %v", err)
				}
			}
			_, err := v.Validate(ctx, m.Token)
			if !errors.Is(err, want) {
				t.Fatalf("Validate = %v, want %v", err, want)
			}
			for _, other := range []error{jwt.ErrTokenExpired, jwt.ErrTokenNotValidYet, jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidAudience, dynamic.ErrUnknownKey, jwt.ErrTokenSignatureInvalid} {
				if other != want && errors.Is(err, other) {
					t.Errorf("refused for %v too: %v", other, err)
				}
			}
			if kind == "wrong-aud" {
				return // the local Dynamic has no aud configured
			}
			start := time.Now()
			status, _, raw = ts.do(t, "POST", signInPath, "application/json", `{"sub":"u1","invalid":"`+kind+`"}`)
			if status != http.StatusUnauthorized || !strings.Contains(errorText(t, raw), "Error authenticating with external JWT") {
				t.Errorf("Generate & Sign In: %d %s (%v)", status, raw, time.Since(start))
			}
		})
	}
}
