package dynamic

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic/internal/wire"
)

// benchDynamic is a lean loopback Dynamic for benchmarks: canned settings, a
// canned VerifyResponse (the recordings' template) and nonces, with request
// counters. dynamictest was not available when these benchmarks were
// written, and a canned handler isolates the client's own cost: the floor
// posts the same body to the same handler.
type benchDynamic struct {
	srv                      *httptest.Server
	settings, signin         atomic.Int64
	nonces                   atomic.Int64
	settingsBody, signinBody []byte
	nonceSeq                 atomic.Uint64
}

func newBenchDynamic(b testing.TB) *benchDynamic {
	d := &benchDynamic{settingsBody: loadCanned(b, "settings"), signinBody: benchSigninBody(b)}
	prefix := "/api/v0/sdk/" + testEnv
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST" && r.URL.Path == prefix+"/externalAuth/signin":
			d.signin.Add(1)
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(d.signinBody)
		case r.Method == "GET" && r.URL.Path == prefix+"/nonces":
			d.nonces.Add(1)
			var sb strings.Builder
			sb.WriteString(`{"nonces":[`)
			for i := 0; i < 5; i++ {
				if i > 0 {
					sb.WriteByte(',')
				}
				var n [16]byte
				seq := d.nonceSeq.Add(1)
				for j := 0; j < 8; j++ {
					n[j] = byte(seq >> (8 * j))
				}
				sb.WriteString(`"` + hex.EncodeToString(n[:]) + `"`)
			}
			sb.WriteString(`]}`)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, sb.String())
		case r.Method == "GET" && r.URL.Path == prefix+"/settings":
			d.settings.Add(1)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(d.settingsBody)
		default:
			http.NotFound(w, r)
		}
	}))
	b.Cleanup(d.srv.Close)
	return d
}

func (d *benchDynamic) total() int64 { return d.settings.Load() + d.signin.Load() + d.nonces.Load() }

// warmClient returns a client of d with its settings cached and its nonce
// pool filled.
func (d *benchDynamic) warmClient(b *testing.B) *Client {
	c := mustNewClient(b, Config{EnvironmentID: testEnv, BaseURL: d.srv.URL + "/api/v0", HTTPClient: d.srv.Client()})
	if err := c.Prefetch(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkSignInWarm measures a warm sign-in (settings cached, nonce pool
// filled) on loopback and counts HTTP round trips per sign-in:
// signin-roundtrips/op must be 1.0; roundtrips/op includes the background
// pool refills (one GET /nonces?count=5 per 5 sign-ins → 1.2);
// pool-waits/op counts sign-ins that had to wait for a refill (0 when warm).
func BenchmarkSignInWarm(b *testing.B) {
	d := newBenchDynamic(b)
	c := d.warmClient(b)
	ctx := context.Background()
	before, beforeSignin := d.total(), d.signin.Load()
	waitsBefore := c.st.pool.waits.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.SignInWithExternalJWT(ctx, testJWT, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(d.total()-before)/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(d.signin.Load()-beforeSignin)/float64(b.N), "signin-roundtrips/op")
	b.ReportMetric(float64(c.st.pool.waits.Load()-waitsBefore)/float64(b.N), "pool-waits/op")
}

// BenchmarkFloorBarePost is the floor for BenchmarkSignInWarm: a bare
// http.Client POST of the same body, with the SDK's content type, to the
// same handler, reading the whole answer but not decoding it.
func BenchmarkFloorBarePost(b *testing.B) {
	d := newBenchDynamic(b)
	hc := d.srv.Client()
	url := d.srv.URL + "/api/v0/sdk/" + testEnv + "/externalAuth/signin"
	body, _ := json.Marshal(map[string]string{"jwt": testJWT})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

// benchSigninBody is the recordings' sign-in answer (plus an externalUser
// credential) spelled as Dynamic's API model spells it: public_identifier.
// (The recording fake's camelCase publicIdentifier costs one more pass; see
// camelPublicIdentifiers.)
func benchSigninBody(b testing.TB) []byte {
	return bytes.ReplaceAll(loadCanned(b, "signinOk"), []byte(`"publicIdentifier"`), []byte(`"public_identifier"`))
}

// BenchmarkDecodeVerifyResponse is the client's decoding share of a sign-in.
func BenchmarkDecodeVerifyResponse(b *testing.B) {
	body := benchSigninBody(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := decodeVerifyResponse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignNonce is the device signature's share (paid in the
// background when the pool is filled, not on the sign-in path).
func BenchmarkSignNonce(b *testing.B) {
	k, _ := wire.NewDeviceKey(nil, "bench")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := k.SignNonce("09c4f05508ad9a600bb365dbd53c654f"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignInWarmCriticalPath is BenchmarkSignInWarm with the pool
// pre-filled with b.N pre-signed nonces (signed before the timer starts), so
// it measures only what a sign-in does on its own path: build the request,
// one round trip, decode. The difference to BenchmarkSignInWarm is the
// protocol's device signature and the pool refills.
func BenchmarkSignInWarmCriticalPath(b *testing.B) {
	d := newBenchDynamic(b)
	c := d.warmClient(b)
	ctx := context.Background()
	st := c.st
	items := make([]signedNonce, b.N+2)
	for i := range items {
		n := hex.EncodeToString([]byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
		sig, err := st.device.SignNonce(n)
		if err != nil {
			b.Fatal(err)
		}
		items[i] = signedNonce{nonce: n, signature: sig}
	}
	st.pool.mu.Lock()
	st.pool.items = append(st.pool.items, items...)
	st.pool.mu.Unlock()
	before := d.total()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.SignInWithExternalJWT(ctx, testJWT, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(d.total()-before)/float64(b.N), "roundtrips/op")
}

// BenchmarkSignInWarmOverhead alternates a warm client sign-in and the
// floor's bare POST in the same loop against the same handler, and reports
// their time ratio as x-floor: alternating cancels the load drift of a
// shared machine that separate benchmarks suffer from. ns/op is the sum of
// both.
func BenchmarkSignInWarmOverhead(b *testing.B) {
	d := newBenchDynamic(b)
	c := d.warmClient(b)
	ctx := context.Background()
	hc := d.srv.Client()
	url := d.srv.URL + "/api/v0/sdk/" + testEnv + "/externalAuth/signin"
	body := signInBody{JWT: testJWT}.encode()
	var client, floor time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := c.SignInWithExternalJWT(ctx, testJWT, nil); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		end := time.Now()
		client += mid.Sub(start)
		floor += end.Sub(mid)
	}
	b.StopTimer()
	b.ReportMetric(float64(client)/float64(floor), "x-floor")
}
