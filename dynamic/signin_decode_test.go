package dynamic

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic/internal/wire"
)

// TestDecodeVerifyResponseExpiresAt: every accepted expiresAt maps to the
// same instant (far-future values used to overflow int64 nanoseconds and
// come out in 1677).
func TestDecodeVerifyResponseExpiresAt(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want time.Time
	}{
		{"1739183600", time.Unix(1739183600, 0)},
		{"1739183600.5", time.Unix(1739183600, 5e8)},
		{"50000000000", time.Unix(5e10, 0)},
		{"1e11", time.Unix(1e11, 0)},
	} {
		body := fmt.Sprintf(`{"expiresAt":%s,"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":[]}}`, tc.raw)
		s, err := decodeVerifyResponse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		if !s.ExpiresAt.Equal(tc.want) {
			t.Errorf("expiresAt %s: got %v, want %v", tc.raw, s.ExpiresAt, tc.want.UTC())
		}
	}
}

// TestSessionFormattingHidesTokens: no fmt verb prints a Session's tokens.
func TestSessionFormattingHidesTokens(t *testing.T) {
	s := Session{AccessToken: "eyJaccess.x.y", JWT: "eyJjwt.x.y", ElevatedAccessToken: "eyJelev.x.y", MFAToken: "mfa-secret",
		Raw: []byte(`{"minifiedJwt":"eyJaccess.x.y"}`), User: User{ID: "u-1"}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{s, &s} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{"eyJaccess", "eyJjwt", "eyJelev", "mfa-secret"} {
				if strings.Contains(out, secret) {
					t.Errorf("%s of %T prints %s: %s", verb, v, secret, out)
				}
			}
		}
	}
}

func TestValidSessionPublicKey(t *testing.T) {
	k, err := wire.NewDeviceKey(nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	good := k.PublicKeyHex()
	for _, tc := range []struct {
		k    string
		want bool
	}{
		{good, true},
		{strings.ToUpper(good), false},
		{"04" + good[2:], false},
		{good[:64], false},
		{good + "00", false},
		{"", false},
		{"02" + strings.Repeat("g", 64), false},
	} {
		if got := checkSessionPublicKey(tc.k) == nil; got != tc.want {
			t.Errorf("ValidSessionPublicKey(%q) = %v", tc.k, got)
		}
	}
}

// TestNoncePoolNeverHandsOutStaleNonces: a refill resets the pool's expiry,
// but a nonce left over from an older batch must not be used once it is
// older than the nonce lifetime (the server would refuse it and the sign-in
// would fail).
func TestNoncePoolNeverHandsOutStaleNonces(t *testing.T) {
	p, advance := numberedPool()
	ctx := context.Background()
	if err := p.fill(ctx); err != nil {
		t.Fatal(err)
	}
	advance(23 * time.Hour)
	for i := 0; i < 4; i++ { // leaves b1-n4 and starts a refill
		if _, err := p.take(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for p.len() < 6 { // wait for the background refill
		time.Sleep(time.Millisecond)
	}
	advance(2 * time.Hour) // b1-n4 is now 25 h old; the pool expires at 23 h + 24 h
	n, err := p.take(ctx)
	if err != nil || n.nonce != "b2-n0" {
		t.Fatalf("take = %q, %v; want b2-n0 (b1-n4 is older than %v)", n.nonce, err, noncePoolLifetime)
	}
}
