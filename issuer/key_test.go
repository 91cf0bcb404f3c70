package issuer

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/extauth/extauth/jwks"
)

// jwkMap decodes a JWK into a map for editing in table tests.
func jwkMap(t testing.TB, data []byte) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// edit returns data (a JWK) with the given members replaced; a nil value
// deletes the member.
func edit(t testing.TB, data []byte, changes map[string]any) []byte {
	t.Helper()
	m := jwkMap(t, data)
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// privateMembers returns the base64url values of the private members of a
// private JWK, for leak checks.
func privateMembers(t testing.TB, data []byte) []string {
	t.Helper()
	m := jwkMap(t, data)
	var out []string
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if s, ok := m[name].(string); ok && len(s) > 8 {
			out = append(out, s)
		}
	}
	return out
}

func TestParseJWKDemoFormat(t *testing.T) {
	env := demoEnv(t)
	priv := []byte(unquote(env[EnvPrivateKey]))
	k, err := ParseJWK(priv)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != "demo-key-1739180000000" {
		t.Errorf("kid = %q", k.ID())
	}
	if k.pub.N.BitLen() != 2048 || k.pub.E != 65537 {
		t.Errorf("key = %d bits, e=%d", k.pub.N.BitLen(), k.pub.E)
	}
	// Marshalling gives back exactly the demo's private and public JWKs:
	// same members, same order, same encoding.
	got, err := k.MarshalPrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, priv) {
		t.Errorf("MarshalPrivateJWK differs from the demo's JWK:\n got %.120s...\nwant %.120s...", got, priv)
	}
	gotPub, err := k.Public().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := unquote(env[EnvPublicKey]); string(gotPub) != want {
		t.Errorf("MarshalPublicJWK differs from the demo's JWK:\n got %s\nwant %s", gotPub, want)
	}
	pub, err := jwks.ParseKey(gotPub)
	if err != nil {
		t.Fatal(err)
	}
	if pub.ID != k.ID() || !pub.Public.Equal(k.pub) {
		t.Errorf("ParsePublicJWK = %v, want the key's public half", pub)
	}
	// The RSA precomputation is done at load.
	if k.priv == nil || k.priv.Precomputed.Dp == nil {
		t.Error("key not precomputed")
	}
}

func TestMemberOrder(t *testing.T) {
	k := testKeys(t)[2]
	priv, err := k.MarshalPrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.Public().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{priv, "kty,n,e,d,p,q,dp,dq,qi,kid,use,alg"},
		{pub, "kty,n,e,kid,use,alg"},
	} {
		dec := json.NewDecoder(bytes.NewReader(tc.data))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("not an object: %v %v", tok, err)
		}
		var names []string
		for dec.More() {
			name, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var value string // every member of an RSA JWK is a string
			if err := dec.Decode(&value); err != nil {
				t.Fatalf("member %v: %v", name, err)
			}
			names = append(names, name.(string))
		}
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("members = %s, want %s", got, tc.want)
		}
		if bytes.ContainsAny(tc.data, " \n=") {
			t.Errorf("JWK is not compact unpadded JSON: %.80s", tc.data)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	if testing.Short() {
		t.Skip("key generation is slow")
	}
	k, err := GenerateKey(0, "")
	if err != nil {
		t.Fatal(err)
	}
	if k.pub.N.BitLen() != 2048 {
		t.Errorf("bits = %d", k.pub.N.BitLen())
	}
	if k.ID() != jwks.Thumbprint(k.pub) {
		t.Errorf("default kid = %q, want the RFC 7638 thumbprint", k.ID())
	}
	// Round trip through the demo format.
	priv, err := k.MarshalPrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParseJWK(priv)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ID() != k.ID() || !k2.pub.Equal(k.pub) || !k2.priv.Equal(k.priv) {
		t.Error("round trip changed the key")
	}
	if _, err := GenerateKey(2048, "my\nkid"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad kid: err = %v", err)
	}
}

func TestGenerateKeyBits(t *testing.T) {
	for _, bits := range []int{-1, 1, 1024, 2047, 16384 + 1} {
		_, err := GenerateKey(bits, "")
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("GenerateKey(%d) err = %v, want ErrInvalidKey", bits, err)
		}
	}
}

// kmsSigner stands for a KMS/HSM key: a crypto.Signer that is not an
// *rsa.PrivateKey and only exposes Public and Sign.
type kmsSigner struct {
	priv  *rsa.PrivateKey
	calls int
}

func (s *kmsSigner) Public() crypto.PublicKey { return &s.priv.PublicKey }

func (s *kmsSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.calls++
	if opts.HashFunc() != crypto.SHA256 || len(digest) != sha256.Size {
		return nil, fmt.Errorf("kms: unexpected %v digest of %d bytes", opts.HashFunc(), len(digest))
	}
	return rsa.SignPKCS1v15(nil, s.priv, crypto.SHA256, digest)
}

type ecSigner struct{ crypto.Signer }

func TestNewKey(t *testing.T) {
	base := testKeys(t)[1]
	kms := &kmsSigner{priv: base.priv}
	k, err := NewKey(kms, "kms-key-1")
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != "kms-key-1" || !k.pub.Equal(base.pub) || k.priv != nil || k.signer != kms {
		t.Errorf("NewKey = %v", k)
	}
	if _, err := k.MarshalPrivateJWK(); err == nil {
		t.Error("MarshalPrivateJWK of a KMS key succeeded")
	}
	if _, err := k.Public().MarshalJSON(); err != nil {
		t.Error(err)
	}
	k, err = NewKey(kms, "")
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != jwks.Thumbprint(base.pub) {
		t.Errorf("default kid = %q, want thumbprint", k.ID())
	}
	// An *rsa.PrivateKey is copied, not modified.
	raw, err := x509.ParsePKCS1PrivateKey(pemBytes(t, "pkcs1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	k, err = NewKey(raw, "raw")
	if err != nil {
		t.Fatal(err)
	}
	if k.priv == raw {
		t.Error("NewKey kept the caller's *rsa.PrivateKey")
	}

	ecKey := mustParsePKCS8(t, "ec-pkcs8.pem")
	short := mustParsePKCS1(t, "short-1024.pem")
	for name, tc := range map[string]struct {
		signer crypto.Signer
		kid    string
	}{
		"nil":           {nil, ""},
		"nil rsa":       {(*rsa.PrivateKey)(nil), ""},
		"ec":            {ecKey, ""},
		"ec wrapper":    {ecSigner{ecKey}, ""},
		"short":         {short, ""},
		"short wrapper": {&kmsSigner{priv: short}, ""},
		"bad kid":       {kms, "a\x00b"},
		"long kid":      {kms, strings.Repeat("k", 256)},
		"spaced kid":    {kms, " k"},
		"bad utf8 kid":  {kms, "k\xff"},
		"del kid":       {kms, "k\x7f"},
	} {
		if _, err := NewKey(tc.signer, tc.kid); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", name, err)
		}
	}
}

func pemBytes(t testing.TB, name string) []byte {
	t.Helper()
	b, _ := pem.Decode(readFixture(t, name))
	if b == nil {
		t.Fatalf("%s: no PEM", name)
	}
	return b.Bytes
}

func mustParsePKCS8(t testing.TB, name string) crypto.Signer {
	t.Helper()
	k, err := x509.ParsePKCS8PrivateKey(pemBytes(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return k.(crypto.Signer)
}

func mustParsePKCS1(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	k, err := x509.ParsePKCS1PrivateKey(pemBytes(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParsePEM(t *testing.T) {
	pkcs1, err := ParsePEM(readFixture(t, "pkcs1.pem"), "")
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := ParsePEM(readFixture(t, "pkcs8.pem"), "k8")
	if err != nil {
		t.Fatal(err)
	}
	if !pkcs1.pub.Equal(pkcs8.pub) || pkcs8.ID() != "k8" || pkcs1.ID() != jwks.Thumbprint(pkcs1.pub) {
		t.Errorf("PKCS#1 and PKCS#8 of the same key differ: %v %v", pkcs1, pkcs8)
	}
	// A certificate + key bundle: the key is found.
	bundle := append(readFixture(t, "cert.pem"), readFixture(t, "pkcs8.pem")...)
	if k, err := ParsePEM(bundle, ""); err != nil || !k.pub.Equal(pkcs8.pub) {
		t.Errorf("bundle: %v, %v", k, err)
	}
	// Leading text (as openssl sometimes writes) is skipped.
	if _, err := ParsePEM(append([]byte("Bag Attributes\n"), readFixture(t, "pkcs8.pem")...), ""); err != nil {
		t.Error(err)
	}

	pkcs1DER := pemBytes(t, "pkcs1.pem")
	for _, tc := range []struct {
		name, data, kid, want string
	}{
		{"empty", "", "", "no PEM block"},
		{"garbage", "hello", "", "no PEM block"},
		{"jwk", string(readFixture(t, "other.jwk.json")), "", "use ParseJWK"},
		{"truncated", string(readFixture(t, "pkcs8.pem"))[:200], "", "no PEM block"},
		{"public", string(readFixture(t, "public.pem")), "", "holds no private key"},
		{"certificate only", string(readFixture(t, "cert.pem")), "", "holds no private key"},
		{"encrypted pkcs8", string(readFixture(t, "pkcs8-encrypted.pem")), "", "encrypted"},
		{"encrypted pkcs1", string(readFixture(t, "pkcs1-encrypted.pem")), "", "encrypted"},
		{"ec pkcs8", string(readFixture(t, "ec-pkcs8.pem")), "", "needs an RSA key"},
		{"ed25519 pkcs8", string(readFixture(t, "ed25519.pem")), "", "needs an RSA key"},
		{"short", string(readFixture(t, "short-1024.pem")), "", "1024 bits"},
		{"bad kid", string(readFixture(t, "pkcs1.pem")), "a\tb", "control characters"},
		{"pkcs1 body as pkcs8", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs1DER})), "", "PKCS#8"},
		{"pkcs1 garbage body", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1DER[:100]})), "", "PKCS#1"},
		{"certificate", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})), "", "holds no private key"},
		{"ec private", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}})), "", "RSA"},
		{"unknown type", string(pem.EncodeToMemory(&pem.Block{Type: "FOO", Bytes: []byte{1}})), "", "unsupported PEM type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePEM([]byte(tc.data), tc.kid)
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseJWKErrors(t *testing.T) {
	good := readFixture(t, "other.jwk.json")
	m := jwkMap(t, good)
	demoPub := []byte(unquote(demoEnv(t)[EnvPublicKey]))
	demoPriv := jwkMap(t, []byte(unquote(demoEnv(t)[EnvPrivateKey])))

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"spaces", []byte("  \n"), "empty"},
		{"not json", []byte("hello"), "not a JSON object"},
		{"pem", readFixture(t, "pkcs8.pem"), "use ParsePEM"},
		{"array", []byte(`[{"kty":"RSA"}]`), "not a JSON object"},
		{"truncated", good[:len(good)/2], "truncated JSON"},
		{"bad json", []byte(`{"kty":"RSA",}`), "malformed JSON at byte"},
		{"trailing", append(append([]byte{}, good...), []byte(`{}`)...), "exactly one JWK"},
		{"number member", edit(t, good, map[string]any{"kid": 5}), `"kid" must be a JSON string`},
		{"no kty", edit(t, good, map[string]any{"kty": nil}), `no "kty"`},
		{"wrong kty", edit(t, good, map[string]any{"kty": "oct"}), `kty "oct"`},
		{"lower kty", edit(t, good, map[string]any{"kty": "rsa"}), `kty "rsa"`},
		{"ec", readFixture(t, "ec.jwk.json"), `kty "EC"`},
		{"short", readFixture(t, "short-1024.jwk.json"), "1024 bits"},
		{"no n", edit(t, good, map[string]any{"n": nil}), `no "n"`},
		{"empty e", edit(t, good, map[string]any{"e": ""}), `no "e"`},
		{"use enc", edit(t, good, map[string]any{"use": "enc"}), `use "enc"`},
		{"alg PS256", edit(t, good, map[string]any{"alg": "PS256"}), `alg "PS256"`},
		{"alg none", edit(t, good, map[string]any{"alg": "none"}), `alg "none"`},
		{"kid control", edit(t, good, map[string]any{"kid": "a\u0001b"}), "control characters"},
		{"kid newline", edit(t, good, map[string]any{"kid": "a\nb"}), "control characters"},
		{"kid long", edit(t, good, map[string]any{"kid": strings.Repeat("x", 256)}), "256 bytes"},
		{"kid spaces", edit(t, good, map[string]any{"kid": " x "}), "leading or trailing spaces"},
		{"public only", demoPub, "public key"},
		{"some private", edit(t, good, map[string]any{"qi": nil, "dq": nil}), "only some of"},
		{"oth", edit(t, good, map[string]any{"oth": []any{}}), "multi-prime"},
		{"bad base64 n", edit(t, good, map[string]any{"n": "!!!"}), `"n"`},
		{"bad base64 d", edit(t, good, map[string]any{"d": "a$b"}), `"d"`},
		{"std base64 d", edit(t, good, map[string]any{"d": strings.ReplaceAll(strings.ReplaceAll(m["d"].(string), "-", "+"), "_", "/") + "+/"}), `"d"`},
		{"small e", edit(t, good, map[string]any{"e": "Aw"}), "private"}, // e=3 with the original d: inconsistent
		{"e=1", edit(t, good, map[string]any{"e": "AQ"}), `"e"`},
		{"even e", edit(t, good, map[string]any{"e": "AQAA"}), "e=65536"},
		{"mismatched n", edit(t, good, map[string]any{"n": demoPriv["n"]}), "private"},
		{"mismatched d", edit(t, good, map[string]any{"d": demoPriv["d"]}), "private"},
		{"mismatched p", edit(t, good, map[string]any{"p": demoPriv["p"], "q": demoPriv["q"]}), "private"},
		{"mismatched qi", edit(t, good, map[string]any{"qi": demoPriv["qi"]}), "private"},
		{"swapped p q", edit(t, good, map[string]any{"p": m["q"], "q": m["p"]}), "private"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJWK(tc.data)
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
		})
	}
}

func TestParseJWKOptionalMembers(t *testing.T) {
	good := readFixture(t, "other.jwk.json")
	k, err := ParseJWK(edit(t, good, map[string]any{"kid": nil, "use": nil, "alg": nil}))
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != jwks.Thumbprint(k.pub) {
		t.Errorf("kid = %q, want the thumbprint", k.ID())
	}
	if k2, err := ParseJWK(edit(t, good, map[string]any{"kid": "  "})); err != nil || k2.ID() != k.ID() {
		t.Errorf("blank kid: %v, %v", k2, err)
	}
	// Unknown members (key_ops, ext as WebCrypto writes) are tolerated.
	if _, err := ParseJWK(edit(t, good, map[string]any{"ext": true, "key_ops": []string{"sign"}})); err != nil {
		t.Error(err)
	}
}

func TestParsePublicJWK(t *testing.T) {
	good := []byte(unquote(demoEnv(t)[EnvPublicKey]))
	k, err := jwks.ParseKey(good)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != "demo-key-1739180000000" || k.Public.N.BitLen() != 2048 {
		t.Errorf("ParsePublicJWK = %q %d bits", k.ID, k.Public.N.BitLen())
	}
	if k, err := jwks.ParseKey(edit(t, good, map[string]any{"kid": nil})); err != nil || k.ID != jwks.Thumbprint(k.Public) {
		t.Errorf("no kid: %v %v", k.ID, err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"private", []byte(unquote(demoEnv(t)[EnvPrivateKey])), "private members"},
		{"ec", edit(t, readFixture(t, "ec.jwk.json"), map[string]any{"d": nil}), `kty "EC"`},
		{"short", edit(t, readFixture(t, "short-1024.jwk.json"), map[string]any{"d": nil, "p": nil, "q": nil, "dp": nil, "dq": nil, "qi": nil}), "1024 bits"},
		{"bad n", edit(t, good, map[string]any{"n": "@@"}), `"n"`},
		{"truncated", good[:40], "truncated JSON"},
		{"bad kid", edit(t, good, map[string]any{"kid": "a\u0085b"}), "control"},
		{"use enc", edit(t, good, map[string]any{"use": "enc"}), "use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jwks.ParseKey(tc.data)
			if !errors.Is(err, jwks.ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalidKey mentioning %q", err, tc.want)
			}
		})
	}
}

func TestKeyString(t *testing.T) {
	k := testKeys(t)[0]
	if got := k.String(); got != "issuer.Key{kid=demo-key-1739180000000}" {
		t.Errorf("String = %q", got)
	}
	if got := fmt.Sprintf("%#v", k); got != k.String() {
		t.Errorf("%%#v = %q", got)
	}
	if got := (*Key)(nil).String(); got != "issuer.Key(nil)" {
		t.Errorf("nil String = %q", got)
	}
}

// TestErrorsNeverLeakPrivateMembers feeds many broken variants of private
// keys to every parser and checks no error text contains a private member
// (or a sizeable piece of one).
func TestErrorsNeverLeakPrivateMembers(t *testing.T) {
	good := readFixture(t, "other.jwk.json")
	secrets := privateMembers(t, good)
	demoPriv := []byte(unquote(demoEnv(t)[EnvPrivateKey]))
	secrets = append(secrets, privateMembers(t, demoPriv)...)
	pkcs1 := readFixture(t, "pkcs1.pem")
	der := pemBytes(t, "pkcs1.pem")
	for _, line := range strings.Split(string(pkcs1), "\n") {
		if len(line) > 32 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	m := jwkMap(t, good)
	var inputs [][]byte
	// Truncations at many points, including inside private members.
	for i := 0; i < len(good); i += 7 {
		inputs = append(inputs, good[:i])
	}
	// Each private member broken in several ways, or moved to other members.
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		v := m[name].(string)
		for _, bad := range []any{v + "!", "!" + v, v[:len(v)/2], v + v, 42, true, []any{v}, map[string]any{"x": v}, v + "=", strings.ToUpper(v)} {
			inputs = append(inputs, edit(t, good, map[string]any{name: bad}))
		}
		for _, other := range []string{"kty", "kid", "use", "alg", "n", "e"} {
			inputs = append(inputs, edit(t, good, map[string]any{other: v}))
		}
		inputs = append(inputs, edit(t, good, map[string]any{name: nil}))
		inputs = append(inputs, edit(t, good, map[string]any{"kty": "EC", name: v}))
	}
	inputs = append(inputs, edit(t, good, map[string]any{"n": m["d"], "d": m["n"]}))
	inputs = append(inputs, []byte(strings.Replace(string(good), `"d":"`, `"d":"`+"\x01", 1)))
	inputs = append(inputs, []byte(strings.Replace(string(good), `","p"`, `"x,"p"`, 1)))

	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			return
		}
		msg := err.Error()
		for _, s := range secrets {
			for _, piece := range []string{s, s[:16], s[len(s)-16:]} {
				if strings.Contains(msg, piece) {
					t.Fatalf("%s: error leaks private material: %q", what, msg)
				}
			}
		}
	}
	errs := 0
	for i, in := range inputs {
		_, err := ParseJWK(in)
		check(fmt.Sprintf("ParseJWK #%d", i), err)
		_, err2 := jwks.ParseKey(in)
		check(fmt.Sprintf("ParsePublicJWK #%d", i), err2)
		_, _, err3 := LoadEnv(mapEnv(map[string]string{EnvPrivateKey: "'" + string(in) + "'", EnvIssuer: "https://x", EnvPublicKey: string(in), EnvKID: string(in)}))
		check(fmt.Sprintf("LoadEnv #%d", i), err3)
		if err != nil {
			errs++
		}
	}
	// Accepted on purpose: a trailing "=" after a member (padding is
	// tolerated) and a kid that happens to equal a <=255-byte member.
	if errs < len(inputs)-12 {
		t.Errorf("only %d of %d broken JWKs were rejected", errs, len(inputs))
	}
	// PEM: truncated and corrupted blocks.
	for i := 0; i < len(pkcs1); i += 13 {
		_, err := ParsePEM(pkcs1[:i], "")
		check("ParsePEM truncated", err)
	}
	for i := 0; i < len(der); i += 11 {
		bad := bytes.Clone(der)
		bad[i] ^= 0xff
		for _, typ := range []string{"RSA PRIVATE KEY", "PRIVATE KEY"} {
			_, err := ParsePEM(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: bad}), "")
			check("ParsePEM corrupted", err)
			_, err = ParsePEM(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: bad[:i]}), "")
			check("ParsePEM cut", err)
		}
	}
}

func TestThumbprintMatchesJWKS(t *testing.T) {
	// Our default kid must be what jwks publishes and what other tools
	// compute (RFC 7638 §3.1 example is checked in package jwks).
	for _, k := range testKeys(t) {
		nk, err := NewKey(k.signer, "")
		if err != nil {
			t.Fatal(err)
		}
		if nk.ID() != jwks.Thumbprint(k.pub) {
			t.Errorf("%v: default kid %q", k, nk.ID())
		}
	}
}
