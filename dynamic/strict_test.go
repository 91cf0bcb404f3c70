package dynamic

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic/internal/keyset"
	"github.com/golang-jwt/jwt/v5"
)

// The tests of this file each failed before the strictness fixes of the
// security review (issue 9): they pin what a strict JOSE verifier refuses.

// signRaw signs header and payload JSON exactly as given (golang-jwt would
// re-encode a map and lose duplicate or case-folded members).
func signRaw(t testing.TB, key *rsa.PrivateKey, header, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// payload is a valid claim set in JSON with extra members appended verbatim.
func payload(extra string) string {
	p := fmt.Sprintf(`{"iss":%q,"sub":"alice","iat":%d,"exp":%d`, testIssuer, testNow.Unix(), testNow.Add(time.Hour).Unix())
	if extra != "" {
		p += "," + extra
	}
	return p + "}"
}

// TestValidatorRefusesCaseFoldedClaims (issue 9.2): encoding/json reads
// "SUB" as sub; a strict verifier reads it as another claim. Either way the
// two must not disagree, so such payloads are refused.
func TestValidatorRefusesCaseFoldedClaims(t *testing.T) {
	key := rsaKey(t)
	j := newTestJWKS(t)
	j.set("k1", &key.PublicKey)
	v := newTestValidator(t, j, nil)
	withAud := newTestValidator(t, j, func(c *ValidatorConfig) { c.Audience = "dyn" })
	hour := testNow.Add(-time.Hour).Unix()
	century := testNow.AddDate(100, 0, 0).Unix()
	for _, tc := range []struct {
		name, payload string
		v             *Validator
		want          string
	}{
		{"SUB after sub", payload(`"SUB":"mallory"`), v, `"SUB" differs from "sub" only in case`},
		{"Sub", payload(`"Sub":"mallory"`), v, `"Sub" differs from "sub"`},
		{"long s", payload(`"ſub":"mallory"`), v, `differs from "sub"`},
		{"EXP rescues an expired token", fmt.Sprintf(`{"iss":%q,"sub":"alice","exp":%d,"EXP":%d}`, testIssuer, hour, century), v, `"EXP" differs from "exp"`},
		{"NBF", payload(fmt.Sprintf(`"nbf":%d,"NBF":%d`, century, hour)), v, `"NBF" differs from "nbf"`},
		{"AUD", payload(`"aud":"other","AUD":"dyn"`), withAud, `"AUD" differs from "aud"`},
		{"EmailVerified", payload(`"email":"a@b.example","emailVerified":false,"EmailVerified":true`), v, `"EmailVerified" differs`},
		{"duplicate sub", payload(`"sub":"mallory"`), v, `"sub" appears twice`},
		{"duplicate exp", fmt.Sprintf(`{"iss":%q,"sub":"alice","exp":%d,"exp":%d}`, testIssuer, hour, century), v, `"exp" appears twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := signRaw(t, key, `{"alg":"RS256","kid":"k1","typ":"JWT"}`, tc.payload)
			c, err := tc.v.Validate(context.Background(), tok)
			if !errors.Is(err, jwt.ErrTokenMalformed) || !errors.Is(err, ErrInvalidExternalAuth) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %+v, %v; want a malformed-token error mentioning %q", c, err, tc.want)
			}
		})
	}
	// The same rules hold for step-up assertions.
	tok := signRaw(t, key, `{"alg":"RS256","kid":"k1"}`, payload(`"scope":"wallet:export","jti":"j1","SUB":"mallory"`))
	if _, err := v.ValidateStepUp(context.Background(), tok, "alice"); !errors.Is(err, jwt.ErrTokenMalformed) {
		t.Errorf("ValidateStepUp with SUB: %v", err)
	}
	// Nested objects may use any names.
	tok = signRaw(t, key, `{"alg":"RS256","kid":"k1"}`, payload(`"profile":{"SUB":"x","sub":"y"}`))
	if c, err := v.Validate(context.Background(), tok); err != nil || c.Subject != "alice" {
		t.Errorf("nested members: %+v, %v", c, err)
	}
}

// TestValidatorRefusesShortKeys (issue 9.3): a JWKS key under 2048 bits
// must not verify, with or without a kid in the token.
func TestValidatorRefusesShortKeys(t *testing.T) {
	for _, bits := range []int{1024, 1536} {
		short, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		j := newTestJWKS(t)
		j.set("short", &short.PublicKey)
		v := newTestValidator(t, j, nil)
		withKID := sign(t, short, jwt.SigningMethodRS256, "short", baseClaims())
		if _, err := v.Validate(context.Background(), withKID); !errors.Is(err, jwt.ErrTokenUnverifiable) || !strings.Contains(err.Error(), "too short") {
			t.Errorf("%d bits, with kid: %v", bits, err)
		}
		noKID := sign(t, short, jwt.SigningMethodRS256, "", baseClaims())
		if _, err := v.Validate(context.Background(), noKID); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%d bits, without kid: %v", bits, err)
		}
	}
}

// TestValidatorRefusesLeakyOrAmbiguousJWKS (issue 9.9 and the duplicate-kid
// decision): a set publishing private members leaks the key, and a kid
// published twice makes the verifying key ambiguous; both are refused
// whole, as a strict JOSE library refuses them.
func TestValidatorRefusesLeakyOrAmbiguousJWKS(t *testing.T) {
	key := rsaKey(t)
	pub := jwksJSON(map[string]*rsa.PublicKey{"k1": &key.PublicKey})
	leaky := strings.Replace(string(pub), `"kty":"RSA"`, `"kty":"RSA","d":"`+base64.RawURLEncoding.EncodeToString(key.D.Bytes())+`"`, 1)
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.Unmarshal(pub, &set)
	twice := `{"keys":[` + string(set.Keys[0]) + `,` + string(set.Keys[0]) + `]}`
	for name, tc := range map[string]struct{ body, want string }{
		"private member": {leaky, `publishes the private member "d"`},
		"kid twice":      {twice, `kid "k1" appears twice`},
		"not a set":      {`[1,2]`, "not a JSON JWK Set"},
	} {
		t.Run(name, func(t *testing.T) {
			j := newTestJWKS(t)
			j.setStatus(http.StatusOK, tc.body)
			_, err := NewValidator(context.Background(), ValidatorConfig{Issuer: testIssuer, JWKSURL: j.URL()})
			if !errors.Is(err, ErrJWKSUnreachable) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewValidator = %v, want ErrJWKSUnreachable mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), base64.RawURLEncoding.EncodeToString(key.D.Bytes())[:40]) {
				t.Fatal("the error repeats the private member")
			}
		})
	}
}

// TestValidatorStrictJOSE (issue 9.13): crit, numeric dates as strings or
// out of range, a JWK for encryption, a kid-less token against a JWK for
// another algorithm, and an oversized token.
func TestValidatorStrictJOSE(t *testing.T) {
	key := rsaKey(t)
	j := newTestJWKS(t)
	j.set("k1", &key.PublicKey)
	v := newTestValidator(t, j, nil)
	for _, tc := range []struct {
		name, header, payload, want string
	}{
		{"crit", `{"alg":"RS256","kid":"k1","crit":["exp"]}`, payload(""), `header has "crit"`},
		{"duplicate alg header", `{"alg":"RS256","alg":"RS256","kid":"k1"}`, payload(""), `"alg" appears twice`},
		{"exp as string", `{"alg":"RS256","kid":"k1"}`, fmt.Sprintf(`{"iss":%q,"sub":"a","exp":"%d"}`, testIssuer, testNow.Add(time.Hour).Unix()), "exp is not a JSON number"},
		{"iat twice, once as string", `{"alg":"RS256","kid":"k1"}`, payload(`"iat":"1"`), `iat is not a JSON number`},
		{"nbf 1e300", `{"alg":"RS256","kid":"k1"}`, payload(`"nbf":1e300`), "nbf 1e+300 is out of range"},
		{"negative exp", `{"alg":"RS256","kid":"k1"}`, fmt.Sprintf(`{"iss":%q,"sub":"a","exp":-1}`, testIssuer), "exp -1 is out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Validate(context.Background(), signRaw(t, key, tc.header, tc.payload))
			if !errors.Is(err, jwt.ErrTokenMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want a malformed-token error mentioning %q", err, tc.want)
			}
		})
	}
	iatString := fmt.Sprintf(`{"iss":%q,"sub":"a","iat":"1","exp":%d}`, testIssuer, testNow.Add(time.Hour).Unix())
	if _, err := v.Validate(context.Background(), signRaw(t, key, `{"alg":"RS256","kid":"k1"}`, iatString)); err == nil || !strings.Contains(err.Error(), "iat is not a JSON number") {
		t.Errorf("iat as string: %v", err)
	}

	large := baseClaims()
	large["pad"] = strings.Repeat("x", 20<<10)
	if _, err := v.Validate(context.Background(), sign(t, key, jwt.SigningMethodRS256, "k1", large)); !errors.Is(err, jwt.ErrTokenMalformed) || !strings.Contains(err.Error(), "more than the 16384 accepted") {
		t.Errorf("20 KiB token: %v", err)
	}

	// A JWK meant for encryption, or for RS512, does not verify RS256.
	for name, jwk := range map[string]string{
		"use enc":   `"use":"enc","alg":"RS256"`,
		"alg RS512": `"use":"sig","alg":"RS512"`,
	} {
		t.Run(name, func(t *testing.T) {
			n := base64.RawURLEncoding.EncodeToString(key.N.Bytes())
			e := base64.RawURLEncoding.EncodeToString(new(big.Int).SetInt64(int64(key.E)).Bytes())
			jj := newTestJWKS(t)
			jj.setStatus(http.StatusOK, fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"k1","n":%q,"e":%q,%s}]}`, n, e, jwk))
			vv := newTestValidator(t, jj, nil)
			if _, err := vv.Validate(context.Background(), sign(t, key, jwt.SigningMethodRS256, "", baseClaims())); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("kid-less token: %v", err)
			}
			if _, err := vv.Validate(context.Background(), sign(t, key, jwt.SigningMethodRS256, "k1", baseClaims())); !errors.Is(err, jwt.ErrTokenUnverifiable) {
				t.Errorf("token with kid: %v", err)
			}
		})
	}
}

// TestValidatorJWKSRedirects: a JWKS URL that redirects to another host is
// not followed (the keys must come from the configured origin); a redirect
// within it is.
func TestValidatorJWKSRedirects(t *testing.T) {
	key := rsaKey(t)
	j := newTestJWKS(t)
	j.set("k1", &key.PublicKey)
	other := httptest.NewServer(http.RedirectHandler(j.URL(), http.StatusFound)) // 127.0.0.1, another port
	defer other.Close()
	if _, err := NewValidator(context.Background(), ValidatorConfig{Issuer: testIssuer, JWKSURL: other.URL}); !errors.Is(err, ErrJWKSUnreachable) || !strings.Contains(err.Error(), "another origin") {
		t.Errorf("cross-origin redirect: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/old", http.RedirectHandler("/jwks", http.StatusMovedPermanently))
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(jwksJSON(map[string]*rsa.PublicKey{"k1": &key.PublicKey}))
	})
	same := httptest.NewServer(mux)
	defer same.Close()
	v, err := NewValidator(context.Background(), ValidatorConfig{Issuer: testIssuer, JWKSURL: same.URL + "/old", Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("same-origin redirect: %v", err)
	}
	defer v.Close()
	if _, err := v.Validate(context.Background(), sign(t, key, jwt.SigningMethodRS256, "k1", baseClaims())); err != nil {
		t.Errorf("Validate after a same-origin redirect: %v", err)
	}
}

// TestClientRefusesCrossOriginRedirects (issue 9.4): a 307/308 from
// "Dynamic" to another origin would re-send the external JWT and the device
// headers there.
func TestClientRefusesCrossOriginRedirects(t *testing.T) {
	var leaked []string
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = append(leaked, r.Method+" "+r.URL.Path)
	}))
	defer attacker.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/settings"): // a cookie-based environment: no nonces needed
			_, _ = w.Write([]byte(`{"security":{"auth":{"storage":["cookie"]},"externalAuth":{"iss":"https://i","jwksUrl":"https://i/j"}}}`))
		case strings.HasSuffix(r.URL.Path, "/externalAuth/signin"):
			http.Redirect(w, r, attacker.URL+"/steal", http.StatusTemporaryRedirect)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := mustNewClient(t, Config{EnvironmentID: testEnv, BaseURL: srv.URL + "/api/v0"}) // the default client, with its redirect policy
	_, err := c.SignInWithExternalJWT(context.Background(), testJWT, nil)
	if err == nil || !strings.Contains(err.Error(), "another origin") {
		t.Errorf("sign-in err = %v, want the redirect refused", err)
	}
	if len(leaked) != 0 {
		t.Errorf("the JWT was re-sent to another origin: %v", leaked)
	}
	// A redirect within the origin is followed.
	req, _ := http.NewRequest("GET", srv.URL+"/a", nil)
	if err := keyset.SameOriginRedirect(req, []*http.Request{req}); err != nil {
		t.Errorf("same-origin redirect refused: %v", err)
	}
	down, _ := http.NewRequest("GET", "http://example.com/a", nil)
	up, _ := http.NewRequest("GET", "https://example.com/a", nil)
	if err := keyset.SameOriginRedirect(down, []*http.Request{up}); err == nil {
		t.Error("https → http downgrade followed")
	}
}

// TestAPIErrorRedactsEverything (issue 9.5): a JWT echoed in Dynamic's code
// (top level or nested) is redacted like one in the message.
func TestAPIErrorRedactsEverything(t *testing.T) {
	jwtText := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	for _, body := range []string{
		`{"error":"bad","code":"` + jwtText + `"}`,
		`{"error":{"code":"` + jwtText + `","message":"m"}}`,
		`{"message":"` + jwtText + `","code":"x"}`,
	} {
		e := newAPIError("POST", "/p", 422, http.Header{}, []byte(body), false, "rid", time.Now())
		if strings.Contains(e.Error(), "eyJ") {
			t.Errorf("Error() of %s prints the JWT: %s", body, e.Error())
		}
	}
}

// TestNoncesCappedAtCount (issue 9.6): a server answering thousands of
// nonces to count=5 gets five taken and signed.
func TestNoncesCappedAtCount(t *testing.T) {
	many := make([]string, 3000)
	for i := range many {
		many[i] = fmt.Sprintf("n%04d", i)
	}
	body, _ := json.Marshal(map[string][]string{"nonces": many})
	got, err := decodeNonces(body)
	if err != nil || len(got) != noncePoolSize || got[0] != "n0000" {
		t.Fatalf("decodeNonces kept %d nonces, %v", len(got), err)
	}
}
