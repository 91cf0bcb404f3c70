package dynamictest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/internal/wire"
	"github.com/extauth/extauth/internal/httpstatus"
)

// ServeHTTP serves the fake API; see the package documentation for routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.key == nil {
		http.Error(w, "dynamictest: Server not initialised: create it with dynamictest.New or NewServer", http.StatusInternalServerError)
		return
	}
	sw := &httpstatus.Recorder{ResponseWriter: w}
	body, bodyErr := readBody(r)
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.logLocked(Request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(),
		Body: body, Time: s.nowLocked(), seq: seq,
	})
	logger := s.cfg.Logger
	s.mu.Unlock()

	s.serve(sw, r, body, bodyErr)

	s.mu.Lock()
	for i := len(s.requests) - 1; i >= 0; i-- {
		if s.requests[i].seq == seq {
			s.requests[i].Status = sw.Code()
			break
		}
	}
	s.mu.Unlock()
	logger.LogAttrs(r.Context(), slog.LevelDebug, "dynamictest request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.Code()))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error) {
	if origin := r.Header.Get("Origin"); origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		s.preflight(w, r)
		return
	}
	if i := strings.Index(r.URL.Path, "/environments/"); i >= 0 && !strings.Contains(r.URL.Path, "/sdk/") {
		s.admin(w, r, r.URL.Path[i+len("/environments/"):], body, bodyErr)
		return
	}
	i := strings.Index(r.URL.Path, "/sdk/")
	if i < 0 {
		notFound(w)
		return
	}
	env, route, _ := strings.Cut(r.URL.Path[i+len("/sdk/"):], "/")
	cfg := s.config()
	if env != cfg.EnvironmentID {
		notFound(w)
		return
	}
	ep, ok := routeOf(route, r.Method)
	if !ok {
		notFound(w)
		return
	}
	// Sign-in and step-up are checked first; an injected answer replaces
	// only their success answer (see FailNext).
	if ep != endpointSignIn && ep != endpointVerify && s.writeInjected(w, ep) {
		return
	}
	s.handle(ep, w, r, cfg, body, bodyErr)
}

// handle runs the handler of ep.
func (s *Server) handle(ep endpoint, w http.ResponseWriter, r *http.Request, cfg Config, body []byte, bodyErr error) {
	switch ep {
	case endpointSettings:
		s.settings(w, cfg)
	case endpointNonces:
		s.noncesHandler(w, r, cfg)
	case endpointNonce:
		s.nonceHandler(w, cfg)
	case endpointSignIn:
		s.signIn(w, r, cfg, body, bodyErr)
	case endpointVerify:
		s.verify(w, r, cfg, body, bodyErr)
	case endpointJWKS:
		s.jwks(w)
	}
}

// routeOf maps a route (the path after /sdk/{environmentId}/) and a method
// to an endpoint.
func routeOf(route, method string) (endpoint, bool) {
	post := method == http.MethodPost
	get := method == http.MethodGet || method == http.MethodHead
	switch ep := endpoint(route); {
	case ep == endpointSignIn || ep == endpointVerify:
		return ep, post
	case route == ".well-known/jwks.json":
		return endpointJWKS, get
	case ep == endpointSettings || ep == endpointNonces || ep == endpointNonce || ep == endpointJWKS:
		return ep, get
	}
	return "", false
}

// writeInjected writes the next injected answer for ep, if any.
func (s *Server) writeInjected(w http.ResponseWriter, ep endpoint) bool {
	inj, ok := s.popInjected(ep)
	if !ok {
		return false
	}
	if inj.contentType != "" {
		w.Header().Set("Content-Type", inj.contentType)
	}
	w.WriteHeader(inj.status)
	_, _ = w.Write(inj.body)
	return true
}

func (s *Server) popInjected(ep endpoint) (injected, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failNext[ep]
	if len(q) == 0 {
		return injected{}, false
	}
	s.failNext[ep] = q[1:]
	return q[0], true
}

// allowedRequestHeader says which headers a browser may send cross-origin.
func allowedRequestHeader(h string) bool {
	switch h {
	case "authorization", "content-type", "x-mfa-auth-token":
		return true
	}
	return strings.HasPrefix(h, "x-dyn-") || strings.HasPrefix(h, "x-dynamic-")
}

// preflight answers a CORS preflight: 204, the Origin echoed, credentials
// allowed, and the requested headers that the API accepts (the SDK's
// x-dyn-*, x-dynamic-*, authorization, content-type). A requested header
// outside that set is left out, so the browser blocks the request, as the
// real service would.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Header.Get("Origin") == "" {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	h.Set("Access-Control-Allow-Methods", "GET,POST,OPTIONS")
	var allowed []string
	for _, name := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "" && allowedRequestHeader(name) {
			allowed = append(allowed, name)
		}
	}
	if len(allowed) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(allowed, ","))
	}
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"dynamictest: encoding response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: msg, Code: code})
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, wire.CodeNotFound, "Not found")
}

// settings answers the project settings document (shape of the recordings'
// canned response).
func (s *Server) settings(w http.ResponseWriter, cfg Config) {
	ps := cfg.projectSettings()
	ea := ps.ExternalAuth
	on := ps.ExternalAuthOn()
	enabled := on
	if cfg.EnabledFlag != nil {
		enabled = *cfg.EnabledFlag
	}
	ext := map[string]any{
		"enabled":             enabled,
		"iss":                 nil,
		"aud":                 nullable(ea.Aud),
		"cookieName":          nullable(ea.CookieName),
		"assumeEmailVerified": ea.AssumeEmailVerified,
	}
	if on {
		ext["iss"] = ea.Iss
		ext["jwksUrl"] = ea.JWKSURL
	}
	storage := ps.Storage
	writeJSON(w, http.StatusOK, map[string]any{
		"environmentName": "sandbox",
		"chains":          []any{},
		"kyc":             []any{},
		"design":          map[string]any{},
		"general":         map[string]any{"displayName": "dynamictest"},
		"privacy":         map[string]any{"collectIp": false},
		"sdk":             map[string]any{},
		"security": map[string]any{
			"auth":         map[string]any{"storage": storage},
			"externalAuth": ext,
		},
		"providers": []any{},
		"networks":  []any{},
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// issueNonces creates n fresh nonces (16 random bytes, 32 lower-case hex).
func (s *Server) issueNonces(n int, cfg Config) []string {
	out := make([]string, n)
	var b [16]byte
	for i := range out {
		_, _ = rand.Read(b[:])
		out[i] = hex.EncodeToString(b[:])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	for _, v := range out {
		s.nonces.add(v, now, now.Add(cfg.NonceTTL))
	}
	return out
}

func (s *Server) noncesHandler(w http.ResponseWriter, r *http.Request, cfg Config) {
	count := 1
	if v := r.URL.Query().Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "", "count must be an integer from 1 to 5")
			return
		}
		count = min(n, maxNoncesPerRequest)
	}
	writeJSON(w, http.StatusOK, map[string]any{"nonces": s.issueNonces(count, cfg)})
}

func (s *Server) nonceHandler(w http.ResponseWriter, cfg Config) {
	writeJSON(w, http.StatusOK, map[string]any{"nonce": s.issueNonces(1, cfg)[0]})
}

// consumeNonce spends a nonce; it fails if the nonce was never issued or
// seeded, was used already, or expired.
func (s *Server) consumeNonce(n string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.nonces.use(n)
	if !ok {
		return errors.New("nonce was not issued by this server or was already used: fetch fresh ones from GET nonces (each is single-use)")
	}
	if s.nowLocked().After(exp) {
		return errors.New("nonce expired: fetch fresh ones from GET nonces")
	}
	return nil
}

// signInBody is ExternalAuthSigninRequest.
type signInBody struct {
	JWT              string
	SessionPublicKey string
}

// parseSignInBody reads {"jwt"?: string, "sessionPublicKey"?: string}. An
// empty body counts as {}; null values count as absent; other members are
// ignored. Anything else is an error whose text is safe to return.
func parseSignInBody(b []byte) (signInBody, error) {
	var out signInBody
	if len(bytes.TrimSpace(b)) == 0 {
		return out, nil
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m == nil {
		return out, errors.New("body must be a JSON object like {\"jwt\":\"<external JWT>\"}")
	}
	if dec.More() {
		return out, errors.New("body has data after the JSON object")
	}
	str := func(name string) (string, error) {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			return "", nil
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", fmt.Errorf("%s must be a string", name)
		}
		return v, nil
	}
	var err error
	if out.JWT, err = str("jwt"); err != nil {
		return out, err
	}
	if out.SessionPublicKey, err = str("sessionPublicKey"); err != nil {
		return out, err
	}
	return out, nil
}

// authMessage turns a dynamic error into the error text of a response body:
// the cause without the Go package prefix.
func authMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "dynamic: ")
}

// readSignInBody answers what sign-in and step-up refuse before anything else:
// external auth off, an unreadable or malformed body. ok false means an
// answer was written.
func readSignInBody(w http.ResponseWriter, cfg Config, body []byte, bodyErr error) (req signInBody, ok bool) {
	if !cfg.externalAuthOn() {
		writeError(w, http.StatusForbidden, "", "External authentication is not enabled for this environment")
		return req, false
	}
	if bodyErr != nil {
		writeError(w, http.StatusBadRequest, "", bodyErr.Error())
		return req, false
	}
	req, err := parseSignInBody(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "", err.Error())
		return req, false
	}
	return req, true
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, cfg Config, body []byte, bodyErr error) {
	req, ok := readSignInBody(w, cfg, body, bodyErr)
	if !ok {
		return
	}
	if !cfg.cookieMode() {
		if msg := s.checkDevice(r, cfg); msg != "" {
			writeError(w, http.StatusUnauthorized, wire.CodeInvalidDeviceSignature, msg)
			return
		}
	}
	token, sessionKey, ok := signInInputs(w, r, cfg, req)
	if !ok {
		return
	}
	v, err := s.validatorFor(r, cfg)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidExternalAuth, authMessage(err))
		return
	}
	claims, err := v.Validate(r.Context(), token)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidExternalAuth, authMessage(err))
		return
	}
	if s.writeInjected(w, endpointSignIn) {
		return
	}
	resp, access := s.session(r, cfg, claims, sessionKey)
	if cfg.cookieMode() {
		http.SetCookie(w, &http.Cookie{Name: wire.AccessTokenCookie, Value: access, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Expires: time.Unix(resp.ExpiresAt, 0)})
	}
	s.sendWebhooks(cfg, &resp.User, resp.ExpiresAt)
	writeJSON(w, http.StatusOK, resp)
}

// signInInputs picks the external JWT (body, else the configured cookie)
// and the session key (body, else header); ok false means an answer was
// written.
func signInInputs(w http.ResponseWriter, r *http.Request, cfg Config, req signInBody) (token, sessionKey string, ok bool) {
	token = req.JWT
	if token == "" && cfg.CookieName != "" {
		if c, err := r.Cookie(cfg.CookieName); err == nil {
			token = c.Value
		}
	}
	if token == "" {
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidExternalAuth, "no external JWT: send {\"jwt\":\"<token>\"}")
		return "", "", false
	}
	sessionKey = req.SessionPublicKey
	if sessionKey == "" {
		sessionKey = r.Header.Get(wire.HeaderSessionPublicKey)
	}
	if sessionKey != "" && wire.CheckSessionPublicKey(sessionKey) != nil {
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidSessionKey, "sessionPublicKey must be a compressed P-256 public key: 66 lower-case hex characters starting with 02 or 03")
		return "", "", false
	}
	return token, sessionKey, true
}

// checkDevice checks the device-signature headers; "" means accepted.
func (s *Server) checkDevice(r *http.Request, cfg Config) string {
	nonce := r.Header.Get(wire.HeaderDeviceNonce)
	pub := r.Header.Get(wire.HeaderDevicePublicKey)
	sig := r.Header.Get(wire.HeaderDeviceSignedNonce)
	if nonce == "" && pub == "" && sig == "" {
		if cfg.AllowMissingDeviceSignature {
			return ""
		}
		return "missing device signature: send x-dynamic-device-nonce, x-dynamic-device-publickey and x-dynamic-device-signed-nonce (required in non-cookie environments)"
	}
	if nonce == "" || pub == "" || sig == "" {
		return "incomplete device signature: x-dynamic-device-nonce, x-dynamic-device-publickey and x-dynamic-device-signed-nonce must all be sent"
	}
	if err := wire.VerifyDeviceSignature(pub, nonce, sig); err != nil {
		return "invalid device signature: " + authMessage(err)
	}
	if err := s.consumeNonce(nonce); err != nil {
		return "invalid device nonce: " + err.Error()
	}
	return ""
}

// bearerToken is the request's access token: Authorization: Bearer, else
// the cookie of cookie-based environments.
func bearerToken(r *http.Request) string {
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && bearer != "" {
		return bearer
	}
	if c, err := r.Cookie(wire.AccessTokenCookie); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request, cfg Config, body []byte, bodyErr error) {
	if !cfg.externalAuthOn() {
		writeError(w, http.StatusForbidden, "", "External authentication is not enabled for this environment")
		return
	}
	access, err := s.verifyAccessToken(r, bearerToken(r), cfg)
	if err != nil {
		writeError(w, http.StatusUnauthorized, wire.CodeUnauthorized, "Unauthorized: "+err.Error())
		return
	}
	req, ok := readSignInBody(w, cfg, body, bodyErr)
	if !ok {
		return
	}
	if req.JWT == "" {
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidExternalAuth, "no assertion JWT: send {\"jwt\":\"<assertion>\"}")
		return
	}
	v, err := s.validatorFor(r, cfg)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidExternalAuth, authMessage(err))
		return
	}
	s.mu.Lock()
	extSub, known := s.users[access.Subject]
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidExternalAuth, "the signed-in user did not sign in with external auth")
		return
	}
	// Dynamic's assertion rules live in dynamic.Validator; only the jti
	// replay state is the fake's.
	claims, err := v.ValidateStepUp(r.Context(), req.JWT, extSub)
	if err == nil {
		err = s.useJTI(claims.ID, claims.ExpiresAt)
	}
	switch {
	case errors.Is(err, dynamic.ErrMissingScope):
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidScopes, authMessage(err))
		return
	case errors.Is(err, errJTIsFull):
		writeError(w, http.StatusTooManyRequests, wire.CodeTooManyRequests, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusUnprocessableEntity, wire.CodeInvalidExternalAuth, authMessage(err))
		return
	}
	if s.writeInjected(w, endpointVerify) {
		return
	}
	tok, err := s.elevatedToken(r, cfg, access, claims)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "", "dynamictest: signing elevated token failed")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"elevatedAccessToken": tok})
}

// errJTIsFull is useJTI's answer when maxUsedJTIs unexpired jtis are kept.
var errJTIsFull = errors.New("too many unexpired step-up assertions: retry when some have expired")

// useJTI records a step-up jti until an hour after exp; it fails if the jti
// was used before, or if maxUsedJTIs unexpired ones are kept already
// (forgetting one would allow its replay).
func (s *Server) useJTI(jti string, exp time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, used := s.jtis[jti]; used {
		return fmt.Errorf("assertion jti %.64q was already used: mint a new assertion", jti)
	}
	if len(s.jtis) >= maxUsedJTIs {
		now := s.nowLocked()
		for k, e := range s.jtis {
			if now.After(e.Add(time.Hour)) {
				delete(s.jtis, k)
			}
		}
		if len(s.jtis) >= maxUsedJTIs {
			return errJTIsFull
		}
	}
	if s.jtis == nil {
		s.jtis = map[string]time.Time{}
	}
	s.jtis[jti] = exp
	return nil
}

func (s *Server) jwks(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{s.publicJWK()}})
}
