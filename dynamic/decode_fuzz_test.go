package dynamic

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// seedBodies adds the recorded response bodies of every recording as seeds.
func seedBodies(f *testing.F, route string, add func(body []byte)) {
	f.Helper()
	entries, err := os.ReadDir("testdata/recordings")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		recs, err := loadRecording(strings.TrimSuffix(e.Name(), ".requests.json"))
		if err != nil {
			f.Fatal(err)
		}
		for _, r := range recs {
			if r.Route == route {
				add(r.Response.Body)
			}
		}
	}
}

// FuzzDecodeVerifyResponse: decoding a sign-in answer never panics, and
// every failure is ErrBadResponse.
func FuzzDecodeVerifyResponse(f *testing.F) {
	seedBodies(f, "externalAuthSignin", func(b []byte) { f.Add(b) })
	f.Add([]byte(`{"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":[{"id":"c","format":"externalUser","public_identifier":"x","signInEnabled":true}]},"expiresAt":1795470667}`))
	f.Add([]byte(`{"user":{"id":"u","projectEnvironmentId":"e","verifiedCredentials":[{"publicIdentifier":1}]},"expiresAt":1}`))
	f.Add([]byte(`{"user":{},"expiresAt":1e308}`))
	f.Add([]byte(`{"user":{"verifiedCredentials":null},"expiresAt":-0}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := decodeVerifyResponse(body)
		if err != nil {
			if s != nil || !errors.Is(err, ErrBadResponse) {
				t.Fatalf("untyped error %v (session %v)", err, s)
			}
			return
		}
		if s.User.ID == "" || s.User.ProjectEnvironmentID == "" || s.ExpiresAt.IsZero() {
			t.Fatalf("accepted a session without required fields: %+v", s)
		}
		_ = s.User.ExternalUserID()
		_ = s.String()
	})
}

// FuzzDecodeAPIError: any error answer (status, content type, Retry-After,
// body) gives a *APIError with a message, never a panic, and no JWT-looking
// text in Error().
func FuzzDecodeAPIError(f *testing.F) {
	seedBodies(f, "externalAuthSignin", func(b []byte) { f.Add(400, "application/json", "", b) })
	f.Add(401, "application/json", "", []byte(`{}`))
	f.Add(403, "application/json", "", []byte(`{"error":{"code":"c","message":"m"},"payload":{"email":"e"}}`))
	f.Add(429, "application/json", "12", []byte(`{"message":"Rate limit exceeded","code":429}`))
	f.Add(429, "text/plain", "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`slow down`))
	f.Add(500, "text/plain; charset=utf-8", "", []byte("internal error"))
	f.Add(502, "text/html", "-1", []byte("<html>\x00\xff</html>"))
	f.Add(422, "application/json", "", []byte(`{"error":"eyJa.eyJb.c","code":"invalid_external_auth","payload":[]}`))
	f.Fuzz(func(t *testing.T, status int, ct, retryAfter string, body []byte) {
		if status < 400 || status > 999 {
			status = 400 + (status%600+600)%600
		}
		h := http.Header{"Content-Type": {ct}, "Retry-After": {retryAfter}}
		truncated := len(body) > maxResponseBytes
		if truncated {
			body = body[:maxResponseBytes]
		}
		e := newAPIError("POST", "/p", status, h, body, truncated, "rid", time.Unix(1e9, 0))
		if e.Message == "" || e.StatusCode != status || e.RetryAfter < 0 || len(e.Body) > maxErrorBody {
			t.Fatalf("bad APIError %+v", e)
		}
		msg := e.Error()
		if jwtLike.MatchString(e.Message) {
			t.Fatalf("message keeps a JWT-looking string: %q", msg)
		}
		var target *APIError
		if !errors.As(error(e), &target) {
			t.Fatal("errors.As failed")
		}
		_ = errors.Is(e, ErrInvalidExternalAuth) || errors.Is(e, ErrRateLimited) || errors.Is(e, ErrUnauthorized)
	})
}

// FuzzDecodeSettings: decoding settings never panics; failures are
// ErrBadResponse; the mode helpers work on whatever decodes.
func FuzzDecodeSettings(f *testing.F) {
	seedBodies(f, "settings", func(b []byte) { f.Add(b) })
	f.Add([]byte(`{"security":{"auth":{"storage":["cookie"]},"externalAuth":{"enabled":false,"iss":null,"jwksUrl":"x","cookieName":"c"}}}`))
	f.Add([]byte(`{"security":{"externalAuth":{"enabled":"yes"}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`"x"`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, err := decodeSettings(body)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		_ = ps.ExternalAuthOn()
		_ = ps.CookieMode()
		if len(ps.Raw) == 0 {
			t.Fatal("Raw empty")
		}
	})
}

// FuzzDecodeNonces: every accepted nonce can travel verbatim in a header.
func FuzzDecodeNonces(f *testing.F) {
	seedBodies(f, "nonces", func(b []byte) { f.Add(b) })
	f.Add([]byte(`{"nonces":["a\u0000b"]}`))
	f.Add([]byte(`{"nonces":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		nonces, err := decodeNonces(body)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, n := range nonces {
			if n == "" || strings.ContainsAny(n, " \t\r\n\x00\x7f") {
				t.Fatalf("accepted nonce %q", n)
			}
		}
	})
}
