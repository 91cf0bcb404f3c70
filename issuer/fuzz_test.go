package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/extauth/extauth/jwks"
	"github.com/golang-jwt/jwt/v5"
)

// leakCheck fails if err's text contains a long private member of the JWK
// data (shorter values may be echoed as kid/kty/use/alg; see show).
func leakCheck(t *testing.T, data []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return
	}
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if s, ok := m[name].(string); ok && len(s) > 64 && strings.Contains(err.Error(), s) {
			t.Fatalf("error contains private member %q: %v", name, err)
		}
	}
}

func FuzzParseJWK(f *testing.F) {
	env := demoEnv(f)
	good := readFixture(f, "other.jwk.json")
	for _, seed := range [][]byte{
		good,
		[]byte(unquote(env[EnvPrivateKey])),
		[]byte(unquote(env[EnvPublicKey])),
		readFixture(f, "ec.jwk.json"),
		readFixture(f, "short-1024.jwk.json"),
		good[:len(good)/2],
		edit(f, good, map[string]any{"kid": nil}),
		edit(f, good, map[string]any{"e": "AQ"}),
		edit(f, good, map[string]any{"oth": []any{map[string]string{"r": "AQ", "d": "AQ", "t": "AQ"}}}),
		[]byte(`{"kty":"RSA","n":"AQ","e":"AQAB","d":"AQ","p":"AQ","q":"AQ","dp":"AQ","dq":"AQ","qi":"AQ"}`),
		[]byte(`{}`), []byte(`null`), []byte(`{"kty":"RSA"}`), nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseJWK(data)
		leakCheck(t, data, err)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error does not wrap ErrInvalidKey: %v", err)
			}
		} else {
			// A key we accept survives a round trip through the demo format.
			out, err := k.MarshalPrivateJWK()
			if err != nil {
				t.Fatal(err)
			}
			k2, err := ParseJWK(out)
			if err != nil {
				t.Fatalf("re-parse of our own output: %v", err)
			}
			if k2.ID() != k.ID() || !k2.pub.Equal(k.pub) {
				t.Fatal("round trip changed the key")
			}
		}
		pub, err := jwks.ParseKey(data)
		leakCheck(t, data, err)
		if err == nil && (pub.ID == "" || pub.Public == nil) {
			t.Fatal("ParsePublicJWK returned an unusable key")
		}
	})
}

func FuzzParsePEM(f *testing.F) {
	for _, name := range []string{"pkcs1.pem", "pkcs8.pem", "pkcs8-encrypted.pem", "pkcs1-encrypted.pem",
		"public.pem", "ec-pkcs8.pem", "ed25519.pem", "short-1024.pem"} {
		b := readFixture(f, name)
		f.Add(b, "")
		f.Add(b[:len(b)/2], "kid")
	}
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"), "k")
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"), "")
	f.Add(append(readFixture(f, "cert.pem"), readFixture(f, "pkcs1.pem")...), "")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, data []byte, kid string) {
		k, err := ParsePEM(data, kid)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error does not wrap ErrInvalidKey: %v", err)
			}
			return
		}
		if k.ID() == "" || k.pub.N.BitLen() < jwks.MinBits {
			t.Fatalf("accepted an unusable key: %v", k)
		}
	})
}

// FuzzIssueClaims issues a real token for fuzzed claims and decodes it the
// way a Go verifier does (encoding/json, which matches member names without
// regard to case): either Issue refuses the claims with ErrInvalidClaims, or
// the verifier reads back exactly the registered claims Issue set, whatever
// Extra holds ("SUB", "ſub", "EXP" ...).
func FuzzIssueClaims(f *testing.F) {
	f.Add("user-123", "test@example.com", "", "", "", byte(0), int64(3600))
	f.Add("ü \"x\" \\ <y> 😀\u2028\u2029", "", "aud1", "role", "admin\x00", byte(1), int64(1))
	f.Add("alice", "", "", "SUB", "victim", byte(0), int64(60))
	f.Add("alice", "", "", "\u017fub", "victim", byte(0), int64(60))
	f.Add("alice", "", "", "EXP", "9999999999", byte(0), int64(60))
	f.Add("alice", "a@b.example", "", "EmailVerified", "false", byte(0), int64(60))
	f.Add("   ", "", "", "", "", byte(0), int64(60))
	f.Add(" alice", "", "", "", "", byte(0), int64(60))
	f.Add("\xed\xa0\x80", "", "", "", "", byte(3), int64(-5))
	key := testKeys(f)[0]
	now := time.Unix(1739180000, 0)
	iss, err := New(Config{Issuer: "https://demo-jwt-provider.example.com", Keys: key, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	f.Fuzz(func(t *testing.T, sub, email, aud, extraKey, extraVal string, flags byte, ttlSec int64) {
		c := Claims{Subject: sub, Email: email, TTL: time.Duration(ttlSec%100_000) * time.Second}
		if aud != "" {
			c.Audience = []string{aud}
		}
		if flags&1 != 0 {
			v := flags&2 != 0
			c.EmailVerified = &v
		}
		if extraKey != "" {
			var n json.Number
			if json.Unmarshal([]byte(extraVal), &n) == nil {
				c.Extra = map[string]any{extraKey: n}
			} else {
				c.Extra = map[string]any{extraKey: extraVal}
			}
		}
		tok, err := iss.Issue(context.Background(), c)
		if err != nil {
			if !errors.Is(err, ErrInvalidClaims) {
				t.Fatalf("Issue error does not wrap ErrInvalidClaims: %v", err)
			}
			return
		}
		var got struct {
			jwt.RegisteredClaims
			Email         string `json:"email"`
			EmailVerified *bool  `json:"emailVerified"`
		}
		if _, err := parser.ParseWithClaims(tok, &got, func(*jwt.Token) (any, error) { return key.pub, nil }); err != nil {
			t.Fatalf("our token does not verify: %v", err)
		}
		wantTTL := c.TTL
		if wantTTL == 0 {
			wantTTL = DefaultTTL
		}
		switch {
		case got.Subject != sub:
			t.Fatalf("a Go verifier reads sub %q, Issue was asked for %q (Extra %q)", got.Subject, sub, extraKey)
		case got.Issuer != "https://demo-jwt-provider.example.com":
			t.Fatalf("iss %q", got.Issuer)
		case got.ExpiresAt == nil || !got.ExpiresAt.Equal(now.Add(wantTTL)):
			t.Fatalf("exp %v, want %v (Extra %q)", got.ExpiresAt, now.Add(wantTTL), extraKey)
		case got.Email != email:
			t.Fatalf("email %q, want %q (Extra %q)", got.Email, email, extraKey)
		case strings.TrimSpace(got.Subject) != got.Subject || got.Subject == "":
			t.Fatalf("issued a token with sub %q", got.Subject)
		}
	})
}
