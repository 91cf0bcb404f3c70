package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/extauth/extauth/internal/logbuf"
	"github.com/extauth/extauth/issuer/keyset"
	"github.com/extauth/extauth/issuer/keyset/pgstore/pgtest"
)

// TestMain lets the test binary be a replica process: cluster re-executes
// it with runAsMain set.
func TestMain(m *testing.M) {
	if os.Getenv(runAsMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer collects log output from several goroutines.
type syncBuffer = logbuf.Buffer

// load signs in from several goroutines through the proxy until stopped,
// counting sign-ins, failures and the signing kids seen.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	kids       []string // in order of first use
	errs       []string
}

func (l *load) run(ctx context.Context, t *testing.T, workers int, fake *dynamictest.Server, proxyURL string) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range workers {
		client, err := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL()})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				kid, _, err := signIn(ctx, client, proxyURL, fmt.Sprintf("user-%d-%d", w, i%20))
				if ctx.Err() != nil {
					return // the test is over, not a failure
				}
				l.record(kid, err)
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	return &wg
}

func (l *load) record(kid string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed.Add(1)
		if len(l.errs) < 10 {
			l.errs = append(l.errs, err.Error())
		}
		return
	}
	l.ok.Add(1)
	if len(l.kids) == 0 || l.kids[len(l.kids)-1] != kid {
		l.kids = append(l.kids, kid)
	}
}

func (l *load) rotations() int { l.mu.Lock(); defer l.mu.Unlock(); return max(len(l.kids)-1, 0) }

// waitRotations waits until n more rotations than now have been seen.
func (l *load) waitRotations(t *testing.T, n int, within time.Duration) {
	t.Helper()
	want := l.rotations() + n
	deadline := time.Now().Add(within)
	for l.rotations() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d rotations in %s, want %d", l.rotations(), within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// published is the kids the proxy's JWKS lists now.
func published(t *testing.T, proxyURL string) []string {
	t.Helper()
	resp, err := http.Get(proxyURL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KID)
	}
	return kids
}

// TestReplicas: three replica processes on one PostgreSQL behind the
// proxy, with four goroutines signing in with Dynamic's fake (which
// fetches the JWKS through the proxy) all along, through at least five
// rotations, a replica SIGKILLed mid-rotation and restarted, and
// PostgreSQL stopped for 10 s: no sign-in fails. No private key material
// is in the table or the logs.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: TestReplicas runs for about 80 s")
	}
	pg := pgtest.Require(t)
	ctx := context.Background()
	kek := strings.Repeat("5a", 32)
	cfg := replicaConfig{
		Database: pg.URL(), Table: "extauth_keyset", Issuer: "https://auth.replicas.example", KEK: kek,
		// Rotation is just over 10 s: the Dynamic fake, like our
		// dynamic.Validator, refetches the JWKS for an unknown kid at most
		// every 10 s, so a verifier sees each new kid on its first refetch.
		Schedule: schedule{Rotation: 11 * time.Second, PublishLead: 2 * time.Second, MaxTTL: 2 * time.Second, Refresh: 100 * time.Millisecond},
	}
	logs := &syncBuffer{}
	c, err := newCluster(3, cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop()
	for i := range 3 {
		if err := c.start(ctx, i); err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
	}
	p, err := newProxy(c.urls(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(p)
	defer proxy.Close()
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: cfg.Issuer, JWKSURL: proxy.URL + "/.well-known/jwks.json"})

	loadCtx, stopLoad := context.WithCancel(ctx)
	l := &load{}
	wg := l.run(loadCtx, t, 4, fake, proxy.URL)
	defer func() {
		if t.Failed() {
			t.Logf("replica logs:\n%s", logs)
		}
	}()

	// 1. Two rotations under load.
	l.waitRotations(t, 2, 35*time.Second)

	// 2. SIGKILL replica 2 while a new key is published but does not sign
	// yet, then start it again.
	deadline := time.Now().Add(10 * time.Second)
	for len(published(t, proxy.URL)) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.kill(1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := c.start(ctx, 1); err != nil {
		t.Fatalf("restart: %v", err)
	}
	l.waitRotations(t, 1, 20*time.Second)

	// 3. PostgreSQL down for 10 s: the replicas keep issuing (the current
	// key signs past its rotation) and serving the JWKS.
	pg.Stop()
	before := l.ok.Load()
	time.Sleep(5 * time.Second)
	eachReplicaServes(t, c.urls())
	time.Sleep(5 * time.Second)
	if l.ok.Load()-before < 40 {
		t.Errorf("%d sign-ins while PostgreSQL was down", l.ok.Load()-before)
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	// Rotation resumes.
	l.waitRotations(t, 2, 35*time.Second)
	stopLoad()
	wg.Wait()

	if l.failed.Load() > 0 {
		t.Errorf("%d sign-ins failed, e.g. %q", l.failed.Load(), l.errs)
	}
	if l.rotations() < 5 {
		t.Errorf("%d rotations, want at least 5", l.rotations())
	}
	keys := checkNoPrivateKeys(t, pg.URL(), kek, logs.String())
	// Each rotation stored exactly one new key, whichever replica won: the
	// first key, one per rotation, and at most one staged that has not
	// signed yet.
	if keys > l.rotations()+2 {
		t.Errorf("%d keys stored for %d rotations: replicas stored competing keys", keys, l.rotations())
	}
	if n := strings.Count(logs.String(), "new key proposed and stored"); n != keys {
		t.Errorf("%d keys logged as stored, %d in the table", n, keys)
	}
	if testing.Verbose() {
		fmt.Printf("replicas: %d sign-ins, %d failed, %d rotations\n", l.ok.Load()+l.failed.Load(), l.failed.Load(), l.rotations())
	}
}

// eachReplicaServes checks every replica directly: it serves the JWKS and
// issues a token.
func eachReplicaServes(t *testing.T, urls []string) {
	t.Helper()
	for _, u := range urls {
		resp, err := http.Get(u + "/.well-known/jwks.json")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: JWKS: %v %v", u, resp, err)
		}
		if err == nil {
			resp.Body.Close()
		}
		resp, err = http.Post(u+"/token", "application/json", strings.NewReader(`{"sub":"direct"}`))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: token: %v %v", u, resp, err)
		}
		if err == nil {
			resp.Body.Close()
		}
	}
}

// checkNoPrivateKeys opens every sealed key in the table and checks that
// no private member of any of them appears in the rows or the logs. It
// returns how many keys the table has stored (the document's version:
// one per accepted change).
func checkNoPrivateKeys(t *testing.T, url, kek, logs string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var raw string
	if err := conn.QueryRow(ctx, `SELECT doc::text FROM extauth_keyset`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, `"d":`) {
		t.Error("the row holds a private JWK in the clear")
	}
	var doc keyset.Document
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	kekBytes, err := hex.DecodeString(kek)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := keyset.NewAESGCM("replicas-kek", kekBytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) == 0 {
		t.Fatal("no keys stored")
		return 0
	}
	for _, r := range doc.Keys {
		if r.SealedBy != "replicas-kek" {
			t.Errorf("key %s is not sealed (sealed by %q)", r.KID, r.SealedBy)
			continue
		}
		priv, err := sealer.Open(r.Private)
		if err != nil {
			t.Fatal(err)
		}
		var members map[string]string
		if err := json.Unmarshal(priv, &members); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			v := members[name]
			if len(v) < 32 {
				t.Fatalf("key %s has no private member %s", r.KID, name)
			}
			if strings.Contains(raw, v[:32]) || strings.Contains(logs, v[:32]) {
				t.Errorf("private member %s of key %s is in the table or the logs", name, r.KID)
			}
		}
	}
	if !strings.Contains(logs, "new key proposed and stored") {
		t.Error("the logs show no rotation: is the check reading the right logs?")
	}
	return int(doc.Version)
}
