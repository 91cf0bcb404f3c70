package dynamic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// externalAuthError is the type of the Validator's sentinel errors: each one
// also matches ErrInvalidExternalAuth, the single API code Dynamic uses for
// every external-JWT failure.
type externalAuthError struct{ msg string }

func (e *externalAuthError) Error() string { return e.msg }

// Is makes every validator sentinel match ErrInvalidExternalAuth.
func (e *externalAuthError) Is(target error) bool { return target == ErrInvalidExternalAuth }

// Errors returned by Validator.Validate and NewValidator. They are distinct
// (use errors.Is to branch), each also matches ErrInvalidExternalAuth, and
// each maps onto an item of the reference demo's troubleshooting list. The
// wrapping error's message says what was found and what to do; it never
// contains the token.
var (
	// ErrMalformedToken: not a compact JWS, bad base64url or JSON, or a claim
	// of the wrong type (e.g. a numeric sub).
	ErrMalformedToken error = &externalAuthError{"dynamic: malformed external JWT"}
	// ErrUnsupportedAlgorithm: the token's alg is not RS256 (Dynamic's
	// external auth verifies RS256 only; "none", HS256 and ES256 are refused).
	ErrUnsupportedAlgorithm error = &externalAuthError{"dynamic: external JWT algorithm is not RS256"}
	// ErrJWKSUnreachable: the JWKS URL could not be fetched or did not hold
	// a JWK Set. Dynamic must reach it over the public internet (not
	// localhost; the demo uses ngrok).
	ErrJWKSUnreachable error = &externalAuthError{"dynamic: JWKS URL unreachable"}
	// ErrUnknownKey: the token's kid is not in the JWK Set, even after a
	// (rate-limited) refresh.
	ErrUnknownKey error = &externalAuthError{"dynamic: external JWT kid not found in JWKS"}
	// ErrBadSignature: the signature does not verify with the JWKS key.
	ErrBadSignature error = &externalAuthError{"dynamic: external JWT signature invalid"}
	// ErrIssuerMismatch: iss differs from the configured issuer. Dynamic
	// compares byte for byte: scheme, host, path and trailing slash must
	// match the dashboard value exactly.
	ErrIssuerMismatch error = &externalAuthError{"dynamic: external JWT iss mismatch"}
	// ErrAudienceMismatch: an audience is configured and the token's aud
	// does not contain it.
	ErrAudienceMismatch error = &externalAuthError{"dynamic: external JWT aud mismatch"}
	// ErrTokenExpired: exp is in the past (beyond the leeway).
	ErrTokenExpired error = &externalAuthError{"dynamic: external JWT expired"}
	// ErrTokenNotYetValid: nbf is in the future (beyond the leeway).
	ErrTokenNotYetValid error = &externalAuthError{"dynamic: external JWT not valid yet"}
	// ErrMissingClaim: a required claim (sub, exp, iss, or aud when an
	// audience is configured) is absent or empty; the message names it.
	ErrMissingClaim error = &externalAuthError{"dynamic: external JWT missing required claim"}
)

// DefaultLeeway is the clock-skew tolerance applied to exp and nbf when
// ValidatorConfig.Leeway is zero. Dynamic's own tolerance is not documented;
// 30 seconds absorbs ordinary clock drift without keeping expired tokens
// usable for long.
const DefaultLeeway = 30 * time.Second

// DefaultJWKSRefreshInterval is how often a Validator re-fetches the JWK Set
// in the background, so removed keys stop verifying.
const DefaultJWKSRefreshInterval = time.Hour

// DefaultUnknownKIDRefreshInterval is the minimum spacing of the JWKS
// refreshes triggered by an unknown kid (the first one happens at once).
const DefaultUnknownKIDRefreshInterval = 10 * time.Second

// maxJWKSBytes caps the JWK Set response a Validator reads.
const maxJWKSBytes = 1 << 20

// ValidatorConfig says what a Validator accepts; the fields mirror the
// external-auth settings of a Dynamic environment.
type ValidatorConfig struct {
	// Issuer is the exact iss value required (dashboard "iss"). Required.
	Issuer string
	// JWKSURL is where the verification keys are fetched over HTTP(S)
	// (dashboard "jwksUrl"). Required.
	JWKSURL string
	// Audience, when not empty, must be one of the token's aud values
	// (dashboard "aud"; the demo leaves it empty).
	Audience string
	// HTTPClient fetches the JWKS. Nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Leeway is the clock-skew tolerance for exp and nbf. Zero means
	// DefaultLeeway; a negative value means none.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// RefreshInterval is the background JWKS refresh period; zero means
	// DefaultJWKSRefreshInterval.
	RefreshInterval time.Duration
	// UnknownKIDRefreshInterval rate-limits refreshes caused by unknown kids;
	// zero means DefaultUnknownKIDRefreshInterval. A token whose kid is
	// unknown while the limit is in force fails at once with ErrUnknownKey.
	UnknownKIDRefreshInterval time.Duration
}

// ExternalClaims are the claims of a validated external JWT.
type ExternalClaims struct {
	Issuer        string    // iss, equal to ValidatorConfig.Issuer
	Subject       string    // sub, never empty: the user's id at the issuer
	Email         string    // email, "" when absent
	EmailVerified *bool     // emailVerified; nil when the claim is absent
	Audience      []string  // aud (a single string becomes one entry)
	IssuedAt      time.Time // iat; zero when absent
	ExpiresAt     time.Time // exp, always present
	KeyID         string    // kid header, "" when absent
	ID            string    // jti, "" when absent
	Scope         string    // scope claim (space-separated), "" when absent
}

// EmailIsVerified applies Dynamic's rule for the email's verified state: an
// explicit emailVerified claim wins; without one, the environment's
// assumeEmailVerified setting (ExternalAuthSettings.AssumeEmailVerified)
// decides. It is false when there is no email.
func (c *ExternalClaims) EmailIsVerified(assumeEmailVerified bool) bool {
	if c.Email == "" {
		return false
	}
	if c.EmailVerified != nil {
		return *c.EmailVerified
	}
	return assumeEmailVerified
}

// Validator checks external JWTs the way Dynamic does for an environment:
// signature by a key fetched from the JWKS URL (via keyfunc/v3, refreshed on
// an unknown kid, rate-limited), RS256 only, iss exact, sub present, exp
// present and in the future (with leeway), aud when configured. It is safe
// for concurrent use. Close stops its background refresh.
type Validator struct {
	cfg    ValidatorConfig
	kf     keyfunc.Keyfunc
	cached jwkset.Storage // the fetched set, read without refreshing
	// unknownKID limits refreshes caused by unknown kids.
	unknownKID *rate.Limiter
	parser     *jwt.Parser
	cancel     context.CancelFunc

	// lastRefreshErr is the outcome of the most recent JWKS fetch: nil after
	// a fetch started (and stays nil if it succeeds), the error otherwise.
	lastRefreshErr atomic.Pointer[error]
	closeOnce      sync.Once
}

// NewValidator fetches the JWK Set once (so an unreachable JWKS is reported
// now, as ErrJWKSUnreachable) and returns a Validator. ctx bounds the first
// fetch only; call Close when done.
func NewValidator(ctx context.Context, cfg ValidatorConfig) (*Validator, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("dynamic: ValidatorConfig.Issuer is empty: set it to the exact iss your tokens carry (the dashboard's iss)")
	}
	u, err := url.Parse(cfg.JWKSURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("dynamic: ValidatorConfig.JWKSURL %q is not an absolute http(s) URL: set it to the public URL of your JWK Set", cfg.JWKSURL)
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	} else if cfg.Leeway < 0 {
		cfg.Leeway = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultJWKSRefreshInterval
	}
	if cfg.UnknownKIDRefreshInterval <= 0 {
		cfg.UnknownKIDRefreshInterval = DefaultUnknownKIDRefreshInterval
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: 10 * time.Second}
	}
	v := &Validator{cfg: cfg}
	hc := *base
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = &jwksTransport{base: rt, v: v}

	// The refresh goroutine lives until Close; the caller's ctx may only
	// cut the first fetch short.
	life, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	timeout := hc.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	store, err := jwkset.NewStorageFromHTTP(cfg.JWKSURL, jwkset.HTTPClientStorageOptions{
		Client:      &hc,
		Ctx:         life,
		HTTPTimeout: timeout,
		RefreshErrorHandler: func(_ context.Context, err error) {
			v.lastRefreshErr.Store(&err)
		},
		RefreshInterval: cfg.RefreshInterval,
	})
	var kf keyfunc.Keyfunc
	if err == nil {
		// Unknown kids are rate-limited by v.unknownKID (fail fast) before
		// the storage is asked to refresh, so its own limiter never waits.
		var client jwkset.Storage
		client, err = jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
			HTTPURLs:          map[string]jwkset.Storage{cfg.JWKSURL: store},
			RateLimitWaitMax:  timeout,
			RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
		})
		if err == nil {
			kf, err = keyfunc.New(keyfunc.Options{Ctx: life, Storage: client})
		}
	}
	stopped := stop()
	if err != nil || !stopped {
		cancel()
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("%w: fetching %s failed (%s): check that the URL is reachable from Dynamic (public, not localhost — the demo uses ngrok), answers 200 with a JSON JWK Set {\"keys\":[...]}", ErrJWKSUnreachable, cfg.JWKSURL, fetchReason(err))
	}
	v.kf = kf
	v.cached = store
	v.unknownKID = rate.NewLimiter(rate.Every(cfg.UnknownKIDRefreshInterval), 1)
	v.cancel = cancel
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// fetchReason reduces a jwkset fetch error to a short cause without URLs or
// bodies.
func fetchReason(err error) string {
	switch {
	case err == nil:
		return "unknown error"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "timed out or cancelled"
	case errors.Is(err, jwkset.ErrInvalidHTTPStatusCode):
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			return "HTTP status " + msg[i+2:]
		}
		return "unexpected HTTP status"
	case strings.Contains(err.Error(), "decode JWK Set"):
		return "response is not a JSON JWK Set"
	case strings.Contains(err.Error(), "JWK from JWK Marshal"):
		return "JWK Set contains an invalid key"
	case strings.Contains(err.Error(), "HTTP request"):
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			return "request failed: " + ue.Err.Error()
		}
		return "request failed"
	default:
		return "unexpected error"
	}
}

// jwksTransport tracks the outcome of JWKS fetches and caps response size.
type jwksTransport struct {
	base http.RoundTripper
	v    *Validator
}

func (t *jwksTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.v.lastRefreshErr.Store(nil)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, maxJWKSBytes), resp.Body}
	return resp, nil
}

// Config returns the effective configuration (defaults applied).
func (v *Validator) Config() ValidatorConfig { return v.cfg }

// Close stops the background JWKS refresh. Validate must not be called after
// Close returns. Close is idempotent.
func (v *Validator) Close() {
	v.closeOnce.Do(func() {
		if v.cancel != nil {
			v.cancel()
		}
	})
}

// externalClaims is the wire form of an external JWT's payload.
type externalClaims struct {
	jwt.RegisteredClaims
	Email         string     `json:"email,omitempty"`
	EmailVerified *bool      `json:"emailVerified,omitempty"`
	Scope         scopeClaim `json:"scope,omitempty"`
}

// scopeClaim accepts a space-separated string or an array of strings.
type scopeClaim string

func (s *scopeClaim) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = scopeClaim(one)
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("scope is neither a string nor an array of strings")
	}
	*s = scopeClaim(strings.Join(many, " "))
	return nil
}

// Validate verifies token as Dynamic does and returns its claims. On failure
// the error wraps one or more of the sentinel errors above (each matching
// ErrInvalidExternalAuth); several claim problems are all reported. ctx
// bounds any JWKS refresh the token's kid triggers.
func (v *Validator) Validate(ctx context.Context, token string) (*ExternalClaims, error) {
	if v == nil || v.parser == nil {
		return nil, errors.New("dynamic: Validator is nil or a zero value: create it with NewValidator")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, fmt.Errorf("%w: the token is empty: pass the compact JWS (header.payload.signature)", ErrMalformedToken)
	}
	var claims externalClaims
	tok, err := v.parser.ParseWithClaims(token, &claims, v.keyfunc(ctx))
	if err != nil {
		return nil, v.mapError(tok, &claims, err)
	}
	if claims.Subject == "" {
		return nil, fmt.Errorf("%w: sub is absent or empty: put your user id in sub", ErrMissingClaim)
	}
	out := &ExternalClaims{
		Issuer:        claims.Issuer,
		Subject:       claims.Subject,
		Email:         claims.Email,
		EmailVerified: claims.EmailVerified,
		Audience:      []string(claims.Audience),
		ID:            claims.ID,
		Scope:         string(claims.Scope),
		KeyID:         headerKID(tok),
	}
	if claims.IssuedAt != nil {
		out.IssuedAt = claims.IssuedAt.Time
	}
	if claims.ExpiresAt != nil {
		out.ExpiresAt = claims.ExpiresAt.Time
	}
	return out, nil
}

// keyfunc wraps keyfunc/v3 and turns its failures into our sentinels.
func (v *Validator) keyfunc(ctx context.Context) jwt.Keyfunc {
	inner := v.kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		kidRaw, hasKID := t.Header["kid"]
		kid, isString := kidRaw.(string)
		if hasKID && !isString {
			return nil, fmt.Errorf("%w: the kid header is not a string", ErrMalformedToken)
		}
		if hasKID {
			if _, err := v.cached.KeyRead(ctx, kid); errors.Is(err, jwkset.ErrKeyNotFound) && !v.unknownKID.Allow() {
				return nil, fmt.Errorf("%w: kid %q is not in the JWK Set at %s (refreshed at most every %s; retry later)", ErrUnknownKey, clip(kid), v.cfg.JWKSURL, v.cfg.UnknownKIDRefreshInterval)
			}
		}
		key, err := inner(t)
		if err == nil {
			if set, ok := key.(jwt.VerificationKeySet); ok && len(set.Keys) == 0 {
				return nil, fmt.Errorf("%w: the token has no kid and the JWKS at %s has no usable keys", ErrUnknownKey, v.cfg.JWKSURL)
			}
			return key, nil
		}
		if p := v.lastRefreshErr.Load(); p != nil {
			return nil, fmt.Errorf("%w: refreshing %s for kid %q failed (%s): check that the URL is reachable and serves a JWK Set", ErrJWKSUnreachable, v.cfg.JWKSURL, clip(kid), fetchReason(*p))
		}
		if errors.Is(err, jwkset.ErrKeyNotFound) {
			return nil, fmt.Errorf("%w: kid %q is not in the JWK Set at %s: publish the signing key there (keep retired keys published until their tokens expire)", ErrUnknownKey, clip(kid), v.cfg.JWKSURL)
		}
		return nil, fmt.Errorf("%w: the JWK for kid %q cannot verify this token (%s)", ErrBadSignature, clip(kid), keyfuncReason(err))
	}
}

func keyfuncReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, `"alg" parameter`):
		return "the key's alg differs from the token's"
	case strings.Contains(msg, `"use" parameter`):
		return "the key's use is not sig"
	default:
		return "key lookup failed"
	}
}

// mapError turns a golang-jwt error into our sentinels, with a message that
// says what was found and what to do.
func (v *Validator) mapError(tok *jwt.Token, claims *externalClaims, err error) error {
	// Errors we produced in keyfunc pass through.
	for _, s := range []error{ErrMalformedToken, ErrUnknownKey, ErrJWKSUnreachable, ErrBadSignature} {
		if errors.Is(err, s) {
			return unwrapOurs(err, s)
		}
	}
	if errors.Is(err, jwt.ErrTokenMalformed) {
		return fmt.Errorf("%w: %s: pass the compact JWS exactly as issued", ErrMalformedToken, malformedReason(err))
	}
	if tok != nil {
		if alg, _ := tok.Header["alg"].(string); alg != jwt.SigningMethodRS256.Alg() {
			return fmt.Errorf("%w: the token's alg is %q: sign with RS256 (RSA 2048+ key)", ErrUnsupportedAlgorithm, clip(alg))
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return fmt.Errorf("%w: the token cannot be verified: sign with RS256", ErrUnsupportedAlgorithm)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return fmt.Errorf("%w: the signature does not verify with the JWKS key %q: the token was signed by a different key or altered", ErrBadSignature, clip(headerKID(tok)))
	}
	// Claim failures: report every one that applies.
	var errs []error
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		var missing []string
		if claims.Issuer == "" {
			missing = append(missing, "iss")
		}
		if claims.ExpiresAt == nil {
			missing = append(missing, "exp")
		}
		if v.cfg.Audience != "" && len(claims.Audience) == 0 {
			missing = append(missing, "aud")
		}
		if len(missing) == 0 {
			missing = append(missing, "a required claim")
		}
		errs = append(errs, fmt.Errorf("%w: %s absent: add it to the token (sub, exp and iss are required)", ErrMissingClaim, strings.Join(missing, ", ")))
		if claims.Issuer == "" {
			errs = append(errs, fmt.Errorf("%w: token has no iss, environment expects %q", ErrIssuerMismatch, v.cfg.Issuer))
		}
		if v.cfg.Audience != "" && len(claims.Audience) == 0 {
			errs = append(errs, fmt.Errorf("%w: token has no aud, environment expects %q", ErrAudienceMismatch, v.cfg.Audience))
		}
	}
	if errors.Is(err, jwt.ErrTokenInvalidIssuer) {
		errs = append(errs, fmt.Errorf("%w: token has %q, environment expects %q: iss must match the dashboard value exactly (scheme, host, path, trailing slash)", ErrIssuerMismatch, clip(claims.Issuer), v.cfg.Issuer))
	}
	if errors.Is(err, jwt.ErrTokenInvalidAudience) {
		errs = append(errs, fmt.Errorf("%w: token has %q, environment expects %q", ErrAudienceMismatch, clipAll(claims.Audience), v.cfg.Audience))
	}
	if errors.Is(err, jwt.ErrTokenExpired) {
		exp := "?"
		if claims.ExpiresAt != nil {
			exp = claims.ExpiresAt.UTC().Format(time.RFC3339)
		}
		errs = append(errs, fmt.Errorf("%w: exp %s is before now %s (leeway %s): issue a fresh token", ErrTokenExpired, exp, v.cfg.Now().UTC().Format(time.RFC3339), v.cfg.Leeway))
	}
	if errors.Is(err, jwt.ErrTokenNotValidYet) {
		nbf := "?"
		if claims.NotBefore != nil {
			nbf = claims.NotBefore.UTC().Format(time.RFC3339)
		}
		errs = append(errs, fmt.Errorf("%w: nbf %s is after now %s (leeway %s): check the issuer's clock", ErrTokenNotYetValid, nbf, v.cfg.Now().UTC().Format(time.RFC3339), v.cfg.Leeway))
	}
	if claims.Subject == "" {
		errs = append(errs, fmt.Errorf("%w: sub absent or empty: put your user id in sub", ErrMissingClaim))
	}
	switch len(errs) {
	case 0:
		return fmt.Errorf("%w: the token's claims are invalid", ErrMalformedToken)
	case 1:
		return errs[0]
	default:
		return joinedError(errs)
	}
}

// unwrapOurs digs our own error (with its message) out of golang-jwt's
// wrapping, so the message stays short and tells the caller what to do.
func unwrapOurs(err, sentinel error) error {
	var found error
	var walk func(error)
	walk = func(e error) {
		if e == nil || found != nil {
			return
		}
		if u, ok := e.(interface{ Unwrap() []error }); ok {
			for _, c := range u.Unwrap() {
				walk(c)
			}
			return
		}
		if e != sentinel && errors.Is(e, sentinel) {
			if _, isOurs := e.(*externalAuthError); !isOurs {
				found = e
				return
			}
		}
		walk(errors.Unwrap(e))
	}
	walk(err)
	if found == nil {
		return fmt.Errorf("%w", sentinel)
	}
	return found
}

// joinedError reports several causes in one line; errors.Is matches each.
type joinedError []error

func (j joinedError) Error() string {
	parts := make([]string, len(j))
	for i, e := range j {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

func (j joinedError) Unwrap() []error { return j }

// maxEcho is the longest token-supplied value (kid, alg, iss, aud, sub) an
// error message repeats: tokens are outside input, and these messages end
// up in logs and HTTP answers.
const maxEcho = 128

// clip shortens a token-supplied value for an error message.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(%d bytes)", len(s))
}

// clipAll clips each value and at most 8 of them.
func clipAll(vs []string) []string {
	out := make([]string, 0, min(len(vs), 8))
	for i, v := range vs {
		if i == 8 {
			out = append(out, fmt.Sprintf("…(%d values)", len(vs)))
			break
		}
		out = append(out, clip(v))
	}
	return out
}

func headerKID(tok *jwt.Token) string {
	if tok == nil {
		return ""
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

func malformedReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid number of segments"):
		return "not three dot-separated segments"
	case strings.Contains(msg, "could not base64 decode header"), strings.Contains(msg, "could not JSON decode header"):
		return "the header segment is not base64url JSON"
	case strings.Contains(msg, "could not base64 decode claim"), strings.Contains(msg, "could not JSON decode claim"):
		return "the payload segment is not base64url JSON, or a claim has the wrong type"
	case strings.Contains(msg, "could not base64 decode signature"):
		return "the signature segment is not base64url"
	default:
		return "not a valid JWT"
	}
}
