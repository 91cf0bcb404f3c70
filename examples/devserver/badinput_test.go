package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBadInput sends malformed requests to every devserver endpoint; each
// must answer the exact status with a JSON error naming the problem, and
// none may panic or answer 5xx.
func TestBadInput(t *testing.T) {
	ts := startApp(t, testConfig(t))
	deep := strings.Repeat(`{"a":`, 10500) + "1" + strings.Repeat("}", 10500)
	deepArr := `{"sub":` + strings.Repeat("[", 11000) + strings.Repeat("]", 11000) + `}`
	// The limit is 64 KiB exactly (the number, not maxBody, so a
	// changed constant fails here): 65536 bytes are read, 65537 are not.
	const limit = 64 << 10
	big := `{"sub":"` + strings.Repeat("x", limit-10+1) + `"}`
	atLimit := `{"sub":"` + strings.Repeat("x", limit-10) + `"}`
	const js = "application/json"
	for _, tc := range []struct {
		name, method, path, ct, body string
		status                       int
		want                         string // substring of the error
	}{
		// POST /api/dev/jwt: JSON shape
		{"malformed json", "POST", jwtPath, js, `{"sub":}`, 400, "not valid JSON"},
		{"truncated json", "POST", jwtPath, js, `{"sub":"user-1"`, 400, "truncated"},
		{"truncated after key", "POST", jwtPath, js, `{"sub"`, 400, "truncated"},
		{"single quotes", "POST", jwtPath, js, `{'sub':'x'}`, 400, "not valid JSON"},
		{"trailing comma", "POST", jwtPath, js, `{"sub":"x",}`, 400, "not valid JSON"},
		{"two objects", "POST", jwtPath, js, `{"sub":"a"}{"sub":"b"}`, 400, "exactly one JSON object"},
		{"trailing garbage", "POST", jwtPath, js, `{"sub":"a"} x`, 400, "exactly one JSON object"},
		{"array body", "POST", jwtPath, js, `[{"sub":"a"}]`, 400, "not an array"},
		{"string body", "POST", jwtPath, js, `"user-1"`, 400, "not a string"},
		{"null body", "POST", jwtPath, js, `null`, 400, "not null"},
		{"number body", "POST", jwtPath, js, `42`, 400, "not a number"},
		{"deeply nested object", "POST", jwtPath, js, deep, 400, "max depth"},
		{"deeply nested array", "POST", jwtPath, js, deepArr, 400, "max depth"},
		{"oversized body", "POST", jwtPath, js, big, 413, "64 KiB"},
		// A chunked body may be framed otherwise by a front end (request
		// smuggling): refused on guarded paths whatever its size.
		{"oversized body without length", "POST", jwtPath + "?chunked", js, big, 400, "Transfer-Encoding are refused"},
		{"body of exactly 64 KiB", "POST", jwtPath, js, atLimit, 400, "sub is 65526 bytes"},
		{"small body without length", "POST", jwtPath + "?chunked", js, `{"sub":"u"}`, 400, "Transfer-Encoding are refused"},
		{"unknown field", "POST", jwtPath, js, `{"subject":"u"}`, 400, `unknown field "subject"`},
		{"iss override attempt", "POST", jwtPath, js, `{"sub":"u","iss":"https://evil"}`, 400, `unknown field "iss"`},
		{"invalid utf-8 outside strings", "POST", jwtPath, js, "{\xff}", 400, "not valid UTF-8"},
		// encoding/json would turn these bytes into U+FFFD: a token for
		// another subject than the one sent.
		{"invalid utf-8 in sub", "POST", jwtPath, js, "{\"sub\":\"u\xff\xfe\"}", 400, "not valid UTF-8"},
		{"invalid utf-8 in token", "POST", signInPath, js, "{\"token\":\"a.b.\xc3\"}", 400, "not valid UTF-8"},
		// POST /api/dev/jwt: content type
		{"missing content type", "POST", jwtPath, "", `{"sub":"u"}`, 415, "missing Content-Type"},
		{"form content type", "POST", jwtPath, "application/x-www-form-urlencoded", `sub=u`, 415, "unsupported Content-Type"},
		{"text/plain", "POST", jwtPath, "text/plain", `{"sub":"u"}`, 415, "unsupported Content-Type"},
		{"malformed content type", "POST", jwtPath, "application/json; =", `{"sub":"u"}`, 415, "unsupported Content-Type"},
		{"non-utf8 charset", "POST", jwtPath, "application/json; charset=latin1", `{"sub":"u"}`, 415, "charset"},
		// POST /api/dev/jwt: sub
		{"sub wrong type number", "POST", jwtPath, js, `{"sub":123}`, 400, `"sub" must be a string, not number`},
		{"sub wrong type object", "POST", jwtPath, js, `{"sub":{"id":1}}`, 400, `"sub" must be a string, not object`},
		{"sub wrong type bool", "POST", jwtPath, js, `{"sub":true}`, 400, `"sub" must be a string, not bool`},
		{"sub wrong type array", "POST", jwtPath, js, `{"sub":["a"]}`, 400, `"sub" must be a string, not array`},
		{"sub too long", "POST", jwtPath, js, `{"sub":"` + strings.Repeat("a", 256) + `"}`, 400, "sub is 256 bytes"},
		{"sub with newline", "POST", jwtPath, js, `{"sub":"a\nb"}`, 400, "sub contains control characters"},
		{"sub with NUL", "POST", jwtPath, js, `{"sub":"a\u0000b"}`, 400, "sub contains control characters"},
		{"sub with DEL", "POST", jwtPath, js, `{"sub":"a\u007fb"}`, 400, "sub contains control characters"},
		{"sub with escape", "POST", jwtPath, js, `{"sub":"\u001b[31m"}`, 400, "sub contains control characters"},
		// POST /api/dev/jwt: email
		{"email without at", "POST", jwtPath, js, `{"email":"not-an-email"}`, 400, "email has no '@'"},
		{"email empty local part", "POST", jwtPath, js, `{"email":"@example.com"}`, 400, "email local part"},
		{"email bad domain", "POST", jwtPath, js, `{"email":"a@-example.com"}`, 400, "email domain"},
		{"email with space", "POST", jwtPath, js, `{"email":"a b@example.com"}`, 400, "email local part"},
		{"email with display name", "POST", jwtPath, js, `{"email":"Ann <a@example.com>"}`, 400, "email"},
		{"email too long", "POST", jwtPath, js, `{"email":"a@` + strings.Repeat("b", 400) + `.com"}`, 400, "email is"},
		{"email wrong type", "POST", jwtPath, js, `{"email":42}`, 400, `"email" must be a string, not number`},
		{"email with control char", "POST", jwtPath, js, `{"email":"a\tb@example.com"}`, 400, "email contains control characters"},
		// Wrong methods
		{"GET mint", "GET", jwtPath, "", "", 405, "use POST"},
		{"PUT mint", "PUT", jwtPath, js, "{}", 405, "use POST"},
		{"DELETE mint", "DELETE", jwtPath, "", "", 405, "use POST"},
		{"POST ngrok", "POST", ngrokPath, js, "{}", 405, "use GET"},
		{"GET signin", "GET", signInPath, "", "", 405, "use POST"},
		{"GET signout", "GET", signOutPath, "", "", 405, "use POST"},
		{"signout oversized", "POST", signOutPath, "application/x-www-form-urlencoded", big, 413, "64 KiB"},
		{"signout oversized without length", "POST", signOutPath + "?chunked", "application/x-www-form-urlencoded", big, 400, "Transfer-Encoding are refused"},
		{"POST jwt page", "POST", "/jwt", js, "{}", 405, "use GET"},
		{"POST home", "POST", "/", js, "{}", 405, "use GET"},
		{"PATCH dashboard", "PATCH", "/dashboard", "", "", 405, "use GET"},
		// POST /api/signin
		{"signin token and sub", "POST", signInPath, js, `{"token":"a.b.c","sub":"u"}`, 400, "not both"},
		{"signin empty token", "POST", signInPath, js, `{"token":"  "}`, 400, `external JWT is empty`},
		{"signin token not a jwt", "POST", signInPath, js, `{"token":"hello"}`, 400, "not a compact JWS"},
		{"signin token bad chars", "POST", signInPath, js, `{"token":"a.b<script>.c"}`, 400, "not base64url (position 4)"},
		{"signin token wrong type", "POST", signInPath, js, `{"token":1}`, 400, `"token" must be a string`},
		{"signin token too long", "POST", signInPath, js, `{"token":"` + strings.Repeat("a", maxTokenLen) + `.b.c"}`, 400, "bytes long"},
		{"signin malformed json", "POST", signInPath, js, `{"token":`, 400, "truncated"},
		{"signin missing content type", "POST", signInPath, "", `{"token":"a.b.c"}`, 415, "Content-Type"},
		{"signin oversized", "POST", signInPath, js, big, 413, "64 KiB"},
		{"signin bad sub", "POST", signInPath, js, `{"sub":"a\u0001"}`, 400, "sub contains control characters"},
		{"signin forged token", "POST", signInPath, js, `{"token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}`, 401, "Error authenticating with external JWT"},
		{"signin alg none token", "POST", signInPath, js, `{"token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}`, 401, "not RS256"},
		// Unknown paths
		{"unknown api path", "GET", "/api/dev/keys", "", "", 404, "no such page"},
		{"jwks with trailing slash", "GET", jwksPath + "/", "", "", 404, "no such page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req *http.Request
			var err error
			path := strings.TrimSuffix(tc.path, "?chunked")
			if strings.HasSuffix(tc.path, "?chunked") {
				req, err = http.NewRequest(tc.method, ts.url+path, struct{ *strings.Reader }{strings.NewReader(tc.body)})
			} else {
				req, err = http.NewRequest(tc.method, ts.url+path, strings.NewReader(tc.body))
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			msg := errorText(t, body)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not name the problem (%q)", msg, tc.want)
			}
			if tc.status == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}
