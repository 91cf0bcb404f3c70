// Package keyset is a signing key set that several replicas share through
// a Store: each replica derives the published keys and the signing key
// from the same stored Document and its clock, and a rotation is proposed
// with compare-and-swap, so exactly one proposal wins.
//
//	set, err := keyset.New(ctx, keyset.Config{Store: &keyset.FileStore{Path: "/var/lib/idp/keys.json"}, Sealer: kek})
//	if err != nil {
//		return err
//	}
//	defer set.Close()
//	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: set})
//	h, err := jwks.NewHandler(set, &jwks.Options{CacheControl: set.CacheControl()})
//
// A new key is published the publish lead (default one hour) before it
// signs, so verifiers that cache the JWKS have it before its first token; a
// superseded key stays published until the last token it signed has
// expired, plus a leeway. Replicas re-read the store every Refresh (default
// 30 s); while the store is unreachable they keep serving the last good
// set, log it, and report it through Err once StaleAfter has passed.
//
// A Set is an issuer.KeySource: pass it to issuer.New and jwks.NewHandler.
package keyset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
)

// Config configures a Set. Only Store is required.
type Config struct {
	// Store holds the shared document.
	Store Store
	// Rotation is how long a key signs before the next one takes over.
	// Zero means 30 days; negative means never rotate (keys are then added
	// by writing the document elsewhere).
	Rotation time.Duration
	// PublishLead is how long a new key is published before it signs: at
	// least the verifiers' JWKS cache lifetime. Zero means one hour
	// (Dynamic's cache time is not documented).
	PublishLead time.Duration
	// MaxTTL is the longest lifetime of a token the set signs. Zero means
	// issuer.DefaultMaxTTL (24 h).
	MaxTTL time.Duration
	// Leeway is added to a retired key's publication, for verifiers' clock
	// skew. Zero means one minute.
	Leeway time.Duration
	// Refresh is how often the store is re-read. Zero means 30 seconds.
	// A background re-read (which may generate and store a key) may take
	// up to Refresh or 30 seconds, whichever is longer.
	Refresh time.Duration
	// StaleAfter is how long the store may be unreachable before Err
	// reports it (the set keeps serving meanwhile). Zero means 10 minutes.
	StaleAfter time.Duration
	// Sealer encrypts the private keys this set generates before they are
	// stored, and opens them. Nil stores them unencrypted: use it only
	// where the store itself is a secret (a mounted Secret, say).
	Sealer Sealer
	// NewKey makes the key of a rotation. Nil generates a 2048-bit RSA key
	// held in memory (and stored sealed). For a key in an HSM or KMS,
	// return it with a ref that Open resolves; then no private material is
	// stored.
	NewKey func(ctx context.Context) (key *issuer.Key, ref string, err error)
	// Open resolves a record's Ref (a key in an HSM or KMS). Required when
	// NewKey returns refs.
	Open func(ctx context.Context, ref, kid string) (*issuer.Key, error)
	// Logger receives a warning when the store becomes unreachable (then
	// at most one a minute while it stays so), an info line when it is
	// back, and an info
	// line per rotation (kids only, never key material). Nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Set is a key set shared through a Store. It is safe for concurrent use.
type Set struct {
	cfg   Config
	sched schedule
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	mu       sync.Mutex
	doc      *Document
	keys     map[string]*issuer.Key // opened records, by kid
	subs     map[uint64]func([]jwks.Key)
	nextSub  uint64
	lastKIDs []string  // published kids last told to subscribers
	loadedAt time.Time // last successful load
	loadErr  error     // last failed load, nil after a success
}

// New loads the document (proposing the first key when it is empty, or a
// rotation when one is due) and starts the background refresh. It fails
// when the store cannot be read or no signing key can be had.
func New(ctx context.Context, cfg Config) (*Set, error) {
	if cfg.Store == nil {
		return nil, errors.New("keyset: Config.Store is nil: pass a MemoryStore, a FileStore or your own")
	}
	if cfg.NewKey != nil && cfg.Open == nil {
		return nil, errors.New("keyset: Config.Open is nil: it must resolve the refs Config.NewKey returns")
	}
	cfg = withDefaults(cfg)
	if cfg.MaxTTL+cfg.Leeway <= 0 || cfg.PublishLead <= 0 {
		return nil, errors.New("keyset: Config.PublishLead and Config.MaxTTL must be positive")
	}
	s := &Set{
		cfg:   cfg,
		sched: schedule{rotation: cfg.Rotation, lead: cfg.PublishLead, maxTTL: cfg.MaxTTL, leeway: cfg.Leeway},
		stop:  make(chan struct{}), done: make(chan struct{}),
		keys: map[string]*issuer.Key{}, subs: map[uint64]func([]jwks.Key){},
	}
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	if _, _, err := s.SigningKey(ctx); err != nil {
		return nil, err
	}
	go s.loop()
	return s, nil
}

func withDefaults(cfg Config) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.Rotation, 30*24*time.Hour)
	def(&cfg.PublishLead, time.Hour)
	def(&cfg.MaxTTL, issuer.DefaultMaxTTL)
	def(&cfg.Leeway, time.Minute)
	def(&cfg.Refresh, 30*time.Second)
	def(&cfg.StaleAfter, 10*time.Minute)
	if cfg.Rotation < 0 {
		cfg.Rotation = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// loop re-reads the store every Refresh, and recomputes the published set
// at each scheduled transition in between.
func (s *Set) loop() {
	defer close(s.done)
	var down time.Time // when the store became unreachable; zero while it answers
	var warned time.Time
	for {
		wait := s.cfg.Refresh
		if next := s.nextTransition(); !next.IsZero() {
			wait = min(wait, max(next.Sub(s.cfg.Now()), 0)+time.Millisecond)
		}
		select {
		case <-s.stop:
			return
		case <-time.After(wait):
		}
		// Not Refresh alone: a short Refresh must still leave time to
		// generate a key and store it.
		ctx, cancel := context.WithTimeout(context.Background(), max(s.cfg.Refresh, 30*time.Second))
		err := s.sync(ctx)
		cancel()
		now := time.Now()
		switch {
		case err != nil && (down.IsZero() || now.Sub(warned) >= time.Minute):
			if down.IsZero() {
				down = now
			}
			warned = now
			s.cfg.Logger.Warn("keyset: the store is unreachable; still serving the last good key set", "err", err.Error(), "since", down)
		case err == nil && !down.IsZero():
			s.cfg.Logger.Info("keyset: the store answers again", "unreachable_for", now.Sub(down).Round(time.Millisecond).String())
			down = time.Time{}
		}
	}
}

func (s *Set) nextTransition() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.doc == nil {
		return time.Time{}
	}
	return nextTransition(s.doc, s.cfg.Now())
}

// sync loads the document, proposes the change that is due (if any), and
// tells subscribers when the published set changed.
func (s *Set) sync(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		doc, err := s.cfg.Store.Load(ctx)
		if err != nil {
			s.mu.Lock()
			s.loadErr = err
			s.mu.Unlock()
			s.notify()
			return fmt.Errorf("keyset: load: %w", err)
		}
		if err := s.adopt(ctx, doc); err != nil {
			return err
		}
		due, next := s.sched.proposal(doc, s.cfg.Now())
		if !due || attempt >= 3 {
			s.notify()
			return nil
		}
		if err := s.propose(ctx, doc, next); err != nil && !errors.Is(err, ErrConflict) {
			s.notify()
			return err
		}
		// Won or lost: reload, and let the stored document decide.
	}
}

// adopt makes doc the current document, opening the keys it names.
func (s *Set) adopt(ctx context.Context, doc *Document) error {
	keys := map[string]*issuer.Key{}
	s.mu.Lock()
	for kid, k := range s.keys {
		keys[kid] = k
	}
	s.mu.Unlock()
	for _, r := range doc.Keys {
		if _, ok := keys[r.KID]; ok {
			continue
		}
		k, err := s.open(ctx, r)
		if err != nil {
			return fmt.Errorf("keyset: key %q: %w", r.KID, err)
		}
		keys[r.KID] = k
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc, s.keys, s.loadedAt, s.loadErr = doc, keys, s.cfg.Now(), nil
	return nil
}

// open turns a record into a signing key.
func (s *Set) open(ctx context.Context, r Record) (*issuer.Key, error) {
	if r.Ref != "" {
		if s.cfg.Open == nil {
			return nil, errors.New("the record names an HSM or KMS key but Config.Open is nil")
		}
		return s.cfg.Open(ctx, r.Ref, r.KID)
	}
	priv := r.Private
	switch {
	case r.SealedBy != "" && (s.cfg.Sealer == nil || s.cfg.Sealer.ID() != r.SealedBy):
		return nil, fmt.Errorf("the private key is sealed by %q: configure that Sealer", r.SealedBy)
	case r.SealedBy != "":
		var err error
		if priv, err = s.cfg.Sealer.Open(priv); err != nil {
			return nil, err
		}
	}
	return issuer.ParseJWK(priv)
}

// propose generates a key and stores next(record) with compare-and-swap.
func (s *Set) propose(ctx context.Context, doc *Document, next func(Record) *Document) error {
	key, ref, err := s.newKey(ctx)
	if err != nil {
		return fmt.Errorf("keyset: new key: %w", err)
	}
	rec, err := s.record(key, ref)
	if err != nil {
		return err
	}
	nd := next(rec)
	if err := s.cfg.Store.Swap(ctx, doc.Version, nd); err != nil {
		return err
	}
	for _, r := range nd.Keys {
		if r.KID == rec.KID {
			s.cfg.Logger.Info("keyset: new key proposed and stored", "kid", r.KID, "publish_at", r.PublishAt, "sign_at", r.SignAt, "version", nd.Version)
		}
	}
	return nil
}

func (s *Set) newKey(ctx context.Context) (*issuer.Key, string, error) {
	if s.cfg.NewKey != nil {
		return s.cfg.NewKey(ctx)
	}
	k, err := issuer.GenerateKey(0, "")
	return k, "", err
}

// record is the stored form of a new key.
func (s *Set) record(key *issuer.Key, ref string) (Record, error) {
	pub, err := key.Public().MarshalJSON()
	if err != nil {
		return Record{}, err
	}
	r := Record{KID: key.ID(), Public: pub, Ref: ref}
	if ref != "" {
		return r, nil
	}
	priv, err := key.MarshalPrivateJWK()
	if err != nil {
		return Record{}, fmt.Errorf("keyset: the key cannot be stored (return a ref from Config.NewKey for HSM or KMS keys): %w", err)
	}
	if s.cfg.Sealer != nil {
		if priv, err = s.cfg.Sealer.Seal(priv); err != nil {
			return Record{}, err
		}
		r.SealedBy = s.cfg.Sealer.ID()
	}
	r.Private = priv
	return r, nil
}

// SigningKey implements issuer.KeySource: the key that signs now, and
// Config.MaxTTL.
func (s *Set) SigningKey(context.Context) (*issuer.Key, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.doc == nil {
		return nil, 0, errors.New("keyset: Set is closed or not made by New")
	}
	i := signer(s.doc, s.cfg.Now())
	if i < 0 {
		return nil, 0, errors.New("keyset: the stored key set has no key that signs now: the store may have been emptied")
	}
	return s.keys[s.doc.Keys[i].KID], s.cfg.MaxTTL, nil
}

// Subscribe implements jwks.Source: fn gets the published keys now, then
// whenever they change (a stored change or a scheduled transition).
func (s *Set) Subscribe(fn func([]jwks.Key)) (cancel func()) {
	if fn == nil {
		return func() {}
	}
	s.mu.Lock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	keys := s.publishedLocked()
	s.mu.Unlock()
	fn(keys)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

func (s *Set) publishedLocked() []jwks.Key {
	if s.doc == nil {
		return nil
	}
	var out []jwks.Key
	for _, r := range published(s.doc, s.cfg.Now()) {
		if k := s.keys[r.KID]; k != nil {
			out = append(out, k.Public())
		}
	}
	return out
}

// notify tells subscribers the published keys when they changed.
func (s *Set) notify() {
	s.mu.Lock()
	keys := s.publishedLocked()
	kids := make([]string, len(keys))
	for i, k := range keys {
		kids[i] = k.ID
	}
	changed := !slices.Equal(kids, s.lastKIDs)
	s.lastKIDs = kids
	subs := make([]func([]jwks.Key), 0, len(s.subs))
	for _, fn := range s.subs {
		subs = append(subs, fn)
	}
	s.mu.Unlock()
	if changed {
		for _, fn := range subs {
			fn(slices.Clone(keys))
		}
	}
}

// Err reports a store that has been unreachable for longer than
// StaleAfter (the set keeps serving its last good keys meanwhile); nil
// otherwise.
func (s *Set) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadErr != nil && s.cfg.Now().Sub(s.loadedAt) > s.cfg.StaleAfter {
		return fmt.Errorf("keyset: the store has been unreachable since %s: %w", s.loadedAt.UTC().Format(time.RFC3339), s.loadErr)
	}
	return nil
}

// CacheControl is the Cache-Control value for the JWKS handler: a max-age
// of at most five minutes and never more than the publish lead, so a key
// is in every cache before it signs.
func (s *Set) CacheControl() string {
	age := min(5*time.Minute, s.cfg.PublishLead/2)
	return "public, max-age=" + strconv.Itoa(int(age/time.Second))
}

// Close stops the background refresh. The set keeps answering with the
// last document it had. Close is idempotent.
func (s *Set) Close() {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
	})
}

// Set is an issuer.KeySource.
var _ issuer.KeySource = (*Set)(nil)
