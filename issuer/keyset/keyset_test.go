package keyset

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extauth/extauth/internal/logbuf"
	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
)

// clock is a fake clock the tests move by hand.
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

// keyPool hands out pre-generated keys: RSA generation is slow.
type keyPool struct {
	mu   sync.Mutex
	keys []*issuer.Key
}

func newKeyPool(t testing.TB, n int) *keyPool {
	p := &keyPool{}
	for range n {
		k, err := issuer.GenerateKey(0, "")
		if err != nil {
			t.Fatal(err)
		}
		p.keys = append(p.keys, k)
	}
	return p
}

func (p *keyPool) next(context.Context) (*issuer.Key, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.keys) == 0 {
		return nil, "", errors.New("key pool exhausted")
	}
	k := p.keys[0]
	p.keys = p.keys[1:]
	return k, "", nil
}

// testConfig is a Config on store with a fake clock and a schedule short
// enough to rotate often: rotate every 10 h, publish 1 h ahead, tokens of
// at most 2 h. Refresh is long: the tests call sync themselves.
func testConfig(store Store, c *clock, pool *keyPool) Config {
	return Config{
		Store: store, Rotation: 10 * time.Hour, PublishLead: time.Hour, MaxTTL: 2 * time.Hour, Leeway: time.Minute,
		Refresh: time.Hour, Now: c.now,
		NewKey: func(ctx context.Context) (*issuer.Key, string, error) {
			k, _, err := pool.next(ctx)
			return k, "", err
		},
		Open: func(context.Context, string, string) (*issuer.Key, error) { return nil, errors.New("no refs here") },
	}
}

func newSet(t testing.TB, cfg Config) *Set {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func kids(s *Set) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, k := range s.publishedLocked() {
		out = append(out, k.ID)
	}
	return out
}

func signingKID(t testing.TB, s *Set) string {
	t.Helper()
	k, _, err := s.SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}

// TestReplicasRaceToStart: replicas starting at once on an empty store
// agree on exactly one first key.
func TestReplicasRaceToStart(t *testing.T) {
	store := &MemoryStore{}
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	pool := newKeyPool(t, 8)
	sets := make([]*Set, 8)
	var wg sync.WaitGroup
	for i := range sets {
		wg.Go(func() { sets[i] = newSet(t, testConfig(store, c, pool)) })
	}
	wg.Wait()
	doc, _ := store.Load(context.Background())
	if len(doc.Keys) != 1 {
		t.Fatalf("%d keys stored, want exactly 1", len(doc.Keys))
	}
	for _, s := range sets {
		if got := signingKID(t, s); got != doc.Keys[0].KID {
			t.Errorf("a replica signs with %s, the store has %s", got, doc.Keys[0].KID)
		}
	}
}

// TestRotationsAcrossReplicas moves the clock through six rotations with
// two replicas and checks, at every step: both publish the same keys and
// sign with the same one; a key is published at least the publish lead
// before it first signs (a rotation's key); and every token a replica could
// have signed stays verifiable (its kid published) until it expires.
func TestRotationsAcrossReplicas(t *testing.T) {
	store := &MemoryStore{}
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	pool := newKeyPool(t, 10)
	a := newSet(t, testConfig(store, c, pool))
	b := newSet(t, testConfig(store, c, pool))
	ctx := context.Background()

	firstPublished := map[string]time.Time{}
	firstSigned := map[string]time.Time{}
	type token struct {
		kid string
		exp time.Time
	}
	var tokens []token
	rotations := 0
	last := ""
	signingKIDAt0 := signingKID(t, a)    // the bootstrap key signs at once
	for step := 0; step < 6*60; step++ { // 60 h in 10-minute steps
		for _, s := range []*Set{a, b} {
			if err := s.sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		now := c.now()
		ka, kb := kids(a), kids(b)
		if strings.Join(ka, ",") != strings.Join(kb, ",") {
			t.Fatalf("%s: replicas publish %v and %v", now, ka, kb)
		}
		signA, signB := signingKID(t, a), signingKID(t, b)
		if signA != signB {
			t.Fatalf("%s: replicas sign with %s and %s", now, signA, signB)
		}
		for _, k := range ka {
			if _, ok := firstPublished[k]; !ok {
				firstPublished[k] = now
			}
		}
		if _, ok := firstSigned[signA]; !ok {
			firstSigned[signA] = now
		}
		if signA != last {
			if last != "" {
				rotations++
			}
			last = signA
		}
		tokens = append(tokens, token{signA, now.Add(2 * time.Hour)})
		for _, tok := range tokens {
			if now.Before(tok.exp) && !strings.Contains(","+strings.Join(ka, ",")+",", ","+tok.kid+",") {
				t.Fatalf("%s: a token of %s (exp %s) is no longer verifiable: published %v", now, tok.kid, tok.exp, ka)
			}
		}
		c.add(10 * time.Minute)
	}
	if rotations < 5 {
		t.Errorf("%d rotations in 60 h, want at least 5", rotations)
	}
	bootstrap := signingKIDAt0
	for kid, signed := range firstSigned {
		if pub := firstPublished[kid]; signed.Sub(pub) < time.Hour && kid != bootstrap {
			t.Errorf("key %s published %s, signed %s: less than the publish lead", kid, pub, signed)
		}
	}
	if n := len(kids(a)); n > 3 {
		t.Errorf("%d keys still published: retired keys are not dropped", n)
	}
}

// flakyStore fails while down is set.
type flakyStore struct {
	Store
	mu   sync.Mutex
	down bool
}

func (f *flakyStore) setDown(d bool) { f.mu.Lock(); f.down = d; f.mu.Unlock() }
func (f *flakyStore) isDown() bool   { f.mu.Lock(); defer f.mu.Unlock(); return f.down }

func (f *flakyStore) Load(ctx context.Context) (*Document, error) {
	if f.isDown() {
		return nil, errors.New("connection refused")
	}
	return f.Store.Load(ctx)
}

func (f *flakyStore) Swap(ctx context.Context, old int64, next *Document) error {
	if f.isDown() {
		return errors.New("connection refused")
	}
	return f.Store.Swap(ctx, old, next)
}

// TestStoreOutage: while the store is down the set keeps signing and
// publishing its last good keys; Err reports the outage after StaleAfter;
// once the store is back, rotation resumes.
func TestStoreOutage(t *testing.T) {
	store := &flakyStore{Store: &MemoryStore{}}
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	pool := newKeyPool(t, 4)
	cfg := testConfig(store, c, pool)
	cfg.StaleAfter = 30 * time.Minute
	s := newSet(t, cfg)
	ctx := context.Background()
	before := signingKID(t, s)
	store.setDown(true)
	c.add(20 * time.Minute)
	if err := s.sync(ctx); err == nil {
		t.Fatal("sync with the store down succeeded")
	}
	if signingKID(t, s) != before || len(kids(s)) != 1 || s.Err() != nil {
		t.Fatalf("during a short outage: signs %s, publishes %v, Err %v", signingKID(t, s), kids(s), s.Err())
	}
	c.add(20 * time.Minute)
	_ = s.sync(ctx)
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("after StaleAfter: Err = %v", err)
	}
	// Back, and past the rotation time: a new key is proposed.
	store.setDown(false)
	c.add(10 * time.Hour)
	if err := s.sync(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Err() != nil || len(kids(s)) != 2 {
		t.Errorf("after recovery: Err %v, published %v (want the next key staged)", s.Err(), kids(s))
	}
}

// TestSealedAtRest: with a Sealer no private member is stored in the
// clear, and a replica without that Sealer refuses to start, saying why.
func TestSealedAtRest(t *testing.T) {
	store := &MemoryStore{}
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	pool := newKeyPool(t, 2)
	kek := make([]byte, 32)
	_, _ = rand.Read(kek)
	sealer, err := NewAESGCM("kek-1", kek)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(store, c, pool)
	cfg.Sealer = sealer
	s := newSet(t, cfg)
	priv, _ := s.keys[signingKID(t, s)].MarshalPrivateJWK()
	store.mu.Lock()
	raw := bytes.Clone(store.doc)
	store.mu.Unlock()
	if bytes.Contains(raw, []byte(`\"d\"`)) || bytes.Contains(raw, []byte(`"d":`)) || bytes.Contains(raw, priv[len(priv)/2:len(priv)/2+40]) {
		t.Fatalf("private key material stored in the clear: %.300s", raw)
	}
	cfg.Sealer = nil
	if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), `sealed by "kek-1"`) {
		t.Errorf("without the sealer: %v", err)
	}
	other, _ := NewAESGCM("kek-1", make([]byte, 32))
	cfg.Sealer = other
	if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "does not open") || strings.Contains(err.Error(), string(kek)) {
		t.Errorf("with the wrong sealer key: %v", err)
	}
}

// TestHSMRefs: keys from Config.NewKey with a ref store no private
// material; Open resolves them on every replica.
func TestHSMRefs(t *testing.T) {
	store := &MemoryStore{}
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	pool := newKeyPool(t, 1)
	hsm := map[string]*issuer.Key{}
	var mu sync.Mutex
	cfg := testConfig(store, c, pool)
	cfg.NewKey = func(ctx context.Context) (*issuer.Key, string, error) {
		k, _, err := pool.next(ctx)
		if err == nil {
			mu.Lock()
			hsm["slot-"+k.ID()] = k
			mu.Unlock()
		}
		return k, "slot-" + k.ID(), err
	}
	cfg.Open = func(_ context.Context, ref, kid string) (*issuer.Key, error) {
		mu.Lock()
		defer mu.Unlock()
		if k := hsm[ref]; k != nil {
			return k, nil
		}
		return nil, errors.New("no such slot")
	}
	a := newSet(t, cfg)
	b := newSet(t, cfg)
	doc, _ := store.Load(context.Background())
	if doc.Keys[0].Private != nil || doc.Keys[0].Ref == "" || signingKID(t, a) != signingKID(t, b) {
		t.Errorf("record %+v", doc.Keys[0])
	}
}

// TestFileStore: replicas sharing one file, a conflict, and the file's
// mode.
func TestFileStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	pool := newKeyPool(t, 3)
	a := newSet(t, testConfig(&FileStore{Path: path}, c, pool))
	b := newSet(t, testConfig(&FileStore{Path: path}, c, pool))
	if signingKID(t, a) != signingKID(t, b) {
		t.Fatal("replicas on one file disagree")
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v", st.Mode(), err)
	}
	fs := &FileStore{Path: path}
	doc, _ := fs.Load(context.Background())
	if err := fs.Swap(context.Background(), doc.Version-1, doc); !errors.Is(err, ErrConflict) {
		t.Errorf("stale swap: %v", err)
	}
	c.add(9*time.Hour + time.Minute)
	if err := b.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Join(kids(a), ",") != strings.Join(kids(b), ",") || len(kids(a)) != 2 {
		t.Errorf("after a rotation proposal: %v and %v", kids(a), kids(b))
	}
}

// TestIssueAndPublish: the Set is the key source of an Issuer and a JWKS
// handler; the handler republishes when the set changes, and the
// Cache-Control never exceeds the publish lead.
func TestIssueAndPublish(t *testing.T) {
	store := &MemoryStore{}
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	pool := newKeyPool(t, 2)
	cfg := testConfig(store, c, pool)
	cfg.PublishLead = 4 * time.Minute
	s := newSet(t, cfg)
	if got := s.CacheControl(); got != "public, max-age=120" {
		t.Errorf("CacheControl = %q", got)
	}
	h, err := jwks.NewHandler(s, &jwks.Options{CacheControl: s.CacheControl()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: s, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Issue(context.Background(), issuer.Claims{Subject: "u", TTL: 3 * time.Hour}); !errors.Is(err, issuer.ErrInvalidClaims) {
		t.Errorf("a token longer than MaxTTL: %v", err)
	}
	var got [][]jwks.Key
	cancel := s.Subscribe(func(k []jwks.Key) { got = append(got, k) })
	defer cancel()
	c.add(10*time.Hour - 4*time.Minute)
	if err := s.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[1]) != 2 {
		t.Errorf("subscriber saw %d sets (last %v), want the staged key announced", len(got), got[len(got)-1])
	}
}

// TestBackgroundRefresh: with the real clock, a replica picks up a change
// another one stored, within a few Refresh periods, and tells its
// subscribers.
func TestBackgroundRefresh(t *testing.T) {
	store := &MemoryStore{}
	pool := newKeyPool(t, 2)
	cfg := Config{Store: store, Refresh: 20 * time.Millisecond, NewKey: pool.next,
		Open: func(context.Context, string, string) (*issuer.Key, error) { return nil, errors.New("no refs") }}
	a := newSet(t, cfg)
	b := newSet(t, cfg)
	changed := make(chan []jwks.Key, 4)
	cancel := b.Subscribe(func(k []jwks.Key) { changed <- k })
	defer cancel()
	<-changed // the current set
	// Another replica stages a key by hand.
	doc, _ := store.Load(context.Background())
	k, _, _ := pool.next(context.Background())
	rec, err := a.record(k, "")
	if err != nil {
		t.Fatal(err)
	}
	rec.PublishAt, rec.SignAt = time.Now(), time.Now().Add(time.Hour)
	next := &Document{Version: doc.Version + 1, Keys: append(doc.Keys, rec)}
	if err := store.Swap(context.Background(), doc.Version, next); err != nil {
		t.Fatal(err)
	}
	select {
	case keys := <-changed:
		if len(keys) != 2 {
			t.Errorf("b publishes %d keys, want 2", len(keys))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b did not pick up the stored change")
	}
}

// TestBackgroundRotationOutlastsRefresh: a background re-read that
// generates a key may take longer than Refresh (a slow HSM, a 4096-bit
// key) and still stores it.
func TestBackgroundRotationOutlastsRefresh(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	pool := newKeyPool(t, 3)
	cfg := testConfig(&MemoryStore{}, c, pool)
	cfg.Refresh = 5 * time.Millisecond
	slow := cfg.NewKey
	cfg.NewKey = func(ctx context.Context) (*issuer.Key, string, error) {
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
		return slow(ctx)
	}
	s := newSet(t, cfg)
	first := signingKID(t, s)
	c.add(11 * time.Hour) // past the rotation: a key is due and signs after the lead
	deadline := time.Now().Add(5 * time.Second)
	for len(kids(s)) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no rotation key stored in 5 s: publishing %v", kids(s))
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.add(2 * time.Hour)
	for signingKID(t, s) == first {
		if time.Now().After(deadline) {
			t.Fatal("the rotation key never signs")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOutageLogsOnce: a store down for many refreshes is logged once when
// it goes down and once when it is back, not once per refresh.
func TestOutageLogsOnce(t *testing.T) {
	store := &flakyStore{Store: &MemoryStore{}}
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	var logs syncBuffer
	cfg := testConfig(store, c, newKeyPool(t, 2))
	cfg.Refresh = 2 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	newSet(t, cfg)
	store.setDown(true)
	time.Sleep(100 * time.Millisecond) // about 50 failed refreshes
	store.setDown(false)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "answers again") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	out := logs.String()
	if n := strings.Count(out, "store is unreachable"); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "answers again"); n != 1 {
		t.Errorf("%d recovery lines, want 1:\n%s", n, out)
	}
}

// syncBuffer collects log output from several goroutines.
type syncBuffer = logbuf.Buffer
