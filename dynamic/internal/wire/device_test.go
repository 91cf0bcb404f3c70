package wire

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Test vector of dynamic-api.md §3.5 (RFC 6979 A.2.5 key, WebCrypto signature).
const (
	vectorD      = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
	vectorPubHex = "0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
	vectorNonce  = "example-nonce-0123456789abcdef"
	vectorSig    = "ff222d11b3e71348927145a3187ccb1f1b8f2c3b8a65ee5a27df0e273fd6d857" +
		"14593ff893037f65d573080b0d73d6c9abc4bbcb449bac4609db0bff03b0126e"
)

func vectorKey(t testing.TB) *DeviceKey {
	t.Helper()
	d, _ := hex.DecodeString(vectorD)
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewDeviceKey(priv, "key")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDeviceKeyTestVector(t *testing.T) {
	k := vectorKey(t)
	if got := k.PublicKeyHex(); got != vectorPubHex {
		t.Fatalf("PublicKeyHex = %s, want %s", got, vectorPubHex)
	}
	if err := VerifyDeviceSignature(vectorPubHex, vectorNonce, vectorSig); err != nil {
		t.Fatalf("test vector does not verify: %v", err)
	}
	sig, err := k.SignNonce(vectorNonce)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyDeviceSignature(k.PublicKeyHex(), vectorNonce, sig); err != nil {
		t.Fatalf("own signature does not verify: %v", err)
	}
	if strings.Contains(k.String(), vectorD) {
		t.Fatal("String leaks the private key")
	}
}

var (
	pubHexRE = regexp.MustCompile(`^0[23][0-9a-f]{64}$`)
	sigHexRE = regexp.MustCompile(`^[0-9a-f]{128}$`)
)

func TestDeviceKeySignFormat(t *testing.T) {
	for i := 0; i < 50; i++ {
		k, err := NewDeviceKey(nil, "key")
		if err != nil {
			t.Fatal(err)
		}
		if !pubHexRE.MatchString(k.PublicKeyHex()) {
			t.Fatalf("public key %q is not 66-char compressed lower hex", k.PublicKeyHex())
		}
		nonce := "nonce-é-" + strings.Repeat("x", i)
		sig, err := k.SignNonce(nonce)
		if err != nil {
			t.Fatal(err)
		}
		if !sigHexRE.MatchString(sig) {
			t.Fatalf("signature %q is not 128-char lower hex", sig)
		}
		if err := VerifyDeviceSignature(k.PublicKeyHex(), nonce, sig); err != nil {
			t.Fatal(err)
		}
		// Same nonce, different key must fail.
		other, _ := NewDeviceKey(nil, "key")
		if err := VerifyDeviceSignature(other.PublicKeyHex(), nonce, sig); !errors.Is(err, ErrBadDeviceSignature) {
			t.Fatalf("other key: err = %v, want ErrBadDeviceSignature", err)
		}
	}
}

func TestNewDeviceKeyRejects(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, k := range map[string]*ecdsa.PrivateKey{
		"P-384": p384,
		"empty": {},
	} {
		if _, err := NewDeviceKey(k, "key"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	k, _ := NewDeviceKey(nil, "key")
	if _, err := k.SignNonce(""); err == nil {
		t.Error("SignNonce(\"\") accepted")
	}
}

// TestVerifyDeviceSignatureHighAndLowS checks that both S and N-S verify,
// since WebCrypto does not normalise S.
func TestVerifyDeviceSignatureHighAndLowS(t *testing.T) {
	raw, _ := hex.DecodeString(vectorSig)
	s := new(big.Int).SetBytes(raw[32:])
	n := elliptic.P256().Params().N
	flipped := new(big.Int).Sub(n, s)
	out := make([]byte, 64)
	copy(out, raw[:32])
	flipped.FillBytes(out[32:])
	if err := VerifyDeviceSignature(vectorPubHex, vectorNonce, hex.EncodeToString(out)); err != nil {
		t.Fatalf("N-S variant rejected: %v", err)
	}
	// Upper-case hex is accepted too (lenient on input).
	if err := VerifyDeviceSignature(strings.ToUpper(vectorPubHex), vectorNonce, strings.ToUpper(vectorSig)); err != nil {
		t.Fatalf("upper-case hex rejected: %v", err)
	}
}

func TestVerifyDeviceSignatureRejects(t *testing.T) {
	raw, _ := hex.DecodeString(vectorSig)
	r := new(big.Int).SetBytes(raw[:32])
	s := new(big.Int).SetBytes(raw[32:])
	der := derEncode(r, s)
	zero := strings.Repeat("0", 128)
	n := elliptic.P256().Params().N
	nHex := make([]byte, 32)
	n.FillBytes(nHex)
	rIsN := hex.EncodeToString(nHex) + vectorSig[64:]
	uncompressed := "04" + vectorPubHex[2:] + strings.Repeat("0", 64)
	notOnCurve := "02" + strings.Repeat("ff", 32)
	wrongParity := "02" + vectorPubHex[2:]

	tests := []struct {
		name, pub, nonce, sig string
		wantInMsg             string
	}{
		{"DER signature", vectorPubHex, vectorNonce, hex.EncodeToString(der), "hex characters"},
		{"wrong nonce", vectorPubHex, vectorNonce + "x", vectorSig, "does not verify"},
		{"hex-decoded nonce reading", vectorPubHex, "example-nonce-0123456789abcdeF", vectorSig, "does not verify"},
		{"empty nonce", vectorPubHex, "", vectorSig, "nonce is empty"},
		{"zero signature", vectorPubHex, vectorNonce, zero, "does not verify"},
		{"r = N", vectorPubHex, vectorNonce, rIsN, "does not verify"},
		{"short signature", vectorPubHex, vectorNonce, vectorSig[:126], "hex characters"},
		{"non-hex signature", vectorPubHex, vectorNonce, "zz" + vectorSig[2:], "not hex"},
		{"uncompressed public key", uncompressed[:130], vectorNonce, vectorSig, "hex characters"},
		{"prefix 04", "04" + vectorPubHex[2:], vectorNonce, vectorSig, "prefix"},
		{"not on curve", notOnCurve, vectorNonce, vectorSig, "not a point"},
		{"wrong parity", wrongParity, vectorNonce, vectorSig, "does not verify"},
		{"non-hex public key", "zz" + vectorPubHex[2:], vectorNonce, vectorSig, "not hex"},
		{"empty", "", "", "", "hex characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyDeviceSignature(tt.pub, tt.nonce, tt.sig)
			if !errors.Is(err, ErrBadDeviceSignature) {
				t.Fatalf("err = %v, want ErrBadDeviceSignature", err)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Fatalf("err = %q, want it to mention %q", err, tt.wantInMsg)
			}
		})
	}
}

func derEncode(r, s *big.Int) []byte {
	enc := func(b *big.Int) []byte {
		v := b.Bytes()
		if v[0]&0x80 != 0 {
			v = append([]byte{0}, v...)
		}
		return append([]byte{0x02, byte(len(v))}, v...)
	}
	body := append(enc(r), enc(s)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// recordedSignIn is the part of a recorded SDK request the signature tests need.
type recordedSignIn struct {
	File, Seq                string
	Nonce, PublicKey, Signed string
	SessionKey               string
}

func loadRecordedSignIns(t testing.TB) []recordedSignIn {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "recordings", "*.requests.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recordings in testdata/recordings: %v", err)
	}
	var out []recordedSignIn
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var recs []struct {
			Seq     json.Number       `json:"seq"`
			Method  string            `json:"method"`
			Route   string            `json:"route"`
			Headers map[string]string `json:"headers"`
		}
		if err := json.Unmarshal(data, &recs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range recs {
			if r.Method != "POST" || r.Route != "externalAuthSignin" {
				continue
			}
			out = append(out, recordedSignIn{
				File: filepath.Base(f), Seq: r.Seq.String(),
				Nonce:      r.Headers[HeaderDeviceNonce],
				PublicKey:  r.Headers[HeaderDevicePublicKey],
				Signed:     r.Headers[HeaderDeviceSignedNonce],
				SessionKey: r.Headers["x-dyn-session-public-key"],
			})
		}
	}
	return out
}

// TestRecordedDeviceSignatures verifies every device signature the official
// SDK sent in the recordings, with negative controls.
func TestRecordedDeviceSignatures(t *testing.T) {
	recs := loadRecordedSignIns(t)
	if len(recs) != 16 {
		t.Fatalf("found %d recorded sign-ins, want 16", len(recs))
	}
	for _, r := range recs {
		t.Run(r.File+"#"+r.Seq, func(t *testing.T) {
			if !pubHexRE.MatchString(r.PublicKey) || !sigHexRE.MatchString(r.Signed) {
				t.Fatalf("recorded header formats: pub %q sig %q", r.PublicKey, r.Signed)
			}
			if err := VerifyDeviceSignature(r.PublicKey, r.Nonce, r.Signed); err != nil {
				t.Fatalf("recorded signature rejected: %v", err)
			}
			// Negative controls.
			raw, _ := hex.DecodeString(r.Signed)
			der := hex.EncodeToString(derEncode(new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])))
			nonceBytes, _ := hex.DecodeString(r.Nonce)
			controls := map[string][3]string{
				"DER":                       {r.PublicKey, r.Nonce, der},
				"wrong nonce":               {r.PublicKey, r.Nonce[:len(r.Nonce)-1] + flipHex(r.Nonce[len(r.Nonce)-1]), r.Signed},
				"hex-decoded nonce":         {r.PublicKey, string(nonceBytes), r.Signed},
				"session key as device key": {r.SessionKey, r.Nonce, r.Signed},
			}
			for name, c := range controls {
				if err := VerifyDeviceSignature(c[0], c[1], c[2]); !errors.Is(err, ErrBadDeviceSignature) {
					t.Errorf("control %s: err = %v, want ErrBadDeviceSignature", name, err)
				}
			}
			// The SHA-384 reading must fail too (the digest is SHA-256).
			pub, err := ParseDevicePublicKey(r.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			d := sha256.Sum256([]byte(r.Nonce))
			dd := sha256.Sum256(d[:])
			if ecdsa.Verify(pub, dd[:], new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])) {
				t.Error("double-hash reading verified")
			}
		})
	}
}

func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func FuzzVerifyDeviceSignature(f *testing.F) {
	f.Add(vectorPubHex, vectorNonce, vectorSig)
	f.Add(vectorPubHex, "", vectorSig)
	f.Add("02"+strings.Repeat("ff", 32), vectorNonce, strings.Repeat("0", 128))
	f.Add("", "", "")
	f.Add("04", "x", "30440220")
	f.Add(strings.ToUpper(vectorPubHex), vectorNonce, strings.ToUpper(vectorSig))
	f.Fuzz(func(t *testing.T, pub, nonce, sig string) {
		err := VerifyDeviceSignature(pub, nonce, sig)
		if err != nil && !errors.Is(err, ErrBadDeviceSignature) {
			t.Fatalf("error does not wrap ErrBadDeviceSignature: %v", err)
		}
		if err == nil && (len(pub) != DevicePublicKeyHexLen || len(sig) != DeviceSignatureHexLen || nonce == "") {
			t.Fatalf("accepted malformed input pub=%q sig=%q", pub, sig)
		}
	})
}

// BenchmarkFloor_ECDSAVerify is the floor for BenchmarkVerifyDeviceSignature:
// the bare ecdsa.Verify of the same signature with the key and r, s already
// decoded.
func BenchmarkFloor_ECDSAVerify(b *testing.B) {
	pub, err := ParseDevicePublicKey(vectorPubHex)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := hex.DecodeString(vectorSig)
	r, s := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
	for b.Loop() {
		d := sha256.Sum256([]byte(vectorNonce))
		if !ecdsa.Verify(pub, d[:], r, s) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkVerifyDeviceSignature(b *testing.B) {
	for b.Loop() {
		if err := VerifyDeviceSignature(vectorPubHex, vectorNonce, vectorSig); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleVerifyDeviceSignature() {
	key, _ := NewDeviceKey(nil, "key")
	sig, _ := key.SignNonce("cefe27449a1c616cac1387a988a8e389")
	err := VerifyDeviceSignature(key.PublicKeyHex(), "cefe27449a1c616cac1387a988a8e389", sig)
	fmt.Println(len(key.PublicKeyHex()), len(sig), err)
	// Output: 66 128 <nil>
}
