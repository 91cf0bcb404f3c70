package dynamic

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// settle waits until the goroutine count drops to at most want.
func settle(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 200 && n > want; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// TestValidatorCloseStopsGoroutines: a Validator's background JWKS refresh
// (jwkset storage, keyfunc) ends with Close, and a failed NewValidator
// leaves nothing running.
func TestValidatorCloseStopsGoroutines(t *testing.T) {
	j := newTestJWKS(t)
	j.set("k1", &rsaKey(t).PublicKey)
	// Warm up the HTTP transport's connection goroutines, then close them.
	v0 := newTestValidator(t, j, nil)
	v0.Close()
	j.srv.CloseClientConnections()
	base := settle(0)

	for range 5 {
		v, err := NewValidator(context.Background(), ValidatorConfig{Issuer: testIssuer, JWKSURL: j.URL(), RefreshInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		v.Close()
		v.Close()
	}
	j.setStatus(500, "")
	for range 5 {
		if _, err := NewValidator(context.Background(), ValidatorConfig{Issuer: testIssuer, JWKSURL: j.URL()}); err == nil {
			t.Fatal("NewValidator succeeded against a failing JWKS")
		}
	}
	j.srv.CloseClientConnections()
	if n := settle(base); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}
