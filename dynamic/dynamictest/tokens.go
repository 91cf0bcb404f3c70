package dynamictest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/golang-jwt/jwt/v5"
)

// nameUUID derives a stable UUID from name (SHA-1 based, version 5 layout,
// like uuid.NewSHA1 with a fixed namespace).
func nameUUID(name string) string {
	h := sha1.New()
	h.Write([]byte("extauth/dynamictest\x00"))
	h.Write([]byte(name))
	return formatUUID(h.Sum(nil)[:16], 5)
}

// randomUUID returns a version 4 UUID.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b[:], 4)
}

// formatUUID sets the version and variant bits of the 16 bytes b and
// formats them as a UUID.
func formatUUID(b []byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// tokenIssuer is the iss of the fake's tokens: the API host it was reached
// at + the environment id, as Dynamic's is (app.dynamicauth.com/<env> for
// the production API), so session.Verifier derives it from the BaseURL.
func tokenIssuer(r *http.Request, env string) string { return r.Host + "/" + env }

// credential is a verified credential as the API sends it (mixed casing, like
// api-core's JwtVerifiedCredential).
type credential struct {
	ID               string `json:"id"`                          // stable UUID per user and credential
	Format           string `json:"format"`                      // "externalUser" or "email"
	PublicIdentifier string `json:"public_identifier,omitempty"` // external sub, or the email
	Email            string `json:"email,omitempty"`             // email credentials
	SignInEnabled    bool   `json:"signInEnabled"`               // always true
	LastSelectedAt   string `json:"lastSelectedAt,omitempty"`    // ISO-8601 with milliseconds
}

// sdkUser is the SdkUser the fake answers.
type sdkUser struct {
	ID                       string         `json:"id"`                       // Server.UserID(sub)
	ProjectEnvironmentID     string         `json:"projectEnvironmentId"`     // the environment id
	SessionID                string         `json:"sessionId"`                // fresh per sign-in
	Email                    string         `json:"email,omitempty"`          // the external JWT's email
	NewUser                  bool           `json:"newUser"`                  // first sign-in of this sub on this Server
	FirstVisit               string         `json:"firstVisit"`               // ISO-8601 (this sign-in)
	LastVisit                string         `json:"lastVisit"`                // ISO-8601 (this sign-in)
	Scope                    string         `json:"scope"`                    // "user:basic"
	LastVerifiedCredentialID string         `json:"lastVerifiedCredentialId"` // the externalUser credential
	Metadata                 map[string]any `json:"metadata"`                 // always {}
	Lists                    []string       `json:"lists"`                    // always []
	MissingFields            []any          `json:"missingFields"`            // always []
	VerifiedCredentials      []credential   `json:"verifiedCredentials"`      // externalUser (+ email when verified)
}

// verifyResponse is the sign-in answer (api-core verifyResponse).
type verifyResponse struct {
	User        sdkUser `json:"user"`                  // the signed-in user
	ExpiresAt   int64   `json:"expiresAt"`             // session end, unix seconds
	MinifiedJWT string  `json:"minifiedJwt,omitempty"` // access token; omitted in cookie mode
	JWT         string  `json:"jwt,omitempty"`         // legacy token; omitted in cookie mode
}

const isoMillis = "2006-01-02T15:04:05.000Z"

// session builds the sign-in answer and returns it with the access token.
func (s *Server) session(r *http.Request, cfg Config, c *dynamic.ExternalClaims, sessionKey string) (*verifyResponse, string) {
	env := cfg.EnvironmentID
	userID := nameUUID(env + "\x00user\x00" + c.Subject)
	extCred := nameUUID(env + "\x00cred-external\x00" + c.Subject)
	sessionID := randomUUID()
	now := s.now().UTC()
	exp := now.Add(cfg.SessionTTL)

	s.mu.Lock()
	_, known := s.users[userID]
	if !known && len(s.users) >= maxUsers {
		clear(s.users) // bounded memory: all users count as new again
	}
	if s.users == nil {
		s.users = map[string]string{}
	}
	s.users[userID] = c.Subject
	s.mu.Unlock()
	newUser := !known

	emailVerified := c.EmailIsVerified(cfg.AssumeEmailVerified)
	creds := []credential{{
		ID: extCred, Format: "externalUser", PublicIdentifier: c.Subject,
		SignInEnabled: true, LastSelectedAt: now.Format(isoMillis),
	}}
	if c.Email != "" && emailVerified {
		creds = append(creds, credential{
			ID: nameUUID(env + "\x00cred-email\x00" + c.Email), Format: "email",
			Email: c.Email, PublicIdentifier: c.Email, SignInEnabled: true,
		})
	}
	user := sdkUser{
		ID: userID, ProjectEnvironmentID: env, SessionID: sessionID, Email: c.Email,
		NewUser: newUser, FirstVisit: now.Format(isoMillis), LastVisit: now.Format(isoMillis),
		Scope: sessionScope(cfg), LastVerifiedCredentialID: extCred,
		Metadata: map[string]any{}, Lists: []string{}, MissingFields: []any{},
		VerifiedCredentials: creds,
	}
	aud := r.Header.Get("Origin")
	if aud == "" {
		aud = "http://localhost"
	}
	access := jwt.MapClaims{
		"kid": s.kid, "aud": aud, "iss": tokenIssuer(r, env), "sub": userID, "sid": sessionID,
		"iat": now.Unix(), "exp": exp.Unix(), "environment_id": env,
		"last_verified_credential_id": extCred, "signin_credential_id": extCred,
		"scope": sessionScope(cfg),
	}
	if c.Email != "" {
		access["email"] = c.Email
	}
	if sessionKey != "" {
		access["session_public_key"] = sessionKey
	}
	legacy := jwt.MapClaims{"verified_credentials": creds, "new_user": newUser}
	maps.Copy(legacy, access)
	accessTok, err1 := s.signToken(access)
	legacyTok, err2 := s.signToken(legacy)
	if err1 != nil || err2 != nil {
		// RSA signing with a freshly generated in-memory key does not fail.
		accessTok, legacyTok = "", ""
	}
	resp := &verifyResponse{User: user, ExpiresAt: exp.Unix()}
	if !cfg.cookieMode() {
		resp.MinifiedJWT, resp.JWT = accessTok, legacyTok
	}
	return resp, accessTok
}

// sessionScope is the scope of a new session: user:basic, or
// requiresAdditionalAuth while the environment asks for an MFA step.
func sessionScope(cfg Config) string {
	if cfg.MFAPending {
		return "requiresAdditionalAuth"
	}
	return "user:basic"
}

func (s *Server) signToken(claims jwt.MapClaims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	return t.SignedString(s.key)
}

// accessClaims are the parts of an access token step-up needs.
type accessClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
}

// verifyAccessToken checks a bearer token minted by this fake.
func (s *Server) verifyAccessToken(r *http.Request, tok string, cfg Config) (*accessClaims, error) {
	if tok == "" {
		return nil, fmt.Errorf("no access token: send Authorization: Bearer <minifiedJwt>")
	}
	var c accessClaims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(tokenIssuer(r, cfg.EnvironmentID)),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now))
	if err != nil || c.Subject == "" {
		return nil, fmt.Errorf("access token is not a valid, unexpired token of this environment")
	}
	return &c, nil
}

// maxElevatedTTL caps the lifetime of elevated access tokens.
const maxElevatedTTL = 15 * time.Minute

func (s *Server) elevatedToken(r *http.Request, cfg Config, a *accessClaims, c *dynamic.ExternalClaims) (string, error) {
	now := s.now()
	exp := now.Add(maxElevatedTTL)
	if c.ExpiresAt.Before(exp) {
		exp = c.ExpiresAt
	}
	return s.signToken(jwt.MapClaims{
		"iss": tokenIssuer(r, cfg.EnvironmentID), "sub": a.Subject, "sid": a.SessionID,
		"environment_id": cfg.EnvironmentID, "scope": c.Scope, "jti": randomUUID(),
		"iat": now.Unix(), "exp": exp.Unix(),
	})
}

func (s *Server) publicJWK() map[string]string {
	pub := &s.key.PublicKey
	return map[string]string{
		"kid": s.kid, "alg": "RS256", "kty": "RSA", "use": "sig",
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
	}
}
