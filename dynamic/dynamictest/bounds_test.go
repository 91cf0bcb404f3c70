package dynamictest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic"
)

// TestNonceStoreBounded: outstanding nonces are capped, the oldest are
// forgotten first, and used nonces do not pile up in the bookkeeping.
func TestNonceStoreBounded(t *testing.T) {
	fake, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	fake.seedNonces("first")
	batch := make([]string, maxOutstandingNonces)
	for i := range batch {
		batch[i] = fmt.Sprintf("n%d", i)
	}
	fake.seedNonces(batch...)
	if n := fake.nonces.len(); n > maxOutstandingNonces {
		t.Fatalf("%d outstanding nonces, want at most %d", n, maxOutstandingNonces)
	}
	if err := fake.consumeNonce("first"); err == nil {
		t.Error("the oldest nonce survived the bound")
	}
	if err := fake.consumeNonce(batch[len(batch)-1]); err != nil {
		t.Errorf("newest nonce: %v", err)
	}
	// Issue and spend many nonces: the order list stays proportional.
	for i := 0; i < 3*maxOutstandingNonces; i++ {
		n := fmt.Sprintf("u%d", i)
		fake.seedNonces(n)
		if err := fake.consumeNonce(n); err != nil {
			t.Fatal(err)
		}
	}
	if got, limit := len(fake.nonces.order), 2*fake.nonces.len()+65; got > limit {
		t.Errorf("order holds %d entries for %d outstanding nonces", got, fake.nonces.len())
	}
}

// TestNonceStoreExpiresOldest: expired nonces are dropped when new ones are
// added (not only when used).
func TestNonceStoreExpiresOldest(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	fake, err := New(Config{NonceTTL: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	fake.seedNonces("a", "b")
	now = now.Add(2 * time.Minute)
	fake.seedNonces("c")
	if n := fake.nonces.len(); n != 1 {
		t.Errorf("%d outstanding nonces after expiry, want 1", n)
	}
}

// TestRequestLogBoundedInBytes: large bodies cannot make the request log
// hold more than maxLoggedBytes.
func TestRequestLogBoundedInBytes(t *testing.T) {
	fake, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), maxBodyBytes)
	n := 2 * maxLoggedBytes / maxBodyBytes
	for i := 0; i < n; i++ {
		r := httptest.NewRequest("POST", "/api/v0/sdk/"+fake.EnvironmentID()+"/externalAuth/signin", bytes.NewReader(big))
		fake.ServeHTTP(httptest.NewRecorder(), r)
	}
	total := 0
	reqs := fake.Requests()
	for _, r := range reqs {
		total += len(r.Body)
	}
	if total > maxLoggedBytes {
		t.Errorf("request log holds %d body bytes, want at most %d", total, maxLoggedBytes)
	}
	if len(reqs) == 0 || reqs[len(reqs)-1].Status != http.StatusForbidden {
		t.Errorf("latest request missing from the log or without status: %d entries", len(reqs))
	}
	fake.resetRequests()
	if fake.logBytes != 0 || len(fake.Requests()) != 0 {
		t.Errorf("resetRequests left %d bytes", fake.logBytes)
	}
}

// TestZeroServer: a Server not made by New answers 500 instead of panicking.
func TestZeroServer(t *testing.T) {
	var s Server
	for _, path := range []string{"/api/v0/sdk//settings", "/api/v0/sdk//nonces?count=5"} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusInternalServerError {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
	s.seedNonces("x")
	s.FailNext(string(endpointSettings), 500, "", nil)
	s.Close()
}

// TestNoValidatorAfterClose: a mounted Server that is still reachable after
// Close does not start a JWKS validator (whose refresh goroutine nobody
// would stop).
func TestNoValidatorAfterClose(t *testing.T) {
	ti := newTestIssuer(t)
	cfg := ti.config()
	cfg.AllowMissingDeviceSignature = true
	fake, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fake.Close()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/api/v0/sdk/"+fake.EnvironmentID()+"/externalAuth/signin", bytes.NewReader(body(ti.mint(t, nil))))
	fake.ServeHTTP(w, r)
	if w.Code == http.StatusOK {
		t.Error("sign-in succeeded after Close")
	}
	fake.vmu.Lock()
	defer fake.vmu.Unlock()
	if fake.validator != nil {
		fake.validator.Close()
		t.Error("a validator was started after Close")
	}
}

// TestUsersAndJTIsBounded: the user table and the step-up jti table cannot
// grow without bound.
func TestUsersAndJTIsBounded(t *testing.T) {
	fake, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxUsers; i++ {
		fake.users[fmt.Sprint(i)] = "sub"
	}
	resp, _ := fake.session(httptest.NewRequest("POST", "/", nil), fake.config(), &dynamic.ExternalClaims{Subject: "newcomer"}, "")
	if n := len(fake.users); n > maxUsers {
		t.Errorf("%d users remembered, want at most %d", n, maxUsers)
	}
	if !resp.User.NewUser || fake.users[fake.UserID("newcomer")] != "newcomer" {
		t.Errorf("newcomer not remembered as a new user: %+v", resp.User)
	}

	now := fake.now()
	for i := 0; i < maxUsedJTIs; i++ {
		fake.jtis[fmt.Sprint(i)] = now.Add(time.Hour)
	}
	if err := fake.useJTI("fresh", now.Add(time.Hour)); !errors.Is(err, errJTIsFull) {
		t.Errorf("useJTI with a full table: %v", err)
	}
	if err := fake.useJTI("0", now.Add(time.Hour)); err == nil || errors.Is(err, errJTIsFull) {
		t.Errorf("reused jti: %v", err)
	}
	for k := range fake.jtis { // all expired long ago
		fake.jtis[k] = now.Add(-2 * time.Hour)
	}
	if err := fake.useJTI("fresh", now.Add(time.Hour)); err != nil {
		t.Errorf("useJTI after expiry: %v", err)
	}
	if n := len(fake.jtis); n != 1 {
		t.Errorf("%d jtis kept after the sweep, want 1", n)
	}
}
