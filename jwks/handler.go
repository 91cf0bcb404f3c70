package jwks

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// defaultCacheControl is the Cache-Control value used when
// Options.CacheControl is empty: caches may keep the set for five minutes,
// so a newly staged key reaches verifiers well before it signs.
const defaultCacheControl = "public, max-age=300"

// Options configures a Handler. The zero value is ready to use.
type Options struct {
	// CacheControl is the Cache-Control header value of 200 and 304
	// answers. Empty means defaultCacheControl.
	CacheControl string

	// Logger receives a warning for every key the Source hands over after
	// NewHandler that cannot be published (kid and reason only, never key
	// material). Nil means slog.Default().
	Logger *slog.Logger
}

// snapshot is everything ServeHTTP needs for one key set, built once per
// change and never modified after it is published.
type snapshot struct {
	body          []byte
	etag          string   // quoted strong entity-tag
	etagHdr       []string // {etag}
	contentLength []string // {len(body)}
	err           error    // keys left out of this snapshot, nil if none
}

// Handler serves a JWK Set of RSA public keys (RFC 7517) and keeps it in step
// with a Source. It is an http.Handler that mounts on any mux at any path.
//
// The set is marshalled once per change of the Source, into an immutable
// snapshot that is swapped in atomically: a request sees either the whole
// old set or the whole new one, and ServeHTTP itself does not allocate.
//
// Answers:
//   - GET: 200 with the set, Content-Type application/json, Content-Length,
//     Cache-Control, a strong ETag, Access-Control-Allow-Origin: * and
//     X-Content-Type-Options: nosniff.
//   - HEAD: the same headers without a body.
//   - GET or HEAD with an If-None-Match that matches the ETag (weak
//     comparison as RFC 9110 §13.1.2 requires, lists and "*" included):
//     304 with ETag, Cache-Control and Access-Control-Allow-Origin.
//   - Any other method, OPTIONS included: 405 with Allow: GET, HEAD and a
//     JSON error body. JWKS fetches are simple GETs that need no CORS
//     preflight (browsers add If-None-Match from their cache themselves);
//     wrap the Handler if you need to answer preflights.
//
// After Close the Handler keeps serving the last set it received.
type Handler struct {
	cur atomic.Pointer[snapshot]

	mu     sync.Mutex // serializes snapshot building
	logger *slog.Logger
	cancel func()
	once   sync.Once

	// Header values shared by every answer; never modified.
	cacheControl []string
	contentType  []string
	allowOrigin  []string
	nosniff      []string
	allow        []string
	errBody      []byte
	errLength    []string
}

// methodNotAllowedBody is the body of a 405 answer.
const methodNotAllowedBody = `{"error":"method not allowed: fetch the JWK Set with GET or HEAD"}`

// NewHandler subscribes to src and returns a Handler serving its keys.
//
// It returns an error matching ErrInvalidKey if any key of the initial set
// cannot be published (nil, shorter than 2048 bits, empty or duplicate ID;
// see Marshal). Later sets are checked the same way, but a bad key then
// cannot be refused to the Source: the Handler publishes the keys that are
// valid, leaves the others out, logs each one on opts.Logger and reports
// them through Err. Publishing the valid rest, rather than keeping the old
// set, keeps a newly staged key visible and drops keys the Source retired.
//
// opts may be nil. Call Close to cancel the subscription.
func NewHandler(src Source, opts *Options) (*Handler, error) {
	if src == nil {
		return nil, errors.New("jwks: NewHandler: Source is nil: pass jwks.Static(keys...) or a key ring")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.CacheControl == "" {
		o.CacheControl = defaultCacheControl
	}
	if !validHeaderValue(o.CacheControl) {
		return nil, fmt.Errorf("jwks: NewHandler: Options.CacheControl %q contains control characters: use a plain value such as %q", o.CacheControl, defaultCacheControl)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &Handler{
		logger:       o.Logger,
		cacheControl: []string{o.CacheControl},
		contentType:  []string{"application/json"},
		allowOrigin:  []string{"*"},
		nosniff:      []string{"nosniff"},
		allow:        []string{"GET, HEAD"},
		errBody:      []byte(methodNotAllowedBody),
		errLength:    []string{strconv.Itoa(len(methodNotAllowedBody))},
	}

	var initErr error
	first := true
	cancel := src.Subscribe(func(keys []Key) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if first {
			first = false
			s, err := newSnapshot(keys, true)
			if err != nil {
				initErr = err
				return
			}
			h.cur.Store(s)
			return
		}
		h.update(keys)
	})
	h.mu.Lock()
	err, ok := initErr, h.cur.Load() != nil
	h.mu.Unlock()
	if err == nil && !ok {
		err = errors.New("jwks: NewHandler: the Source did not call fn during Subscribe: a Source must hand over its current keys synchronously")
	}
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, fmt.Errorf("jwks: NewHandler: %w", err)
	}
	h.cancel = cancel
	return h, nil
}

// update publishes the valid keys of a later set. Called with h.mu held.
func (h *Handler) update(keys []Key) {
	s, err := newSnapshot(keys, false)
	if err != nil { // cannot happen: encoding publicSet does not fail
		h.logger.Error("jwks: key set not published, still serving the previous one", "err", err.Error())
		return
	}
	// s.err is nil or an errors.Join of one error per key left out.
	if joined, ok := s.err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			h.logger.Warn("jwks: key left out of the published set", "err", e.Error())
		}
	}
	h.cur.Store(s)
}

// newSnapshot marshals keys. With strict, the first invalid key is an
// error; otherwise invalid keys are left out and reported in snapshot.err.
func newSnapshot(keys []Key, strict bool) (*snapshot, error) {
	set, skipped, err := buildSet(keys, strict)
	if err != nil {
		return nil, err
	}
	body, err := jsonMarshal(set)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	// 128 bits of the digest are plenty to tell sets apart.
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	return &snapshot{
		body:          body,
		etag:          etag,
		etagHdr:       []string{etag},
		contentLength: []string{strconv.Itoa(len(body))},
		err:           errors.Join(skipped...),
	}, nil
}

// Err returns the problems with the key set the Source handed over most
// recently (errors matching ErrInvalidKey, one per key left out), or nil if
// every key was published.
func (h *Handler) Err() error {
	if s := h.cur.Load(); s != nil {
		return s.err
	}
	return nil
}

// Close cancels the subscription to the Source. The Handler keeps serving
// the last set. Close is safe to call more than once.
func (h *Handler) Close() {
	h.once.Do(func() {
		if h.cancel != nil {
			h.cancel()
		}
	})
}

// ServeHTTP answers a request for the JWK Set; see Handler for the answers.
//
// To stay allocation-free it puts precomputed value slices, shared by all
// requests, into the response header map. Middleware may replace or add
// values (Header.Set, Header.Add, Header.Del copy or reallocate) but must
// not write into an existing value slice in place.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	// Canonical header keys, assigned directly: no allocation, no copying.
	hdr["Access-Control-Allow-Origin"] = h.allowOrigin
	hdr["X-Content-Type-Options"] = h.nosniff
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr["Allow"] = h.allow
		hdr["Content-Type"] = h.contentType
		hdr["Content-Length"] = h.errLength
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write(h.errBody)
		return
	}
	s := h.cur.Load()
	if s == nil { // zero Handler, not made by NewHandler
		http.Error(w, "jwks: Handler not initialised: create it with NewHandler", http.StatusInternalServerError)
		return
	}
	hdr["Cache-Control"] = h.cacheControl
	hdr["Etag"] = s.etagHdr
	if inm, ok := r.Header["If-None-Match"]; ok && etagMatch(inm, s.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Type"] = h.contentType
	hdr["Content-Length"] = s.contentLength
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write(s.body)
}

// etagMatch reports whether an If-None-Match field (one or more field lines)
// matches etag, a quoted strong entity-tag, under weak comparison
// (RFC 9110 §13.1.2 and §8.8.3.2: "W/" prefixes are ignored). "*" matches
// because the set always exists. Parsing stops at the first malformed
// member of a field line, as net/http does.
func etagMatch(fields []string, etag string) bool {
	for _, v := range fields {
		for {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				return true
			}
			v = strings.TrimPrefix(v, "W/")
			if len(v) < 2 || v[0] != '"' {
				break
			}
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				break
			}
			if v[:end+2] == etag {
				return true
			}
			v = v[end+2:]
		}
	}
	return false
}

// validHeaderValue reports whether v can be sent as a header value as is.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
