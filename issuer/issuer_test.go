package issuer

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fixedTime is a clock reading for deterministic claims (the demo's kid
// timestamp); verification uses the same clock through jwt.WithTimeFunc.
var fixedTime = time.Unix(1739180000, 0)

func newTestIssuer(t testing.TB, cfg Config) *Issuer {
	t.Helper()
	if cfg.Keys == nil {
		ring, err := NewRing(testKeys(t)[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Keys = ring
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "https://demo-jwt-provider.example.com"
	}
	iss, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// segments decodes the header and payload of a compact JWS.
func segments(t testing.TB, token string) (header, payload []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// memberNames lists the top-level member names of a JSON object in order.
func memberNames(t testing.TB, obj []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", obj)
	}
	var names []string
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		names = append(names, name.(string))
	}
	return names
}

func TestIssueVerifiesOverHTTP(t *testing.T) {
	ring, err := NewRing(testKeys(t)[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	_, kf := jwksServer(t, ring)
	iss := newTestIssuer(t, Config{Keys: ring})
	ctx := context.Background()

	// The demo's token: sub + email.
	token, err := iss.Issue(ctx, Claims{Subject: "user-123", Email: "test@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	claims, tok := verify(t, kf, token, "https://demo-jwt-provider.example.com")
	header, payload := segments(t, token)
	if string(header) != `{"alg":"RS256","kid":"demo-key-1739180000000","typ":"JWT"}` {
		t.Errorf("header = %s", header)
	}
	if tok.Header["kid"] != "demo-key-1739180000000" {
		t.Errorf("kid = %v", tok.Header["kid"])
	}
	if got := strings.Join(memberNames(t, payload), ","); got != "email,emailVerified,exp,iat,iss,jti,sub" {
		t.Errorf("claims = %s", got)
	}
	if claims["sub"] != "user-123" || claims["email"] != "test@example.com" || claims["emailVerified"] != true {
		t.Errorf("claims = %v", claims)
	}
	iat, exp := claims["iat"].(float64), claims["exp"].(float64)
	if exp-iat != 3600 || time.Since(time.Unix(int64(iat), 0)).Abs() > time.Minute {
		t.Errorf("iat = %v, exp = %v", iat, exp)
	}
	jti, _ := claims["jti"].(string)
	if raw, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(raw) != 16 {
		t.Errorf("jti = %q", jti)
	}
	// A second token differs in jti.
	token2, err := iss.Issue(ctx, Claims{Subject: "user-123"})
	if err != nil {
		t.Fatal(err)
	}
	claims2, _ := verify(t, kf, token2, "https://demo-jwt-provider.example.com")
	if claims2["jti"] == jti {
		t.Error("jti repeated")
	}
	if _, ok := claims2["email"]; ok {
		t.Error("email present without Email")
	}
	if _, ok := claims2["emailVerified"]; ok {
		t.Error("emailVerified present without Email")
	}
}

func TestIssueClaims(t *testing.T) {
	no := false
	yes := true
	for _, tc := range []struct {
		name   string
		cfg    Config
		claims Claims
		want   string // exact payload; jti replaced by "J"
	}{
		{"minimal", Config{}, Claims{Subject: "u"},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739183600,"jti":"J"}`},
		{"email", Config{}, Claims{Subject: "u", Email: "a@b.example"},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739183600,"jti":"J","email":"a@b.example","emailVerified":true}`},
		{"email not verified", Config{}, Claims{Subject: "u", Email: "a@b.example", EmailVerified: &no},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739183600,"jti":"J","email":"a@b.example","emailVerified":false}`},
		{"verified without email", Config{}, Claims{Subject: "u", EmailVerified: &yes},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739183600,"jti":"J","emailVerified":true}`},
		{"one audience", Config{Audience: []string{"dyn"}}, Claims{Subject: "u"},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","aud":"dyn","iat":1739180000,"exp":1739183600,"jti":"J"}`},
		{"two audiences", Config{Audience: []string{"a", "b"}}, Claims{Subject: "u"},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","aud":["a","b"],"iat":1739180000,"exp":1739183600,"jti":"J"}`},
		{"audience override", Config{Audience: []string{"a", "b"}}, Claims{Subject: "u", Audience: []string{"c"}},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","aud":"c","iat":1739180000,"exp":1739183600,"jti":"J"}`},
		{"ttl", Config{TTL: time.Minute}, Claims{Subject: "u", TTL: 90 * time.Second},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739180090,"jti":"J"}`},
		{"not before", Config{}, Claims{Subject: "u", NotBefore: fixedTime.Add(time.Minute)},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739183600,"nbf":1739180060,"jti":"J"}`},
		{"config ttl", Config{TTL: time.Minute}, Claims{Subject: "u"},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739180060,"jti":"J"}`},
		{"extra sorted", Config{}, Claims{Subject: "u", Extra: map[string]any{"z": 1, "a": []int{1, 2}, "m": map[string]string{"y": "<&>", "x": "\u2028"}}},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739183600,"jti":"J","a":[1,2],"m":{"x":"\u2028","y":"\u003c\u0026\u003e"},"z":1}`},
		{"empty extra", Config{}, Claims{Subject: "u", Extra: map[string]any{}},
			`{"iss":"https://demo-jwt-provider.example.com","sub":"u","iat":1739180000,"exp":1739183600,"jti":"J"}`},
		{"escaping", Config{Issuer: `https://x.example/"q"\`}, Claims{Subject: "ü \"x\" \\ <y> 😀", Email: "o'neil+tag@例え.jp"},
			`{"iss":"https://x.example/\"q\"\\","sub":"ü \"x\" \\ <y> 😀","iat":1739180000,"exp":1739183600,"jti":"J","email":"o'neil+tag@例え.jp","emailVerified":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Now = func() time.Time { return fixedTime }
			iss := newTestIssuer(t, tc.cfg)
			token, err := iss.Issue(context.Background(), tc.claims)
			if err != nil {
				t.Fatal(err)
			}
			_, payload := segments(t, token)
			var m map[string]any
			if err := json.Unmarshal(payload, &m); err != nil {
				t.Fatal(err)
			}
			m["jti"] = "J"
			var want map[string]any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, want) {
				t.Errorf("payload\n got %s\nwant %s", payload, tc.want)
			}
		})
	}
}

func TestIssueInvalidClaims(t *testing.T) {
	ring, err := NewRing(testKeys(t)[0], &RingOptions{MaxTTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t, Config{Keys: ring})
	for _, tc := range []struct {
		name   string
		claims Claims
		want   string
	}{
		{"no sub", Claims{}, "sub is empty"},
		{"long sub", Claims{Subject: strings.Repeat("x", 256)}, "sub is 256 bytes"},
		{"control sub", Claims{Subject: "a\nb"}, "sub contains control"},
		{"del sub", Claims{Subject: "a\x7f"}, "sub contains control"},
		{"c1 sub", Claims{Subject: "a\u0085"}, "sub contains control"},
		{"bad utf8 sub", Claims{Subject: "a\xffb"}, "sub is not valid UTF-8"},
		{"email no at", Claims{Subject: "u", Email: "nope"}, "email has no '@'"},
		{"email display name", Claims{Subject: "u", Email: "Bob <bob@example.com>"}, "email"},
		{"email space", Claims{Subject: "u", Email: "a b@example.com"}, "email local part"},
		{"email empty local", Claims{Subject: "u", Email: "@example.com"}, "email local part"},
		{"email empty domain", Claims{Subject: "u", Email: "a@"}, "email domain"},
		{"email dot domain", Claims{Subject: "u", Email: "a@example..com"}, "email domain"},
		{"email hyphen label", Claims{Subject: "u", Email: "a@-example.com"}, "email domain"},
		{"email two at", Claims{Subject: "u", Email: "a@b@example.com"}, "email local part"},
		{"email dot local", Claims{Subject: "u", Email: ".a@example.com"}, "email local part"},
		{"email control", Claims{Subject: "u", Email: "a\r@example.com"}, "email contains control"},
		{"email long", Claims{Subject: "u", Email: strings.Repeat("a", 250) + "@x.io"}, "email is 255 bytes"},
		{"email long local", Claims{Subject: "u", Email: strings.Repeat("a", 65) + "@x.io"}, "email local part"},
		{"negative ttl", Claims{Subject: "u", TTL: -time.Second}, "TTL"},
		{"tiny ttl", Claims{Subject: "u", TTL: time.Millisecond}, "TTL"},
		{"long ttl", Claims{Subject: "u", TTL: 3 * time.Hour}, "exceeds the key source's maximum token lifetime 2h0m0s"},
		{"blank sub", Claims{Subject: "   "}, "sub is only white space"},
		{"nbsp sub", Claims{Subject: "\u00a0"}, "sub is only white space"},
		{"em space sub", Claims{Subject: "\u2003\u2003"}, "sub is only white space"},
		{"padded sub", Claims{Subject: " alice "}, "leading or trailing white space"},
		{"trailing nbsp sub", Claims{Subject: "alice\u00a0"}, "leading or trailing white space"},
		{"folded SUB", Claims{Subject: "u", Extra: map[string]any{"SUB": "victim"}}, `"SUB": it reads as "sub"`},
		{"folded Sub", Claims{Subject: "u", Extra: map[string]any{"Sub": "victim"}}, `reads as "sub"`},
		{"long s sub", Claims{Subject: "u", Extra: map[string]any{"\u017fub": "victim"}}, `reads as "sub"`},
		{"folded EXP", Claims{Subject: "u", Extra: map[string]any{"EXP": 4102444800}}, `reads as "exp"`},
		{"folded EMAIL", Claims{Subject: "u", Extra: map[string]any{"EMAIL": "x@y.z"}}, `reads as "email"`},
		{"folded EmailVerified", Claims{Subject: "u", Extra: map[string]any{"EmailVerified": false}}, `reads as "emailVerified"`},
		{"folded Aud", Claims{Subject: "u", Extra: map[string]any{"Aud": "x"}}, `reads as "aud"`},
		{"folded Iat", Claims{Subject: "u", Extra: map[string]any{"Iat": 1}}, `reads as "iat"`},
		{"folded JTI", Claims{Subject: "u", Extra: map[string]any{"JTI": "same"}}, `reads as "jti"`},
		{"folded NBF", Claims{Subject: "u", Extra: map[string]any{"NBF": 1}}, `reads as "nbf"`},
		{"folded ISS", Claims{Subject: "u", Extra: map[string]any{"ISS": "x"}}, `reads as "iss"`},
		{"empty aud entry", Claims{Subject: "u", Audience: []string{"a", ""}}, "aud[1] is empty"},
		{"control aud", Claims{Subject: "u", Audience: []string{"a\x00"}}, "aud[0] contains control"},
		{"nbf after exp", Claims{Subject: "u", NotBefore: time.Now().Add(3 * time.Hour)}, "the token would never be valid"},
		{"extra unencodable", Claims{Subject: "u", Extra: map[string]any{"f": func() {}}}, "json: unsupported type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := iss.Issue(context.Background(), tc.claims)
			if !errors.Is(err, ErrInvalidClaims) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalidClaims mentioning %q", err, tc.want)
			}
		})
	}
	for _, name := range reservedExtra {
		_, err := iss.Issue(context.Background(), Claims{Subject: "u", Extra: map[string]any{name: "x"}})
		if !errors.Is(err, ErrInvalidClaims) || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("Extra[%q]: err = %v", name, err)
		}
	}
}

func TestEmailSyntax(t *testing.T) {
	for _, ok := range []string{"a@b", "test@example.com", "first.last+tag@sub.example.co.uk", "o'neil@example.com",
		"x!#$%&'*+-/=?^_`{|}~@example.com", "ü@例え.jp", "a@xn--bcher-kva.example", "1@2.3"} {
		if err := checkEmail(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "a@", "@b", "a@@b", "a..b@c", "a.@c", "a@b.", "a@.b", "a@b_c.d", "a@[1.2.3.4]",
		`"a"@b`, "a(b)@c", "a@b c", "a@-b", "a@b-", "<a@b>", "a@b\xff", "a\u00a0@b"} {
		if err := checkEmail(bad); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNewConfigErrors(t *testing.T) {
	ring, err := NewRing(testKeys(t)[0], &RingOptions{MaxTTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no issuer", Config{Keys: ring}, "Config.Issuer is empty"},
		{"spaced issuer", Config{Issuer: "https://x ", Keys: ring}, "leading or trailing spaces"},
		{"control issuer", Config{Issuer: "https://x\n", Keys: ring}, "control"},
		{"no keys", Config{Issuer: "https://x"}, "Config.Keys is nil"},
		{"zero key", Config{Issuer: "https://x", Keys: &Key{}}, "zero Key"},
		{"zero ring", Config{Issuer: "https://x", Keys: &Ring{}}, "Ring has no active key"},
		{"bad audience", Config{Issuer: "https://x", Keys: ring, Audience: []string{""}}, "Config.Audience[0] is empty"},
		{"ttl > ring max", Config{Issuer: "https://x", Keys: ring, TTL: 3 * time.Hour}, "exceeds the key source's maximum token lifetime 2h0m0s"},
		{"ttl > key max", Config{Issuer: "https://x", Keys: testKeys(t)[0], TTL: 25 * time.Hour}, "exceeds the key source's maximum token lifetime 24h0m0s"},
		{"tiny ttl", Config{Issuer: "https://x", Keys: ring, TTL: time.Millisecond}, "under one second"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	// Defaults: TTL 1h, capped at the key source's maximum.
	iss, err := New(Config{Issuer: "https://x", Keys: ring, Now: func() time.Time { return fixedTime }})
	if err != nil {
		t.Fatal(err)
	}
	if exp := tokenExp(t, iss, Claims{Subject: "u"}); exp != fixedTime.Add(time.Hour).Unix() {
		t.Errorf("default exp = %d", exp)
	}
	short, _ := NewRing(testKeys(t)[0], &RingOptions{MaxTTL: 10 * time.Minute})
	iss, err = New(Config{Issuer: "https://x", Keys: short, Now: func() time.Time { return fixedTime }})
	if err != nil {
		t.Fatal(err)
	}
	if exp := tokenExp(t, iss, Claims{Subject: "u"}); exp != fixedTime.Add(10*time.Minute).Unix() {
		t.Errorf("exp with a 10m ring = %d", exp)
	}
	// The Issuer keeps its own copy of Audience.
	aud := []string{"a"}
	iss, _ = New(Config{Issuer: "https://x", Keys: ring, Audience: aud})
	aud[0] = "changed"
	tok, err := iss.Issue(context.Background(), Claims{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	_, payload := segments(t, tok)
	if !strings.Contains(string(payload), `"aud":"a"`) {
		t.Errorf("Config.Audience aliased: %s", payload)
	}
}

// tokenExp issues a token for c and returns its exp.
func tokenExp(t *testing.T, iss *Issuer, c Claims) int64 {
	t.Helper()
	tok, err := iss.Issue(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	_, payload := segments(t, tok)
	var m struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return m.Exp
}

func TestIssueContext(t *testing.T) {
	iss := newTestIssuer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := iss.Issue(ctx, Claims{Subject: "u"}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// badSigner returns signatures of the wrong length or errors.
type badSigner struct {
	*kmsSigner
	sig []byte
	err error
}

func (s badSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return s.sig, s.err }

func TestIssueWithKMSSigner(t *testing.T) {
	kms := &kmsSigner{priv: testKeys(t)[1].priv}
	key, err := NewKey(kms, "kms-1")
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := NewRing(key, nil)
	_, kf := jwksServer(t, ring)
	iss := newTestIssuer(t, Config{Keys: ring})
	token, err := iss.Issue(context.Background(), Claims{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, kf, token, "https://demo-jwt-provider.example.com")
	if kms.calls != 1 {
		t.Errorf("signer called %d times", kms.calls)
	}

	boom := errors.New("kms unavailable")
	for name, s := range map[string]badSigner{
		"error":     {kmsSigner: kms, err: boom},
		"short sig": {kmsSigner: kms, sig: make([]byte, 10)},
	} {
		k, err := NewKey(s, "bad")
		if err != nil {
			t.Fatal(err)
		}
		r, _ := NewRing(k, nil)
		iss := newTestIssuer(t, Config{Keys: r})
		if _, err := iss.Issue(context.Background(), Claims{Subject: "u"}); err == nil || (name == "error" && !errors.Is(err, boom)) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestIssueAcrossRotationOverHTTP(t *testing.T) {
	keys := testKeys(t)
	now := fixedTime
	clock := func() time.Time { return now }
	ring, err := NewRing(keys[0], &RingOptions{MaxTTL: 2 * time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	_, kf := jwksServer(t, ring)
	iss := newTestIssuer(t, Config{Keys: ring, Now: clock})
	verifyAt := func(token string) jwt.MapClaims {
		t.Helper()
		c, _ := verify(t, kf, token, "https://demo-jwt-provider.example.com", jwt.WithTimeFunc(clock))
		return c
	}
	issue := func() string {
		t.Helper()
		tok, err := iss.Issue(context.Background(), Claims{Subject: "u", TTL: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	kidOf := func(token string) string {
		h, _ := segments(t, token)
		var m map[string]string
		_ = json.Unmarshal(h, &m)
		return m["kid"]
	}

	old := issue()
	if err := ring.Stage(keys[1]); err != nil {
		t.Fatal(err)
	}
	// Staged, not signing yet.
	if tok := issue(); kidOf(tok) != keys[0].ID() {
		t.Errorf("staged key signed: kid %s", kidOf(tok))
	}
	if err := ring.Rotate(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	next := issue()
	if kidOf(next) != keys[1].ID() {
		t.Errorf("after Rotate kid = %s", kidOf(next))
	}
	// Both verify over HTTP against the served JWKS.
	verifyAt(old)
	verifyAt(next)

	// One MaxTTL + leeway after the rotation the old key is pruned, never
	// earlier.
	now = fixedTime.Add(2*time.Hour + defaultRingLeeway - time.Second)
	ring.Prune()
	if n := len(ring.publicKeys()); n != 2 {
		t.Errorf("pruned too early: %d keys", n)
	}
	now = fixedTime.Add(2*time.Hour + defaultRingLeeway)
	ring.Prune()
	pub := ring.publicKeys()
	if len(pub) != 1 || pub[0].ID != keys[1].ID() {
		t.Errorf("after prune: %v", pub)
	}
	verifyAt(next)
}

// hangingSigner stands for a KMS or HSM that does not answer.
type hangingSigner struct {
	*kmsSigner
	release chan struct{}
}

func (s hangingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	<-s.release
	return nil, errors.New("released")
}

// TestIssueHangingSigner: a signer that hangs costs Issue no more than its
// context allows, and the error says so (context.DeadlineExceeded); one
// that fails returns its error.
func TestIssueHangingSigner(t *testing.T) {
	hs := hangingSigner{kmsSigner: &kmsSigner{priv: testKeys(t)[1].priv}, release: make(chan struct{})}
	defer close(hs.release)
	key, err := NewKey(hs, "hsm-1")
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t, Config{Keys: key})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = iss.Issue(ctx, Claims{Subject: "u"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `key "hsm-1"`) {
		t.Errorf("err = %v, want context.DeadlineExceeded naming the key", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Issue returned after %v", d)
	}
	failing, _ := NewKey(badSigner{kmsSigner: &kmsSigner{priv: testKeys(t)[1].priv}, err: errors.New("HSM session closed")}, "hsm-2")
	iss2 := newTestIssuer(t, Config{Keys: failing})
	if _, err := iss2.Issue(context.Background(), Claims{Subject: "u"}); err == nil || !strings.Contains(err.Error(), "HSM session closed") {
		t.Errorf("failing signer: %v", err)
	}
}
