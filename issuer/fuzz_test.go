package issuer

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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
		pub, err := ParsePublicJWK(data)
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
		if k.ID() == "" || k.pub.N.BitLen() < MinKeyBits {
			t.Fatalf("accepted an unusable key: %v", k)
		}
	})
}

// FuzzIssueClaims checks the hand-written claims encoder against
// encoding/json: the output must be valid JSON that decodes to the same
// value as encoding/json's encoding of the same claims.
func FuzzIssueClaims(f *testing.F) {
	f.Add("https://demo-jwt-provider.example.com", "user-123", "test@example.com", "", "", "", byte(0), int64(3600))
	f.Add("iss", "ü \"x\" \\ <y> 😀\u2028\u2029", "", "aud1", "role", "admin\x00", byte(1), int64(1))
	f.Add("i\xff\xfe", "\x01\x1f\x7f\t\n\r", "a@b", "a\"b", "k\\", "v\xc3", byte(2), int64(86400))
	f.Add("x", "\xed\xa0\x80", "", "", "", "", byte(3), int64(-5))
	f.Fuzz(func(t *testing.T, iss, sub, email, aud, extraKey, extraVal string, flags byte, ttlSec int64) {
		i := &Issuer{}
		i.iss = appendJSONString([]byte(`{"iss":`), iss)
		var audience []string
		if aud != "" {
			audience = []string{aud}
			if flags&4 != 0 {
				audience = append(audience, aud+"2")
			}
		}
		i.aud = appendAudience(nil, audience)
		c := Claims{Subject: sub, Email: email}
		if flags&1 != 0 {
			v := flags&2 != 0
			c.EmailVerified = &v
		}
		var extra []byte
		if extraKey != "" {
			for _, r := range reservedExtra {
				if extraKey == r || strings.ToValidUTF8(extraKey, "\uFFFD") == r {
					return
				}
			}
			c.Extra = map[string]any{extraKey: extraVal}
			var err error
			if extra, err = json.Marshal(c.Extra); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Unix(1739180000, 0)
		ttl := time.Duration(ttlSec%1_000_000) * time.Second
		jti := []byte("0123456789abcdef")
		got := i.appendClaims(nil, &c, now, ttl, jti, extra)
		if !json.Valid(got) {
			t.Fatalf("invalid JSON: %q", got)
		}

		want := map[string]any{"iss": iss, "sub": sub, "iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": "MDEyMzQ1Njc4OWFiY2RlZg"}
		switch len(audience) {
		case 1:
			want["aud"] = audience[0]
		case 2:
			want["aud"] = audience
		}
		if email != "" {
			want["email"] = email
		}
		if c.EmailVerified != nil || email != "" {
			want["emailVerified"] = c.EmailVerified == nil || *c.EmailVerified
		}
		for k, v := range c.Extra {
			want[k] = v
		}
		wantJSON, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var gotV, wantV map[string]any
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(wantJSON, &wantV); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotV, wantV) {
			t.Fatalf("claims differ from encoding/json\n got %s\nwant %s", got, wantJSON)
		}
	})
}

// FuzzAppendJSONString compares the string encoder with encoding/json.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\x1f\x7f", "\u2028\u2029", "<&>", "\xff", "\xed\xa0\x80", "é😀", "\xf4\x90\x80\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString([]byte("x"), s)[1:]
		var dec string
		if err := json.Unmarshal(got, &dec); err != nil {
			t.Fatalf("invalid JSON string %q: %v", got, err)
		}
		want, _ := json.Marshal(s)
		var wantDec string
		if err := json.Unmarshal(want, &wantDec); err != nil {
			t.Fatal(err)
		}
		if dec != wantDec {
			t.Fatalf("appendJSONString(%q) decodes to %q, encoding/json to %q", s, dec, wantDec)
		}
		if utf8.ValidString(s) && dec != s {
			t.Fatalf("valid string changed: %q -> %q", s, dec)
		}
	})
}
