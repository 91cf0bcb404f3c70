// Package dynamictest is a running local fake of Dynamic's SDK API for
// external JWT authentication, for tests and offline development (the role
// oidctest plays for OIDC).
//
// It serves, under any path prefix, the routes /sdk/{environmentId}/...:
//
//	GET     settings                 project settings (security.externalAuth, security.auth.storage)
//	GET     nonces?count=N           N (1..5) single-use nonces, 32 lower-case hex characters
//	GET     nonce                    one nonce
//	POST    externalAuth/signin      external-JWT sign-in → Dynamic's VerifyResponse
//	POST    externalAuth/verify      step-up assertion → elevatedAccessToken
//	GET     .well-known/jwks(.json)  the fake's own signing key (its session tokens')
//	OPTIONS (any)                    CORS preflight
//
// and the admin route POST /environments/{environmentId}/externalJwt/check
// (behind Config.APIToken).
//
// Sign-in really verifies the external JWT with [dynamic.Validator] against
// the configured JWKS URL over HTTP (so an unreachable JWKS, an unknown kid,
// a wrong iss ... fail as they would at Dynamic), and, unless the environment
// is cookie-based, requires the x-dynamic-device-* headers and checks the
// device signature over a nonce the fake issued, each nonce usable once. The
// external sub maps to a stable Dynamic user id; the answer carries a Dynamic
// access token (minifiedJwt) and jwt signed RS256 by the fake's own key, in
// Dynamic's shapes, which package session verifies. With Config.WebhookURL
// set it posts signed user.created and user.session.created webhooks.
//
// # Choices where Dynamic's behaviour is unknown
//
// Dynamic does not document these; the fake does what follows:
//
//   - Every external-JWT failure answers 422 {"error": "<cause>", "code":
//     "invalid_external_auth"}; the error text names the cause, e.g.
//     `iss mismatch: token has "X", environment expects "Y"`.
//   - A missing or invalid device signature, or an unknown, expired or
//     already used nonce, answers 401 {"error": "<cause>", "code":
//     "invalid_device_signature"}. Set Config.AllowMissingDeviceSignature to
//     accept sign-ins without the headers (as SDKs before 1.x sent them);
//     headers that are present are still checked.
//   - External auth switched off or not configured answers 403
//     {"error": "External authentication is not enabled for this environment"}.
//   - An unknown environment id (compared exactly, so it must be lower-case)
//     or path answers 404 {"error":"Not found","code":"not_found"}.
//   - A body that is not a JSON object, or larger than 1 MiB, answers 400
//     {"error": "<cause>"}; a malformed sessionPublicKey answers 422 with
//     code invalid_session_public_key.
//   - Nonces live 24 hours (the SDK's pool lifetime); sessions 2 hours.
//   - Memory is bounded for long-running use: see maxLoggedRequests,
//     maxLoggedBytes, maxOutstandingNonces, maxUsers and maxUsedJTIs.
//   - The user id is a name-based (version 5 layout) UUID of the
//     environment id and the external sub, so it is stable across servers.
//   - An "email" verified credential is added only when the email is
//     verified (emailVerified true, or absent with AssumeEmailVerified);
//     user.email is set whenever the claim is present.
//   - Step-up needs a bearer access token minted by this fake, an assertion
//     whose sub is the signed-in user's external id, a non-empty scope (else
//     422 invalid_scopes) and a jti not used before; the elevated token lives
//     until the assertion's exp, at most maxElevatedTTL.
//   - In cookie mode minifiedJwt and jwt are left out of the body (as the API
//     model documents) and the access token is set as cookie
//     DYNAMIC_JWT_TOKEN instead; step-up accepts that cookie as the bearer.
//
// Use [NewServer] in tests (two lines), or [New] to mount the handler in
// your own server.
package dynamictest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic"
)

// DefaultEnvironmentID is the environment id used when Config.EnvironmentID
// is empty (the one of the official SDK recordings).
const DefaultEnvironmentID = "2762a57b-faa4-41ce-9f16-abff9300e2c9"

// Defaults for the lifetimes the fake applies.
const (
	defaultNonceTTL   = 24 * time.Hour
	defaultSessionTTL = 2 * time.Hour
	// maxBodyBytes caps request bodies.
	maxBodyBytes = 1 << 20
	// maxNoncesPerRequest is the API's limit for GET nonces?count=N.
	maxNoncesPerRequest = 5
	// maxLoggedRequests bounds the request log of a long-running fake: when
	// it is full, the older half is dropped.
	maxLoggedRequests = 1000
	// maxLoggedBytes bounds the memory the request log holds (bodies,
	// headers, paths): past it, the oldest entries are dropped until the log
	// holds at most half of it.
	maxLoggedBytes = 16 << 20
	// maxOutstandingNonces bounds the nonces issued (or seeded) and not yet
	// used or expired; past it the oldest are forgotten, as if expired.
	maxOutstandingNonces = 10000
	// maxUsers bounds the users the fake remembers (for newUser and
	// step-up); when a new user would exceed it, the fake forgets them all:
	// they count as new again and must sign in again before a step-up.
	maxUsers = 100000
	// maxUsedJTIs bounds the step-up jtis kept for replay protection (each
	// until an hour after its assertion's exp); when that many are kept,
	// step-up answers 429 too_many_requests.
	maxUsedJTIs = 100000
)

// Config configures the fake environment; it mirrors the dashboard's
// external-auth settings. The zero value is a valid environment with
// external auth not configured (sign-in answers 403).
type Config struct {
	// EnvironmentID is the environment's UUID, lower-case; empty means
	// DefaultEnvironmentID.
	EnvironmentID string
	// Issuer is the exact iss external JWTs must carry (dashboard "iss").
	Issuer string
	// JWKSURL is where the fake fetches the external issuer's keys over
	// HTTP (dashboard "jwksUrl").
	JWKSURL string
	// Audience, when set, must be in the external JWT's aud (dashboard "aud").
	Audience string
	// CookieName, when set, makes the environment cookie-based (settings
	// report it; sign-in reads the external JWT from this cookie when the
	// body has none).
	CookieName string
	// CookieStorage reports security.auth.storage ["cookie"] instead of
	// ["localstorage"], which also makes the environment cookie-based.
	CookieStorage bool
	// Disabled switches external auth off as the dashboard toggle does:
	// sign-in answers 403 and settings report no iss/jwksUrl. External auth
	// is also off while Issuer or JWKSURL is empty.
	Disabled bool
	// EnabledFlag, when non-nil, is reported verbatim as
	// security.externalAuth.enabled; nil reports whether external auth is
	// on. Set it to the opposite to reproduce the "inverted enabled" quirk
	// the reference demo's docs describe.
	EnabledFlag *bool
	// AssumeEmailVerified treats a missing emailVerified claim as true.
	AssumeEmailVerified bool
	// AllowMissingDeviceSignature accepts non-cookie sign-ins without the
	// x-dynamic-device-* headers.
	AllowMissingDeviceSignature bool
	// MFAPending makes new sessions carry the scope requiresAdditionalAuth
	// instead of user:basic, as when the environment asks for an MFA step
	// the user has not completed.
	MFAPending bool
	// WebhookURL, when set, receives a webhook on a user's first sign-in
	// (user.created) and on every sign-in (user.session.created), signed
	// with WebhookSecret as x-dynamic-signature-256.
	WebhookURL    string
	WebhookSecret string
	// APIToken, when set, is the dyn_ API token the admin endpoint
	// POST /environments/{environmentId}/externalJwt/check requires;
	// empty leaves that endpoint answering 401.
	APIToken string
	// Leeway is the clock-skew tolerance for the external JWT's exp/nbf
	// (see dynamic.ValidatorConfig.Leeway).
	Leeway time.Duration
	// NonceTTL is how long an issued or seeded nonce stays usable; zero means
	// defaultNonceTTL.
	NonceTTL time.Duration
	// SessionTTL is the lifetime of the sessions the fake mints; zero means
	// defaultSessionTTL.
	SessionTTL time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches the JWKS; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Logger receives one debug line per request (method, path, status);
	// nil discards.
	Logger *slog.Logger
}

var envIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (c *Config) normalize() error {
	if c.EnvironmentID == "" {
		c.EnvironmentID = DefaultEnvironmentID
	}
	if !envIDPattern.MatchString(c.EnvironmentID) {
		return fmt.Errorf("dynamictest: EnvironmentID %q is not a lower-case UUID", c.EnvironmentID)
	}
	if c.JWKSURL != "" {
		u, err := url.Parse(c.JWKSURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("dynamictest: JWKSURL %q is not an absolute http(s) URL", c.JWKSURL)
		}
	}
	if c.NonceTTL <= 0 {
		c.NonceTTL = defaultNonceTTL
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = defaultSessionTTL
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// projectSettings is the typed form of what GET settings reports. The
// fake decides "external auth on" and "cookie-based" with dynamic's rules on
// it, so the client and the fake cannot disagree.
func (c *Config) projectSettings() *dynamic.ProjectSettings {
	ps := &dynamic.ProjectSettings{}
	ea := &ps.ExternalAuth
	if !c.Disabled {
		ea.Iss, ea.JWKSURL = c.Issuer, c.JWKSURL
	}
	ea.Aud, ea.CookieName, ea.AssumeEmailVerified = c.Audience, c.CookieName, c.AssumeEmailVerified
	ps.Storage = []string{"localstorage"}
	if c.CookieStorage {
		ps.Storage = []string{"cookie"}
	}
	return ps
}

func (c *Config) externalAuthOn() bool { return c.projectSettings().ExternalAuthOn() }
func (c *Config) cookieMode() bool     { return c.projectSettings().CookieMode() }

// Request is one request the fake received, for assertions. Tokens are test
// data here and are kept verbatim.
type Request struct {
	Method string      // HTTP method
	Path   string      // URL path as received, prefix included
	Query  url.Values  // parsed query
	Header http.Header // request headers (a copy)
	Body   []byte      // body, at most maxBodyBytes
	Time   time.Time   // arrival, by Config.Now
	// Status is the status code the fake answered (0 while in progress).
	Status int

	seq uint64
}

// endpoint names a route for error injection.
type endpoint string

// Endpoints that FailNext can target.
const (
	endpointSettings endpoint = "settings"
	endpointNonces   endpoint = "nonces"
	endpointNonce    endpoint = "nonce"
	endpointSignIn   endpoint = "externalAuth/signin"
	endpointVerify   endpoint = "externalAuth/verify"
	endpointJWKS     endpoint = ".well-known/jwks"
)

type injected struct {
	status      int
	contentType string
	body        []byte
}

// Server is the fake. It is an http.Handler, safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	cfg      Config
	nonces   nonceStore
	jtis     map[string]time.Time // used step-up jti → expiry
	users    map[string]string    // Dynamic user id → external sub, for users that signed in
	requests []Request
	logBytes int // sum of requestSize over requests
	seq      uint64
	failNext map[endpoint][]injected

	vmu        sync.Mutex // serialises validator creation (network I/O)
	validator  *dynamic.Validator
	validatorK validatorKey
	closed     bool // set by Close: no new validators (their refresh goroutines would leak)

	key *rsa.PrivateKey
	kid string
	ts  *httptest.Server

	webhooks sync.WaitGroup // deliveries in flight
}

type validatorKey struct {
	iss, jwks, aud string
	client         *http.Client
	leeway         time.Duration
}

// New returns the fake as an http.Handler. It answers every path that
// contains /sdk/{environmentId}/ followed by a known route, whatever comes
// before (so it can be mounted under any prefix, typically /api/v0).
func New(cfg Config) (*Server, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("dynamictest: generating signing key: %w", err)
	}
	sum := sha256.Sum256(key.N.Bytes())
	return &Server{
		cfg:      cfg,
		jtis:     map[string]time.Time{},
		users:    map[string]string{},
		failNext: map[endpoint][]injected{},
		key:      key,
		kid:      "dynamictest-" + base64.RawURLEncoding.EncodeToString(sum[:8]),
	}, nil
}

// NewServer starts the fake on a loopback httptest server and closes it when
// the test ends. URL returns its base URL (ending in /api/v0), ready for
// dynamic.Client.BaseURL.
func NewServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("dynamictest.NewServer: %v", err)
	}
	s.ts = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// URL returns the base URL of the started server, ending in /api/v0, or ""
// if the fake was created with New and not started.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL + "/api/v0"
}

// EnvironmentID returns the environment id the fake serves.
func (s *Server) EnvironmentID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.EnvironmentID
}

// config returns a copy of the current configuration.
func (s *Server) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Configure changes the configuration at runtime (issuer, JWKS URL, enabled,
// cookie mode ...). An invalid result is rejected and the old configuration
// kept.
func (s *Server) Configure(fn func(*Config)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.cfg
	fn(&next)
	if err := next.normalize(); err != nil {
		return err
	}
	s.cfg = next
	return nil
}

// setConfig replaces the configuration; see Configure.
func (s *Server) setConfig(cfg Config) error {
	return s.Configure(func(c *Config) { *c = cfg })
}

// seedNonces makes nonces usable for one sign-in each, as if the fake had
// issued them (used to replay recorded requests).
func (s *Server) seedNonces(nonces ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	for _, n := range nonces {
		s.nonces.add(n, now, now.Add(s.cfg.NonceTTL))
	}
}

// FailNext makes the next request to route answer status with the given
// content type and body verbatim; route is the path after
// /sdk/{environmentId}/: "settings", "nonces", "nonce",
// "externalAuth/signin", "externalAuth/verify" or ".well-known/jwks". Calls
// queue up.
//
// For externalAuth/signin and externalAuth/verify the request is checked as
// usual first (device signature and nonce, external JWT, bearer token) and
// the injected answer replaces only the success answer, as when Dynamic
// accepts the request and then fails; a request that fails its checks is
// answered normally and leaves the injection queued. For the other routes
// the injected answer is given without processing. An unknown route is
// refused with an error.
func (s *Server) FailNext(route string, status int, contentType string, body []byte) error {
	ep := endpoint(route)
	switch ep {
	case endpointSettings, endpointNonces, endpointNonce, endpointSignIn, endpointVerify, endpointJWKS:
	default:
		return fmt.Errorf("dynamictest: FailNext: unknown route %q: use settings, nonces, nonce, externalAuth/signin, externalAuth/verify or .well-known/jwks", route)
	}
	if status < 100 || status > 999 {
		return fmt.Errorf("dynamictest: FailNext: status %d is not an HTTP status", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext == nil {
		s.failNext = map[endpoint][]injected{}
	}
	s.failNext[ep] = append(s.failNext[ep], injected{status, contentType, append([]byte(nil), body...)})
	return nil
}

// failNextSignIn is FailNext(endpointSignIn, ...).
func (s *Server) failNextSignIn(status int, contentType string, body []byte) {
	_ = s.FailNext(string(endpointSignIn), status, contentType, body)
}

// Requests returns a copy of the request log (the last requests, at most
// maxLoggedRequests), oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// resetRequests clears the request log.
func (s *Server) resetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.requests)
	s.requests, s.logBytes = nil, 0
}

// requestSize estimates the memory a logged request holds.
func requestSize(r *Request) int {
	return len(r.Method) + len(r.Path) + len(r.Body) + 64 + fieldsSize(r.Query) + fieldsSize(r.Header)
}

// fieldsSize is the number of bytes in the names and values of a query or
// header.
func fieldsSize(m map[string][]string) int {
	n := 0
	for k, vs := range m {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}

// logLocked appends r to the request log, first dropping the oldest entries
// if the log is over maxLoggedRequests or maxLoggedBytes.
func (s *Server) logLocked(r Request) {
	size := requestSize(&r)
	if len(s.requests) >= maxLoggedRequests || s.logBytes+size > maxLoggedBytes {
		drop := 0
		for drop < len(s.requests) && (len(s.requests)-drop > maxLoggedRequests/2 || s.logBytes+size > maxLoggedBytes/2) {
			s.logBytes -= requestSize(&s.requests[drop])
			drop++
		}
		// Copy the rest so the dropped bodies and headers can be collected.
		s.requests = append(make([]Request, 0, len(s.requests)-drop+1), s.requests[drop:]...)
	}
	s.requests = append(s.requests, r)
	s.logBytes += size
}

// nonceStore holds the outstanding nonces, bounded by maxOutstandingNonces.
type nonceStore struct {
	exp   map[string]time.Time // nonce → expiry
	order []string             // insertion order; may hold used nonces
}

// add records nonce n; expired and (past the bound) oldest nonces are
// forgotten first.
func (st *nonceStore) add(n string, now, exp time.Time) {
	if st.exp == nil {
		st.exp = map[string]time.Time{}
	}
	for len(st.order) > 0 {
		old := st.order[0]
		e, ok := st.exp[old]
		if ok && !now.After(e) && len(st.exp) < maxOutstandingNonces {
			break
		}
		delete(st.exp, old)
		st.order = st.order[1:]
	}
	// Used nonces stay in order until they reach the front; compact when
	// they dominate, so order stays proportional to the map.
	if len(st.order) > 2*len(st.exp)+64 {
		kept := make([]string, 0, len(st.exp)+1)
		for _, o := range st.order {
			if _, ok := st.exp[o]; ok {
				kept = append(kept, o)
			}
		}
		st.order = kept
	}
	if _, dup := st.exp[n]; !dup {
		st.order = append(st.order, n)
	}
	st.exp[n] = exp
}

// use spends nonce n: it reports whether n was outstanding and its expiry.
func (st *nonceStore) use(n string) (time.Time, bool) {
	e, ok := st.exp[n]
	if ok {
		delete(st.exp, n)
	}
	return e, ok
}

// len reports the number of outstanding nonces.
func (st *nonceStore) len() int { return len(st.exp) }

// signingKey returns the public key the fake signs its tokens with (also
// served at /sdk/{env}/.well-known/jwks).
func (s *Server) signingKey() (kid string, pub *rsa.PublicKey) { return s.kid, &s.key.PublicKey }

// UserID returns the Dynamic user id the fake assigns to an external sub.
func (s *Server) UserID(sub string) string {
	return nameUUID(s.EnvironmentID() + "\x00user\x00" + sub)
}

// Close stops the started server (if any) and the JWKS validator. A Server
// mounted elsewhere keeps answering after Close, but sign-in and step-up
// then fail (no new JWKS validator is started).
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
	s.webhooks.Wait()
	s.vmu.Lock()
	defer s.vmu.Unlock()
	s.closed = true
	if s.validator != nil {
		s.validator.Close()
		s.validator = nil
	}
}

// errClosed is returned by validatorFor after Close.
var errClosed = errors.New("dynamictest: server closed")

func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Server) nowLocked() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// errNotConfigured is returned by validatorFor while external auth is off.
var errNotConfigured = errors.New("external auth not configured")

// validatorFor returns a validator for the current issuer settings, creating
// (and fetching the JWKS) when they changed. Creation failures are not
// cached, so a JWKS that comes up later is picked up on the next sign-in.
func (s *Server) validatorFor(r *http.Request, cfg Config) (*dynamic.Validator, error) {
	if !cfg.externalAuthOn() {
		return nil, errNotConfigured
	}
	k := validatorKey{cfg.Issuer, cfg.JWKSURL, cfg.Audience, cfg.HTTPClient, cfg.Leeway}
	s.vmu.Lock()
	defer s.vmu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	if s.validator != nil && s.validatorK == k {
		return s.validator, nil
	}
	v, err := dynamic.NewValidator(r.Context(), dynamic.ValidatorConfig{
		Issuer: cfg.Issuer, JWKSURL: cfg.JWKSURL, Audience: cfg.Audience,
		HTTPClient: cfg.HTTPClient, Leeway: cfg.Leeway, Now: s.now,
	})
	if err != nil {
		return nil, err
	}
	if s.validator != nil {
		s.validator.Close()
	}
	s.validator, s.validatorK = v, k
	return v, nil
}

// readBody reads at most maxBodyBytes.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if len(b) > maxBodyBytes {
		return nil, errBodyTooLarge
	}
	return b, nil
}

var errBodyTooLarge = errors.New("request body exceeds 1 MiB")
