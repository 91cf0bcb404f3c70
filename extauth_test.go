package extauth_test

// Tests across the packages: the whole flow, rotation under load, and the
// property that no private key material or token ever leaks.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
)

const testIssuer = "https://auth.extauth.test"

// keyPool generates distinct 2048-bit keys once per test binary: RSA key
// generation dominates the run time of the property tests otherwise.
var keyPool = struct {
	sync.Mutex
	keys []*issuer.Key
}{}

func testKeys(t testing.TB, n int) []*issuer.Key {
	t.Helper()
	keyPool.Lock()
	defer keyPool.Unlock()
	for len(keyPool.keys) < n {
		k, err := issuer.GenerateKey(2048, fmt.Sprintf("key-%d", len(keyPool.keys)))
		if err != nil {
			t.Fatal(err)
		}
		keyPool.keys = append(keyPool.keys, k)
	}
	return keyPool.keys[:n]
}

// privateMembers returns the base64url values of the private members of k's
// JWK (d, p, q, dp, dq, qi): strings that must never appear outside the key.
func privateMembers(t testing.TB, k *issuer.Key) map[string]string {
	t.Helper()
	raw, err := k.MarshalPrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		v, ok := m[name].(string)
		if !ok || len(v) < 16 {
			t.Fatalf("private JWK lacks member %q", name)
		}
		out[name] = v
	}
	return out
}

// assertNoSecret fails when text contains any private member of keys (or a
// 24-character piece of one, to catch truncated dumps).
func assertNoSecret(t testing.TB, where, text string, secrets []map[string]string) {
	t.Helper()
	for _, s := range secrets {
		for name, v := range s {
			if strings.Contains(text, v) || strings.Contains(text, v[:24]) {
				t.Fatalf("%s contains private member %q", where, name)
			}
		}
	}
}

// TestSecretsNeverLeak rotates a ring through many generated keys and checks
// every JWKS body, every error string of the parsers and every formatted key:
// no private member ever appears.
func TestSecretsNeverLeak(t *testing.T) {
	keys := testKeys(t, 12)
	secrets := make([]map[string]string, len(keys))
	for i, k := range keys {
		secrets[i] = privateMembers(t, k)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	ring, err := issuer.NewRing(keys[0], &issuer.RingOptions{MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	h, err := jwks.NewHandler(ring, &jwks.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	allowed := map[string]bool{"kty": true, "n": true, "e": true, "kid": true, "use": true, "alg": true}
	checkBody := func(step string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/jwks", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", step, rec.Code)
		}
		var set struct {
			Keys []map[string]json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if len(set.Keys) == 0 {
			t.Fatalf("%s: empty key set", step)
		}
		for _, k := range set.Keys {
			for name := range k {
				if !allowed[name] {
					t.Fatalf("%s: JWKS publishes member %q", step, name)
				}
			}
		}
		assertNoSecret(t, step+": JWKS body", rec.Body.String(), secrets)
	}
	checkBody("initial")
	for i, k := range keys[1:] {
		if err := ring.Stage(k); err != nil {
			t.Fatal(err)
		}
		checkBody(fmt.Sprintf("stage %d", i+1))
		if err := ring.Rotate(); err != nil {
			t.Fatal(err)
		}
		checkBody(fmt.Sprintf("rotate %d", i+1))
	}

	// Formatting a key never prints its material.
	for _, k := range keys {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			assertNoSecret(t, "fmt "+verb, fmt.Sprintf(verb, k), secrets)
		}
	}

	// Parser errors on damaged private JWKs never echo private members.
	for i, k := range keys {
		raw, err := k.MarshalPrivateJWK()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		other := privateMembers(t, keys[(i+1)%len(keys)])
		damaged := []func(map[string]any){
			func(m map[string]any) { m["kty"] = "EC" },
			func(m map[string]any) { m["d"] = m["d"].(string) + "!" },
			func(m map[string]any) { m["p"] = other["p"] },
			func(m map[string]any) { m["q"] = "AQAB" },
			func(m map[string]any) { m["kid"] = "bad\x00kid" },
			func(m map[string]any) { m["alg"] = "HS256" },
			func(m map[string]any) { m["use"] = "enc" },
			func(m map[string]any) { delete(m, "n") },
			func(m map[string]any) { m["e"] = 12 },
		}
		for j, damage := range damaged {
			c := map[string]any{}
			for name, v := range m {
				c[name] = v
			}
			damage(c)
			bad, _ := json.Marshal(c)
			_, err := issuer.ParseJWK(bad)
			if err == nil {
				t.Fatalf("key %d damage %d: ParseJWK accepted a damaged key", i, j)
			}
			assertNoSecret(t, fmt.Sprintf("ParseJWK error (damage %d)", j), err.Error(), secrets)
			// The same through the environment, with a mismatched public half.
			pub, _ := json.Marshal(keys[(i+1)%len(keys)].Public())
			env := map[string]string{
				issuer.EnvKID: k.ID(), issuer.EnvIssuer: testIssuer,
				issuer.EnvPrivateKey: "'" + string(bad) + "'", issuer.EnvPublicKey: string(pub),
			}
			if _, _, err := issuer.LoadEnv(func(name string) string { return env[name] }); err == nil {
				t.Fatalf("key %d damage %d: LoadEnv accepted a damaged key", i, j)
			} else {
				assertNoSecret(t, "LoadEnv error", err.Error(), secrets)
			}
		}
		// A truncated JWK (as a copy-paste accident would leave it).
		if _, err := issuer.ParseJWK(raw[:len(raw)/2]); err == nil {
			t.Fatal("ParseJWK accepted a truncated key")
		} else {
			assertNoSecret(t, "ParseJWK truncated error", err.Error(), secrets)
		}
		// A private key pasted where the public one belongs.
		if _, err := jwks.ParseKey(raw); err == nil {
			t.Fatal("jwks.ParseKey accepted a private JWK")
		} else {
			assertNoSecret(t, "jwks.ParseKey error", err.Error(), secrets)
		}
	}
	assertNoSecret(t, "jwks log", logs.String(), secrets)
}

// TestFlowTokensNeverLogged signs a user in through dynamic.Client against
// the local fake with debug logging everywhere, and checks that neither the
// external JWT, nor Dynamic's tokens, nor any private key reach a log line.
func TestFlowTokensNeverLogged(t *testing.T) {
	key := testKeys(t, 1)[0]
	secrets := []map[string]string{privateMembers(t, key)}
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))

	ring, err := issuer.NewRing(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	h, err := jwks.NewHandler(ring, &jwks.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	jwksSrv := httptest.NewServer(h)
	defer jwksSrv.Close()

	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: testIssuer, JWKSURL: jwksSrv.URL, Logger: logger})
	iss, err := issuer.New(issuer.Config{Issuer: testIssuer, Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	token, err := iss.Issue(ctx, issuer.Claims{Subject: "user-123", Email: "user@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	client, err := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := client.SignInWithExternalJWT(ctx, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := sess.User.ExternalUserID(); got != "user-123" {
		t.Fatalf("external user id = %q, want user-123", got)
	}
	if sess.User.Email != "user@example.com" {
		t.Fatalf("email = %q", sess.User.Email)
	}
	// A failing sign-in (wrong issuer) must not log the token either.
	other, err := issuer.New(issuer.Config{Issuer: testIssuer + "/other", Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := other.Issue(ctx, issuer.Claims{Subject: "user-123"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.SignInWithExternalJWT(ctx, bad, nil)
	if !errors.Is(err, dynamic.ErrInvalidExternalAuth) {
		t.Fatalf("wrong issuer: err = %v, want ErrInvalidExternalAuth", err)
	}
	if strings.Contains(err.Error(), bad) {
		t.Fatal("error string contains the token")
	}

	mu.Lock()
	text := logs.String()
	mu.Unlock()
	if text == "" {
		t.Fatal("no log output captured: the test would prove nothing")
	}
	for name, tok := range map[string]string{"external JWT": token, "rejected JWT": bad, "access token": sess.AccessToken, "Dynamic jwt": sess.JWT} {
		if tok == "" {
			continue
		}
		// The signature part alone is enough to count as a leak.
		sig := tok[strings.LastIndexByte(tok, '.')+1:]
		if strings.Contains(text, sig) {
			t.Fatalf("log contains the %s", name)
		}
	}
	assertNoSecret(t, "logs", text, secrets)
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRotationUnderLoad keeps issuing tokens and verifying them as Dynamic
// does (dynamic.Validator: keyfunc fetching the JWKS over HTTP) while the ring
// rotates several times. Each key is staged at least one JWKS refresh interval
// before it signs, as the Ring documentation asks; no verification may fail.
func TestRotationUnderLoad(t *testing.T) {
	const rotations = 5
	keys := testKeys(t, rotations+1)
	ring, err := issuer.NewRing(keys[0], &issuer.RingOptions{MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	h, err := jwks.NewHandler(ring, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()

	iss, err := issuer.New(issuer.Config{Issuer: testIssuer, Keys: ring, TTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const refresh = 100 * time.Millisecond
	v, err := dynamic.NewValidator(ctx, dynamic.ValidatorConfig{
		Issuer: testIssuer, JWKSURL: srv.URL, RefreshInterval: refresh,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	var issued, verified, failed atomic.Int64
	var firstErr atomic.Value
	kidsSeen := sync.Map{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sub := fmt.Sprintf("user-%d-%d", w, i)
				tok, err := iss.Issue(ctx, issuer.Claims{Subject: sub})
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				issued.Add(1)
				claims, err := v.Validate(ctx, tok)
				if err != nil || claims.Subject != sub {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Errorf("validate: %v (sub %q)", err, sub))
					continue
				}
				kidsSeen.Store(claims.KeyID, true)
				verified.Add(1)
			}
		}(w)
	}
	for _, next := range keys[1:] {
		time.Sleep(2 * refresh)
		if err := ring.Stage(next); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * refresh) // let the verifier's cache see the staged key
		if err := ring.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * refresh)
	close(stop)
	wg.Wait()

	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of %d tokens failed; first: %v", n, issued.Load(), firstErr.Load())
	}
	kids := 0
	kidsSeen.Range(func(any, any) bool { kids++; return true })
	if kids != rotations+1 {
		t.Fatalf("tokens were verified under %d keys, want %d (every key of the rotation)", kids, rotations+1)
	}
	t.Logf("rotations=%d issued=%d verified=%d failures=0", rotations, issued.Load(), verified.Load())
}
