package dynamic

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestZeroValuesDoNotPanic: zero keys, Clients and Validators give errors.
// A zero device key in a Client used to be accepted and then panic in the
// background nonce-pool refill, killing the process; NewClient now refuses
// it before any request.
func TestZeroValuesDoNotPanic(t *testing.T) {
	ctx := context.Background()
	var zv Validator
	if _, err := zv.Validate(ctx, "a.b.c"); err == nil {
		t.Error("zero Validator validated")
	}
	zv.Close()
	var zc Client
	if _, err := zc.SignInWithExternalJWT(ctx, "a.b.c", nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("zero Client signed in: %v", err)
	}
	var nc *Client
	if err := nc.Prefetch(ctx); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil Client prefetched: %v", err)
	}

	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"nonces":["abc"],"security":{"auth":{"storage":["localstorage"]}}}`))
	}))
	defer srv.Close()
	for name, cfg := range map[string]Config{
		"zero device key":  {EnvironmentID: "2762a57b-faa4-41ce-9f16-abff9300e2c9", BaseURL: srv.URL, DeviceKey: &ecdsa.PrivateKey{}},
		"zero session key": {EnvironmentID: "2762a57b-faa4-41ce-9f16-abff9300e2c9", BaseURL: srv.URL, SessionKey: &ecdsa.PrivateKey{}},
	} {
		if c, err := NewClient(cfg); c != nil || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: NewClient = %v, %v", name, c, err)
		}
	}
	if hits != 0 {
		t.Errorf("%d requests sent with an invalid configuration", hits)
	}
}
