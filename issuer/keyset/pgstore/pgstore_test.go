package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extauth/extauth/internal/keyfunctest"
	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/issuer/keyset"
	"github.com/extauth/extauth/jwks"
)

func TestNewRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	if _, err := New(ctx, nil, "keys"); err == nil || !strings.Contains(err.Error(), "pool is nil") {
		t.Errorf("nil pool: %v", err)
	}
	pool := newPool(t)
	for _, name := range []string{"", "Keys", "keys; DROP TABLE x", "1keys", strings.Repeat("k", 64), `"keys"`} {
		if _, err := New(ctx, pool, name); err == nil || !strings.Contains(err.Error(), "table name") {
			t.Errorf("table %q: %v", name, err)
		}
	}
}

// TestSwapIsCompareAndSwap: an empty table loads as version 0; Swap stores
// only on the version it was given, and a lost race is ErrConflict.
func TestSwapIsCompareAndSwap(t *testing.T) {
	ctx := context.Background()
	s, err := New(ctx, newPool(t), table(t))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.Load(ctx)
	if err != nil || doc.Version != 0 || len(doc.Keys) != 0 {
		t.Fatalf("empty store: %+v, %v", doc, err)
	}
	v1 := &keyset.Document{Version: 1, Keys: []keyset.Record{{KID: "a"}}}
	v2 := &keyset.Document{Version: 2, Keys: []keyset.Record{{KID: "a"}, {KID: "b"}}}
	steps := []struct {
		old  int64
		next *keyset.Document
		want error
	}{
		{0, v1, nil},
		{0, v1, keyset.ErrConflict}, // another replica bootstrapped first
		{1, v2, nil},
		{1, v2, keyset.ErrConflict}, // stale version
		{7, &keyset.Document{Version: 8}, keyset.ErrConflict}, // a version never stored
	}
	for i, st := range steps {
		if err := s.Swap(ctx, st.old, st.next); !errors.Is(err, st.want) {
			t.Errorf("step %d: Swap(%d) = %v, want %v", i, st.old, err, st.want)
		}
	}
	for _, next := range []*keyset.Document{nil, v2, v1} {
		if err := s.Swap(ctx, 2, next); err == nil || errors.Is(err, keyset.ErrConflict) || !strings.Contains(err.Error(), "later version") {
			t.Errorf("Swap(2) to a document that is not later: %v", err)
		}
	}
	got, err := s.Load(ctx)
	if err != nil || got.Version != 2 || len(got.Keys) != 2 || got.Keys[1].KID != "b" {
		t.Errorf("after the swaps: %+v, %v", got, err)
	}
	// A second Store on the same table (another replica) sees the same row.
	other, err := New(ctx, newPool(t), table(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := other.Load(ctx); err != nil || got.Version != 2 {
		t.Errorf("another replica loads %+v, %v", got, err)
	}
}

// TestConcurrentSwaps: of many replicas swapping from the same version at
// once, each on its own connection pool, exactly one wins.
func TestConcurrentSwaps(t *testing.T) {
	ctx := context.Background()
	name := table(t)
	const replicas = 12
	stores := make([]*Store, replicas)
	for i := range stores {
		s, err := New(ctx, newPool(t), name)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	for version := int64(0); version < 5; version++ {
		var wins, conflicts atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				next := &keyset.Document{Version: version + 1, Keys: []keyset.Record{{KID: string(rune('a' + i))}}}
				switch err := s.Swap(ctx, version, next); {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, keyset.ErrConflict):
					conflicts.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != replicas-1 {
			t.Fatalf("version %d: %d wins, %d conflicts, want 1 and %d", version, wins.Load(), conflicts.Load(), replicas-1)
		}
	}
}

func TestLoadRefusesACorruptRow(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	s, err := New(ctx, pool, table(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ doc, want string }{
		{`{"version": 3, "keys": "not a list"}`, "does not decode"},
		{`{"version": 2, "keys": []}`, "edited by hand"},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO `+table(t)+` (id, version, doc) VALUES (1, 3, $1) ON CONFLICT (id) DO UPDATE SET doc = $1`, tc.doc); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("row %s: %v, want an error saying %q", tc.doc, err, tc.want)
		}
	}
}

// clock is a fake clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// replica is one keyset.Set on its own pool, and the kids it publishes.
type replica struct {
	set *keyset.Set
	mu  sync.Mutex
	pub []string
}

func (r *replica) published() []string { r.mu.Lock(); defer r.mu.Unlock(); return slices.Clone(r.pub) }

func newReplica(t *testing.T, name string, cfg keyset.Config) *replica {
	t.Helper()
	store, err := New(context.Background(), newPool(t), name)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = store
	set, err := keyset.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(set.Close)
	r := &replica{set: set}
	cancel := set.Subscribe(func(keys []jwks.Key) {
		kids := make([]string, len(keys))
		for i, k := range keys {
			kids[i] = k.ID
		}
		r.mu.Lock()
		r.pub = kids
		r.mu.Unlock()
	})
	t.Cleanup(cancel)
	return r
}

func (r *replica) signingKID(t *testing.T) string {
	t.Helper()
	k, _, err := r.set.SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}

// agree waits until every replica publishes the same kids and signs with
// the same key (each re-reads the table every 10 ms), and returns them.
func agree(t *testing.T, rs ...*replica) (published []string, signing string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		published, signing = rs[0].published(), rs[0].signingKID(t)
		same := true
		for _, r := range rs[1:] {
			same = same && slices.Equal(r.published(), published) && r.signingKID(t) == signing
		}
		if same {
			return published, signing
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas disagree for 10 s: %v / %s vs %v / %s", published, signing, rs[1].published(), rs[1].signingKID(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReplicasRotateThroughPostgres: three replicas on one table, each with
// its own pool, start at once, agree on one key, rotate through three
// rotations on a fake clock, and never stop verifying a token one of them
// issued before it expired. A token is verified the way Dynamic does it:
// keyfunc on a JWKS served by another replica. The row holds no private
// key in the clear.
func TestReplicasRotateThroughPostgres(t *testing.T) {
	name := table(t)
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	kek := make([]byte, 32)
	_, _ = rand.Read(kek)
	sealer, err := keyset.NewAESGCM("kek-1", kek)
	if err != nil {
		t.Fatal(err)
	}
	cfg := keyset.Config{Rotation: 10 * time.Hour, PublishLead: time.Hour, MaxTTL: 2 * time.Hour,
		Leeway: time.Minute, Refresh: 10 * time.Millisecond, Sealer: sealer, Now: c.now}
	rs := make([]*replica, 3)
	var wg sync.WaitGroup
	for i := range rs {
		wg.Add(1)
		go func() { defer wg.Done(); rs[i] = newReplica(t, name, cfg) }()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	published, first := agree(t, rs...)
	if len(published) != 1 || published[0] != first {
		t.Fatalf("after start: publishing %v, signing %s; want one key", published, first)
	}

	jwksURL := keyfunctest.Serve(t, rs[2].set)
	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: rs[0].set, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []token
	signers := map[string]bool{}
	for step := 0; step < 32*2; step++ { // 32 h in 30-minute steps
		_, signing := agree(t, rs...)
		signers[signing] = true
		raw, err := iss.Issue(context.Background(), issuer.Claims{Subject: "user-1", TTL: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, token{raw, signing, c.now().Add(2 * time.Hour)})
		verifyLive(t, jwksURL, tokens, c.now())
		c.add(30 * time.Minute)
		time.Sleep(30 * time.Millisecond) // a few refreshes at the new time
	}
	if len(signers) < 4 {
		t.Errorf("%d signing keys in 32 h with a 10 h rotation, want 4", len(signers))
	}
	var raw string
	if err := newPool(t).QueryRow(context.Background(), `SELECT doc::text FROM `+name).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, `"d":`) || strings.Contains(raw, `"p":`) {
		t.Errorf("the row holds a private key in the clear: %.300s", raw)
	}
	var doc keyset.Document
	if err := json.Unmarshal([]byte(raw), &doc); err != nil || doc.Version < 4 {
		t.Errorf("stored document version %d, %v: want one version per change", doc.Version, err)
	}
}

// token is an issued token, the kid that signed it and its expiry.
type token struct {
	raw string
	kid string
	exp time.Time
}

// verifyLive checks every unexpired token against a fresh fetch of the
// JWKS at url, as a verifier with an empty cache would.
func verifyLive(t *testing.T, url string, tokens []token, now time.Time) {
	t.Helper()
	for _, tok := range tokens {
		if now.Before(tok.exp) {
			keyfunctest.Verify(t, url, tok.raw, "https://auth.example.com", now)
		}
	}
}
