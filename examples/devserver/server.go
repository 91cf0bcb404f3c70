package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/extauth/extauth/dynamic"
	dynsession "github.com/extauth/extauth/dynamic/session"
	"github.com/extauth/extauth/internal/httpstatus"
	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
	"github.com/golang-jwt/jwt/v5"
)

// Paths of the devserver. The /api/dev/* ones are the demo's.
const (
	jwksPath        = "/api/dev/jwks"
	jwtPath         = "/api/dev/jwt"
	ngrokPath       = "/api/dev/ngrok"
	signInPath      = "/api/signin"
	signOutPath     = "/signout"
	localDynPrefix  = "/local-dynamic"
	dashboardPath   = "/dashboard"
	generatorPath   = "/jwt"
	mePath          = "/api/me"
	maxTokenLen     = 16 << 10
	dynamicTimeout  = 15 * time.Second
	settingsTimeout = 5 * time.Second
)

// app is one devserver: a signing key, a JWKS, a Dynamic client (real or
// local) and the pages.
type app struct {
	cfg      *config
	log      *slog.Logger
	key      *keySource
	issuer   string
	iss      *issuer.Issuer
	jwks     *jwks.Handler
	ngrok    *ngrokDetector
	sessions *sessionStore
	// verifier checks Dynamic's session tokens for GET /api/me; made on
	// first use (it fetches Dynamic's JWKS, which for the local Dynamic is
	// served by this very server).
	verifierMu sync.Mutex
	verifier   *dynsession.Verifier
	// strayKeys signs the invalid tokens of POST /api/dev/jwt.
	strayKeys func() (*strayKeys, error)
	pages     *pages
	handler   http.Handler
	ready     chan struct{} // closed when attachDynamic is done
	timeout   time.Duration // bound of one call to Dynamic

	// Set by setBase before the first request, and by attachDynamic before
	// ready is closed.
	baseURL     string
	port        int
	dyn         *dynamic.Client
	local       localDynamic
	localIssuer string // the iss the local Dynamic expects
	localMount  http.Handler
}

// newApp loads the key and builds everything that does not need the
// listen address.
func newApp(cfg *config, log *slog.Logger) (*app, error) {
	ks, err := loadSigningKey(cfg.Getenv, cfg.StateDir)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, key: ks, ngrok: newNgrokDetector(cfg.NgrokAPIURL), sessions: newSessionStore(nil), ready: make(chan struct{}), timeout: dynamicTimeout}
	a.issuer = cmp.Or(cfg.Issuer, ks.Issuer, defaultIssuer)
	a.strayKeys = sync.OnceValues(func() (*strayKeys, error) { return generateStrayKeys(ks.Key.ID()) })
	// One key signs and is published: it is its own key source.
	if a.iss, err = issuer.New(issuer.Config{Issuer: a.issuer, Keys: ks.Key}); err != nil {
		return nil, fmt.Errorf("issuer %q: %w", a.issuer, err)
	}
	if a.jwks, err = jwks.NewHandler(ks.Key, &jwks.Options{Logger: log}); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	if a.pages, err = loadPages(); err != nil {
		return nil, err
	}
	a.handler = a.routes()
	return a, nil
}

// attach wires the app to the address it is served at (setBase) and
// creates its Dynamic client (attachDynamic).
func (a *app) attach(baseURL string) error {
	if err := a.setBase(baseURL); err != nil {
		return err
	}
	return a.attachDynamic()
}

// setBase records the URL the app is served at: the port ngrok detection
// matches and the JWKS URL the local Dynamic fetches. Call it before the
// first request.
func (a *app) setBase(baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil {
		return fmt.Errorf("base URL %q: %w", baseURL, err)
	}
	a.baseURL = strings.TrimRight(baseURL, "/")
	a.port, _ = strconv.Atoi(u.Port())
	return nil
}

// attachDynamic creates the Dynamic client: for the real environment, or
// for the local Dynamic that fetches our JWKS over real HTTP. It may run
// while the server already serves: requests other than the JWKS wait for
// it (the local Dynamic generates an RSA key, which must not delay the
// JWKS).
func (a *app) attachDynamic() error {
	defer close(a.ready)
	dlog := a.log.With("component", "dynamic")
	if a.cfg.EnvironmentID != "" {
		dyn, err := dynamic.NewClient(dynamic.Config{
			EnvironmentID: a.cfg.EnvironmentID,
			BaseURL:       a.cfg.DynamicAPIURL,
			Logger:        dlog,
		})
		if err != nil {
			return fmt.Errorf("DYNAMIC_ENVIRONMENT_ID / DYNAMIC_API_URL: %w", err)
		}
		a.dyn = dyn
		return nil
	}
	localIssuer := cmp.Or(a.cfg.LocalIssuer, a.issuer)
	fake, err := newLocalDynamic(localIssuer, a.baseURL+jwksPath, a.cfg.LocalExternalAuth, a.log.With("component", "local-dynamic"))
	if err != nil {
		return fmt.Errorf("local Dynamic: %w", err)
	}
	a.localIssuer = localIssuer
	a.local = fake
	a.localMount = http.StripPrefix(localDynPrefix, fake)
	dyn, err := dynamic.NewClient(dynamic.Config{
		EnvironmentID: fake.EnvironmentID(),
		BaseURL:       a.baseURL + localDynPrefix + "/api/v0",
		HTTPClient:    &http.Client{Timeout: a.timeout},
		Logger:        dlog,
	})
	if err != nil {
		return fmt.Errorf("local Dynamic client: %w", err)
	}
	a.dyn = dyn
	return nil
}

// afterAttach holds requests until attachDynamic has finished.
func (a *app) afterAttach(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-a.ready:
		case <-r.Context().Done():
			return
		}
		if a.dyn == nil {
			writeError(w, http.StatusServiceUnavailable, "the devserver could not set up its Dynamic client: see its log")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Handler is the whole devserver: the public JWKS, everything else behind
// the loopback guard.
func (a *app) Handler() http.Handler { return a.handler }

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(jwtPath, allowMethods(http.HandlerFunc(a.handleMint), http.MethodPost))
	mux.Handle(ngrokPath, allowMethods(http.HandlerFunc(a.handleNgrok), http.MethodGet))
	mux.Handle(signInPath, allowMethods(http.HandlerFunc(a.handleSignIn), http.MethodPost))
	mux.Handle(signOutPath, allowMethods(http.HandlerFunc(a.handleSignOut), http.MethodPost))
	mux.Handle(mePath, allowMethods(http.HandlerFunc(a.handleMe), http.MethodGet))
	mux.Handle(generatorPath, allowMethods(http.HandlerFunc(a.handleGeneratorPage), http.MethodGet))
	mux.Handle(dashboardPath, allowMethods(http.HandlerFunc(a.handleDashboardPage), http.MethodGet))
	mux.Handle("/{$}", allowMethods(http.HandlerFunc(a.handleHomePage), http.MethodGet))
	mux.Handle("/static/", allowMethods(staticHandler(), http.MethodGet))
	mux.Handle(localDynPrefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.localMount == nil {
			writeError(w, http.StatusNotFound, "no local Dynamic: this devserver talks to the real Dynamic environment "+a.cfg.EnvironmentID)
			return
		}
		a.localMount.ServeHTTP(w, r)
	}))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such page or endpoint: "+quoteShort(redactTokens(r.URL.Path))+"; see / , /jwt, /dashboard, "+jwksPath+", "+jwtPath+", "+ngrokPath)
	}))
	guarded := loopbackOnly(a.afterAttach(mux), a.cfg.LocalOrigins)
	return a.logRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			// A body framed by Transfer-Encoding (perhaps with a
			// Content-Length too) may be framed differently by a front
			// end: what follows it on the connection could be a smuggled
			// request. RFC 9112 §6.1: close the connection after it, and
			// accept none on the guarded paths.
			w.Header().Set("Connection", "close")
			if r.URL.Path != jwksPath {
				writeError(w, http.StatusBadRequest, "request bodies with Transfer-Encoding are refused: send the body with a Content-Length")
				return
			}
		}
		if r.URL.Path == jwksPath {
			a.jwks.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	}))
}

var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?`)

// redactTokens hides anything that looks like a JWT in a request path
// (errors of package dynamic never carry tokens).
func redactTokens(s string) string {
	if !strings.Contains(s, "eyJ") {
		return s
	}
	return jwtLike.ReplaceAllString(s, "[redacted-jwt]")
}

// logRequests logs method, path (never the query or body), status and
// duration of every request, at debug (warn for a 5xx).
func (a *app) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &httpstatus.Recorder{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		// Per-request lines are debug; a server failure is worth a warning.
		level := slog.LevelDebug
		if sw.Code() >= 500 {
			level = slog.LevelWarn
		}
		if !a.log.Enabled(r.Context(), level) {
			return
		}
		a.log.Log(r.Context(), level, "request", "method", r.Method, "path", redactTokens(r.URL.Path),
			"status", sw.Code(), "duration", time.Since(start).Round(time.Microsecond), "remote", r.RemoteAddr)
	})
}

// mintRequest is the body of POST /api/dev/jwt: the demo's {sub?, email?}
// and, optionally, what testers ask for first (see mint).
type mintRequest struct {
	Sub     *string         `json:"sub"`
	Email   *string         `json:"email"`
	Aud     json.RawMessage `json:"aud"`     // a string or an array of strings
	TTL     *int64          `json:"ttl"`     // seconds
	Claims  map[string]any  `json:"claims"`  // extra claims, under the issuer's rules
	Invalid *string         `json:"invalid"` // one of invalidKinds
	Scope   *string         `json:"scope"`   // mints a step-up assertion
}

// mintResponse is the demo's answer (email is null when none was given),
// plus what an invalid token is for.
type mintResponse struct {
	Token   string  `json:"token"`
	Sub     string  `json:"sub"`
	Email   *string `json:"email"`
	Invalid string  `json:"invalid,omitempty"`
	Refusal string  `json:"refusal,omitempty"` // why Dynamic must refuse it
}

// invalidKinds are the tokens Dynamic must refuse for exactly one reason,
// with that reason.
var invalidKinds = map[string]string{
	"expired":       "exp is in the past",
	"not-yet-valid": "nbf is in the future",
	"wrong-iss":     "iss is not the dashboard's",
	"wrong-aud":     "aud is not the dashboard's (refused only where an aud is configured)",
	"unknown-kid":   "the kid is not in the JWKS",
	"bad-signature": "the signature does not verify with the published key of that kid",
}

// assertionTTL is the lifetime of a step-up assertion (short, as Dynamic
// asks).
const assertionTTL = 5 * time.Minute

func (a *app) handleMint(w http.ResponseWriter, r *http.Request) {
	var req mintRequest
	if err := decodeJSONBody(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	res, err := a.mint(r.Context(), &req)
	if err != nil {
		a.writeMintError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// mint signs a token like the demo (a random UUID sub when none is given,
// emailVerified true when an email is given), with the optional audience,
// lifetime, extra claims and scope; invalid picks a token Dynamic must
// refuse. Every JWT rule is the issuer package's: this only chooses the
// claims, the clock and the key.
func (a *app) mint(ctx context.Context, req *mintRequest) (*mintResponse, error) {
	c, err := req.claims()
	if err != nil {
		return nil, err
	}
	iss, err := a.issuerFor(req, &c)
	if err != nil {
		return nil, err
	}
	tok, err := iss.Issue(ctx, c)
	if err != nil {
		return nil, err
	}
	res := &mintResponse{Token: tok, Sub: c.Subject, Invalid: deref(req.Invalid), Refusal: invalidKinds[deref(req.Invalid)]}
	if c.Email != "" {
		res.Email = &c.Email
	}
	return res, nil
}

// claims turns the request into issuer.Claims.
func (req *mintRequest) claims() (issuer.Claims, error) {
	c := issuer.Claims{Subject: cmp.Or(deref(req.Sub), newUUID()), Email: deref(req.Email)}
	aud, err := audience(req.Aud)
	if err != nil {
		return c, err
	}
	c.Audience = aud
	if req.TTL != nil {
		if *req.TTL < 1 || *req.TTL > int64(issuer.DefaultMaxTTL/time.Second) {
			return c, badRequest(`"ttl" is %d: give the lifetime in seconds, from 1 to %d`, *req.TTL, int64(issuer.DefaultMaxTTL/time.Second))
		}
		c.TTL = time.Duration(*req.TTL) * time.Second
	}
	if len(req.Claims) > 0 || req.Scope != nil {
		c.Extra = maps.Clone(req.Claims)
		if c.Extra == nil {
			c.Extra = map[string]any{}
		}
	}
	if req.Scope != nil {
		scope := strings.TrimSpace(*req.Scope)
		if scope == "" {
			return c, badRequest(`"scope" is empty: a step-up assertion needs a space-separated scope, e.g. "wallet:export"`)
		}
		c.Extra["scope"] = scope
		if c.TTL == 0 {
			c.TTL = assertionTTL
		}
	}
	return c, nil
}

// audience reads "aud": absent, a string, or an array of strings.
func audience(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil {
		return nil, badRequest(`"aud" must be a string or an array of strings`)
	}
	return many, nil
}

// issuerFor returns the Issuer that signs req: ours, or one with the
// clock, iss or key that makes the token invalid for the one reason asked.
func (a *app) issuerFor(req *mintRequest, c *issuer.Claims) (*issuer.Issuer, error) {
	kind := deref(req.Invalid)
	cfg := issuer.Config{Issuer: a.issuer, Keys: a.key.Key}
	switch kind {
	case "":
		return a.iss, nil
	case "expired":
		// Issued so long ago that exp passed an hour ago, beyond any leeway.
		ttl := cmp.Or(c.TTL, issuer.DefaultTTL)
		cfg.Now = func() time.Time { return time.Now().Add(-ttl - time.Hour) }
	case "not-yet-valid":
		c.NotBefore = time.Now().Add(30 * time.Minute)
		if c.TTL == 0 {
			c.TTL = issuer.DefaultTTL
		}
	case "wrong-iss":
		cfg.Issuer = "https://wrong-issuer.invalid"
	case "wrong-aud":
		c.Audience = []string{"https://wrong-audience.invalid"}
	case "unknown-kid":
		k, err := a.strayKeys()
		if err != nil {
			return nil, err
		}
		cfg.Keys = k.unpublished
	case "bad-signature":
		k, err := a.strayKeys()
		if err != nil {
			return nil, err
		}
		cfg.Keys = k.impostor
	default:
		names := slices.Sorted(maps.Keys(invalidKinds))
		return nil, badRequest(`"invalid" is %s: use one of %s`, quoteShort(kind), strings.Join(names, ", "))
	}
	return issuer.New(cfg)
}

// strayKeys are the keys invalid tokens are signed with: one whose kid is
// not published, and one that claims the published kid but is another key.
// Generated once, on first use.
type strayKeys struct{ unpublished, impostor *issuer.Key }

// generateStrayKeys makes the two stray keys for the published kid.
func generateStrayKeys(publishedKID string) (*strayKeys, error) {
	unpublished, err := issuer.GenerateKey(0, "")
	if err != nil {
		return nil, err
	}
	impostor, err := issuer.GenerateKey(0, publishedKID)
	if err != nil {
		return nil, err
	}
	return &strayKeys{unpublished: unpublished, impostor: impostor}, nil
}

func (a *app) writeMintError(w http.ResponseWriter, err error) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		writeErr(w, err)
		return
	case errors.Is(err, issuer.ErrInvalidClaims):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.log.Error("could not sign a token", "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Failed to generate JWT", "details": err.Error()})
}

// ngrokResponse is GET /api/dev/ngrok's error body: the demo's error text
// plus what exactly went wrong.
type ngrokErrorResponse struct {
	Error   string `json:"error"`
	Details string `json:"details,omitempty"`
}

func (a *app) handleNgrok(w http.ResponseWriter, r *http.Request) {
	res, err := a.ngrok.detect(r.Context(), a.port)
	if err != nil {
		a.log.Debug("ngrok detection failed", "err", err)
		writeJSON(w, ngrokStatus(err), ngrokErrorResponse{Error: ngrokErrorText(err), Details: ngrokDetail(err)})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// signInRequest is POST /api/signin: either a pasted token, or sub/email
// to mint one first ("Generate & Sign In").
type signInRequest struct {
	Token *string `json:"token"`
	mintRequest
}

// signInResponse tells the page where to go.
type signInResponse struct {
	Redirect  string `json:"redirect"`
	UserID    string `json:"userId"`
	Email     string `json:"email,omitempty"`
	ExpiresAt string `json:"expiresAt,omitempty"`
	NewUser   bool   `json:"newUser"`
}

func (a *app) handleSignIn(w http.ResponseWriter, r *http.Request) {
	var req signInRequest
	if err := decodeJSONBody(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	var token, sub string
	if req.Token != nil {
		if req.Sub != nil || req.Email != nil || req.Invalid != nil || req.Claims != nil || req.Aud != nil || req.TTL != nil || req.Scope != nil {
			writeError(w, http.StatusBadRequest, `send either "token" (a JWT to sign in with) or "sub"/"email" (to mint one), not both`)
			return
		}
		token = strings.TrimSpace(*req.Token)
		if err := checkTokenLen(token); err != nil {
			writeErr(w, err)
			return
		}
	} else {
		res, err := a.mint(r.Context(), &req.mintRequest)
		if err != nil {
			a.writeMintError(w, err)
			return
		}
		token, sub = res.Token, res.Sub
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	ds, err := a.dyn.SignInWithExternalJWT(ctx, token, nil)
	if err != nil {
		status, msg := a.signInError(err)
		a.log.Warn("sign-in failed", "status", status, "err", err.Error())
		writeError(w, status, msg)
		return
	}
	s := &session{
		UserID:         ds.User.ID,
		Email:          ds.User.Email,
		ExternalUserID: ds.User.ExternalUserID(),
		Sub:            sub,
		ExpiresAt:      ds.ExpiresAt,
		NewUser:        ds.User.NewUser,
		Local:          a.local != nil,
	}
	if s.ExternalUserID == "" {
		s.ExternalUserID = sub
	}
	now := time.Now()
	if s.ExpiresAt.IsZero() || s.ExpiresAt.After(now.Add(24*time.Hour)) {
		s.ExpiresAt = now.Add(24 * time.Hour)
	}
	if !s.ExpiresAt.After(now) {
		writeError(w, http.StatusBadGateway, "Dynamic answered with a session that has already expired (expiresAt "+s.ExpiresAt.UTC().Format(time.RFC3339)+"): check this machine's clock")
		return
	}
	// A sign-in always starts a new session under a new id; the one the
	// browser held before (another user, perhaps) ends here.
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.delete(c.Value)
	}
	id := a.sessions.create(s)
	setSessionCookie(w, id, s.ExpiresAt)
	if ds.AccessToken != "" {
		setDynamicTokenCookie(w, ds.AccessToken, s.ExpiresAt)
	}
	a.log.Info("signed in", "dynamic_user_id", s.UserID, "external_user_id", s.ExternalUserID, "new_user", s.NewUser, "local_dynamic", s.Local)
	writeJSON(w, http.StatusOK, signInResponse{
		Redirect:  dashboardPath,
		UserID:    s.UserID,
		Email:     s.Email,
		ExpiresAt: s.ExpiresAt.UTC().Format(time.RFC3339),
		NewUser:   s.NewUser,
	})
}

// checkTokenLen bounds a pasted token before it is sent anywhere; its shape
// is checked by dynamic.Client (jwt.ErrTokenMalformed).
func checkTokenLen(tok string) error {
	if len(tok) > maxTokenLen {
		return badRequest(`"token" is %d bytes long, more than the %d a JWT from this devserver can be`, len(tok), maxTokenLen)
	}
	return nil
}

// signInError turns a failed sign-in into a status and a message a person
// can act on.
func (a *app) signInError(err error) (int, string) {
	var ae *dynamic.APIError
	where := "Dynamic"
	if a.local != nil {
		where = "the local Dynamic"
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		// Refused by the client before any request: the pasted text is no JWT.
		return http.StatusBadRequest, `"token" is not a JWT: ` + err.Error()
	case errors.Is(err, dynamic.ErrInvalidExternalAuth):
		msg := "Error authenticating with external JWT"
		if errors.As(err, &ae) && ae.Message != "" {
			msg += ": " + ae.Message
		}
		switch {
		case a.local != nil && a.localIssuer != a.issuer:
			msg += ". (The local Dynamic was started with -local-issuer.)"
		case a.local == nil:
			msg += fmt.Sprintf(". Check Dynamic's dashboard: iss must be exactly %s and jwksUrl must reach this server's %s.", a.issuer, jwksPath)
		default:
			msg += "."
		}
		return http.StatusUnauthorized, msg
	case errors.Is(err, dynamic.ErrRateLimited):
		msg := "Too many attempts: " + where + " rate-limited the sign-in"
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			msg += fmt.Sprintf("; try again in %s", ae.RetryAfter.Round(time.Second))
		}
		return http.StatusTooManyRequests, msg
	case errors.As(err, &ae):
		return http.StatusBadGateway, fmt.Sprintf("%s refused the sign-in (HTTP %d): %s", where, ae.StatusCode, cmp.Or(ae.Message, ae.Code, "no error message"))
	case errors.Is(err, dynamic.ErrBadResponse):
		return http.StatusBadGateway, where + " sent an answer the devserver cannot read: " + err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, fmt.Sprintf("%s did not answer within %s", where, a.timeout)
	default:
		return http.StatusBadGateway, "could not reach " + where + ": " + err.Error()
	}
}

func (a *app) handleSignOut(w http.ResponseWriter, r *http.Request) {
	// The form posts nothing; a body is read (and bounded) like any other.
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than the limit of %d bytes (64 KiB): sign out with an empty POST", maxBody))
		} else {
			writeError(w, http.StatusBadRequest, "could not read the request body: "+err.Error())
		}
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.delete(c.Value)
	}
	clearSessionCookie(w)
	clearDynamicTokenCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) handleHomePage(w http.ResponseWriter, r *http.Request) {
	d := a.pageData(r, "Sign In", "/")
	ctx, cancel := context.WithTimeout(r.Context(), min(settingsTimeout, a.timeout))
	defer cancel()
	ps, err := a.dyn.ProjectSettings(ctx)
	if err != nil {
		a.log.Warn("could not load project settings", "err", err.Error())
		d.SettingsError = "Could not load the project settings from " + d.DynamicName + ": " + err.Error()
	} else {
		d.ExternalAuthOn = ps.ExternalAuthOn()
	}
	a.pages.render(w, "home", d)
}

func (a *app) handleGeneratorPage(w http.ResponseWriter, r *http.Request) {
	d := a.pageData(r, "JWT Generator", generatorPath)
	d.Subject = newUUID()
	a.pages.render(w, "generator", d)
}

func (a *app) handleDashboardPage(w http.ResponseWriter, r *http.Request) {
	d := a.pageData(r, "Dashboard", dashboardPath)
	if d.Session == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	a.pages.render(w, "dashboard", d)
}

// pageData is what every template sees.
type pageData struct {
	Title          string
	Path           string // the page's path, to mark it in the nav
	Local          bool
	DynamicName    string
	EnvironmentID  string
	Issuer         string
	LocalIssuer    string
	Port           int
	LocalJWKSURL   string
	KID            string
	Session        *session
	ExternalAuthOn bool
	SettingsError  string
	Subject        string
}

func (a *app) pageData(r *http.Request, title, path string) *pageData {
	d := &pageData{
		Title:        title,
		Path:         path,
		Local:        a.local != nil,
		DynamicName:  "Dynamic",
		Issuer:       a.issuer,
		LocalIssuer:  a.localIssuer,
		Port:         a.port,
		LocalJWKSURL: a.baseURL + jwksPath,
		KID:          a.key.Key.ID(),
		Session:      a.sessions.fromRequest(r),
	}
	if d.Local {
		d.DynamicName = "the local Dynamic"
		d.EnvironmentID = a.local.EnvironmentID()
	} else {
		d.EnvironmentID = a.cfg.EnvironmentID
	}
	return d
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// listenURL is the http URL for a listener address.
func listenURL(addr net.Addr) string {
	return "http://" + addr.String()
}
