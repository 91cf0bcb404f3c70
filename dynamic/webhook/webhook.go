// Package webhook receives Dynamic's webhooks: it checks each delivery's
// x-dynamic-signature-256 (sha256=<hex HMAC-SHA256 of the raw body, keyed
// with the webhook's secret>), in constant time, over a bounded body, and
// decodes the event envelope.
//
//	h, err := webhook.NewHandler(webhook.Config{
//		Secret: os.Getenv("DYNAMIC_WEBHOOK_SECRET"),
//		OnEvent: func(ctx context.Context, e *webhook.Event) error {
//			if e.EventName == "user.created" {
//				return createAccount(ctx, e.User)
//			}
//			return nil // other events: e.Data holds them raw
//		},
//	})
//	if err != nil {
//		return err
//	}
//	http.Handle("POST /webhooks/dynamic", h)
//
// Use Event.MessageID as the idempotency key: Dynamic redelivers a message
// whose delivery failed (Redelivery is then true).
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/internal/jsonobj"
)

// SignatureHeader is the header Dynamic signs every delivery in.
const SignatureHeader = "x-dynamic-signature-256"

// maxBody caps a delivery's body.
const maxBody = 1 << 20

// Errors of Verify and of the Handler's checks.
var (
	// ErrMissingSignature: the delivery has no x-dynamic-signature-256.
	ErrMissingSignature = errors.New("webhook: no " + SignatureHeader + " header")
	// ErrBadSignature: the header is not sha256=<64 hex characters>, or
	// the HMAC does not match the body (wrong secret, or altered body).
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrStale: the signed event's timestamp is older than Config.MaxAge,
	// as a replayed delivery would be.
	ErrStale = errors.New("webhook: stale event")
)

// Sign returns the x-dynamic-signature-256 value of body for secret, as
// Dynamic computes it: "sha256=" + hex(HMAC-SHA256(secret, body)). Tests
// use it to sign deliveries of their own.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks that signature (the header's value) is secret's signature
// of body, in constant time. Its errors match ErrMissingSignature or
// ErrBadSignature and never contain the secret or the expected value.
func Verify(secret string, body []byte, signature string) error {
	if signature == "" {
		return ErrMissingSignature
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: want sha256=<64 hex characters>", ErrBadSignature)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("%w: the HMAC does not match the body: check the webhook's secret", ErrBadSignature)
	}
	return nil
}

// Event is the envelope of a webhook delivery. For user.created, User is
// the created user; for user.session.created, Session is the new session;
// every event's data is in Data as received.
type Event struct {
	EventID         string          `json:"eventId"`         // the event; one event may send several messages
	MessageID       string          `json:"messageId"`       // this message: the idempotency key
	WebhookID       string          `json:"webhookId"`       // the webhook that sent it
	UserID          string          `json:"userId"`          // who triggered the event ("" for an API key)
	EventName       string          `json:"eventName"`       // {resourceType}.{action}, e.g. user.created
	EnvironmentID   string          `json:"environmentId"`   // where the event happened
	EnvironmentName string          `json:"environmentName"` // e.g. sandbox or live
	Timestamp       time.Time       `json:"timestamp"`       // when the event happened
	Redelivery      bool            `json:"redelivery"`      // a redelivery of a failed message
	Data            json.RawMessage `json:"data"`            // the event's object

	User    *dynamic.User `json:"-"` // user.* events other than sessions
	Session *Session      `json:"-"` // user.session.created
}

// Session is the data of a user.session.created event.
type Session struct {
	ID        string    `json:"id"`
	UserID    string    `json:"userId"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// decodeEvent reads an envelope and the data of the events it knows.
func decodeEvent(body []byte) (*Event, error) {
	var e Event
	if err := jsonobj.Decode(body, &e, "the event"); err != nil {
		return nil, err
	}
	if e.EventName == "" {
		return nil, errors.New("the event has no eventName")
	}
	var target any
	switch {
	case e.EventName == "user.session.created":
		e.Session = new(Session)
		target = e.Session
	case strings.HasPrefix(e.EventName, "user.") && !strings.HasPrefix(e.EventName, "user.session."):
		e.User = new(dynamic.User)
		target = e.User
	}
	if target != nil {
		if err := jsonobj.Decode(e.Data, target, e.EventName+" data"); err != nil {
			return nil, err
		}
	}
	return &e, nil
}

// Config configures a Handler.
type Config struct {
	// Secret is the webhook's secret from Dynamic's dashboard. Required.
	Secret string
	// OnEvent handles a verified event. An error answers 500, so Dynamic
	// redelivers the message later.
	OnEvent func(ctx context.Context, e *Event) error
	// MaxAge refuses events whose timestamp is older (a replayed
	// delivery). Zero means one hour; negative means no check.
	MaxAge time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives a warning per refused delivery (the reason, never
	// the body or the secret). Nil discards.
	Logger *slog.Logger
}

// Handler is an http.Handler that receives Dynamic's webhooks.
type Handler struct {
	cfg Config
}

// NewHandler checks cfg and returns its Handler.
func NewHandler(cfg Config) (*Handler, error) {
	switch {
	case cfg.Secret == "":
		return nil, fmt.Errorf("%w: webhook.Config.Secret is empty: copy the webhook's secret from Dynamic's dashboard", dynamic.ErrInvalidConfig)
	case cfg.OnEvent == nil:
		return nil, fmt.Errorf("%w: webhook.Config.OnEvent is nil: pass the function that handles the events", dynamic.ErrInvalidConfig)
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg}, nil
}

// ServeHTTP answers a delivery: 204 once OnEvent accepted it; 405 for
// another method than POST; 413 for a body over 1 MiB; 401 for a missing
// or bad signature; 400 for a stale or malformed event; 500 when OnEvent
// failed. Refusals carry a JSON body {"error": …}.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(r, w, http.StatusMethodNotAllowed, "webhooks are delivered with POST")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		h.refuse(r, w, http.StatusRequestEntityTooLarge, "the body exceeds 1 MiB or could not be read")
		return
	}
	if err := Verify(h.cfg.Secret, body, r.Header.Get(SignatureHeader)); err != nil {
		h.refuse(r, w, http.StatusUnauthorized, err.Error())
		return
	}
	e, err := decodeEvent(body)
	if err != nil {
		h.refuse(r, w, http.StatusBadRequest, "webhook: "+err.Error())
		return
	}
	if h.cfg.MaxAge > 0 && h.cfg.Now().Sub(e.Timestamp) > h.cfg.MaxAge {
		h.refuse(r, w, http.StatusBadRequest, fmt.Sprintf("%v: the event's timestamp %s is older than %s", ErrStale, e.Timestamp.UTC().Format(time.RFC3339), h.cfg.MaxAge))
		return
	}
	if err := h.cfg.OnEvent(r.Context(), e); err != nil {
		h.cfg.Logger.WarnContext(r.Context(), "webhook handler failed", "event", e.EventName, "message_id", e.MessageID, "err", err.Error())
		writeJSON(w, http.StatusInternalServerError, "the event could not be handled: Dynamic will redeliver it")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) refuse(r *http.Request, w http.ResponseWriter, status int, msg string) {
	h.cfg.Logger.WarnContext(r.Context(), "webhook delivery refused", "status", status, "reason", msg)
	writeJSON(w, status, msg)
}

func writeJSON(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
