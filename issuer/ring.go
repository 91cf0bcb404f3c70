package issuer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/extauth/extauth/issuer/internal/keystate"
	"github.com/extauth/extauth/jwks"
)

// ErrNoStagedKey is returned by Rotate when no key has been staged.
var ErrNoStagedKey = errors.New("no staged key: call Stage(next) first")

// RingOptions configures a Ring. The zero value is ready to use.
type RingOptions struct {
	// MaxTTL is the longest lifetime of any token signed with the ring's
	// keys (Issue refuses longer ones), and so (plus Leeway) how long a
	// retired key stays published. 0 means DefaultMaxTTL (24h).
	MaxTTL time.Duration
	// Leeway is how long after a token's exp verifiers may still accept it
	// (their clock-skew tolerance): a retired key stays published for
	// MaxTTL + Leeway, so a verifier that refetches the JWKS just then
	// still finds it. 0 means one minute (twice the 30 s leeway of
	// dynamic's Validator); negative means none.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// defaultRingLeeway is RingOptions.Leeway's default.
const defaultRingLeeway = time.Minute

// Ring holds the signing keys and rotates them without a window in which a
// token could carry a kid that is not published:
//
//   - the active key signs every token;
//   - a staged key (Stage) is published but does not sign yet, so verifiers
//     that cache the JWKS can pick it up before the first token that uses it;
//   - Rotate makes the staged key active and retires the old active key,
//     which stays published until the rotation time + MaxTTL (when the last
//     token it signed has expired) + Leeway (while verifiers may still
//     accept that token); Prune then drops it.
//
// A Ring is a jwks.Source: pass it to jwks.NewHandler. Subscribers are called
// synchronously, under the ring's lock, before Stage, Rotate or Prune returns,
// so a key is in the published set before it can sign, and subscribers see
// changes in order. A subscriber must therefore not call back into the Ring.
//
// After each Rotate the ring schedules a Prune (time.AfterFunc) for when the
// earliest retired key's retention ends; Close stops that timer. With a
// custom RingOptions.Now, call Prune yourself.
//
// Rotate (and Stage before it) at least the JWKS cache lifetime apart
// (Cache-Control max-age, 5 minutes by default), so caches have seen the
// staged key before it signs.
//
// A Ring is safe for concurrent use.
//
// A Ring is the in-process case of the model issuer/keyset shares between
// replicas: each key carries the times that decide its state (published
// from, signing from, retired after), and the published set and the
// signing key are derived from those times and the clock by the same rules.
// Stage, Rotate and Prune set the times now instead of on a schedule.
type Ring struct {
	maxTTL time.Duration
	leeway time.Duration
	now    func() time.Time
	active atomic.Pointer[Key] // the signer under the rules, cached for Issue

	mu      sync.Mutex
	keys    []ringKey // oldest first
	subs    map[uint64]func([]jwks.Key)
	nextSub uint64
	timer   *time.Timer
	closed  bool
}

// ringKey is a key and its times: the staged key has no SignAt yet; a
// retired key's RetireAt is its successor's SignAt + MaxTTL + leeway.
type ringKey struct {
	key *Key
	keystate.Times
}

func (r *Ring) timesAt(i int) keystate.Times { return r.keys[i].Times }

// NewRing returns a Ring whose active key is active. opts may be nil.
func NewRing(active *Key, opts *RingOptions) (*Ring, error) {
	if !active.usable() {
		return nil, errors.New("issuer: NewRing: active key is nil or a zero Key: pass a key from GenerateKey, ParseJWK, ParsePEM, NewKey or LoadEnv")
	}
	var o RingOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.MaxTTL == 0:
		o.MaxTTL = DefaultMaxTTL
	case o.MaxTTL < time.Second:
		return nil, fmt.Errorf("issuer: RingOptions.MaxTTL %v is under one second: use at least 1s (or 0 for 24h)", o.MaxTTL)
	}
	switch {
	case o.Leeway == 0:
		o.Leeway = defaultRingLeeway
	case o.Leeway < 0:
		o.Leeway = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Ring{maxTTL: o.MaxTTL, leeway: o.Leeway, now: o.Now, subs: make(map[uint64]func([]jwks.Key))}
	now := o.Now()
	r.keys = []ringKey{{key: active, Times: keystate.Times{PublishAt: now, SignAt: now}}}
	r.active.Store(active)
	return r, nil
}

// errZeroRing is returned by the methods of a Ring not made by NewRing.
var errZeroRing = errors.New("issuer: Ring has no active key: create it with issuer.NewRing(key, opts)")

// SigningKey implements KeySource: the active key, and RingOptions.MaxTTL,
// the longest lifetime of a token it signs (a retired key stays published
// that long, plus the leeway, after Rotate).
func (r *Ring) SigningKey(context.Context) (*Key, time.Duration, error) {
	k := r.active.Load()
	if k == nil {
		return nil, 0, errZeroRing
	}
	return k, r.maxTTL, nil
}

// activeKey returns the key that signs new tokens (nil for a zero Ring).
func (r *Ring) activeKey() *Key { return r.active.Load() }

// stagedLocked returns the index of the staged key (published, no SignAt),
// or -1.
func (r *Ring) stagedLocked() int {
	for i, k := range r.keys {
		if k.SignAt.IsZero() {
			return i
		}
	}
	return -1
}

// stagedKey returns the staged key, or nil.
func (r *Ring) stagedKey() *Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := r.stagedLocked(); i >= 0 {
		return r.keys[i].key
	}
	return nil
}

// Stage publishes next as the key that the following Rotate will make
// active. It does not sign anything yet. Staging again replaces the staged
// key (which never signed, so it can be unpublished at once). next's kid
// must differ from every other kid in the ring.
func (r *Ring) Stage(next *Key) error {
	if !next.usable() {
		return errors.New("issuer: Stage: key is nil or a zero Key: pass a key from GenerateKey, ParseJWK, ParsePEM, NewKey or LoadEnv")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	active := r.active.Load()
	if active == nil {
		return errZeroRing
	}
	if next.id == active.id {
		return fmt.Errorf("issuer: Stage: kid %q is the active key's: generate a new key (or give it another kid)", next.id)
	}
	staged := r.stagedLocked()
	for i, k := range r.keys {
		if i != staged && k.key.id == next.id {
			return fmt.Errorf("issuer: Stage: kid %q belongs to a retired key still published: use a new kid", next.id)
		}
	}
	if staged >= 0 {
		r.keys = append(r.keys[:staged], r.keys[staged+1:]...)
	}
	r.keys = append(r.keys, ringKey{key: next, Times: keystate.Times{PublishAt: r.now()}})
	r.notifyLocked()
	return nil
}

// Rotate makes the staged key active and retires the previously active
// key, which stays published until now + MaxTTL + Leeway. Subscribers have been
// told before Rotate returns. It returns ErrNoStagedKey if nothing is staged.
func (r *Ring) Rotate() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	staged := r.stagedLocked()
	if staged < 0 {
		return ErrNoStagedKey
	}
	old := r.active.Load()
	// Swap first, then read the clock: an Issue that still got the old key
	// read its clock before this swap, so its tokens expire by RetireAt.
	r.active.Store(r.keys[staged].key)
	now := r.now()
	r.keys[staged].SignAt = now
	for i := range r.keys {
		if r.keys[i].key == old {
			r.keys[i].RetireAt = now.Add(r.maxTTL + r.leeway)
		}
	}
	r.notifyLocked()
	r.scheduleLocked()
	return nil
}

// Prune drops retired keys whose retention has ended (now >= rotation time +
// MaxTTL + Leeway) and tells subscribers if the published set changed.
func (r *Ring) Prune() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active.Load() == nil { // zero Ring
		return
	}
	now := r.now()
	kept := r.keys[:0]
	for _, k := range r.keys {
		if k.RetireAt.IsZero() || k.Published(now) {
			kept = append(kept, k)
		}
	}
	changed := len(kept) != len(r.keys)
	clear(r.keys[len(kept):])
	r.keys = kept
	if changed {
		r.notifyLocked()
	}
	r.scheduleLocked()
}

// Close stops the background pruning timer. The ring stays usable; call
// Prune yourself afterwards if you keep rotating.
func (r *Ring) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}

// scheduleLocked (re)arms the prune timer for the next retirement.
func (r *Ring) scheduleLocked() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.closed {
		return
	}
	now := r.now()
	if next := keystate.Next(len(r.keys), r.timesAt, now); !next.IsZero() {
		r.timer = time.AfterFunc(next.Sub(now), r.Prune)
	}
}

// publicKeys returns the published keys: the active key, the staged key
// (if any), then the retired keys still in retention, newest first.
func (r *Ring) publicKeys() []jwks.Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.publicLocked()
}

// publicLocked lists the keys not pruned yet: Prune, on its timer, drops
// a retired key when the rules unpublish it.
func (r *Ring) publicLocked() []jwks.Key {
	keys := make([]jwks.Key, 0, len(r.keys))
	active := r.active.Load()
	if active != nil { // nil only in a zero Ring
		keys = append(keys, active.Public())
	}
	for i := len(r.keys) - 1; i >= 0; i-- {
		if r.keys[i].key != active {
			keys = append(keys, r.keys[i].key.Public())
		}
	}
	return keys
}

func (r *Ring) notifyLocked() {
	for _, fn := range r.subs {
		fn(r.publicLocked())
	}
}

// Subscribe implements jwks.Source: fn is called synchronously with the
// current keys, then after every change, before Stage, Rotate or Prune
// returns. Each call gets its own slice. fn runs under the ring's lock and
// must not call the Ring (nor cancel). cancel stops notifications; it may be
// called more than once.
func (r *Ring) Subscribe(fn func([]jwks.Key)) (cancel func()) {
	if fn == nil {
		return func() {}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.nextSub
	r.nextSub++
	if r.subs == nil { // zero Ring: publishes nothing, but must not panic
		r.subs = make(map[uint64]func([]jwks.Key))
	}
	r.subs[id] = fn
	fn(r.publicLocked())
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.subs, id)
	}
}

// Ring and Key are KeySources.
var (
	_ KeySource = (*Ring)(nil)
	_ KeySource = (*Key)(nil)
)
