package dynamic

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
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/extauth/extauth/internal/jsonobj"
	"github.com/extauth/extauth/internal/strictjwt"
	"github.com/extauth/extauth/jwks"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// tokenError is a refused token: it matches ErrInvalidExternalAuth, the
// single API code Dynamic answers every external-JWT failure with, and its
// kind, one of golang-jwt's sentinels (jwt.ErrTokenExpired,
// jwt.ErrTokenInvalidIssuer, …) or ErrJWKSUnreachable / ErrUnknownKey.
type tokenError struct {
	kind error
	msg  string
}

func (e *tokenError) Error() string   { return e.msg }
func (e *tokenError) Unwrap() []error { return []error{ErrInvalidExternalAuth, e.kind} }

// refuse reports a refused token of the given kind; the message says what
// was found and what to do, and never contains the token.
func refuse(kind error, format string, args ...any) error {
	return &tokenError{kind: kind, msg: "dynamic: external JWT refused: " + fmt.Sprintf(format, args...)}
}

// Errors of the Validator beyond golang-jwt's sentinels. Each matches
// ErrInvalidExternalAuth too.
var (
	// ErrJWKSUnreachable: the JWKS URL could not be fetched or did not hold
	// an acceptable JWK Set. Dynamic must reach it over the public internet
	// (not localhost; the demo uses ngrok).
	ErrJWKSUnreachable = errors.New("JWKS URL unreachable")
	// ErrUnknownKey: the token's kid is not in the JWK Set, even after a
	// (rate-limited) refresh, or a kid-less token found no usable key.
	ErrUnknownKey = errors.New("kid not found in JWKS")
)

// defaultLeeway is the clock-skew tolerance applied to exp and nbf when
// ValidatorConfig.Leeway is zero. Dynamic's own tolerance is not documented;
// 30 seconds absorbs ordinary clock drift without keeping expired tokens
// usable for long.
const defaultLeeway = 30 * time.Second

// defaultJWKSRefreshInterval is how often a Validator re-fetches the JWK Set
// in the background, so removed keys stop verifying.
const defaultJWKSRefreshInterval = time.Hour

// defaultUnknownKIDRefreshInterval is the minimum spacing of the JWKS
// refreshes triggered by an unknown kid (the first one happens at once).
const defaultUnknownKIDRefreshInterval = 10 * time.Second

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
	// defaultLeeway; a negative value means none.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// RefreshInterval is the background JWKS refresh period; zero means
	// defaultJWKSRefreshInterval.
	RefreshInterval time.Duration
	// UnknownKIDRefreshInterval rate-limits refreshes caused by unknown kids;
	// zero means defaultUnknownKIDRefreshInterval. A token whose kid is
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
// an unknown kid, rate-limited), RS256 only with RSA keys of 2048 bits or
// more, iss exact, sub present, exp present and in the future (with leeway),
// aud when configured. It is at least as strict as a strict JOSE library:
// it refuses duplicate or case-folded claim names ({"sub":"a","SUB":"b"}),
// "crit" headers, numeric dates given as strings or out of range, tokens
// over 16 KiB, and a JWK Set that publishes private key members or one kid
// twice. It is safe for concurrent use. Close stops its background refresh.
type Validator struct {
	cfg    ValidatorConfig
	kf     keyfunc.Keyfunc
	cached jwkset.Storage // the fetched set, read without refreshing
	parser *jwt.Parser
	cancel context.CancelFunc

	// lastRefreshErr is the outcome of the most recent JWKS fetch: nil after
	// a fetch started (and stays nil if it succeeds), the error otherwise.
	lastRefreshErr atomic.Pointer[error]
	closeOnce      sync.Once
}

// NewValidator fetches the JWK Set once (so an unreachable JWKS is reported
// now, as ErrJWKSUnreachable) and returns a Validator. ctx bounds the first
// fetch only; call Close when done.
func NewValidator(ctx context.Context, cfg ValidatorConfig) (*Validator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	v := &Validator{cfg: cfg}
	hc := jwksHTTPClient(cfg.HTTPClient, v)
	// The refresh goroutine lives until Close; the caller's ctx may only
	// cut the first fetch short.
	life, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	store, err := jwkset.NewStorageFromHTTP(cfg.JWKSURL, jwkset.HTTPClientStorageOptions{
		Client:      hc,
		Ctx:         life,
		HTTPTimeout: hc.Timeout,
		RefreshErrorHandler: func(_ context.Context, err error) {
			v.lastRefreshErr.Store(&err)
		},
		RefreshInterval: cfg.RefreshInterval,
	})
	var kf keyfunc.Keyfunc
	if err == nil {
		// One limiter for unknown-kid refreshes, jwkset's own. It waits at
		// most a millisecond: while the limit is in force a token with an
		// unknown kid fails at once rather than holding its request.
		var client jwkset.Storage
		client, err = jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
			HTTPURLs:          map[string]jwkset.Storage{cfg.JWKSURL: store},
			RateLimitWaitMax:  time.Millisecond,
			RefreshUnknownKID: rate.NewLimiter(rate.Every(cfg.UnknownKIDRefreshInterval), 1),
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
		return nil, refuse(ErrJWKSUnreachable, "JWKS unreachable: fetching %s failed (%s): check that the URL is reachable from Dynamic (public, not localhost — the demo uses ngrok) and answers 200 with a JSON JWK Set {\"keys\":[...]}", cfg.JWKSURL, fetchReason(err))
	}
	v.kf, v.cached, v.cancel = kf, store, cancel
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

// withDefaults checks cfg and fills in its defaults.
func (cfg ValidatorConfig) withDefaults() (ValidatorConfig, error) {
	if cfg.Issuer == "" {
		return cfg, fmt.Errorf("%w: ValidatorConfig.Issuer is empty: set it to the exact iss your tokens carry (the dashboard's iss)", ErrInvalidConfig)
	}
	u, err := url.Parse(cfg.JWKSURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("%w: ValidatorConfig.JWKSURL %q is not an absolute http(s) URL: set it to the public URL of your JWK Set", ErrInvalidConfig, cfg.JWKSURL)
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = defaultLeeway
	case cfg.Leeway < 0:
		cfg.Leeway = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = defaultJWKSRefreshInterval
	}
	if cfg.UnknownKIDRefreshInterval <= 0 {
		cfg.UnknownKIDRefreshInterval = defaultUnknownKIDRefreshInterval
	}
	return cfg, nil
}

// jwksHTTPClient is the client JWKS fetches use: the caller's (or one with
// a 10 s timeout), through a transport that checks every JWK Set, and
// following redirects within the URL's origin only.
func jwksHTTPClient(base *http.Client, v *Validator) *http.Client {
	if base == nil {
		base = &http.Client{Timeout: 10 * time.Second}
	}
	hc := *base
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = &jwksTransport{base: rt, v: v}
	if hc.CheckRedirect == nil {
		hc.CheckRedirect = sameOriginRedirect
	}
	if hc.Timeout <= 0 {
		hc.Timeout = time.Minute
	}
	return &hc
}

// fetchReason reduces a jwkset fetch error to a short cause.
func fetchReason(err error) string {
	var refused *jwksRefusedError
	var ue *url.Error
	switch {
	case err == nil:
		return "unknown error"
	case errors.As(err, &refused):
		return refused.reason
	case errors.As(err, &ue) && errors.As(ue.Err, &refused):
		return refused.reason
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "timed out or cancelled"
	case errors.As(err, &ue):
		return "request failed: " + ue.Err.Error()
	}
	return err.Error()
}

// jwksRefusedError is a JWK Set the transport refused to hand to jwkset.
type jwksRefusedError struct{ reason string }

func (e *jwksRefusedError) Error() string { return "JWK Set refused: " + e.reason }

// jwksTransport tracks the outcome of JWKS fetches, caps the response size
// and refuses sets jwkset would accept but a strict verifier does not.
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
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return resp, nil // the client follows it, within the origin only
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &jwksRefusedError{fmt.Sprintf("HTTP status %d, want 200", resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, &jwksRefusedError{"the JWK Set exceeds 1 MiB"}
	}
	if err := checkJWKSet(body); err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// checkJWKSet refuses a set that publishes private key members (it leaks
// the key: whoever has it can sign tokens) or the same kid twice (which key
// verifies is then ambiguous), as well as an answer that is not a JWK Set.
// Malformed keys are left to jwkset, which refuses the whole set.
func checkJWKSet(body []byte) error {
	var set struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := jsonobj.Decode(body, &set, "the answer"); err != nil {
		return &jwksRefusedError{fmt.Sprintf("not a JSON JWK Set ({\"keys\":[...]}): %v", err)}
	}
	kids := make(map[string]bool, len(set.Keys))
	for i, k := range set.Keys {
		for _, m := range [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, ok := k[m]; ok {
				return &jwksRefusedError{fmt.Sprintf("key %d publishes the private member %q: anyone can sign tokens with it; replace the key and publish only kty, n, e, kid, use, alg", i, m)}
			}
		}
		var kid string
		if json.Unmarshal(k["kid"], &kid) == nil && kid != "" {
			if kids[kid] {
				return &jwksRefusedError{fmt.Sprintf("kid %q appears twice: give every key its own kid", clip(kid))}
			}
			kids[kid] = true
		}
	}
	return nil
}

// Config returns the effective configuration (defaults applied).
func (v *Validator) config() ValidatorConfig { return v.cfg }

// Close stops the background JWKS refresh. Validate must not be called after
// Close returns. Close is idempotent.
func (v *Validator) Close() {
	v.closeOnce.Do(func() {
		if v.cancel != nil {
			v.cancel()
		}
	})
}

// externalClaimNames are the members externalClaims decodes.
var externalClaimNames = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "email", "emailVerified", "scope"}

// externalClaims is the wire form of an external JWT's payload.
type externalClaims struct {
	jwt.RegisteredClaims
	Email         string     `json:"email,omitempty"`
	EmailVerified *bool      `json:"emailVerified,omitempty"`
	Scope         scopeClaim `json:"scope,omitempty"`
}

// UnmarshalJSON decodes the payload strictly (see strictjwt) before
// handing it to encoding/json.
func (c *externalClaims) UnmarshalJSON(b []byte) error {
	if err := strictjwt.CheckMembers(b, externalClaimNames); err != nil {
		return err
	}
	if err := strictjwt.CheckDates(b); err != nil {
		return err
	}
	type plain externalClaims
	return json.Unmarshal(b, (*plain)(c))
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
// the error matches ErrInvalidExternalAuth and one or more of
// jwt.ErrTokenMalformed, jwt.ErrTokenSignatureInvalid (a bad signature or an
// alg other than RS256), jwt.ErrTokenUnverifiable (a key that cannot verify
// RS256), jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidAudience,
// jwt.ErrTokenExpired, jwt.ErrTokenNotValidYet,
// jwt.ErrTokenRequiredClaimMissing, ErrJWKSUnreachable and ErrUnknownKey;
// several claim problems are all reported. ctx bounds any JWKS refresh the
// token's kid triggers.
func (v *Validator) Validate(ctx context.Context, token string) (*ExternalClaims, error) {
	if v == nil || v.parser == nil {
		return nil, fmt.Errorf("%w: Validator is nil or a zero value: create it with NewValidator", ErrInvalidConfig)
	}
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return nil, refuse(jwt.ErrTokenMalformed, "the token is empty: pass the compact JWS (header.payload.signature)")
	case strings.Count(token, ".") != 2:
		return nil, refuse(jwt.ErrTokenMalformed, "malformed: not a compact JWS: want three base64url parts separated by dots, got %d dots", strings.Count(token, "."))
	case len(token) > strictjwt.MaxTokenBytes:
		return nil, refuse(jwt.ErrTokenMalformed, "the token is %d bytes, more than the %d accepted: keep extra claims small", len(token), strictjwt.MaxTokenBytes)
	}
	if err := strictjwt.CheckHeader(token); err != nil {
		return nil, refuse(jwt.ErrTokenMalformed, "%v", err)
	}
	var claims externalClaims
	tok, err := v.parser.ParseWithClaims(token, &claims, v.keyfunc(ctx))
	if err != nil {
		return nil, v.mapError(tok, &claims, err)
	}
	if strings.TrimSpace(claims.Subject) == "" {
		return nil, refuse(jwt.ErrTokenRequiredClaimMissing, "sub is absent or empty: put your user id in sub")
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

// keyfunc wraps keyfunc/v3 and turns its failures into our errors.
func (v *Validator) keyfunc(ctx context.Context) jwt.Keyfunc {
	inner := v.kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		kidRaw, hasKID := t.Header["kid"]
		kid, isString := kidRaw.(string)
		switch {
		case hasKID && !isString:
			return nil, refuse(jwt.ErrTokenMalformed, "the kid header is not a string")
		case !hasKID:
			return v.kidlessKeys(ctx)
		}
		key, err := inner(t)
		if err != nil {
			return nil, v.keyError(ctx, kid, err)
		}
		jwk, err := v.cached.KeyRead(ctx, kid)
		if err != nil {
			return nil, v.keyError(ctx, kid, err)
		}
		if err := rs256Key(jwk, kid); err != nil {
			return nil, refuse(jwt.ErrTokenUnverifiable, "the JWK for kid %q cannot verify this token: %v", clip(kid), err)
		}
		return key, nil
	}
}

// keyError explains why no key was found for kid.
func (v *Validator) keyError(ctx context.Context, kid string, err error) error {
	if p := v.lastRefreshErr.Load(); p != nil {
		return refuse(ErrJWKSUnreachable, "JWKS unreachable: refreshing %s for kid %q failed (%s): check that the URL is reachable and serves a JWK Set", v.cfg.JWKSURL, clip(kid), fetchReason(*p))
	}
	if _, e := v.cached.KeyRead(ctx, kid); errors.Is(e, jwkset.ErrKeyNotFound) {
		return refuse(ErrUnknownKey, "unknown kid: kid %q is not in the JWK Set at %s (refreshed at most every %s): publish the signing key there, and keep retired keys published until their tokens expire", clip(kid), v.cfg.JWKSURL, v.cfg.UnknownKIDRefreshInterval)
	}
	// The key exists but keyfunc refused it for this token (its alg or use).
	return refuse(jwt.ErrTokenUnverifiable, "the JWK for kid %q cannot verify this token: %v", clip(kid), err)
}

// kidlessKeys returns the keys a token without a kid may be verified with:
// the cached set's RSA keys of at least 2048 bits whose use (if any) is sig
// and whose alg (if any) is RS256.
func (v *Validator) kidlessKeys(ctx context.Context) (any, error) {
	all, err := v.cached.KeyReadAll(ctx)
	if err != nil {
		return nil, refuse(ErrJWKSUnreachable, "JWKS unreachable: reading the JWK Set of %s: %v", v.cfg.JWKSURL, err)
	}
	var set jwt.VerificationKeySet
	for _, j := range all {
		if rs256Key(j, "kid-less") == nil {
			set.Keys = append(set.Keys, j.Key())
		}
	}
	if len(set.Keys) == 0 {
		return nil, refuse(ErrUnknownKey, "unknown kid: the token has no kid and the JWKS at %s has no RS256 key of 2048 bits or more: put the signing key's kid in the token header", v.cfg.JWKSURL)
	}
	return set, nil
}

// rs256Key reports why jwk cannot verify an RS256 signature: not RSA, a
// use other than sig, an alg other than RS256, or a key jwks refuses
// (under 2048 bits, say).
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

// mapError turns a golang-jwt error into ours, with a message that says what
// was found and what to do.
func (v *Validator) mapError(tok *jwt.Token, claims *externalClaims, err error) error {
	var ours *tokenError
	if errors.As(err, &ours) {
		return ours // from keyfunc
	}
	if errors.Is(err, jwt.ErrTokenMalformed) {
		return refuse(jwt.ErrTokenMalformed, "malformed: %v: the header and payload must be base64url JSON objects, with claims of the right types (sub a string, exp a number)", err)
	}
	if alg := tokenAlg(tok); alg != jwt.SigningMethodRS256.Alg() {
		return refuse(jwt.ErrTokenSignatureInvalid, "the token's alg is %q, not RS256: sign with RS256 (an RSA key of 2048 bits or more)", clip(alg))
	}
	switch {
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return refuse(jwt.ErrTokenUnverifiable, "%v", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return refuse(jwt.ErrTokenSignatureInvalid, "the signature does not verify with the JWKS key %q: the token was signed by a different key or altered", clip(headerKID(tok)))
	}
	errs := v.claimErrors(claims, err)
	switch len(errs) {
	case 0:
		return refuse(jwt.ErrTokenInvalidClaims, "the token's claims are invalid: %v", err)
	case 1:
		return errs[0]
	}
	return joinedError(errs)
}

// claimErrors lists every claim problem golang-jwt reported, and an empty
// sub, which it does not check.
func (v *Validator) claimErrors(claims *externalClaims, err error) []error {
	now := v.cfg.Now().UTC().Format(time.RFC3339)
	var errs []error
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		errs = append(errs, v.missingClaims(claims)...)
	}
	if errors.Is(err, jwt.ErrTokenInvalidIssuer) {
		errs = append(errs, refuse(jwt.ErrTokenInvalidIssuer, "iss mismatch: token has %q, environment expects %q: iss must match the dashboard value exactly (scheme, host, path, trailing slash)", clip(claims.Issuer), v.cfg.Issuer))
	}
	if errors.Is(err, jwt.ErrTokenInvalidAudience) {
		errs = append(errs, refuse(jwt.ErrTokenInvalidAudience, "aud mismatch: token has %q, environment expects %q", clipAll(claims.Audience), v.cfg.Audience))
	}
	if errors.Is(err, jwt.ErrTokenExpired) {
		errs = append(errs, refuse(jwt.ErrTokenExpired, "expired: exp %s is before now %s (leeway %s): issue a fresh token", dateOf(claims.ExpiresAt), now, v.cfg.Leeway))
	}
	if errors.Is(err, jwt.ErrTokenNotValidYet) {
		errs = append(errs, refuse(jwt.ErrTokenNotValidYet, "not valid yet: nbf %s is after now %s (leeway %s): check the issuer's clock", dateOf(claims.NotBefore), now, v.cfg.Leeway))
	}
	if strings.TrimSpace(claims.Subject) == "" {
		errs = append(errs, refuse(jwt.ErrTokenRequiredClaimMissing, "sub is absent or empty: put your user id in sub"))
	}
	return errs
}

// missingClaims reports the required claims golang-jwt found absent.
func (v *Validator) missingClaims(claims *externalClaims) []error {
	var missing []string
	var errs []error
	if claims.Issuer == "" {
		missing = append(missing, "iss")
		errs = append(errs, refuse(jwt.ErrTokenInvalidIssuer, "iss mismatch: token has no iss, environment expects %q", v.cfg.Issuer))
	}
	if claims.ExpiresAt == nil {
		missing = append(missing, "exp")
	}
	if v.cfg.Audience != "" && len(claims.Audience) == 0 {
		missing = append(missing, "aud")
		errs = append(errs, refuse(jwt.ErrTokenInvalidAudience, "aud mismatch: token has no aud, environment expects %q", v.cfg.Audience))
	}
	if len(missing) == 0 {
		missing = append(missing, "a required claim")
	}
	return append([]error{refuse(jwt.ErrTokenRequiredClaimMissing, "%s absent: add it to the token (sub, exp and iss are required)", strings.Join(missing, ", "))}, errs...)
}

func dateOf(d *jwt.NumericDate) string {
	if d == nil {
		return "?"
	}
	return d.UTC().Format(time.RFC3339)
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

func tokenAlg(tok *jwt.Token) string {
	if tok == nil {
		return jwt.SigningMethodRS256.Alg()
	}
	alg, _ := tok.Header["alg"].(string)
	return alg
}
