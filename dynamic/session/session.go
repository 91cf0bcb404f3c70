// Package session verifies Dynamic's own session tokens on your API: the
// access token (minifiedJwt) the browser SDK or dynamic.Client holds after
// sign-in, sent as "Authorization: Bearer" (or, in cookie-based
// environments, the DYNAMIC_JWT_TOKEN cookie). It is the go-oidc of Dynamic
// sessions:
//
//	v, err := session.NewVerifier(ctx, session.Config{EnvironmentID: envID})
//	if err != nil {
//		return err // an invalid configuration, or Dynamic's JWKS unreachable
//	}
//	defer v.Close()
//	http.Handle("/api/", v.Middleware(api)) // 401/403 with WWW-Authenticate (RFC 6750)
//
//	// in a handler of api:
//	claims, _ := session.FromContext(r.Context())
//	fmt.Fprintln(w, claims.UserID, claims.ExternalUserID())
//
// A Verifier follows Dynamic's "protect your servers" guidance: RS256
// signatures by a key of the environment's JWKS
// ({BaseURL}/sdk/{environmentId}/.well-known/jwks, cached, refreshed once on
// an unknown kid, rate-limited: no network call per request on a warm
// cache), exp, iss, the environment, the user:basic scope, and
// requiresAdditionalAuth in scope as "MFA still pending", refused unless
// Config.AllowMFAPending is set.
//
// Dynamic's iss is "API host + environment id": its documentation shows
// app.dynamic.xyz/<environmentId>, while tokens from the default API host
// carry app.dynamicauth.com/<environmentId>. The Verifier derives it from
// Config.BaseURL's host (app.dynamicauth.com by default); set Config.Issuer
// when yours differs, e.g. with a custom API hostname.
package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/internal/keyset"
	"github.com/extauth/extauth/internal/strictjwt"
)

// Errors of Verify beyond golang-jwt's sentinels (jwt.ErrTokenExpired,
// jwt.ErrTokenSignatureInvalid, jwt.ErrTokenMalformed,
// jwt.ErrTokenInvalidAudience, …) and dynamic.ErrUnknownKey and
// dynamic.ErrJWKSUnreachable, which its errors wrap too. Every error of
// Verify matches ErrInvalidSession.
var (
	// ErrInvalidSession matches every refused session token.
	ErrInvalidSession = errors.New("session: invalid Dynamic session token")
	// ErrWrongEnvironment: the token belongs to another Dynamic environment
	// (its environment_id or iss is not this Verifier's).
	ErrWrongEnvironment = errors.New("session: token of another environment")
	// ErrMFAPending: the scope holds requiresAdditionalAuth, the user has an
	// MFA step to complete (refused unless Config.AllowMFAPending).
	ErrMFAPending = errors.New("session: MFA still pending")
	// ErrInsufficientScope: a required scope (user:basic, or one of
	// Config.Scopes) is missing; the middleware answers 403.
	ErrInsufficientScope = errors.New("session: required scope missing")
)

// Scopes Dynamic puts in the scope claim.
const (
	scopeBasic     = "user:basic"
	scopeMFAneeded = "requiresAdditionalAuth"
)

// Config says which session tokens a Verifier accepts. Only EnvironmentID
// is required.
type Config struct {
	// EnvironmentID is the Dynamic environment (a UUID).
	EnvironmentID string
	// BaseURL is Dynamic's API root, dynamic.DefaultBaseURL when empty;
	// the JWKS is fetched from {BaseURL}/sdk/{EnvironmentID}/.well-known/jwks.
	BaseURL string
	// Issuer is the exact iss required. Empty: BaseURL's host + "/" +
	// EnvironmentID (app.dynamicauth.com/<env> by default).
	Issuer string
	// Audience, when not empty, lists the origins a token's aud (the
	// Origin the SDK signed in from) must be one of.
	Audience []string
	// Scopes are required in addition to user:basic.
	Scopes []string
	// AllowMFAPending accepts tokens whose scope says an MFA step is still
	// pending (requiresAdditionalAuth), which also lack user:basic; check
	// Claims.MFAPending yourself then.
	AllowMFAPending bool
	// HTTPClient fetches the JWKS; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Leeway is the clock-skew tolerance for exp, nbf and iat. Zero means
	// 30 seconds; negative means none.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Claims are the verified claims of a Dynamic session token.
type Claims struct {
	UserID                   string    // sub: the Dynamic user id
	SessionID                string    // sid
	EnvironmentID            string    // environment_id
	Email                    string    // email, "" when absent
	Scopes                   []string  // scope, split at spaces
	MFAPending               bool      // scope holds requiresAdditionalAuth
	SessionPublicKey         string    // session_public_key, "" when absent
	LastVerifiedCredentialID string    // last_verified_credential_id
	Audience                 []string  // aud: the Origin the SDK signed in from
	IssuedAt                 time.Time // iat
	ExpiresAt                time.Time // exp
	// VerifiedCredentials are the user's credentials (verified_credentials,
	// present in the full jwt, absent in the minified access token).
	VerifiedCredentials []dynamic.VerifiedCredential
}

// ExternalUserID returns the public identifier of the user's externalUser
// credential (the sub of the external JWT they signed in with), or "" when
// the token does not carry the credentials (the minified access token does
// not: use the jwt, or look the user up).
func (c *Claims) ExternalUserID() string {
	for _, vc := range c.VerifiedCredentials {
		if vc.Format == "externalUser" {
			return vc.PublicIdentifier
		}
	}
	return ""
}

// Verifier verifies Dynamic session tokens of one environment. It is safe
// for concurrent use; Close stops its background JWKS refresh.
type Verifier struct {
	cfg    Config
	keys   *keyset.Set
	parser *jwt.Parser
}

// NewVerifier checks cfg and fetches the environment's JWKS once (so an
// unreachable JWKS is reported now, matching dynamic.ErrJWKSUnreachable).
// ctx bounds that fetch only.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	cfg, jwksURL, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	keys, err := keyset.New(ctx, keyset.Options{
		URL: jwksURL, HTTPClient: cfg.HTTPClient, Refresh: time.Hour, UnknownKID: 10 * time.Second,
		Hint: ": check Config.BaseURL and Config.EnvironmentID",
	})
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
	}
	return &Verifier{cfg: cfg, keys: keys, parser: jwt.NewParser(opts...)}, nil
}

// withDefaults checks cfg, fills in its defaults and returns the JWKS URL.
func (cfg Config) withDefaults() (Config, string, error) {
	env := strings.ToLower(cfg.EnvironmentID)
	if !isUUID(env) {
		return cfg, "", fmt.Errorf("%w: session.Config.EnvironmentID %q is not a UUID: copy it from the Dynamic dashboard (Developers → SDK & API keys)", dynamic.ErrInvalidConfig, keyset.Clip(cfg.EnvironmentID))
	}
	cfg.EnvironmentID = env
	base := strings.TrimRight(cmpOr(cfg.BaseURL, dynamic.DefaultBaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return cfg, "", fmt.Errorf("%w: session.Config.BaseURL %q is not an absolute http(s) URL like %s", dynamic.ErrInvalidConfig, keyset.Clip(cfg.BaseURL), dynamic.DefaultBaseURL)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = u.Host + "/" + env
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = 30 * time.Second
	case cfg.Leeway < 0:
		cfg.Leeway = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Audience, cfg.Scopes = slices.Clone(cfg.Audience), slices.Clone(cfg.Scopes)
	return cfg, base + "/sdk/" + env + "/.well-known/jwks", nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f'):
			return false
		}
	}
	return true
}

// Close stops the background JWKS refresh. It is idempotent.
func (v *Verifier) Close() {
	if v != nil && v.keys != nil {
		v.keys.Close()
	}
}

// Verify checks a Dynamic session token and returns its claims. Its errors
// match ErrInvalidSession and say why: ErrWrongEnvironment, ErrMFAPending,
// ErrInsufficientScope, dynamic.ErrUnknownKey, dynamic.ErrJWKSUnreachable,
// or one of golang-jwt's sentinels (jwt.ErrTokenExpired,
// jwt.ErrTokenSignatureInvalid, jwt.ErrTokenInvalidAudience,
// jwt.ErrTokenMalformed, …). They never contain the token.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if v == nil || v.parser == nil {
		return nil, fmt.Errorf("%w: Verifier is nil or a zero value: create it with session.NewVerifier", dynamic.ErrInvalidConfig)
	}
	switch {
	case token == "":
		return nil, refuse(jwt.ErrTokenMalformed, "no token")
	case len(token) > strictjwt.MaxTokenBytes:
		return nil, refuse(jwt.ErrTokenMalformed, "the token is %d bytes, more than the %d accepted", len(token), strictjwt.MaxTokenBytes)
	}
	if err := strictjwt.CheckToken(token, wireNames); err != nil {
		return nil, refuse(jwt.ErrTokenMalformed, "malformed: %v", err)
	}
	var wc wireClaims
	_, err := v.parser.ParseWithClaims(token, &wc, v.keyfunc(ctx))
	if err != nil {
		return nil, v.parseError(&wc, err)
	}
	scopes := strings.Fields(wc.Scope)
	if err := v.checkClaims(&wc, scopes); err != nil {
		return nil, err
	}
	return wc.claims(scopes), nil
}

func (v *Verifier) keyfunc(ctx context.Context) jwt.Keyfunc {
	inner := v.keys.Keyfunc(ctx)
	return func(t *jwt.Token) (any, error) {
		key, err := inner(t)
		var ke *keyset.Error
		if errors.As(err, &ke) {
			return nil, refuse(ke.Kind, "%s", ke.Detail)
		}
		return key, err
	}
}

// parseError explains a token golang-jwt refused. A token whose key is
// unknown and whose (unverified) environment is another one is reported
// as such too: the likely cause is a token of the wrong environment.
func (v *Verifier) parseError(wc *wireClaims, err error) error {
	var ours *refusal
	if errors.As(err, &ours) {
		if errors.Is(err, dynamic.ErrUnknownKey) && wc.EnvironmentID != "" && wc.EnvironmentID != v.cfg.EnvironmentID {
			return &refusal{kinds: []error{ErrWrongEnvironment, dynamic.ErrUnknownKey}, msg: fmt.Sprintf("session: the token is of environment %q, this Verifier accepts %q (%s)", keyset.Clip(wc.EnvironmentID), v.cfg.EnvironmentID, ours.msg)}
		}
		return ours
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return refuse(jwt.ErrTokenMalformed, "malformed: %v", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return refuse(jwt.ErrTokenSignatureInvalid, "the signature does not verify with the environment's JWKS (or the alg is not RS256): the token was altered or is not Dynamic's")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return &refusal{kinds: []error{ErrWrongEnvironment, jwt.ErrTokenInvalidIssuer}, msg: fmt.Sprintf("session: iss is %q, this Verifier accepts %q (set Config.Issuer if your API host differs)", keyset.Clip(wc.Issuer), v.cfg.Issuer)}
	case errors.Is(err, jwt.ErrTokenExpired):
		return refuse(jwt.ErrTokenExpired, "the session expired at %s: sign in again", dateOf(wc.ExpiresAt))
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return refuse(jwt.ErrTokenNotValidYet, "the token is not valid yet (nbf or iat in the future): check the clocks")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return refuse(jwt.ErrTokenRequiredClaimMissing, "exp or iss is missing")
	}
	return refuse(jwt.ErrTokenInvalidClaims, "%v", err)
}

// checkClaims applies Dynamic's rules beyond golang-jwt's: the
// environment, sub and sid present, the audience, MFA and the scopes.
func (v *Verifier) checkClaims(wc *wireClaims, scopes []string) error {
	switch {
	case wc.EnvironmentID != v.cfg.EnvironmentID:
		return refuse(ErrWrongEnvironment, "environment_id is %q, this Verifier accepts %q", keyset.Clip(wc.EnvironmentID), v.cfg.EnvironmentID)
	case wc.Subject == "" || wc.SessionID == "":
		return refuse(jwt.ErrTokenRequiredClaimMissing, "sub or sid is missing: not a Dynamic session token")
	case len(v.cfg.Audience) > 0 && !slices.ContainsFunc(wc.Audience, func(a string) bool { return slices.Contains(v.cfg.Audience, a) }):
		return refuse(jwt.ErrTokenInvalidAudience, "aud %q is none of the allowed origins %q", keyset.ClipAll(wc.Audience), v.cfg.Audience)
	case slices.Contains(scopes, scopeMFAneeded) && !v.cfg.AllowMFAPending:
		return refuse(ErrMFAPending, "the user has an MFA step to complete (scope %s): finish it in the SDK, or set Config.AllowMFAPending", scopeMFAneeded)
	}
	if !slices.Contains(scopes, scopeMFAneeded) && !slices.Contains(scopes, scopeBasic) {
		return &refusal{kinds: []error{ErrInsufficientScope}, scope: scopeBasic, msg: fmt.Sprintf("session: the token lacks the scope %q (it has %q)", scopeBasic, keyset.ClipAll(scopes))}
	}
	for _, s := range v.cfg.Scopes {
		if !slices.Contains(scopes, s) {
			return &refusal{kinds: []error{ErrInsufficientScope}, scope: s, msg: fmt.Sprintf("session: the token lacks the scope %q (it has %q)", s, keyset.ClipAll(scopes))}
		}
	}
	return nil
}

// wireClaims is the wire form of a session token's payload.
type wireClaims struct {
	jwt.RegisteredClaims
	SessionID                string                       `json:"sid"`
	EnvironmentID            string                       `json:"environment_id"`
	Email                    string                       `json:"email"`
	Scope                    string                       `json:"scope"`
	SessionPublicKey         string                       `json:"session_public_key"`
	LastVerifiedCredentialID string                       `json:"last_verified_credential_id"`
	VerifiedCredentials      []dynamic.VerifiedCredential `json:"verified_credentials"`
}

// wireNames are the members wireClaims decodes (and jwt.RegisteredClaims').
var wireNames = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "environment_id", "email", "scope", "session_public_key", "last_verified_credential_id", "verified_credentials"}

func (c *wireClaims) claims(scopes []string) *Claims {
	out := &Claims{
		UserID: c.Subject, SessionID: c.SessionID, EnvironmentID: c.EnvironmentID, Email: c.Email,
		Scopes: scopes, SessionPublicKey: c.SessionPublicKey,
		LastVerifiedCredentialID: c.LastVerifiedCredentialID, Audience: []string(c.Audience),
		VerifiedCredentials: c.VerifiedCredentials,
	}
	out.MFAPending = slices.Contains(out.Scopes, scopeMFAneeded)
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.Time
	}
	return out
}

// refusal is a refused session token: it matches ErrInvalidSession and
// each of its kinds.
type refusal struct {
	kinds []error
	msg   string
	scope string // the missing scope, for WWW-Authenticate
}

func (e *refusal) Error() string { return e.msg }
func (e *refusal) Unwrap() []error {
	return append([]error{ErrInvalidSession}, e.kinds...)
}

func refuse(kind error, format string, args ...any) error {
	return &refusal{kinds: []error{kind}, msg: "session: " + fmt.Sprintf(format, args...)}
}

func dateOf(d *jwt.NumericDate) string {
	if d == nil {
		return "?"
	}
	return d.UTC().Format(time.RFC3339)
}
