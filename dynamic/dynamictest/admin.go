package dynamictest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/extauth/extauth/dynamic/webhook"
	"github.com/extauth/extauth/internal/jsonobj"
)

// admin serves the admin API routes under /environments/: only
// POST {environmentId}/externalJwt/check, behind Config.APIToken.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, rest string, body []byte, bodyErr error) {
	cfg := s.config()
	env, route, _ := strings.Cut(rest, "/")
	if env != cfg.EnvironmentID || route != "externalJwt/check" || r.Method != http.MethodPost {
		notFound(w)
		return
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if cfg.APIToken == "" || subtle.ConstantTimeCompare([]byte(bearer), []byte(cfg.APIToken)) != 1 {
		writeError(w, http.StatusUnauthorized, "unauthorized", "Unauthorized: send Authorization: Bearer <dyn_ API token of this environment>")
		return
	}
	var req struct {
		EncodedJWT string `json:"encodedJwt"`
	}
	if bodyErr == nil {
		bodyErr = jsonobj.Decode(body, &req, "the body")
	}
	if bodyErr != nil || req.EncodedJWT == "" {
		writeError(w, http.StatusBadRequest, "", `send {"encodedJwt": "<external JWT>"}`)
		return
	}
	// The same Validator as sign-in: the check and a sign-in agree.
	v, err := s.validatorFor(r, cfg)
	if err == nil {
		_, err = v.Validate(r.Context(), req.EncodedJWT)
	}
	switch {
	case err == errNotConfigured:
		writeJSON(w, http.StatusOK, map[string]any{"valid": false, "errors": []string{"External authentication is not enabled for this environment"}})
	case err != nil:
		writeJSON(w, http.StatusOK, map[string]any{"valid": false, "errors": []string{authMessage(err)}})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"valid": true, "errors": []string{}})
	}
}

// webhookTimeout bounds one delivery.
const webhookTimeout = 10 * time.Second

// sendWebhooks posts user.created (on a user's first sign-in) and
// user.session.created to Config.WebhookURL, signed as Dynamic signs them,
// in the background.
func (s *Server) sendWebhooks(cfg Config, u *sdkUser, expiresAt int64) {
	if cfg.WebhookURL == "" {
		return
	}
	now := s.now().UTC()
	var events []envelope
	if u.NewUser {
		events = append(events, s.envelope(cfg, "user.created", u.ID, u, now))
	}
	events = append(events, s.envelope(cfg, "user.session.created", u.ID, map[string]any{
		"id": u.SessionID, "userId": u.ID, "createdAt": now.Format(isoMillis),
		"expiresAt": time.Unix(expiresAt, 0).UTC().Format(isoMillis),
	}, now))
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: webhookTimeout}
	}
	s.webhooks.Add(1)
	go func() {
		defer s.webhooks.Done()
		for _, e := range events {
			s.deliver(hc, cfg, e)
		}
	}()
}

// envelope is a webhook delivery's body.
type envelope struct {
	EventID         string `json:"eventId"`
	MessageID       string `json:"messageId"`
	WebhookID       string `json:"webhookId"`
	UserID          string `json:"userId"`
	EventName       string `json:"eventName"`
	EnvironmentID   string `json:"environmentId"`
	EnvironmentName string `json:"environmentName"`
	Timestamp       string `json:"timestamp"`
	Redelivery      bool   `json:"redelivery"`
	Data            any    `json:"data"`
}

func (s *Server) envelope(cfg Config, name, userID string, data any, now time.Time) envelope {
	return envelope{
		EventID: randomUUID(), MessageID: randomUUID(), WebhookID: nameUUID(cfg.EnvironmentID + "\x00webhook"),
		UserID: userID, EventName: name, EnvironmentID: cfg.EnvironmentID, EnvironmentName: "sandbox",
		Timestamp: now.Format(isoMillis), Data: data,
	}
}

// deliver posts one event; failures are logged, not retried.
func (s *Server) deliver(hc *http.Client, cfg Config, e envelope) {
	body, err := json.Marshal(e)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		cfg.Logger.Warn("dynamictest webhook not sent", "event", e.EventName, "err", err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(cfg.WebhookSecret, body))
	resp, err := hc.Do(req)
	if err != nil {
		cfg.Logger.Warn("dynamictest webhook delivery failed", "event", e.EventName, "err", err.Error())
		return
	}
	resp.Body.Close()
	cfg.Logger.Debug("dynamictest webhook delivered", "event", e.EventName, "status", resp.StatusCode)
}
