package dynamic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic/internal/wire"
	"github.com/golang-jwt/jwt/v5"
)

// TestRecordedErrorResponses replays the error answers of the SDK's
// node-errors recording and checks how each maps.
func TestRecordedErrorResponses(t *testing.T) {
	recs := mustLoadRecording("node-errors")
	want := map[string]struct {
		status  int
		code    string
		msg     string // substring of Message
		is      []error
		isNot   []error
		payload string
	}{
		"invalid_external_auth_400":        {400, "invalid_external_auth", "Invalid external JWT", []error{ErrInvalidExternalAuth}, []error{ErrUnauthorized, ErrRateLimited}, ""},
		"unauthorized_401_with_error_body": {401, "unauthorized", "Unauthorized", []error{ErrUnauthorized}, []error{ErrInvalidExternalAuth}, ""},
		"unauthorized_401_empty_object":    {401, "", "Unauthorized", []error{ErrUnauthorized}, []error{ErrInvalidExternalAuth}, ""},
		"unprocessable_422":                {422, "jwt_expired", "JWT expired", nil, []error{ErrInvalidExternalAuth, ErrUnauthorized, ErrRateLimited}, `{"field":"jwt"}`},
		"server_error_500_text":            {500, "", "internal error", nil, []error{ErrInvalidExternalAuth, ErrUnavailable, ErrBadResponse}, ""},
	}
	seen := 0
	for _, r := range recs {
		if r.Route != "externalAuthSignin" {
			continue
		}
		w, ok := want[r.Scenario]
		if !ok {
			t.Errorf("no expectation for scenario %q", r.Scenario)
			continue
		}
		seen++
		t.Run(r.Scenario, func(t *testing.T) {
			f := setup(t)
			body := []byte(r.Response.Body)
			ct := r.Response.Headers["Content-Type"]
			if !strings.HasPrefix(ct, "application/json") { // text bodies are recorded as JSON strings
				var s string
				json.Unmarshal(r.Response.Body, &s)
				body = []byte(s)
			}
			f.signinHandler(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", ct)
				w.WriteHeader(r.Response.Status)
				w.Write(body)
			})
			_, err := f.c().SignInWithExternalJWT(context.Background(), testJWT, nil)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.StatusCode != w.status || apiErr.Code != w.code || !strings.Contains(apiErr.Message, w.msg) {
				t.Errorf("APIError = %d %q %q, want %d %q ~%q", apiErr.StatusCode, apiErr.Code, apiErr.Message, w.status, w.code, w.msg)
			}
			var compact bytes.Buffer
			json.Compact(&compact, apiErr.Payload)
			if compact.String() != w.payload {
				t.Errorf("Payload = %s, want %s", apiErr.Payload, w.payload)
			}
			sent := f.all()[len(f.all())-1].Header.Get(wire.HeaderRequestID)
			if apiErr.RequestID != sent || !strings.Contains(err.Error(), sent) {
				t.Errorf("RequestID = %q, sent %q", apiErr.RequestID, sent)
			}
			for _, target := range w.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = false", target)
				}
			}
			for _, target := range w.isNot {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = true", target)
				}
			}
			if strings.Contains(err.Error(), testJWT) {
				t.Error("error string contains the JWT")
			}
		})
	}
	if seen != len(want) {
		t.Errorf("replayed %d scenarios, want %d", seen, len(want))
	}
}

// signinHandler replaces the sign-in answer (nonces stay valid).
func (f *fakeDynamic) signinHandler(h http.HandlerFunc) {
	f.mu.Lock()
	f.signinOverride = h
	f.mu.Unlock()
}

func TestNewAPIErrorBodies(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		status      int
		ct, body    string
		retryAfter  string
		wantCode    string
		wantMsg     string // substring
		wantRetry   time.Duration
		wantPayload string
		is          error
	}{
		{"string error", 400, "application/json", `{"error":"Invalid external JWT","code":"invalid_external_auth"}`, "", "invalid_external_auth", "Invalid external JWT", 0, "", ErrInvalidExternalAuth},
		{"code on 401 still invalid_external_auth", 401, "application/json", `{"error":"x","code":"invalid_external_auth"}`, "", "invalid_external_auth", "x", 0, "", ErrInvalidExternalAuth},
		{"object error with payload", 403, "application/json", `{"error":{"code":"wallet_locked","message":"Wallet locked"},"payload":{"email":"a@b.c"}}`, "", "wallet_locked", "Wallet locked", 0, `{"email":"a@b.c"}`, nil},
		{"old rate-limit body", 429, "application/json", `{"message":"Rate limit exceeded","code":429}`, "7", "", "Rate limit exceeded", 7 * time.Second, "", ErrRateLimited},
		{"429 text body, Retry-After date", 429, "text/plain", `slow down`, now.Add(90 * time.Second).Format(http.TimeFormat), "", "slow down", 90 * time.Second, "", ErrRateLimited},
		{"too_many_requests code on 422", 422, "application/json", `{"error":"Too many attempts","code":"too_many_requests"}`, "", "too_many_requests", "Too many attempts", 0, "", ErrRateLimited},
		{"Retry-After in the past", 429, "application/json", `{"error":"Too many requests. Please try again later."}`, now.Add(-time.Hour).Format(http.TimeFormat), "", "Too many requests", 0, "", ErrRateLimited},
		{"Retry-After garbage", 429, "", ``, "soon", "", "Too Many Requests (empty body)", 0, "", ErrRateLimited},
		{"empty object 401", 401, "application/json", `{}`, "", "", "Unauthorized", 0, "", ErrUnauthorized},
		{"empty body 500", 500, "", ``, "", "", "Internal Server Error (empty body)", 0, "", nil},
		{"HTML 502", 502, "text/html", `<html><body><h1>502 Bad Gateway</h1></body></html>`, "", "", "Bad Gateway (text/html body", 0, "", ErrUnavailable},
		{"503 Retry-After", 503, "application/json", `{"error":"maintenance"}`, "120", "", "maintenance", 2 * time.Minute, "", ErrUnavailable},
		{"binary body", 500, "application/octet-stream", "\x00\x01\x02\xff", "", "", "Internal Server Error (application/octet-stream body)", 0, "", nil},
		{"non-string code ignored", 400, "application/json", `{"error":"bad","code":17}`, "", "", "bad", 0, "", nil},
		{"payload not an object ignored", 422, "application/json", `{"error":"bad","payload":[1]}`, "", "", "bad", 0, "", nil},
		{"array body", 400, "application/json", `[1,2]`, "", "", "JSON body without an error message", 0, "", nil},
		{"JWT in message redacted", 400, "application/json", `{"error":"bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc_-123 here"}`, "", "", "bad token [redacted JWT] here", 0, "", nil},
		{"unknown status", 599, "text/plain", `odd`, "", "", "HTTP 599", 0, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.ct != "" {
				h.Set("Content-Type", tt.ct)
			}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			e := newAPIError("POST", "/sdk/x/externalAuth/signin", tt.status, h, []byte(tt.body), false, "rid", now)
			if e.Code != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) || e.RetryAfter != tt.wantRetry || string(e.Payload) != tt.wantPayload {
				t.Errorf("got code %q msg %q retry %v payload %s", e.Code, e.Message, e.RetryAfter, e.Payload)
			}
			if tt.is != nil && !errors.Is(e, tt.is) {
				t.Errorf("errors.Is(%v) = false", tt.is)
			}
			if !strings.Contains(e.Error(), "POST /sdk/x/externalAuth/signin") || !strings.Contains(e.Error(), "rid") {
				t.Errorf("Error() = %q", e.Error())
			}
			if strings.Contains(e.Error(), "eyJzdWIi") {
				t.Errorf("Error() leaks a JWT: %q", e.Error())
			}
		})
	}
}

func TestAPIErrorBodyCapped(t *testing.T) {
	big := bytes.Repeat([]byte("x"), maxResponseBytes)
	e := newAPIError("GET", "/p", 500, http.Header{}, big, true, "", time.Now())
	if len(e.Body) != maxErrorBody || !e.Truncated {
		t.Errorf("Body %d bytes, Truncated %v", len(e.Body), e.Truncated)
	}
	if !strings.Contains(e.Message, "exceeds 1 MiB") {
		t.Errorf("Message = %q", e.Message)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		base    string
		wantMsg string
	}{
		{"empty env", "", "", "EnvironmentID is empty: copy it from the Dynamic dashboard"},
		{"short env", "abc", "", `EnvironmentID "abc" is not a UUID (it has 3 characters, want 36`},
		{"no dashes", "2762a57bfaa441ce9f16abff9300e2c9abcd", "", "want '-' at position 9"},
		{"non-hex", "2762a57b-faa4-41ce-9f16-abff9300e2cz", "", "character 36 is not hexadecimal"},
		{"braces", "{762a57b-faa4-41ce-9f16-abff9300e2c}", "", "character 1 is not hexadecimal"},
		{"spaces", " 2762a57b-faa4-41ce-9f16-abff9300e2c", "", "character 1 is not hexadecimal"},
		{"urn", "urn:uuid:2762a57b-faa4-41ce-9f16-abff9300e2c9", "", "it has 45 characters"},
		{"path injection", "2762a57b-faa4-41ce-9f16-abff9300/../", "", "is not a UUID"},
		{"long env truncated in message", strings.Repeat("a", 500), "", "…"},
		{"relative base", testEnv, "api/v0", "must be an absolute http or https URL"},
		{"ftp base", testEnv, "ftp://example.com/api/v0", "must be an absolute http or https URL"},
		{"no host", testEnv, "https:///api/v0", "has no host"},
		{"query", testEnv, "https://example.com/api/v0?x=1", "must not have a query or fragment"},
		{"fragment", testEnv, "https://example.com/api/v0#x", "must not have a query or fragment"},
		{"credentials", testEnv, "https://user:pw@example.com/api/v0", "must not contain credentials"},
		{"unparsable", testEnv, "http://[::1", "does not parse"},
		{"control char", testEnv, "http://example.com/\x7f", "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Config{EnvironmentID: tt.env, BaseURL: tt.base})
			if c != nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("NewClient = %v, %v, want ErrInvalidConfig mentioning %q", c, err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Error("error leaks credentials")
			}
		})
	}
	for _, ok := range []string{"http://127.0.0.1:8080/api/v0", "https://app.dynamicauth.com/api/v0/", "https://example.com/api/v0//"} {
		got, err := normalizeBaseURL(ok)
		if err != nil || strings.HasSuffix(got, "/") {
			t.Errorf("normalizeBaseURL(%q) = %q, %v", ok, got, err)
		}
	}
	if got, _ := normalizeBaseURL(""); got != DefaultBaseURL {
		t.Errorf("default = %q", got)
	}
}

func TestSignInArgumentValidation(t *testing.T) {
	tests := []struct {
		name    string
		jwt     string
		opts    *SignInOptions
		wantMsg string
	}{
		{"empty jwt", "", nil, "external JWT is empty"},
		{"not a JWS", "abc", nil, "not a compact JWS"},
		{"four parts", "a.b.c.d", nil, "got 3 dots"},
		{"quoted", `"a.b.c"`, nil, "not base64url (position 1)"},
		{"whitespace", "a.b.c\n", nil, "not base64url (position 6)"},
		{"Bearer prefix", "Bearer a.b.c", nil, "not base64url"},
		{"session key short", testJWT, &SignInOptions{SessionPublicKey: "02ab"}, "SessionPublicKey has 4 characters"},
		{"session key uncompressed prefix", testJWT, &SignInOptions{SessionPublicKey: "04" + strings.Repeat("a", 64)}, "does not start with 02 or 03"},
		{"session key upper case", testJWT, &SignInOptions{SessionPublicKey: "02" + strings.Repeat("A", 64)}, "character 3 is not lower-case hex"},
		{"session key non-hex", testJWT, &SignInOptions{SessionPublicKey: "03" + strings.Repeat("g", 64)}, "not lower-case hex"},
		{"session key uncompressed 130", testJWT, &SignInOptions{SessionPublicKey: "04" + strings.Repeat("a", 128)}, "has 130 characters"},
		{"access token with newline", testJWT, &SignInOptions{AccessToken: "abc\r\nX-Evil: 1"}, "cannot be sent in a header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			_, err := f.c().SignInWithExternalJWT(context.Background(), tt.jwt, tt.opts)
			want := ErrInvalidConfig
			if tt.opts == nil {
				want = jwt.ErrTokenMalformed // a bad token is input, not configuration
			}
			if !errors.Is(err, want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, want, tt.wantMsg)
			}
			if n := len(f.all()); n != 0 {
				t.Errorf("%d requests sent for invalid input", n)
			}
		})
	}
	// A valid caller-supplied key is accepted (the SDK recording uses 02aa…).
	f := setup(t)
	if _, err := f.c().SignInWithExternalJWT(context.Background(), testJWT, &SignInOptions{SessionPublicKey: "02" + strings.Repeat("a", 64)}); err != nil {
		t.Fatal(err)
	}
}

// Faults: each call ends within its bound with a typed error.
func TestFaults(t *testing.T) {
	const bound = 2 * time.Second
	type fault struct {
		name    string
		handler http.HandlerFunc // sign-in answer; nil: see setupFn
		ctxTO   time.Duration
		check   func(t *testing.T, err error)
	}
	isAPI := func(status int, target error) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var e *APIError
			if !errors.As(err, &e) || e.StatusCode != status {
				t.Fatalf("err = %v, want *APIError %d", err, status)
			}
			if target != nil && !errors.Is(err, target) {
				t.Errorf("errors.Is(err, %v) = false: %v", target, err)
			}
		}
	}
	faults := []fault{
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, 200 * time.Millisecond, func(t *testing.T, err error) {
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "POST /sdk/") {
				t.Errorf("err = %v, want wrapped context.DeadlineExceeded", err)
			}
		}},
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }, 0, isAPI(500, nil)},
		{"502", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad gateway", http.StatusBadGateway) }, 0, isAPI(502, ErrUnavailable)},
		{"503", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			http.Error(w, "down", http.StatusServiceUnavailable)
		}, 0, func(t *testing.T, err error) {
			isAPI(503, ErrUnavailable)(t, err)
			var e *APIError
			errors.As(err, &e)
			if e.RetryAfter != 30*time.Second {
				t.Errorf("RetryAfter = %v", e.RetryAfter)
			}
		}},
		{"429 seconds", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "12")
			writeJSON(w, 429, []byte(`{"error":"Too many requests. Please try again later."}`))
		}, 0, func(t *testing.T, err error) {
			isAPI(429, ErrRateLimited)(t, err)
			var e *APIError
			errors.As(err, &e)
			if e.RetryAfter != 12*time.Second || !strings.Contains(err.Error(), "retry after 12s") {
				t.Errorf("RetryAfter = %v, %v", e.RetryAfter, err)
			}
		}},
		{"429 date", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
			w.WriteHeader(429)
		}, 0, func(t *testing.T, err error) {
			isAPI(429, ErrRateLimited)(t, err)
			var e *APIError
			errors.As(err, &e)
			if e.RetryAfter < 58*time.Second || e.RetryAfter > 61*time.Second {
				t.Errorf("RetryAfter = %v", e.RetryAfter)
			}
		}},
		{"garbage JSON", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []byte(`{"user":`)) }, 0, func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "truncated JSON") {
				t.Errorf("err = %v", err)
			}
		}},
		{"HTML 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>captive portal</html>"))
		}, 0, func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadResponse) {
				t.Errorf("err = %v", err)
			}
		}},
		{"huge 200 body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"pad":"`))
			chunk := bytes.Repeat([]byte("a"), 64<<10)
			for i := 0; i < 64; i++ { // 4 MiB
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, 0, func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "the answer exceeds 1 MiB") {
				t.Errorf("err = %v", err)
			}
		}},
		{"huge 500 body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			chunk := bytes.Repeat([]byte("<p>"), 64<<10)
			for i := 0; i < 32; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, 0, func(t *testing.T, err error) {
			isAPI(500, nil)(t, err)
			var e *APIError
			errors.As(err, &e)
			if !e.Truncated {
				t.Error("Truncated not set")
			}
			if len(e.Body) > maxErrorBody {
				t.Errorf("Body not capped: %d", len(e.Body))
			}
		}},
		{"connection cut", func(w http.ResponseWriter, r *http.Request) {
			hj, ok := w.(http.Hijacker)
			if !ok {
				return
			}
			conn, _, _ := hj.Hijack()
			conn.Close()
		}, 0, func(t *testing.T, err error) {
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, ft := range faults {
		t.Run(ft.name, func(t *testing.T) {
			f := setup(t)
			ctx := context.Background()
			if err := f.c().Prefetch(ctx); err != nil {
				t.Fatal(err)
			}
			f.signinHandler(ft.handler)
			if ft.ctxTO > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, ft.ctxTO)
				defer cancel()
			}
			start := time.Now()
			_, err := f.c().SignInWithExternalJWT(ctx, testJWT, nil)
			if d := time.Since(start); d > bound {
				t.Errorf("returned after %v, bound %v", d, bound)
			}
			if err == nil {
				t.Fatal("no error")
			}
			ft.check(t, err)
			if strings.Contains(err.Error(), testJWT) {
				t.Error("error contains the JWT")
			}
		})
	}
}

func TestFaultDynamicDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := NewClient(Config{EnvironmentID: testEnv, BaseURL: "http://" + addr + "/api/v0"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.SignInWithExternalJWT(context.Background(), testJWT, nil)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "GET /sdk/"+testEnv+"/settings") {
		t.Errorf("err = %v, want ErrUnavailable naming the settings call", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestFaultSlowSettingsHonoursContext(t *testing.T) {
	f := setup(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	f.onSettings = func() { <-release }
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.c().SignInWithExternalJWT(ctx, testJWT, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "settings") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
}

// Malformed answers from Dynamic (bad-input cases for its responses).
func TestMalformedDynamicAnswers(t *testing.T) {
	tests := []struct {
		name     string
		settings string // "" keeps the canned one
		nonces   string // "" keeps the generated ones
		signin   string
		wantMsg  string
	}{
		{"settings not JSON", "<html>", "", "", "GET settings: unexpected response: the answer is not a JSON object"},
		{"settings array", "[]", "", "", "is not a JSON object (it is JSON of another kind)"},
		{"settings null", "null", "", "", "is not a JSON object (it is JSON of another kind)"},
		{"settings security wrong type", `{"security":"x"}`, "", "", `member "security" is a JSON string`},
		{"settings storage wrong type", `{"security":{"auth":{"storage":"cookie"}}}`, "", "", `member "security.auth.storage"`},
		{"settings empty", " ", "", "", "the answer is empty"},
		{"nonces empty list", "", `{"nonces":[]}`, "", "no nonces in the answer"},
		{"nonces missing", "", `{}`, "", "no nonces in the answer"},
		{"nonces not strings", "", `{"nonces":[1,2]}`, "", `member "nonces"`},
		{"nonce with newline", "", `{"nonces":["a\nb"]}`, "", "contains byte 0x0a"},
		{"nonce with space", "", `{"nonces":["a b"]}`, "", "contains byte 0x20"},
		{"nonce non-ASCII", "", `{"nonces":["é"]}`, "", "contains byte 0xc3"},
		{"nonce empty", "", `{"nonces":[""]}`, "", "has length 0"},
		{"nonce too long", "", `{"nonces":["` + strings.Repeat("a", 2000) + `"]}`, "", "has length 2000"},
		{"signin no user", "", "", `{"expiresAt":1795470667}`, "user is missing"},
		{"signin user null", "", "", `{"user":null,"expiresAt":1795470667}`, "user is missing"},
		{"signin no expiresAt", "", "", `{"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":[]}}`, "expiresAt is missing"},
		{"signin expiresAt ms", "", "", `{"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":[]},"expiresAt":1795470667000}`, "not a unix time in seconds"},
		{"signin expiresAt string", "", "", `{"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":[]},"expiresAt":"soon"}`, `member "expiresAt"`},
		{"signin expiresAt negative", "", "", `{"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":[]},"expiresAt":-1}`, "not a unix time"},
		{"signin no credentials", "", "", `{"user":{"id":"u","projectEnvironmentId":"e"},"expiresAt":1795470667}`, "verifiedCredentials is missing or not an array"},
		{"signin credentials object", "", "", `{"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":{}},"expiresAt":1795470667}`, `member "user.verifiedCredentials" is a JSON object`},
		{"signin no user id", "", "", `{"user":{"projectEnvironmentId":"e","verifiedCredentials":[]},"expiresAt":1795470667}`, "user.id is missing"},
		{"signin no env id", "", "", `{"user":{"id":"u","verifiedCredentials":[]},"expiresAt":1795470667}`, "projectEnvironmentId is missing"},
		{"signin credential wrong type", "", "", `{"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":[{"id":5}]},"expiresAt":1795470667}`, `member "user.verifiedCredentials.id"`},
		{"signin string", "", "", `"ok"`, "is not a JSON object (it is JSON of another kind)"},
		{"signin user string", "", "", `{"user":"u","expiresAt":1795470667}`, `member "user" is a JSON string`},
		{"signin user array", "", "", `{"user":[],"expiresAt":1795470667}`, `member "user" is a JSON array`},
		{"signin deeply nested", "", "", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "not a JSON object"},
		{"signin deeply nested object", "", "", strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), "malformed JSON"},
		{"signin truncated", "", "", `{"user":{"id":"u"`, "truncated JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			if tt.settings != "" {
				f.settingsBody = []byte(tt.settings)
			}
			if tt.nonces != "" {
				f.mu.Lock()
				f.noncesOverride = []byte(tt.nonces)
				f.mu.Unlock()
			}
			if tt.signin != "" {
				f.signinHandler(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []byte(tt.signin)) })
			}
			_, err := f.c().SignInWithExternalJWT(context.Background(), testJWT, nil)
			if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v\nwant ErrBadResponse mentioning %q", err, tt.wantMsg)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-5", 0}, {"120", 2 * time.Minute}, {" 3 ", 3 * time.Second},
		{"99999999999999999999", 0},             // does not parse as int64: not a date either
		{"9223372036854775807", 24 * time.Hour}, // capped at a day
		{"86401", 24 * time.Hour},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(30 * 24 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
		{"Thu, 01 Jan 2026 12:00:30 GMT", 30 * time.Second},
		{"Thursday, 01-Jan-26 12:00:10 GMT", 10 * time.Second}, // RFC 850
		{"Wed, 31 Dec 2025 12:00:00 GMT", 0},
		{"1.5", 0}, {"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
