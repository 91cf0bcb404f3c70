package webhook_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/extauth/extauth/dynamic/webhook"
)

func ExampleNewHandler() {
	h, err := webhook.NewHandler(webhook.Config{
		Secret: "the webhook's secret from Dynamic's dashboard",
		OnEvent: func(_ context.Context, e *webhook.Event) error {
			switch e.EventName {
			case "user.created":
				fmt.Println("new user", e.User.ID, e.User.Email)
			case "user.session.created":
				fmt.Println("new session", e.Session.ID)
			}
			return nil // anything else: e.Data holds it raw
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	// What Dynamic sends:
	body := `{"messageId":"m1","eventName":"user.created","timestamp":"` + time.Now().UTC().Format(time.RFC3339) +
		`","data":{"id":"3f6b2f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b","email":"alice@example.com"}}`
	r := httptest.NewRequest("POST", "/webhooks/dynamic", strings.NewReader(body))
	r.Header.Set(webhook.SignatureHeader, webhook.Sign("the webhook's secret from Dynamic's dashboard", []byte(body)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)

	// A forged delivery:
	r = httptest.NewRequest("POST", "/webhooks/dynamic", strings.NewReader(body))
	r.Header.Set(webhook.SignatureHeader, webhook.Sign("a guess", []byte(body)))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// new user 3f6b2f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b alice@example.com
	// 204
	// 401
}
