package issuer

import (
	"context"
	"errors"
	"testing"

	"github.com/extauth/extauth/jwks"
)

// TestZeroValuesDoNotPanic: zero Keys, Rings and Issuers (not made by the
// constructors) are refused with errors, never a panic at issuance time.
func TestZeroValuesDoNotPanic(t *testing.T) {
	ctx := context.Background()
	if _, err := New(Config{Issuer: "https://auth.example.com", Keys: &Ring{}}); err == nil {
		t.Error("New accepted a zero Ring")
	}
	var zi Issuer
	if _, err := zi.Issue(ctx, Claims{Subject: "u"}); err == nil {
		t.Error("zero Issuer issued a token")
	}
	var ni *Issuer
	if _, err := ni.Issue(ctx, Claims{Subject: "u"}); err == nil {
		t.Error("nil Issuer issued a token")
	}
	for _, k := range []*Key{nil, {}} {
		if _, err := k.Public().MarshalJSON(); !errors.Is(err, jwks.ErrInvalidKey) {
			t.Errorf("MarshalPublicJWK of %v: %v", k, err)
		}
		if _, err := k.MarshalPrivateJWK(); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("MarshalPrivateJWK of %v: %v", k, err)
		}
	}
	if _, err := NewRing(&Key{}, nil); err == nil {
		t.Error("NewRing accepted a zero Key")
	}
	ring, err := NewRing(testKeys(t)[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	if err := ring.Stage(&Key{}); err == nil {
		t.Error("Stage accepted a zero Key")
	}

	var zr Ring
	var got []jwks.Key
	cancel := zr.Subscribe(func(keys []jwks.Key) { got = keys })
	defer cancel()
	if len(got) != 0 || len(zr.publicKeys()) != 0 {
		t.Errorf("zero Ring publishes %v", got)
	}
	if err := zr.Stage(testKeys(t)[0]); err == nil {
		t.Error("zero Ring accepted Stage")
	}
	if err := zr.Rotate(); err == nil {
		t.Error("zero Ring rotated")
	}
	zr.Prune()
	zr.Close()
	h, err := jwks.NewHandler(&Ring{}, nil)
	if err != nil {
		t.Fatalf("jwks.NewHandler(zero Ring): %v", err)
	}
	h.Close()
}
