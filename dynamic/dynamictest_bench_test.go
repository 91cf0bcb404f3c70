package dynamic_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/extauth/extauth/dynamic/internal/wire"
	"github.com/golang-jwt/jwt/v5"
)

// countingTransport counts round trips, in total and to sign-in.
type countingTransport struct {
	base          http.RoundTripper
	total, signin atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.total.Add(1)
	if strings.HasSuffix(r.URL.Path, "/externalAuth/signin") {
		t.signin.Add(1)
	}
	return t.base.RoundTrip(r)
}

// benchIdP is an external issuer: an RSA key, its JWKS on loopback, and one
// signed external JWT.
func benchIdP(b *testing.B) (issuer, jwksURL, token string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]string{
		"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	b.Cleanup(srv.Close)
	issuer = "https://idp.example.test"
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": issuer, "sub": "user-123", "email": "alice@example.test",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = "k1"
	token, err = tok.SignedString(key)
	if err != nil {
		b.Fatal(err)
	}
	return issuer, srv.URL, token
}

func loopbackTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}

// BenchmarkSignInWarm_dynamictest is a warm sign-in against dynamictest on
// loopback (non-cookie environment: the fake verifies the external JWT
// with the Validator, checks the device signature and the nonce, and mints
// RS256 tokens). Metrics: roundtrips/op counts every HTTP request the client
// made, background nonce refills included (goal ≤ 1.2);
// signin-roundtrips/op counts sign-in requests (goal 1.0).
func BenchmarkSignInWarm_dynamictest(b *testing.B) {
	issuer, jwksURL, token := benchIdP(b)
	fake := dynamictest.NewServer(b, dynamictest.Config{Issuer: issuer, JWKSURL: jwksURL})
	ct := &countingTransport{base: loopbackTransport()}
	c, err := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL(), HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.SignInWithExternalJWT(ctx, token, nil); err != nil { // warms settings, pool, JWKS cache
		b.Fatal(err)
	}
	total, signin := ct.total.Load(), ct.signin.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.SignInWithExternalJWT(ctx, token, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ct.total.Load()-total)/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(ct.signin.Load()-signin)/float64(b.N), "signin-roundtrips/op")
}

// barePoster posts the sign-in body with the SDK's headers and a
// pre-computed device signature over a seeded nonce: the client's request
// without the client.
type barePoster struct {
	b       *testing.B
	hc      *http.Client
	url     string
	body    []byte
	headers http.Header
	pre     [][2]string // nonce, signature
	next    int
}

// fetchNonces asks the fake for five nonces, as the SDK does.
func fetchNonces(b *testing.B, hc *http.Client, fake *dynamictest.Server) []string {
	resp, err := hc.Get(fake.URL() + "/sdk/" + fake.EnvironmentID() + "/nonces?count=5")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Nonces []string `json:"nonces"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || len(doc.Nonces) == 0 {
		b.Fatalf("nonces: %v", err)
	}
	return doc.Nonces
}

// newBarePoster fetches n nonces from fake and signs them before any timing.
func newBarePoster(b *testing.B, fake *dynamictest.Server, token string, n int) *barePoster {
	device, err := wire.NewDeviceKey(nil, "bench")
	if err != nil {
		b.Fatal(err)
	}
	session, _ := wire.NewDeviceKey(nil, "bench")
	p := &barePoster{
		b: b, hc: &http.Client{Transport: loopbackTransport()},
		url:  fake.URL() + "/sdk/" + fake.EnvironmentID() + "/externalAuth/signin",
		body: []byte(`{"jwt":"` + token + `"}`),
		headers: http.Header{
			"Content-Type":             {"application/json"},
			"x-dyn-api-version":        {"API/" + wire.APIVersion},
			"x-dynamic-platform":       {wire.Platform},
			"x-dyn-request-id":         {"dttUAmybDOPk6J3pQvNb0NYKRz13yotzFx1dR4BXmmeBvF3X2D"},
			"x-dyn-session-id":         {"m1IpNZbQuefp0IPngn2rsdaQeJka56Nh"},
			"x-dyn-version":            {"ClientSDK/" + wire.SDKVersion},
			"x-dyn-session-public-key": {session.PublicKeyHex()},
			wire.HeaderDevicePublicKey: {device.PublicKeyHex()},
		},
	}
	for len(p.pre) < n {
		for _, nonce := range fetchNonces(b, p.hc, fake) {
			sig, err := device.SignNonce(nonce)
			if err != nil {
				b.Fatal(err)
			}
			p.pre = append(p.pre, [2]string{nonce, sig})
		}
	}
	return p
}

func (p *barePoster) post() {
	req, _ := http.NewRequest("POST", p.url, bytes.NewReader(p.body))
	req.Header = p.headers.Clone()
	req.Header[wire.HeaderDeviceNonce] = []string{p.pre[p.next][0]}
	req.Header[wire.HeaderDeviceSignedNonce] = []string{p.pre[p.next][1]}
	p.next++
	resp, err := p.hc.Do(req)
	if err != nil {
		p.b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		p.b.Fatal(resp.Status)
	}
}

// BenchmarkFloorBarePost_dynamictest is its floor: a bare http.Client POST
// of the same body with the same headers to the same fake, over the same
// kind of transport. The device signatures are computed over seeded nonces
// before the timer starts, so the fake does identical work and the floor
// neither signs nor decodes.
func BenchmarkFloorBarePost_dynamictest(b *testing.B) {
	issuer, jwksURL, token := benchIdP(b)
	fake := dynamictest.NewServer(b, dynamictest.Config{Issuer: issuer, JWKSURL: jwksURL})
	p := newBarePoster(b, fake, token, b.N+1)
	p.post() // warm the connection and the fake's JWKS cache
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.post()
	}
}

// BenchmarkSignInWarmOverhead_dynamictest alternates a warm client sign-in
// and the bare POST against the same dynamictest and reports the time ratio
// as x-floor (robust to load drift on a shared machine).
func BenchmarkSignInWarmOverhead_dynamictest(b *testing.B) {
	issuer, jwksURL, token := benchIdP(b)
	fake := dynamictest.NewServer(b, dynamictest.Config{Issuer: issuer, JWKSURL: jwksURL})
	p := newBarePoster(b, fake, token, b.N+1)
	p.post()
	c, err := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL(), HTTPClient: &http.Client{Transport: loopbackTransport()}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.SignInWithExternalJWT(ctx, token, nil); err != nil {
		b.Fatal(err)
	}
	var client, floor time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := c.SignInWithExternalJWT(ctx, token, nil); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		p.post()
		end := time.Now()
		client += mid.Sub(start)
		floor += end.Sub(mid)
	}
	b.StopTimer()
	b.ReportMetric(float64(client)/float64(floor), "x-floor")
}
