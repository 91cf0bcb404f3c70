package main

import (
	"context"
	"net/http"

	dynsession "github.com/extauth/extauth/dynamic/session"
)

// meResponse is what GET /api/me answers: the claims the backend verified.
type meResponse struct {
	UserID                   string   `json:"userId"`
	SessionID                string   `json:"sessionId"`
	EnvironmentID            string   `json:"environmentId"`
	Email                    string   `json:"email,omitempty"`
	Scopes                   []string `json:"scopes"`
	MFAPending               bool     `json:"mfaPending"`
	Audience                 []string `json:"audience"`
	LastVerifiedCredentialID string   `json:"lastVerifiedCredentialId,omitempty"`
	SessionPublicKey         string   `json:"sessionPublicKey,omitempty"`
	IssuedAt                 string   `json:"issuedAt"`
	ExpiresAt                string   `json:"expiresAt"`
}

// handleMe answers GET /api/me through session.Verifier's middleware, as
// a backend protecting its API with Dynamic's sessions would: the token
// comes from Authorization: Bearer or the DYNAMIC_JWT_TOKEN cookie set at
// sign-in.
func (a *app) handleMe(w http.ResponseWriter, r *http.Request) {
	v, err := a.sessionVerifier(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "cannot verify Dynamic sessions right now: "+err.Error())
		return
	}
	v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := dynsession.FromContext(r.Context())
		writeJSON(w, http.StatusOK, meResponse{
			UserID: c.UserID, SessionID: c.SessionID, EnvironmentID: c.EnvironmentID, Email: c.Email,
			Scopes: c.Scopes, MFAPending: c.MFAPending, Audience: c.Audience,
			LastVerifiedCredentialID: c.LastVerifiedCredentialID, SessionPublicKey: c.SessionPublicKey,
			IssuedAt: c.IssuedAt.UTC().Format(rfc3339), ExpiresAt: c.ExpiresAt.UTC().Format(rfc3339),
		})
	})).ServeHTTP(w, r)
}

const rfc3339 = "2006-01-02T15:04:05Z07:00"

// sessionVerifier returns the Verifier of the environment the devserver
// signs in to, creating it on first use; a failed creation is retried on
// the next request.
func (a *app) sessionVerifier(ctx context.Context) (*dynsession.Verifier, error) {
	a.verifierMu.Lock()
	defer a.verifierMu.Unlock()
	if a.verifier != nil {
		return a.verifier, nil
	}
	cfg := dynsession.Config{EnvironmentID: a.cfg.EnvironmentID, BaseURL: a.cfg.DynamicAPIURL}
	if a.local != nil {
		cfg = dynsession.Config{EnvironmentID: a.local.EnvironmentID(), BaseURL: a.baseURL + localDynPrefix + "/api/v0"}
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	v, err := dynsession.NewVerifier(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.verifier = v
	return v, nil
}
