package issuer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extauth/extauth/issuer/internal/keystate"
	"github.com/extauth/extauth/jwks"
)

func kids(keys []jwks.Key) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return strings.Join(ids, ",")
}

// withKID returns k's signer under another kid (cheap distinct keys).
func withKID(t testing.TB, k *Key, kid string) *Key {
	t.Helper()
	nk, err := NewKey(k.signer, kid)
	if err != nil {
		t.Fatal(err)
	}
	return nk
}

func TestRingLifecycle(t *testing.T) {
	base := testKeys(t)[0]
	a, b, c := withKID(t, base, "a"), withKID(t, base, "b"), withKID(t, base, "c")
	now := fixedTime
	ring, err := NewRing(a, &RingOptions{MaxTTL: time.Hour, Leeway: -1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	var seen []string
	cancel := ring.Subscribe(func(keys []jwks.Key) { seen = append(seen, kids(keys)) })

	step := func(name string, f func() error) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	step("stage b", func() error { return ring.Stage(b) })
	if ring.activeKey() != a || ring.stagedKey() != b {
		t.Error("Stage changed the active key")
	}
	step("rotate", ring.Rotate)
	now = now.Add(30 * time.Minute)
	step("stage c", func() error { return ring.Stage(c) })
	step("rotate", ring.Rotate) // a until +1h, b until +1h30
	ring.Prune()                // nothing expired: no notification
	now = now.Add(30 * time.Minute)
	ring.Prune() // a expires
	now = now.Add(30 * time.Minute)
	ring.Prune() // b expires
	cancel()
	cancel() // twice is fine
	step("stage a again after prune", func() error { return ring.Stage(a) })

	want := []string{"a", "a,b", "b,a", "b,c,a", "c,b,a", "c,b", "c"}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("notifications\n got %q\nwant %q", seen, want)
	}
	if got := kids(ring.publicKeys()); got != "c,a" {
		t.Errorf("PublicKeys = %s", got)
	}
}

func TestRingErrors(t *testing.T) {
	base := testKeys(t)[0]
	if _, err := NewRing(nil, nil); err == nil {
		t.Error("NewRing(nil) succeeded")
	}
	if _, err := NewRing(base, &RingOptions{MaxTTL: time.Millisecond}); err == nil {
		t.Error("tiny MaxTTL accepted")
	}
	ring, _ := NewRing(withKID(t, base, "a"), nil)
	defer ring.Close()
	if ring.maxTTL != DefaultMaxTTL {
		t.Errorf("MaxTTL = %v", ring.maxTTL)
	}
	if err := ring.Rotate(); !errors.Is(err, ErrNoStagedKey) {
		t.Errorf("Rotate without Stage: %v", err)
	}
	if err := ring.Stage(nil); err == nil {
		t.Error("Stage(nil) succeeded")
	}
	if err := ring.Stage(withKID(t, base, "a")); err == nil {
		t.Error("staged the active kid")
	}
	_ = ring.Stage(withKID(t, base, "b"))
	_ = ring.Rotate()
	if err := ring.Stage(withKID(t, base, "a")); err == nil {
		t.Error("staged a retired kid")
	}
	// Restaging replaces the staged key.
	_ = ring.Stage(withKID(t, base, "c"))
	_ = ring.Stage(withKID(t, base, "d"))
	if got := kids(ring.publicKeys()); got != "b,d,a" {
		t.Errorf("PublicKeys = %s", got)
	}
}

func TestRingPrunesOnTimer(t *testing.T) {
	base := testKeys(t)[0]
	ring, _ := NewRing(withKID(t, base, "a"), &RingOptions{MaxTTL: time.Second, Leeway: -1})
	defer ring.Close()
	changed := make(chan string, 10)
	defer ring.Subscribe(func(keys []jwks.Key) { changed <- kids(keys) })()
	<-changed
	_ = ring.Stage(withKID(t, base, "b"))
	_ = ring.Rotate()
	<-changed
	<-changed
	select {
	case got := <-changed:
		if got != "b" {
			t.Errorf("after timer: %s", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("retired key not pruned by the timer")
	}
}

// subscribeKIDs subscribes to ring, as the JWKS handler does, and returns
// the set of kids it published last.
func subscribeKIDs(t *testing.T, ring *Ring) *atomic.Pointer[map[string]bool] {
	var published atomic.Pointer[map[string]bool]
	t.Cleanup(ring.Subscribe(func(keys []jwks.Key) {
		m := map[string]bool{}
		for _, k := range keys {
			m[k.ID] = true
		}
		published.Store(&m)
	}))
	return &published
}

// TestConcurrentIssueDuringRotation issues tokens from many goroutines
// while another rotates keys; every token's kid must be in the published
// set (as seen by a subscriber, like the JWKS handler) when Issue returns.
// Run with -race.
func TestConcurrentIssueDuringRotation(t *testing.T) {
	base := testKeys(t)[0]
	ring, err := NewRing(withKID(t, base, "k0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	published := subscribeKIDs(t, ring)
	iss := newTestIssuer(t, Config{Keys: ring})

	const workers, perWorker, maxRotations = 8, 50, 500
	next := make([]*Key, maxRotations)
	for n := range next {
		next[n] = withKID(t, base, fmt.Sprintf("k%d", n+1))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker+1)
	stop := make(chan struct{})
	rotated := make(chan int)
	// The rotator rotates whenever another token has been issued, so
	// rotations are spread over the whole run, while other workers are in
	// the middle of Issue.
	var issued atomic.Int64
	go func() {
		n := 0
		defer func() { rotated <- n }()
		last := int64(0)
		for n < maxRotations {
			select {
			case <-stop:
				return
			default:
			}
			if cur := issued.Load(); cur == last {
				runtime.Gosched()
				continue
			} else {
				last = cur
			}
			if err := ring.Stage(next[n]); err != nil {
				errs <- err
				return
			}
			if err := ring.Rotate(); err != nil {
				errs <- err
				return
			}
			n++
		}
	}()
	seen := sync.Map{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				token, err := iss.Issue(context.Background(), Claims{Subject: "u"})
				if err != nil {
					errs <- err
					return
				}
				hdr, _ := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')])
				var h struct{ KID string }
				if err := json.Unmarshal(hdr, &h); err != nil {
					errs <- err
					return
				}
				if !(*published.Load())[h.KID] {
					errs <- fmt.Errorf("token signed with unpublished kid %q", h.KID)
					return
				}
				seen.Store(h.KID, true)
				issued.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	rotations := <-rotated
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	t.Logf("%d rotations; tokens signed with %d distinct kids", rotations, n)
	if rotations == 0 || n < 2 {
		t.Error("no rotation happened while issuing")
	}
}

// TestRetentionCoversTokens runs issuance, rotation and pruning together
// on a fast fake clock (every reading advances it a minute; MaxTTL and TTL
// are one hour) and checks the rule the ring exists for: every token that
// has not expired carries a published kid. Each worker re-checks all its
// earlier tokens after every Issue, so tokens are checked throughout their
// lifetime, across many rotations and prunes. Run with -race.
func TestRetentionCoversTokens(t *testing.T) {
	base := testKeys(t)[0]
	var clock atomic.Int64
	clock.Store(fixedTime.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Add(int64(time.Minute))) }
	ring, err := NewRing(withKID(t, base, "r0"), &RingOptions{MaxTTL: time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	published := subscribeKIDs(t, ring)
	iss := newTestIssuer(t, Config{Keys: ring, Now: now, TTL: time.Hour})

	const workers, perWorker, maxRotations = 4, 40, 2000
	next := make([]*Key, maxRotations)
	for n := range next {
		next[n] = withKID(t, base, fmt.Sprintf("r%d", n+1))
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	errs := make(chan error, workers+1)
	go func() {
		defer close(done)
		for n := 0; n < maxRotations; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := ring.Stage(next[n]); err != nil {
				errs <- err
				return
			}
			if err := ring.Rotate(); err != nil {
				errs <- err
				return
			}
			ring.Prune()
			runtime.Gosched()
		}
	}()
	type issued struct {
		kid string
		exp int64
	}
	var wg sync.WaitGroup
	var pruned, checks atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []issued
			for i := 0; i < perWorker; i++ {
				token, err := iss.Issue(context.Background(), Claims{Subject: "u"})
				if err != nil {
					errs <- err
					return
				}
				parts := strings.Split(token, ".")
				var h struct{ KID string }
				var c struct{ Exp int64 }
				hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
				cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
				if json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
					errs <- fmt.Errorf("bad token %q", token)
					return
				}
				mine = append(mine, issued{h.KID, c.Exp})
				pub := *published.Load()
				after := now().Unix() // read after the published set
				for _, tok := range mine {
					checks.Add(1)
					if pub[tok.kid] {
						continue
					}
					if tok.exp+int64(defaultRingLeeway/time.Second) > after {
						errs <- fmt.Errorf("kid %q unpublished while its token is valid until %d + leeway (now %d)", tok.kid, tok.exp, after)
						return
					}
					pruned.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d checks, %d of them of expired tokens whose key was pruned", checks.Load(), pruned.Load())
	if pruned.Load() == 0 {
		t.Error("no key was pruned during the test: the fake clock is too slow")
	}
}

// TestRetiredKeyOutlivesLeeway: a token signed just before a rotation with
// the longest TTL is accepted by verifiers until exp + their leeway, so its
// key must stay published that long, not only until exp.
func TestRetiredKeyOutlivesLeeway(t *testing.T) {
	base := testKeys(t)[0]
	now := fixedTime
	ring, err := NewRing(withKID(t, base, "old"), &RingOptions{MaxTTL: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	iss := newTestIssuer(t, Config{Keys: ring, TTL: time.Hour, Now: func() time.Time { return now }})
	tok, err := iss.Issue(context.Background(), Claims{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	_ = ring.Stage(withKID(t, base, "new"))
	_ = ring.Rotate()
	exp := fixedTime.Add(time.Hour)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{exp, "new,old"},
		{exp.Add(defaultRingLeeway / 2), "new,old"}, // a verifier with 30 s leeway still accepts tok
		{exp.Add(defaultRingLeeway), "new"},
	} {
		now = tc.at
		ring.Prune()
		if got := kids(ring.publicKeys()); got != tc.want {
			t.Errorf("at exp+%v: published %s, want %s (token %.20s…)", tc.at.Sub(exp), got, tc.want, tok)
		}
	}
}

// TestRingFollowsTheRules: at every step of Stage, Rotate and Prune the
// ring's signing key and published keys are what the rules of the shared
// model (internal/keystate, which issuer/keyset applies too) derive from
// the keys' times and the clock.
func TestRingFollowsTheRules(t *testing.T) {
	keys := testKeys(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r, err := NewRing(keys[0], &RingOptions{MaxTTL: time.Hour, Leeway: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	check := func(step string) {
		t.Helper()
		r.mu.Lock()
		defer r.mu.Unlock()
		i := keystate.Signer(len(r.keys), r.timesAt, now)
		if i < 0 || r.keys[i].key != r.active.Load() {
			t.Errorf("%s: the ring signs with %s, the rules say index %d", step, r.active.Load().ID(), i)
		}
		var want []string
		for _, k := range r.keys {
			if k.Published(now) {
				want = append(want, k.key.ID())
			}
		}
		var got []string
		for _, k := range r.publicLocked() {
			got = append(got, k.ID)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the ring publishes %v, the rules %v", step, got, want)
		}
	}
	check("new")
	for i := 1; i < 3; i++ {
		now = now.Add(10 * time.Minute)
		if err := r.Stage(keys[i]); err != nil {
			t.Fatal(err)
		}
		check("stage")
		now = now.Add(10 * time.Minute)
		if err := r.Rotate(); err != nil {
			t.Fatal(err)
		}
		check("rotate")
		now = now.Add(2 * time.Hour) // past the retired key's MaxTTL + leeway
		r.Prune()
		check("prune")
	}
}
