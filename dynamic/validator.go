package dynamic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/extauth/extauth/dynamic/internal/keyset"
	"github.com/extauth/extauth/internal/strictjwt"
	"github.com/golang-jwt/jwt/v5"
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
	ErrJWKSUnreachable = keyset.ErrUnreachable
	// ErrUnknownKey: the token's kid is not in the JWK Set, even after a
	// (rate-limited) refresh, or a kid-less token found no usable key.
	ErrUnknownKey = keyset.ErrUnknownKey
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
	keys   *keyset.Set
	parser *jwt.Parser
}

// NewValidator fetches the JWK Set once (so an unreachable JWKS is reported
// now, as ErrJWKSUnreachable) and returns a Validator. ctx bounds the first
// fetch only; call Close when done.
func NewValidator(ctx context.Context, cfg ValidatorConfig) (*Validator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	keys, err := keyset.New(ctx, keyset.Options{
		URL: cfg.JWKSURL, HTTPClient: cfg.HTTPClient,
		Refresh: cfg.RefreshInterval, UnknownKID: cfg.UnknownKIDRefreshInterval,
		Hint: ": check that the URL is reachable from Dynamic (public, not localhost — the demo uses ngrok) and answers 200 with a JSON JWK Set {\"keys\":[...]}",
	})
	if err != nil {
		return nil, asRefusal(err)
	}
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
	return &Validator{cfg: cfg, keys: keys, parser: jwt.NewParser(opts...)}, nil
}

// asRefusal turns a keyset failure into a refused external JWT of the
// same kind.
func asRefusal(err error) error {
	var ke *keyset.Error
	if errors.As(err, &ke) {
		return refuse(ke.Kind, "%s", ke.Detail)
	}
	return err
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

// Config returns the effective configuration (defaults applied).
func (v *Validator) config() ValidatorConfig { return v.cfg }

// Close stops the background JWKS refresh. Validate must not be called after
// Close returns. Close is idempotent.
func (v *Validator) Close() {
	if v != nil && v.keys != nil {
		v.keys.Close()
	}
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
	if err := strictjwt.CheckToken(token, externalClaimNames); err != nil {
		return nil, refuse(jwt.ErrTokenMalformed, "malformed: %v (in the header or payload)", err)
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

// keyfunc finds the token's key in the JWK Set; its failures are refused
// external JWTs of the keyset's kinds.
func (v *Validator) keyfunc(ctx context.Context) jwt.Keyfunc {
	inner := v.keys.Keyfunc(ctx)
	return func(t *jwt.Token) (any, error) {
		key, err := inner(t)
		if err != nil {
			return nil, asRefusal(err)
		}
		return key, nil
	}
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
		errs = append(errs, refuse(jwt.ErrTokenInvalidAudience, "Audience (aud) does not match: token has %q, environment expects %q", clipAll(claims.Audience), v.cfg.Audience))
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
		errs = append(errs, refuse(jwt.ErrTokenInvalidAudience, "Audience (aud) does not match: token has no aud, environment expects %q", v.cfg.Audience))
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

// clip and clipAll shorten token-supplied values for error messages.
var (
	clip    = keyset.Clip
	clipAll = keyset.ClipAll
)

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
