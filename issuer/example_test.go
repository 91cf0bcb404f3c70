package issuer_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
)

func ExampleGenerateKey() {
	// 0 bits means 2048; an empty kid means the RFC 7638 thumbprint.
	key, err := issuer.GenerateKey(0, "")
	if err != nil {
		log.Fatal(err)
	}
	pub := key.Public()
	fmt.Println(pub.Public.N.BitLen(), "bits")
	fmt.Println("kid is the thumbprint:", key.ID() == jwks.Thumbprint(pub.Public))

	// The private JWK, in the reference demo's format, for
	// JWT_PROVIDER_PRIVATE_KEY; keep it secret.
	if _, err := key.MarshalPrivateJWK(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 2048 bits
	// kid is the thumbprint: true
}

func ExampleNew() {
	key, err := issuer.GenerateKey(2048, "demo-key-1")
	if err != nil {
		log.Fatal(err)
	}
	// One key is a key source of its own: it signs, and jwks.NewHandler(key,
	// nil) publishes it. Use a Ring to rotate.
	iss, err := issuer.New(issuer.Config{
		Issuer: "https://demo-jwt-provider.example.com", // the iss entered in Dynamic's dashboard
		Keys:   key,
	})
	if err != nil {
		log.Fatal(err)
	}
	token, err := iss.Issue(context.Background(), issuer.Claims{Subject: "user-123", Email: "test@example.com"})
	if err != nil {
		log.Fatal(err)
	}

	// What Dynamic does with it, in short: check the RS256 signature with
	// the published key, then iss, sub and exp.
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return key.Public().Public, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("https://demo-jwt-provider.example.com"), jwt.WithExpirationRequired())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(parsed.Header["kid"], claims["sub"], claims["email"], claims["emailVerified"])
	// Output: demo-key-1 user-123 test@example.com true
}

func ExampleLoadEnv() {
	// A .env.local as the demo's key generation script writes it (values in
	// single quotes). LoadEnv(nil) would read the process environment.
	key, _ := issuer.GenerateKey(0, "demo-key-1739180000000")
	priv, _ := key.MarshalPrivateJWK()
	pub, _ := key.Public().MarshalJSON()
	env := map[string]string{
		issuer.EnvKID:        "demo-key-1739180000000",
		issuer.EnvIssuer:     "https://demo-jwt-provider.example.com",
		issuer.EnvPublicKey:  "'" + string(pub) + "'",
		issuer.EnvPrivateKey: "'" + string(priv) + "'",
	}
	key, iss, err := issuer.LoadEnv(func(name string) string { return env[name] })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(iss, key)

	// Nothing set: a sentinel, so a dev server can fall back to a fresh key.
	_, _, err = issuer.LoadEnv(func(string) string { return "" })
	fmt.Println(err)
	// Output:
	// https://demo-jwt-provider.example.com issuer.Key{kid=demo-key-1739180000000}
	// none of JWT_PROVIDER_KID, JWT_PROVIDER_ISSUER, JWT_PROVIDER_PUBLIC_KEY, JWT_PROVIDER_PRIVATE_KEY is set: generate a key pair (issuer.GenerateKey and Key.MarshalPrivateJWK, or the extauth devserver's keygen command) and add them to your environment (or .env.local)
}

func ExampleRing() {
	k1, _ := issuer.GenerateKey(0, "key-1")
	k2, _ := issuer.GenerateKey(0, "key-2")
	ring, _ := issuer.NewRing(k1, &issuer.RingOptions{MaxTTL: 24 * time.Hour})
	defer ring.Close()

	// The ring is the JWKS handler's source: it republishes on every change.
	h, _ := jwks.NewHandler(ring, nil)
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	var published []string
	cancel := ring.Subscribe(func(keys []jwks.Key) {
		published = published[:0]
		for _, k := range keys {
			published = append(published, k.ID)
		}
	})
	defer cancel()
	signing := func() string {
		k, _, _ := ring.SigningKey(context.Background())
		return k.ID()
	}

	fmt.Println("start:  ", published, "signing with", signing())
	_ = ring.Stage(k2) // published now, signs after Rotate (wait a JWKS cache lifetime in between)
	fmt.Println("staged: ", published, "signing with", signing())
	_ = ring.Rotate() // key-1 stays published for MaxTTL + Leeway, until its last token expired
	fmt.Println("rotated:", published, "signing with", signing())

	resp, err := http.Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println("served keys:", len(body) > 0 && resp.StatusCode == http.StatusOK)
	// Output:
	// start:   [key-1] signing with key-1
	// staged:  [key-1 key-2] signing with key-1
	// rotated: [key-2 key-1] signing with key-2
	// served keys: true
}

// kmsKey stands for a key held in a KMS or HSM: only Public and Sign.
type kmsKey struct{ priv *rsa.PrivateKey }

func (k kmsKey) Public() crypto.PublicKey { return &k.priv.PublicKey }

func (k kmsKey) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	// A real implementation calls the KMS here (e.g. RSASSA_PKCS1_V1_5_SHA_256).
	return rsa.SignPKCS1v15(nil, k.priv, opts.HashFunc(), digest)
}

func ExampleNewKey() {
	priv, _ := rsa.GenerateKey(rand.Reader, 2048) // stands for the KMS's key
	key, err := issuer.NewKey(kmsKey{priv}, "kms-key-1")
	if err != nil {
		log.Fatal(err)
	}
	iss, _ := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: key})
	token, err := iss.Issue(context.Background(), issuer.Claims{Subject: "user-123"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = jwt.Parse(token, func(*jwt.Token) (any, error) { return key.Public().Public, nil }, jwt.WithValidMethods([]string{"RS256"}))
	fmt.Println(key, "verified:", err == nil)

	// The private half of a KMS key cannot be exported.
	_, err = key.MarshalPrivateJWK()
	fmt.Println(err != nil)
	// Output:
	// issuer.Key{kid=kms-key-1} verified: true
	// true
}
