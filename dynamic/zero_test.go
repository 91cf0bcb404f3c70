package dynamic

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestZeroValuesDoNotPanic: zero DeviceKeys and Validators give errors. A
// zero DeviceKey in a Client used to be accepted and then panic in the
// background nonce-pool refill, killing the process.
func TestZeroValuesDoNotPanic(t *testing.T) {
	ctx := context.Background()
	var zk DeviceKey
	if _, err := zk.SignNonce("n"); err == nil {
		t.Error("zero DeviceKey signed")
	}
	var nk *DeviceKey
	if _, err := nk.SignNonce("n"); err == nil {
		t.Error("nil DeviceKey signed")
	}
	var zv Validator
	if _, err := zv.Validate(ctx, "a.b.c"); err == nil {
		t.Error("zero Validator validated")
	}
	zv.Close()

	// A server that would hand out nonces: the client must refuse its
	// configuration before any request.
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"nonces":["abc"],"security":{"auth":{"storage":["localstorage"]}}}`))
	}))
	defer srv.Close()
	for _, c := range []*Client{
		{EnvironmentID: "2762a57b-faa4-41ce-9f16-abff9300e2c9", BaseURL: srv.URL, DeviceKey: &DeviceKey{}},
		{EnvironmentID: "2762a57b-faa4-41ce-9f16-abff9300e2c9", BaseURL: srv.URL, SessionKey: &DeviceKey{}},
	} {
		if err := c.Prefetch(ctx); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Prefetch with a zero key: %v", err)
		}
		if _, err := c.SignInWithExternalJWT(ctx, "a.b.c", nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("sign-in with a zero key: %v", err)
		}
	}
	if hits != 0 {
		t.Errorf("%d requests sent with an invalid configuration", hits)
	}
}
