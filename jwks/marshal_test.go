package jwks

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

// RFC 7638 §3.1 example key and its thumbprint.
const (
	rfc7638N          = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
)

func rfc7638Key(t *testing.T) *rsa.PublicKey {
	t.Helper()
	n, err := base64.RawURLEncoding.DecodeString(rfc7638N)
	if err != nil {
		t.Fatal(err)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
}

func TestThumbprintRFC7638(t *testing.T) {
	if got := Thumbprint(rfc7638Key(t)); got != rfc7638Thumbprint {
		t.Fatalf("Thumbprint = %q, want %q (RFC 7638 §3.1)", got, rfc7638Thumbprint)
	}
	if got := Thumbprint(nil); got != "" {
		t.Fatalf("Thumbprint(nil) = %q, want empty", got)
	}
	if got := Thumbprint(&rsa.PublicKey{}); got != "" {
		t.Fatalf("Thumbprint(N nil) = %q, want empty", got)
	}
}

// The RFC example key is 2048 bits, so Marshal must publish it with the
// exact n from the RFC: jwkset's encoding and ours agree.
func TestMarshalRFC7638Key(t *testing.T) {
	pub := rfc7638Key(t)
	body, err := Marshal([]Key{{ID: "2011-04-29", Public: pub}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"keys":[{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB","kid":"2011-04-29","use":"sig","alg":"RS256"}]}`
	if string(body) != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", body, want)
	}
}

func TestMarshalOrderAndMembers(t *testing.T) {
	keys := testKeys(t, 2)
	body, err := Marshal(keys)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"keys":[`)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"kty":"RSA","n":"` + base64.RawURLEncoding.EncodeToString(k.Public.N.Bytes()) +
			`","e":"AQAB","kid":"` + k.ID + `","use":"sig","alg":"RS256"}`)
	}
	b.WriteString(`]}`)
	if string(body) != b.String() {
		t.Fatalf("Marshal =\n%s\nwant\n%s", body, b.String())
	}

	for _, in := range [][]Key{nil, {}} {
		body, err := Marshal(in)
		if err != nil || string(body) != `{"keys":[]}` {
			t.Fatalf("Marshal(%#v) = %s, %v; want {\"keys\":[]}", in, body, err)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	keys := testKeys(t, 2)
	pub := keys[0].Public
	small := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 1023), E: 65537}
	small.N.Add(small.N, big.NewInt(1))
	huge := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), maxBits), E: 65537}
	huge.N.Add(huge.N, big.NewInt(1))
	tests := []struct {
		name string
		keys []Key
		want error
	}{
		{"nil public key", []Key{{ID: "a"}}, ErrInvalidKey},
		{"nil modulus", []Key{{ID: "a", Public: &rsa.PublicKey{E: 65537}}}, ErrInvalidKey},
		{"1024-bit key", []Key{{ID: "a", Public: small}}, ErrInvalidKey},
		{"zero modulus", []Key{{ID: "a", Public: &rsa.PublicKey{N: new(big.Int), E: 65537}}}, ErrInvalidKey},
		{"negative modulus", []Key{{ID: "a", Public: &rsa.PublicKey{N: new(big.Int).Neg(pub.N), E: 65537}}}, ErrInvalidKey},
		{"oversized key", []Key{{ID: "a", Public: huge}}, ErrInvalidKey},
		{"exponent 1", []Key{{ID: "a", Public: &rsa.PublicKey{N: pub.N, E: 1}}}, ErrInvalidKey},
		{"even exponent", []Key{{ID: "a", Public: &rsa.PublicKey{N: pub.N, E: 65536}}}, ErrInvalidKey},
		{"negative exponent", []Key{{ID: "a", Public: &rsa.PublicKey{N: pub.N, E: -3}}}, ErrInvalidKey},
		{"empty kid", []Key{{Public: pub}}, ErrInvalidKey},
		{"kid not UTF-8", []Key{{ID: "a\xff", Public: pub}}, ErrInvalidKey},
		{"kid too long", []Key{{ID: strings.Repeat("k", maxKIDLen+1), Public: pub}}, ErrInvalidKey},
		{"duplicate kid", []Key{{ID: "same", Public: pub}, {ID: "same", Public: keys[1].Public}}, ErrInvalidKey},
		{"second key bad", []Key{keys[0], {ID: "x"}}, ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := Marshal(tt.keys)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("Marshal error = %v, want %v (and ErrInvalidKey)", err, tt.want)
			}
			if body != nil {
				t.Fatalf("Marshal returned a body with an error: %s", body)
			}
			if !strings.Contains(err.Error(), "key ") || len(err.Error()) > 400 {
				t.Fatalf("error should name the key and stay short: %q", err)
			}
		})
	}
}

// TestTypesHavePublicMembersOnly pins the types that make a leak impossible:
// Key can only carry an *rsa.PublicKey, and the wire type has exactly the
// six public members.
func TestTypesHavePublicMembersOnly(t *testing.T) {
	kt := reflect.TypeFor[Key]()
	if kt.NumField() != 2 || kt.Field(0).Type != reflect.TypeFor[string]() || kt.Field(1).Type != reflect.TypeFor[*rsa.PublicKey]() {
		t.Fatalf("Key must be {ID string; Public *rsa.PublicKey}, is %v", kt)
	}
	wt := reflect.TypeFor[publicJWK]()
	var names []string
	for i := range wt.NumField() {
		names = append(names, wt.Field(i).Tag.Get("json"))
	}
	if want := []string{"kty", "n", "e", "kid", "use", "alg"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("publicJWK members = %v, want %v", names, want)
	}
}

// A body's thumbprints, recomputed from its n and e, match Thumbprint of
// the original keys: n and e are the key's own values.
func TestMarshalRoundTrip(t *testing.T) {
	keys := testKeys(t, 3)
	body, err := Marshal(keys)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ N, E, Kid string }
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	for i, k := range set.Keys {
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if !pub.Equal(keys[i].Public) || k.Kid != keys[i].ID {
			t.Fatalf("key %d does not round-trip", i)
		}
		if Thumbprint(pub) != Thumbprint(keys[i].Public) {
			t.Fatalf("key %d thumbprint differs", i)
		}
	}
}
