// Package keyset fetches and caches a remote JWK Set for verifying RS256
// tokens, with jwkset: one fetch up front, a background
// refresh, one rate-limited refresh on an unknown kid, and the checks a
// strict JOSE verifier makes of the set and of each key. Both of package
// dynamic's verifiers (external JWTs, Dynamic's session tokens) use it.
package keyset

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/extauth/extauth/internal/jsonobj"
	"github.com/extauth/extauth/jwks"
)

// Kinds of failure, matched with errors.Is; the verifiers export the first
// two under their own names (dynamic.ErrJWKSUnreachable, ErrUnknownKey).
var (
	ErrUnreachable = errors.New("JWKS URL unreachable")
	ErrUnknownKey  = errors.New("kid not found in JWKS")
)

// Error is a key lookup that failed: Kind is ErrUnreachable, ErrUnknownKey,
// jwt.ErrTokenUnverifiable (a key that cannot verify RS256) or
// jwt.ErrTokenMalformed (a kid that is not a string); Detail says what was
// found and what to do.
type Error struct {
	Kind   error
	Detail string
}

func (e *Error) Error() string { return e.Detail }
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// maxBytes caps the JWK Set response read.
const maxBytes = 1 << 20

// Options configures a Set.
type Options struct {
	URL        string
	HTTPClient *http.Client // nil: a 10 s timeout
	// Refresh is the background refresh period; UnknownKID the spacing of
	// the refreshes an unknown kid triggers (the first one is immediate).
	Refresh, UnknownKID time.Duration
	// Hint is appended to the error of an unreachable set: where it should
	// be reachable from.
	Hint string
}

// Set is a remote JWK Set. It is safe for concurrent use.
type Set struct {
	opts    Options
	client  jwkset.Storage // the fetched set, refreshed on an unknown kid
	cached  jwkset.Storage // the fetched set, read without refreshing
	limiter *rate.Limiter  // jwkset's limiter of unknown-kid refreshes
	// refreshing is held (a one-slot semaphore) during an unknown-kid
	// refresh: tokens of a new kid arriving together wait for the one
	// refresh, then read the refreshed set, rather than failing on the
	// spent rate limit while it is in flight.
	refreshing chan struct{}
	checked    sync.Map // kid → the *rsa.PublicKey rs256Key accepted for it
	cancel     context.CancelFunc
	once       sync.Once

	// lastRefreshErr is the outcome of the most recent fetch: nil after a
	// fetch started (and stays nil if it succeeds), the error otherwise.
	lastRefreshErr atomic.Pointer[error]
}

// New fetches the set once (so an unreachable set is reported now, as an
// *Error of kind ErrUnreachable). ctx bounds the first fetch only; Close
// stops the background refresh.
func New(ctx context.Context, opts Options) (*Set, error) {
	s := &Set{opts: opts, refreshing: make(chan struct{}, 1)}
	hc := s.httpClient()
	life, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	store, err := jwkset.NewStorageFromHTTP(opts.URL, jwkset.HTTPClientStorageOptions{
		Client:              hc,
		Ctx:                 life,
		HTTPTimeout:         hc.Timeout,
		RefreshErrorHandler: func(_ context.Context, err error) { s.lastRefreshErr.Store(&err) },
		RefreshInterval:     opts.Refresh,
	})
	if err == nil {
		// One limiter for unknown-kid refreshes, jwkset's own; Keyfunc
		// peeks at it so that, while the limit is in force, a token with an
		// unknown kid fails at once rather than holding its request.
		s.limiter = rate.NewLimiter(rate.Every(opts.UnknownKID), 1)
		s.client, err = jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
			HTTPURLs:          map[string]jwkset.Storage{opts.URL: store},
			PrioritizeHTTP:    true, // look in the fetched set first, not the empty given one
			RateLimitWaitMax:  hc.Timeout,
			RefreshUnknownKID: s.limiter,
		})
	}
	if stopped := stop(); err != nil || !stopped {
		cancel()
		if err == nil {
			err = ctx.Err()
		}
		return nil, fail(ErrUnreachable, "JWKS unreachable: fetching %s failed (%s)%s", opts.URL, reason(err), opts.Hint)
	}
	s.cached, s.cancel = store, cancel
	return s, nil
}

// httpClient is the client fetches use: the caller's (or one with a 10 s
// timeout), through a transport that checks every set, and following
// redirects within the URL's origin only.
func (s *Set) httpClient() *http.Client {
	base := s.opts.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: 10 * time.Second}
	}
	hc := *base
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = &transport{base: rt, s: s}
	if hc.CheckRedirect == nil {
		hc.CheckRedirect = SameOriginRedirect
	}
	if hc.Timeout <= 0 {
		hc.Timeout = time.Minute
	}
	return &hc
}

// SameOriginRedirect is a CheckRedirect that follows at most 10 redirects
// within the first request's origin (scheme, host and port) and refuses the
// others, so a redirect cannot carry a request to another host, nor
// downgrade https to http.
func SameOriginRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	switch {
	case len(via) >= 10:
		return errors.New("stopped after 10 redirects")
	case req.URL.Scheme != first.Scheme || req.URL.Host != first.Host:
		return fmt.Errorf("refused a redirect from %s://%s to another origin (%s://%s)", first.Scheme, first.Host, req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// Close stops the background refresh. It is idempotent.
func (s *Set) Close() {
	s.once.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
	})
}

// reason reduces a fetch error to a short cause.
func reason(err error) string {
	var refused *refusedError
	var ue *url.Error
	switch {
	case err == nil:
		return "unknown error"
	case errors.As(err, &refused):
		return refused.reason
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "timed out or cancelled"
	case errors.As(err, &ue):
		return "request failed: " + ue.Err.Error()
	}
	return err.Error()
}

// refusedError is a set the transport refused to hand to jwkset.
type refusedError struct{ reason string }

func (e *refusedError) Error() string { return "JWK Set refused: " + e.reason }

// transport tracks the outcome of fetches, caps the response size and
// refuses sets jwkset would accept but a strict verifier does not.
type transport struct {
	base http.RoundTripper
	s    *Set
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.s.lastRefreshErr.Store(nil)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return resp, nil // the client follows it, within the origin only
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &refusedError{fmt.Sprintf("HTTP status %d, want 200", resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxBytes {
		return nil, &refusedError{"the JWK Set exceeds 1 MiB"}
	}
	if err := checkSet(body); err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// checkSet refuses a set that publishes private key members (it leaks the
// key: whoever has it can sign tokens) or the same kid twice (which key
// verifies is then ambiguous), and an answer that is not a JWK Set.
// Malformed keys are left to jwkset, which refuses the whole set.
func checkSet(body []byte) error {
	var set struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := jsonobj.Decode(body, &set, "the answer"); err != nil {
		return &refusedError{fmt.Sprintf("not a JSON JWK Set ({\"keys\":[...]}): %v", err)}
	}
	kids := make(map[string]bool, len(set.Keys))
	for i, k := range set.Keys {
		for _, m := range [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, ok := k[m]; ok {
				return &refusedError{fmt.Sprintf("key %d publishes the private member %q: anyone can sign tokens with it; replace the key and publish only kty, n, e, kid, use, alg", i, m)}
			}
		}
		var kid string
		if json.Unmarshal(k["kid"], &kid) == nil && kid != "" {
			if kids[kid] {
				return &refusedError{fmt.Sprintf("kid %q appears twice: give every key its own kid", Clip(kid))}
			}
			kids[kid] = true
		}
	}
	return nil
}

// Keyfunc returns the jwt.Keyfunc that finds the key of a token: by its kid
// (refreshing the set once, rate-limited, for an unknown one), or for a
// kid-less token every usable key. Its errors are *Error. (jwkset's
// storage does the lookup and the refresh; keyfunc's glue would look the
// kid up twice.)
func (s *Set) Keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		kidRaw, hasKID := t.Header["kid"]
		kid, isString := kidRaw.(string)
		switch {
		case hasKID && !isString:
			return nil, fail(jwt.ErrTokenMalformed, "the kid header is not a string")
		case !hasKID:
			return s.kidless(ctx)
		}
		jwk, err := s.cached.KeyRead(ctx, kid)
		if errors.Is(err, jwkset.ErrKeyNotFound) {
			jwk, err = s.refreshFor(ctx, kid)
		}
		if err != nil {
			return nil, s.lookupError(ctx, kid, err)
		}
		key := jwk.Key()
		// A key is checked once per fetched JWK, not per token: jwkset
		// keeps the same *rsa.PublicKey until a refresh replaces it.
		if pub, ok := key.(*rsa.PublicKey); ok {
			if p, seen := s.checked.Load(kid); seen && p == pub {
				return pub, nil
			}
		}
		if err := rs256Key(jwk, kid); err != nil {
			return nil, fail(jwt.ErrTokenUnverifiable, "the JWK for kid %q cannot verify this token: %v", Clip(kid), err)
		}
		if pub, ok := key.(*rsa.PublicKey); ok {
			s.checked.Store(kid, pub) // one entry per kid the set has published
		}
		return key, nil
	}
}

// refreshFor looks kid up after a refresh of the set: its own, when the
// rate limit allows one, or the one in flight when it started.
func (s *Set) refreshFor(ctx context.Context, kid string) (jwkset.JWK, error) {
	select {
	case s.refreshing <- struct{}{}:
	case <-ctx.Done():
		return jwkset.JWK{}, fail(ErrUnreachable, "JWKS unreachable: waiting for the refresh of %s: %v", s.opts.URL, ctx.Err())
	}
	defer func() { <-s.refreshing }()
	// A refresh that finished while we waited may have brought the kid.
	if jwk, err := s.cached.KeyRead(ctx, kid); err == nil {
		return jwk, nil
	}
	if s.limiter.Tokens() < 1 {
		return jwkset.JWK{}, fail(ErrUnknownKey, "unknown kid: kid %q is not in the JWK Set at %s (refreshed at most every %s; retry later)", Clip(kid), s.opts.URL, s.opts.UnknownKID)
	}
	return s.client.KeyRead(ctx, kid) // refreshes the set
}

// lookupError explains why no key was found for kid.
func (s *Set) lookupError(ctx context.Context, kid string, err error) error {
	if p := s.lastRefreshErr.Load(); p != nil {
		return fail(ErrUnreachable, "JWKS unreachable: refreshing %s for kid %q failed (%s)%s", s.opts.URL, Clip(kid), reason(*p), s.opts.Hint)
	}
	if _, e := s.cached.KeyRead(ctx, kid); errors.Is(e, jwkset.ErrKeyNotFound) {
		return fail(ErrUnknownKey, "unknown kid: kid %q is not in the JWK Set at %s (refreshed at most every %s): publish the signing key there, and keep retired keys published until their tokens expire", Clip(kid), s.opts.URL, s.opts.UnknownKID)
	}
	return fail(ErrUnreachable, "JWKS unreachable: looking kid %q up in %s failed (%v)%s", Clip(kid), s.opts.URL, err, s.opts.Hint)
}

// kidless returns the keys a token without a kid may be verified with.
func (s *Set) kidless(ctx context.Context) (any, error) {
	all, err := s.cached.KeyReadAll(ctx)
	if err != nil {
		return nil, fail(ErrUnreachable, "JWKS unreachable: reading the JWK Set of %s: %v", s.opts.URL, err)
	}
	var set jwt.VerificationKeySet
	for _, j := range all {
		if rs256Key(j, "kid-less") == nil {
			set.Keys = append(set.Keys, j.Key())
		}
	}
	if len(set.Keys) == 0 {
		return nil, fail(ErrUnknownKey, "unknown kid: the token has no kid and the JWKS at %s has no RS256 key of 2048 bits or more: put the signing key's kid in the token header", s.opts.URL)
	}
	return set, nil
}

// rs256Key reports why jwk cannot verify an RS256 signature: not RSA, a use
// other than sig, an alg other than RS256, or a key jwks refuses (under
// 2048 bits, say).
func rs256Key(jwk jwkset.JWK, kid string) error {
	m := jwk.Marshal()
	pub, ok := jwk.Key().(*rsa.PublicKey)
	switch {
	case !ok:
		return fmt.Errorf("it is a %s key, not RSA", m.KTY)
	case m.USE != "" && m.USE != jwkset.UseSig:
		return fmt.Errorf("its use is %q, not sig", m.USE)
	case m.ALG != "" && m.ALG != jwkset.AlgRS256:
		return fmt.Errorf("its alg is %q, not RS256", m.ALG)
	}
	return (jwks.Key{ID: kid, Public: pub}).Validate()
}

// maxEcho is the longest token-supplied value (kid, alg, iss, aud, sub) an
// error message repeats: tokens are outside input, and these messages end
// up in logs and HTTP answers.
const maxEcho = 128

// Clip shortens a token-supplied value for an error message.
func Clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(%d bytes)", len(s))
}

// ClipAll clips each value and at most 8 of them.
func ClipAll(vs []string) []string {
	out := make([]string, 0, min(len(vs), 8))
	for i, v := range vs {
		if i == 8 {
			out = append(out, fmt.Sprintf("…(%d values)", len(vs)))
			break
		}
		out = append(out, Clip(v))
	}
	return out
}
