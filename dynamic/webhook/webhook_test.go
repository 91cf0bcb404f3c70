package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/extauth/extauth/dynamic/webhook"
	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
)

const secret = "whsec-test-1"

func event(name string, ts time.Time, data string) []byte {
	return []byte(`{"eventId":"e1","messageId":"m1","webhookId":"w1","userId":"u1","eventName":"` + name +
		`","environmentId":"env","environmentName":"sandbox","timestamp":"` + ts.UTC().Format(time.RFC3339Nano) + `","redelivery":false,"data":` + data + `}`)
}

func TestVerify(t *testing.T) {
	body := []byte(`{"a":1}`)
	good := webhook.Sign(secret, body)
	if !strings.HasPrefix(good, "sha256=") || len(good) != 7+64 {
		t.Fatalf("Sign = %q", good)
	}
	for _, tc := range []struct {
		name, sig string
		body      []byte
		want      error
	}{
		{"good", good, body, nil},
		{"good with spaces", " " + good + " ", body, nil},
		{"missing", "", body, webhook.ErrMissingSignature},
		{"no prefix", good[7:], body, webhook.ErrBadSignature},
		{"sha1", "sha1=" + good[7:], body, webhook.ErrBadSignature},
		{"short", good[:20], body, webhook.ErrBadSignature},
		{"not hex", "sha256=" + strings.Repeat("zz", 32), body, webhook.ErrBadSignature},
		{"other secret", webhook.Sign("other", body), body, webhook.ErrBadSignature},
		{"altered body", good, []byte(`{"a":2}`), webhook.ErrBadSignature},
	} {
		err := webhook.Verify(secret, tc.body, tc.sig)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), good[7:])) {
			t.Errorf("%s: the error leaks the secret or the expected signature: %v", tc.name, err)
		}
	}
}

func TestHandler(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var got []*webhook.Event
	h, err := webhook.NewHandler(webhook.Config{
		Secret: secret,
		Now:    func() time.Time { return now },
		OnEvent: func(_ context.Context, e *webhook.Event) error {
			if e.EventName == "fail.me" {
				return errors.New("downstream down")
			}
			got = append(got, e)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	created := event("user.created", now, `{"id":"u1","projectEnvironmentId":"env","email":"a@b.example","verifiedCredentials":[{"format":"externalUser","public_identifier":"alice"}]}`)
	session := event("user.session.created", now, `{"id":"s1","userId":"u1","createdAt":"2026-12-01T12:00:00.000Z","expiresAt":"2026-12-01T14:00:00.000Z"}`)
	unknown := event("wallet.linked", now, `{"anything":[1,2,3]}`)
	for _, tc := range []struct {
		name   string
		method string
		body   []byte
		sig    string
		status int
		want   string
	}{
		{"user.created", "POST", created, webhook.Sign(secret, created), 204, ""},
		{"user.session.created", "POST", session, webhook.Sign(secret, session), 204, ""},
		{"unknown event", "POST", unknown, webhook.Sign(secret, unknown), 204, ""},
		{"missing signature", "POST", created, "", 401, "no x-dynamic-signature-256"},
		{"wrong signature", "POST", created, webhook.Sign("nope", created), 401, "bad signature"},
		{"stale", "POST", event("user.created", now.Add(-2*time.Hour), `{}`), webhook.Sign(secret, event("user.created", now.Add(-2*time.Hour), `{}`)), 400, "stale event"},
		{"not JSON", "POST", []byte("hello"), webhook.Sign(secret, []byte("hello")), 400, "not a JSON object"},
		{"no event name", "POST", []byte(`{"data":{}}`), webhook.Sign(secret, []byte(`{"data":{}}`)), 400, "no eventName"},
		{"handler fails", "POST", event("fail.me", now, `{}`), webhook.Sign(secret, event("fail.me", now, `{}`)), 500, "redeliver"},
		{"GET", "GET", nil, "", 405, "POST"},
		{"too large", "POST", []byte(strings.Repeat("x", 2<<20)), "sha256=00", 413, "1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/hook", strings.NewReader(string(tc.body)))
			if tc.sig != "" {
				r.Header.Set(webhook.SignatureHeader, tc.sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
				t.Fatalf("%d %s, want %d mentioning %q", w.Code, w.Body, tc.status, tc.want)
			}
		})
	}
	if len(got) != 3 {
		t.Fatalf("handled %d events, want 3", len(got))
	}
	if u := got[0].User; u == nil || u.ID != "u1" || u.ExternalUserID() != "alice" || got[0].MessageID != "m1" || !got[0].Timestamp.Equal(now) {
		t.Errorf("user.created = %+v", got[0])
	}
	if s := got[1].Session; s == nil || s.ID != "s1" || s.UserID != "u1" || !s.ExpiresAt.Equal(now.Add(2*time.Hour)) {
		t.Errorf("user.session.created = %+v", got[1])
	}
	if got[2].User != nil || got[2].Session != nil || string(got[2].Data) != `{"anything":[1,2,3]}` {
		t.Errorf("unknown event = %+v", got[2])
	}
	if _, err := webhook.NewHandler(webhook.Config{OnEvent: func(context.Context, *webhook.Event) error { return nil }}); !errors.Is(err, dynamic.ErrInvalidConfig) {
		t.Errorf("no secret: %v", err)
	}
}

// TestDynamictestDeliversSignedWebhooks: the fake posts user.created on a
// user's first sign-in and user.session.created on each, signed; the
// Handler verifies them.
func TestDynamictestDeliversSignedWebhooks(t *testing.T) {
	var mu sync.Mutex
	var names []string
	h, err := webhook.NewHandler(webhook.Config{Secret: secret, OnEvent: func(_ context.Context, e *webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		names = append(names, e.EventName)
		if e.EventName == "user.created" && e.User.ExternalUserID() != "alice" {
			t.Errorf("user.created for %+v", e.User)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	receiver := httptest.NewServer(h)
	defer receiver.Close()

	key, _ := issuer.GenerateKey(0, "")
	jh, _ := jwks.NewHandler(key, nil)
	jwksSrv := httptest.NewServer(jh)
	defer jwksSrv.Close()
	iss, _ := issuer.New(issuer.Config{Issuer: "https://idp.example.test", Keys: key})
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: "https://idp.example.test", JWKSURL: jwksSrv.URL, WebhookURL: receiver.URL, WebhookSecret: secret})
	c, _ := dynamic.NewClient(dynamic.Config{EnvironmentID: fake.EnvironmentID(), BaseURL: fake.URL()})
	for range 2 {
		tok, _ := iss.Issue(context.Background(), issuer.Claims{Subject: "alice"})
		if _, err := c.SignInWithExternalJWT(context.Background(), tok, nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(names)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(names, ",") != "user.created,user.session.created,user.session.created" {
		t.Errorf("events %v", names)
	}
	// A receiver with another secret refuses them all.
	var refused []int
	var rmu sync.Mutex
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := httptest.NewRecorder()
		other, _ := webhook.NewHandler(webhook.Config{Secret: "other", OnEvent: func(context.Context, *webhook.Event) error { return nil }})
		other.ServeHTTP(rw, r)
		rmu.Lock()
		refused = append(refused, rw.Code)
		rmu.Unlock()
	}))
	defer wrong.Close()
	if err := fake.Configure(func(c *dynamictest.Config) { c.WebhookURL = wrong.URL }); err != nil {
		t.Fatal(err)
	}
	tok, _ := iss.Issue(context.Background(), issuer.Claims{Subject: "alice"})
	if _, err := c.SignInWithExternalJWT(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	fake.Close() // waits for deliveries in flight
	rmu.Lock()
	defer rmu.Unlock()
	if len(refused) != 1 || refused[0] != http.StatusUnauthorized {
		t.Errorf("a receiver with the wrong secret answered %v, want [401]", refused)
	}
}
