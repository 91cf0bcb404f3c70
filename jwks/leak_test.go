package jwks

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// privateMembers are the RSA private JWK members (RFC 7518 §6.3.2) plus
// "oth" and "k": none may ever appear in a published set.
var leakPrivateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// syntheticKey returns a public key with a random odd modulus of the given
// size. It is not a usable RSA key, but the Handler only publishes public
// values, so it varies bodies cheaply where generating hundreds of real
// keys would be slow.
func syntheticKey(rng *rand.Rand, bits int) *rsa.PublicKey {
	b := make([]byte, (bits+7)/8)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	n := new(big.Int).SetBytes(b)
	n.SetBit(n, bits-1, 1)
	n.SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: 65537}
}

// kidFor picks key IDs, including ones that try to smuggle JSON members.
func kidFor(rng *rand.Rand, i int) string {
	tricky := []string{`x","d":"AAAA`, `"p"`, `qi`, `\"dq\":1`, "<script>", "ключ", `},{"d":"1"}`}
	if rng.IntN(4) == 0 {
		return fmt.Sprintf("%s-%d", tricky[rng.IntN(len(tricky))], i)
	}
	return fmt.Sprintf("kid-%d", i)
}

// checkPublicOnly parses body and fails unless it is {"keys":[…]} whose
// every member has exactly the six public members, and no private value of
// priv appears anywhere in it.
func checkPublicOnly(t *testing.T, body []byte, secrets []string) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("body is not a JSON object: %v", err)
	}
	if len(top) != 1 || top["keys"] == nil {
		t.Fatalf("top-level members %v, want only keys", slices.Collect(maps.Keys(top)))
	}
	var keys []map[string]any
	if err := json.Unmarshal(top["keys"], &keys); err != nil {
		t.Fatalf("keys is not an array of objects: %v", err)
	}
	want := []string{"alg", "e", "kid", "kty", "n", "use"}
	for i, k := range keys {
		names := slices.Sorted(maps.Keys(k))
		for _, p := range leakPrivateMembers {
			if _, ok := k[p]; ok {
				t.Fatalf("key %d has private member %q", i, p)
			}
		}
		if !slices.Equal(names, want) {
			t.Fatalf("key %d members %v, want %v", i, names, want)
		}
		if k["kty"] != "RSA" || k["use"] != "sig" || k["alg"] != "RS256" {
			t.Fatalf("key %d: kty/use/alg = %v/%v/%v", i, k["kty"], k["use"], k["alg"])
		}
	}
	for _, s := range secrets {
		if strings.Contains(string(body), s) {
			t.Fatal("a private key value appears in the body")
		}
	}
}

// TestNoPrivateMembers is the property test: over many keys (the real test
// keys plus 200 synthetic moduli of 2048–4096 bits) and 300 rotations of
// random sets, no served body ever holds a private member or value.
func TestNoPrivateMembers(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{7}))
	priv := testPrivateKeys(t)
	var secrets []string
	var pool []*rsa.PublicKey
	for _, p := range priv {
		pool = append(pool, &p.PublicKey)
		p.Precompute()
		for _, v := range []*big.Int{p.D, p.Primes[0], p.Primes[1], p.Precomputed.Dp, p.Precomputed.Dq, p.Precomputed.Qinv} {
			secrets = append(secrets, base64.RawURLEncoding.EncodeToString(v.Bytes()))
		}
	}
	for range 200 {
		pool = append(pool, syntheticKey(rng, 2048+8*rng.IntN(257)))
	}

	src := newFlipSource(nil)
	h := newTestHandler(t, src, nil)
	kid := 0
	for round := range 300 {
		set := make([]Key, 1+rng.IntN(6))
		for i := range set {
			kid++
			set[i] = Key{ID: kidFor(rng, kid), Public: pool[rng.IntN(len(pool))]}
		}
		src.Set(set)
		if err := h.Err(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		checkPublicOnly(t, w.Body.Bytes(), secrets)

		body, err := Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != w.Body.String() {
			t.Fatalf("round %d: served body differs from Marshal", round)
		}
	}
}
