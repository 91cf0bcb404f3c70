package session

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/extauth/extauth/internal/strictjwt"
)

// FuzzAuthorizationHeader: whatever the Authorization header and cookie,
// tokenOf never panics and only a Bearer scheme yields a token.
func FuzzAuthorizationHeader(f *testing.F) {
	for _, s := range []string{"Bearer a.b.c", "bearer  x", "Basic abc", "Bearer", "", "Bearer\x00x", "BEARER eyJ.eyJ.sig"} {
		f.Add(s, "")
	}
	f.Add("", "a.b.c")
	f.Fuzz(func(t *testing.T, header, cookie string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{header}
		if cookie != "" {
			r.Header["Cookie"] = []string{cookieName + "=" + cookie}
		}
		tok, found := tokenOf(r)
		scheme, _, _ := strings.Cut(header, " ")
		if found && !strings.EqualFold(scheme, "Bearer") && cookie == "" {
			t.Fatalf("token %q from a %q header", tok, header)
		}
		if q := quote(tok); strings.ContainsAny(q, "\r\n\x00") {
			t.Fatalf("quote(%q) = %q", tok, q)
		}
	})
}

// FuzzSessionClaims decodes fuzzed payloads as a session token's claims
// and runs them through Verify with an unsigned token: nothing panics,
// and Verify never accepts.
func FuzzSessionClaims(f *testing.F) {
	for _, s := range []string{
		`{"sub":"u","sid":"s","environment_id":"e","scope":"user:basic","exp":1,"iat":1}`,
		`{"sub":"u","SUB":"v"}`, `{"exp":"1"}`, `{"verified_credentials":[{"format":"externalUser","public_identifier":"x"}]}`,
		`{"aud":["a",1]}`, `[]`, `{"nbf":1e300}`,
	} {
		f.Add([]byte(s))
	}
	v := &Verifier{} // zero: Verify refuses it, so only the decoding runs below
	f.Fuzz(func(t *testing.T, payload []byte) {
		var wc wireClaims
		if err := strictjwt.CheckMembers(payload, wireNames); err == nil && json.Unmarshal(payload, &wc) == nil {
			_ = wc.claims(strings.Fields(wc.Scope)).ExternalUserID()
		}
		tok := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".c2ln"
		if c, err := v.Verify(context.Background(), tok); err == nil {
			t.Fatalf("a zero Verifier accepted %s: %+v", payload, c)
		}
	})
}
