package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/extauth/extauth/dynamic/dynamictest"
)

func TestJWKSEndpoint(t *testing.T) {
	ts := startApp(t, testConfig(t))
	status, hdr, body := ts.do(t, "GET", jwksPath, "", "")
	if status != 200 || hdr.Get("Content-Type") != "application/json" || hdr.Get("Access-Control-Allow-Origin") != "*" || hdr.Get("Cache-Control") == "" || hdr.Get("ETag") == "" {
		t.Fatalf("GET: %d %v", status, hdr)
	}
	if !strings.HasPrefix(string(body), `{"keys":[{"kty":"RSA","n":"`) || !strings.Contains(string(body), `"kid":"test-key-1","use":"sig","alg":"RS256"}`) {
		t.Errorf("body %s", body)
	}
	if status, _, b := ts.do(t, "HEAD", jwksPath, "", ""); status != 200 || len(b) != 0 {
		t.Errorf("HEAD: %d %q", status, b)
	}
	if status, _, _ := ts.do(t, "GET", jwksPath, "", "", "If-None-Match", hdr.Get("ETag")); status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", status)
	}
	if status, hdr, _ := ts.do(t, "POST", jwksPath, "application/json", "{}"); status != 405 || hdr.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q", status, hdr.Get("Allow"))
	}
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMintEndpoint(t *testing.T) {
	ts := startApp(t, testConfig(t))
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, tc := range []struct {
		name, ct, body string
		wantSub        string // "" = random UUID
		wantEmail      string
	}{
		{"demo example", "application/json", `{"sub": "user-123", "email": "test@example.com"}`, "user-123", "test@example.com"},
		{"empty object", "application/json", `{}`, "", ""},
		{"no body at all", "", ``, "", ""},
		{"empty sub", "application/json", `{"sub":""}`, "", ""},
		{"null sub and email", "application/json", `{"sub":null,"email":null}`, "", ""},
		{"unicode sub", "application/json; charset=utf-8", `{"sub":"ユーザー-1"}`, "ユーザー-1", ""},
		{"max length sub", "application/json", `{"sub":"` + strings.Repeat("a", 255) + `"}`, strings.Repeat("a", 255), ""},
		{"empty email means none", "application/json", `{"sub":"u","email":""}`, "u", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := ts.do(t, "POST", jwtPath, tc.ct, tc.body)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			if hdr.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", hdr.Get("Cache-Control"))
			}
			var res map[string]any
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatal(err)
			}
			if len(res) != 3 {
				t.Errorf("want exactly token, sub, email: %s", body)
			}
			sub, _ := res["sub"].(string)
			if tc.wantSub == "" && !uuidRE.MatchString(sub) {
				t.Errorf("sub %q is not a random UUID v4", sub)
			} else if tc.wantSub != "" && sub != tc.wantSub {
				t.Errorf("sub %q, want %q", sub, tc.wantSub)
			}
			if tc.wantEmail == "" && res["email"] != nil {
				t.Errorf("email %v, want null", res["email"])
			} else if tc.wantEmail != "" && res["email"] != tc.wantEmail {
				t.Errorf("email %v", res["email"])
			}
			tok := res["token"].(string)
			claims := verifyToken(t, ts.url+jwksPath, defaultIssuer, tok)
			if claims["sub"] != sub {
				t.Errorf("token sub %v", claims["sub"])
			}
			if tc.wantEmail != "" && (claims["email"] != tc.wantEmail || claims["emailVerified"] != true) {
				t.Errorf("email claims %v", claims)
			}
			if tc.wantEmail == "" {
				if _, ok := claims["email"]; ok {
					t.Errorf("email claim present: %v", claims)
				}
			}
			iat, exp := claims["iat"].(float64), claims["exp"].(float64)
			if exp-iat != 3600 || time.Since(time.Unix(int64(iat), 0)) > time.Minute {
				t.Errorf("iat %v exp %v: want now and now+1h like the demo", iat, exp)
			}
			h := decodeSegment(t, strings.Split(tok, ".")[0])
			if h["alg"] != "RS256" || h["kid"] != "test-key-1" {
				t.Errorf("header %v", h)
			}
		})
	}
}

func TestPages(t *testing.T) {
	ts := startApp(t, testConfig(t))
	for path, ids := range map[string][]string{
		"/jwt": {"sub", "email", "generate", "generate-signin", "token", "copy-token", "decoded-header", "decoded-payload", "error", "setup-panel", "detect-ngrok", "local-dynamic-badge"},
		"/":    {"jwt-section-toggle", "jwt-token", "authenticate", "error", "local-dynamic-badge"},
	} {
		status, hdr, body := ts.do(t, "GET", path, "", "")
		if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, status, hdr.Get("Content-Type"))
		}
		if hdr.Get("Content-Security-Policy") == "" || hdr.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: security headers missing: %v", path, hdr)
		}
		for _, id := range ids {
			if n := strings.Count(string(body), `id="`+id+`"`); n != 1 {
				t.Errorf("GET %s: id %q appears %d times", path, id, n)
			}
		}
	}
	_, _, home := ts.do(t, "GET", "/", "", "")
	if !strings.Contains(string(home), `href="/jwt">Generate a test token</a>`) {
		t.Error("/ lacks the Generate a test token link")
	}
	_, _, gen := ts.do(t, "GET", "/jwt", "", "")
	for _, want := range []string{defaultIssuer, "(leave empty)", "ngrok http ", "test-key-1"} {
		if !strings.Contains(string(gen), want) {
			t.Errorf("/jwt setup panel lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`id="sub" name="sub" value="([^"]+)"`).FindStringSubmatch(string(gen)); m == nil || len(m[1]) != 36 {
		t.Errorf("/jwt subject not prefilled with a UUID")
	}
	// Not signed in: the dashboard sends you to sign in.
	if status, hdr, _ := ts.do(t, "GET", "/dashboard", "", ""); status != http.StatusSeeOther || hdr.Get("Location") != "/" {
		t.Errorf("dashboard without session: %d %s", status, hdr.Get("Location"))
	}
	for _, p := range []string{"/static/app.js", "/static/style.css"} {
		if status, _, _ := ts.do(t, "GET", p, "", ""); status != 200 {
			t.Errorf("GET %s: %d", p, status)
		}
	}
	if status, _, body := ts.do(t, "GET", "/nope", "", ""); status != 404 || !strings.Contains(errorText(t, body), "no such page") {
		t.Errorf("404: %d %s", status, body)
	}
}

// client is an HTTP client with a cookie jar that does not follow redirects.
func cookieClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func postJSON(t *testing.T, c *http.Client, u, body string) (int, []byte, *http.Response) {
	t.Helper()
	resp, err := c.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp
}

func getBody(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Generate & Sign In and a pasted token both reach the dashboard through
// the in-process local Dynamic, over real HTTP (the fake fetches our JWKS).
func TestSignInEndToEnd(t *testing.T) {
	ts := startApp(t, testConfig(t))
	c := cookieClient(t)

	status, body, resp := postJSON(t, c, ts.url+signInPath, `{"sub":"user-123","email":"test@example.com"}`)
	if status != 200 {
		t.Fatalf("sign-in: %d %s", status, body)
	}
	var res signInResponse
	json.Unmarshal(body, &res)
	if res.Redirect != "/dashboard" || res.UserID == "" {
		t.Fatalf("answer %s", body)
	}
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || len(sc.Value) < 40 {
		t.Fatalf("session cookie %+v", sc)
	}
	if strings.Contains(sc.Value, "eyJ") {
		t.Error("the cookie must be a random id, not a token")
	}

	status, page := getBody(t, c, ts.url+"/dashboard")
	if status != 200 {
		t.Fatalf("dashboard: %d", status)
	}
	for _, want := range []string{
		`id="user-id">` + res.UserID + `<`,
		`id="user-email">test@example.com<`,
		`id="external-user-id">user-123<`,
		`id="session-expiry"><time datetime="`,
		`id="sign-out"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}

	// Sign out clears the session.
	resp2, err := c.Post(ts.url+signOutPath, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusSeeOther || resp2.Header.Get("Location") != "/" {
		t.Errorf("sign-out: %d %s", resp2.StatusCode, resp2.Header.Get("Location"))
	}
	if status, _ := getBody(t, c, ts.url+"/dashboard"); status != http.StatusSeeOther {
		t.Errorf("dashboard after sign-out: %d", status)
	}

	// A pasted token (the sign-in page) for another user.
	_, mint, _ := postJSON(t, c, ts.url+jwtPath, `{"sub":"pasted-user"}`)
	var m mintResponse
	json.Unmarshal(mint, &m)
	status, body, _ = postJSON(t, c, ts.url+signInPath, `{"token":"  `+m.Token+`\n"}`)
	if status != 200 {
		t.Fatalf("pasted token: %d %s", status, body)
	}
	_, page = getBody(t, c, ts.url+"/dashboard")
	if !strings.Contains(page, `id="external-user-id">pasted-user<`) || !strings.Contains(page, `id="user-email">(none)<`) {
		t.Errorf("dashboard after pasted token:\n%s", page)
	}
	// The same sub maps to the same Dynamic user.
	status, body, _ = postJSON(t, c, ts.url+signInPath, `{"sub":"user-123"}`)
	var again signInResponse
	json.Unmarshal(body, &again)
	if status != 200 || again.UserID != res.UserID {
		t.Errorf("same sub, different user: %s vs %s", again.UserID, res.UserID)
	}
}

// Signing in again replaces the session: the previous id is dead, so a
// session id that leaked or was planted before a sign-in is worthless after.
func TestSignInRotatesSession(t *testing.T) {
	ts := startApp(t, testConfig(t))
	c := cookieClient(t)
	cookieOf := func(resp *http.Response) string {
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie {
				return ck.Value
			}
		}
		t.Fatal("no session cookie")
		return ""
	}
	status, body, resp := postJSON(t, c, ts.url+signInPath, `{"sub":"first"}`)
	if status != 200 {
		t.Fatalf("sign-in: %d %s", status, body)
	}
	first := cookieOf(resp)
	status, body, resp = postJSON(t, c, ts.url+signInPath, `{"sub":"second"}`)
	if status != 200 {
		t.Fatalf("second sign-in: %d %s", status, body)
	}
	if second := cookieOf(resp); second == first {
		t.Fatal("the session id was reused")
	}
	req, _ := http.NewRequest("GET", ts.url+dashboardPath, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: first})
	old, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	old.Body.Close()
	if old.StatusCode != http.StatusSeeOther {
		t.Errorf("the previous session still opens the dashboard: %d", old.StatusCode)
	}
	if status, page := getBody(t, c, ts.url+dashboardPath); status != 200 || !strings.Contains(page, `id="external-user-id">second<`) {
		t.Errorf("current session: %d", status)
	}
}

// A local Dynamic expecting another issuer rejects our tokens with a
// readable error naming both issuers.
func TestSignInWrongIssuer(t *testing.T) {
	cfg := testConfig(t)
	cfg.LocalIssuer = "https://other-issuer.example.com"
	ts := startApp(t, cfg)
	status, _, body := ts.do(t, "POST", signInPath, "application/json", `{"sub":"u1"}`)
	if status != http.StatusUnauthorized {
		t.Fatalf("status %d: %s", status, body)
	}
	msg := errorText(t, body)
	for _, want := range []string{"Error authenticating with external JWT", "https://other-issuer.example.com", defaultIssuer} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "eyJ") {
		t.Errorf("error leaks a token: %q", msg)
	}
}

// With external auth off in the local Dynamic the sign-in page hides the
// JWT section and sign-in is refused readably.
func TestExternalAuthOff(t *testing.T) {
	cfg := testConfig(t)
	cfg.LocalExternalAuth = false
	ts := startApp(t, cfg)
	status, _, body := ts.do(t, "GET", "/", "", "")
	if status != 200 {
		t.Fatal(status)
	}
	page := string(body)
	for _, id := range []string{"jwt-section-toggle", "jwt-token", "authenticate"} {
		if strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("section element %q rendered although external auth is off", id)
		}
	}
	if !strings.Contains(page, "-local-external-auth=off") || !strings.Contains(page, `id="local-dynamic-badge"`) {
		t.Error("page does not explain why the section is hidden")
	}
	status, _, body = ts.do(t, "POST", signInPath, "application/json", `{"sub":"u1"}`)
	if status < 400 || status >= 500 && status != 502 {
		t.Errorf("sign-in with external auth off: %d %s", status, body)
	}
	if !strings.Contains(errorText(t, body), "not enabled") {
		t.Errorf("error %s", body)
	}
}

// Dynamic down: pages still render (with a notice), sign-in fails with a
// clear 502 within its bound, the JWKS and minting keep working.
func TestDynamicDown(t *testing.T) {
	cfg := testConfig(t)
	cfg.EnvironmentID = "2b1f0c1e-1111-4a4a-9c9c-0123456789ab"
	cfg.DynamicAPIURL = closedURL(t) + "/api/v0"
	ts := startApp(t, cfg)
	start := time.Now()
	status, _, body := ts.do(t, "GET", "/", "", "")
	if status != 200 || !strings.Contains(string(body), `id="settings-error"`) || strings.Contains(string(body), `id="jwt-section-toggle"`) {
		t.Errorf("home with Dynamic down: %d", status)
	}
	if strings.Contains(string(body), `id="local-dynamic-badge"`) {
		t.Error("badge shown for a real environment")
	}
	status, _, body = ts.do(t, "POST", signInPath, "application/json", `{"sub":"u"}`)
	if status != http.StatusBadGateway || !strings.Contains(errorText(t, body), "could not reach Dynamic") {
		t.Errorf("sign-in with Dynamic down: %d %s", status, body)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if status, _, _ := ts.do(t, "GET", jwksPath, "", ""); status != 200 {
		t.Errorf("JWKS: %d", status)
	}
	if status, _, _ := ts.do(t, "POST", jwtPath, "application/json", "{}"); status != 200 {
		t.Errorf("mint: %d", status)
	}
	if status, _, body := ts.do(t, "GET", localDynPrefix+"/api/v0/x", "", ""); status != 404 || !strings.Contains(errorText(t, body), "no local Dynamic") {
		t.Errorf("local-dynamic in real mode: %d", status)
	}
}

// The listen line is parseable and the server shuts down on cancel.
func TestServeCommand(t *testing.T) {
	cfg := testConfig(t)
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	ctx, cancel := contextWithCancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-port", "0", "-no-dotenv", "-ngrok-api-url", cfg.NgrokAPIURL}, &sysEnv{
			getenv: func(string) string { return "" }, dir: cfg.Dir, stdout: logs, stderr: logs,
			ready: func(u string) { ready <- u },
		})
	}()
	var base string
	select {
	case base = <-ready:
	case code := <-done:
		t.Fatalf("exited %d: %s", code, logs)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	m := regexp.MustCompile(`level=INFO msg=listening url=(http://\S+)`).FindStringSubmatch(logs.String())
	if m == nil || m[1] != base {
		t.Fatalf("listen line not found or wrong (%s):\n%s", base, logs)
	}
	u, _ := url.Parse(base)
	if u.Hostname() != "127.0.0.1" || u.Port() == "0" {
		t.Errorf("listen url %s", base)
	}
	resp, err := http.Get(base + jwksPath)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("JWKS: %v", err)
	}
	resp.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	for _, want := range []string{`msg="signing key" kid=test-key-1`, `msg="local Dynamic`, `msg=stopped`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	// Issue 12.7: a short human banner before the structured logs says what
	// to open and what the dashboard needs, with "pending ngrok" where the
	// value is not known yet; "listening" comes after it.
	out := logs.String()
	banner := strings.Index(out, "extauth devserver is running.")
	for _, want := range []string{"Open       " + base + "/jwt", "iss      " + defaultIssuer, "jwksUrl  pending ngrok", "kid test-key-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if banner < 0 || banner > strings.Index(out, "msg=listening") {
		t.Errorf("the banner does not come before the listening line:\n%s", out)
	}
	if strings.Contains(out, `jwksUrl=""`) {
		t.Errorf("an empty jwksUrl reads as a bug:\n%s", out)
	}
}

// TestServeRefusesBadConfigBeforeListening (issue 12.7): a bad
// DYNAMIC_ENVIRONMENT_ID fails start-up without a "listening" line.
func TestServeRefusesBadConfigBeforeListening(t *testing.T) {
	cfg := testConfig(t)
	logs := &syncBuffer{}
	code := run(context.Background(), []string{"-port", "0", "-no-dotenv", "-environment-id", "not-a-uuid"}, &sysEnv{
		getenv: func(string) string { return "" }, dir: cfg.Dir, stdout: logs, stderr: logs,
	})
	if code == 0 || strings.Contains(logs.String(), "listening") || strings.Contains(logs.String(), "is running") || !strings.Contains(logs.String(), "EnvironmentID") {
		t.Fatalf("exit %d:\n%s", code, logs)
	}
}

// TestHelp (issue 12.8): -h names the command and the others, check -h
// lists no listening port and one iss flag each for dashboard and token.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		want, notWant []string
	}{
		{[]string{"-h"}, []string{"usage: devserver [serve] [flags]", "Other commands: serve, keygen, check, jwks", "-issuer"}, []string{"Usage of serve"}},
		{[]string{"check", "-h"}, []string{"usage: devserver check", "-dashboard-iss", "to find the ngrok tunnel"}, []string{"port to listen on", "  -iss "}},
		{[]string{"keygen", "-h"}, []string{"usage: devserver keygen", "-write"}, []string{"(default 2048)\n\t(default"}},
		{[]string{"help"}, []string{"keygen", "check", "jwks"}, nil},
	} {
		var out syncBuffer
		code := run(context.Background(), tc.args, &sysEnv{getenv: func(string) string { return "" }, dir: t.TempDir(), stdout: &out, stderr: &out})
		if code != 0 {
			t.Errorf("%v: exit %d", tc.args, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v lacks %q:\n%s", tc.args, w, out.String())
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(out.String(), w) {
				t.Errorf("%v has %q:\n%s", tc.args, w, out.String())
			}
		}
	}
}

// Against a "real" Dynamic environment (dynamictest over HTTP, not the
// local mount): no badge, sign-in works, start-up compares the dashboard.
func TestRealEnvironment(t *testing.T) {
	fake := dynamictest.NewServer(t, dynamictest.Config{})
	cfg := testConfig(t)
	cfg.EnvironmentID = strings.ToUpper(fake.EnvironmentID())
	cfg.DynamicAPIURL = fake.URL()
	ts := startApp(t, cfg)
	if err := fake.Configure(func(c *dynamictest.Config) {
		c.Issuer = defaultIssuer
		c.JWKSURL = ts.url + jwksPath
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts.app.compareDashboard(ctx, "")
	if !strings.Contains(ts.logs.String(), "dashboard matches") {
		t.Errorf("start-up comparison not logged:\n%s", ts.logs)
	}
	status, _, body := ts.do(t, "GET", "/", "", "")
	if status != 200 || strings.Contains(string(body), "local-dynamic-badge") || !strings.Contains(string(body), `id="jwt-section-toggle"`) ||
		!strings.Contains(string(body), `id="dynamic-environment"`) || !strings.Contains(strings.ToLower(string(body)), fake.EnvironmentID()) {
		t.Errorf("home: %d\n%s", status, body)
	}
	status, _, body = ts.do(t, "POST", signInPath, "application/json", `{"sub":"real-user"}`)
	if status != 200 {
		t.Fatalf("sign-in: %d %s", status, body)
	}
	var res signInResponse
	json.Unmarshal(body, &res)
	if res.UserID != fake.UserID("real-user") {
		t.Errorf("user %s, want %s", res.UserID, fake.UserID("real-user"))
	}

	fake.Configure(func(c *dynamictest.Config) { c.Issuer = "https://elsewhere.example" })
	status, _, body = ts.do(t, "POST", signInPath, "application/json", `{"sub":"real-user"}`)
	if msg := errorText(t, body); status != http.StatusUnauthorized || !strings.Contains(msg, "Check Dynamic's dashboard: iss must be exactly "+defaultIssuer) {
		t.Errorf("mismatch: %d %s", status, msg)
	}
}

// An environment id that is not a UUID is refused at start, by name.
func TestInvalidEnvironmentID(t *testing.T) {
	cfg := testConfig(t)
	cfg.EnvironmentID = "my-project"
	a, err := newApp(cfg, newLogger(&syncBuffer{}, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	err = a.attach("http://127.0.0.1:3000")
	if err == nil || !strings.Contains(err.Error(), "DYNAMIC_ENVIRONMENT_ID") || !strings.Contains(err.Error(), "not a UUID") {
		t.Fatalf("err = %v", err)
	}
}

// TestAPIMe (issue 10): after sign-in, GET /api/me answers through the
// session middleware with the claims of Dynamic's session token (the
// DYNAMIC_JWT_TOKEN cookie the sign-in set), and refuses without one.
func TestAPIMe(t *testing.T) {
	ts := startApp(t, testConfig(t))
	status, hdr, body := ts.do(t, "GET", mePath, "", "")
	if status != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(errorText(t, body), "no Dynamic session token") {
		t.Fatalf("without a session: %d %q %s", status, hdr.Get("WWW-Authenticate"), body)
	}
	status, hdr, body = ts.do(t, "POST", signInPath, "application/json", `{"sub":"me-1","email":"me@example.test"}`)
	if status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", status, body)
	}
	var token string
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == dynamicTokenCookie {
			token = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != mePath {
				t.Errorf("cookie %+v", c)
			}
		}
	}
	if token == "" {
		t.Fatalf("no %s cookie after sign-in", dynamicTokenCookie)
	}
	status, _, body = ts.do(t, "GET", mePath, "", "", "Cookie", dynamicTokenCookie+"="+token)
	var me meResponse
	if status != http.StatusOK || json.Unmarshal(body, &me) != nil {
		t.Fatalf("GET /api/me: %d %s", status, body)
	}
	if me.UserID != ts.app.local.(*dynamictest.Server).UserID("me-1") || me.Email != "me@example.test" || len(me.Scopes) != 1 || me.Scopes[0] != "user:basic" || me.SessionID == "" {
		t.Errorf("me = %+v", me)
	}
	if status, _, _ := ts.do(t, "GET", mePath, "", "", "Authorization", "Bearer "+token+"x"); status != http.StatusUnauthorized {
		t.Errorf("tampered bearer: %d", status)
	}
}

// TestPerRequestLogsAtDebug (issue 12.6): at the default level a request
// writes no log line; a server failure would be a warning.
func TestPerRequestLogsAtDebug(t *testing.T) {
	cfg := testConfig(t)
	logs := &syncBuffer{}
	a, err := newApp(cfg, newLogger(logs, slog.LevelInfo))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	if err := a.attach(srv.URL); err != nil {
		t.Fatal(err)
	}
	defer a.close()
	for range 20 {
		resp, err := http.Get(srv.URL + jwksPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if strings.Contains(logs.String(), "msg=request") {
		t.Errorf("per-request lines at info:\n%s", logs)
	}
}

// TestLocalIssuerNote (issue 12.9): with -local-issuer set to another
// value the setup panel says sign-in will fail, instead of that it works.
func TestLocalIssuerNote(t *testing.T) {
	cfg := testConfig(t)
	cfg.LocalIssuer = "https://other.example"
	ts := startApp(t, cfg)
	_, _, body := ts.do(t, "GET", generatorPath, "", "")
	if !strings.Contains(string(body), "started with <code>-local-issuer</code>") || strings.Contains(string(body), "so sign-in works") {
		t.Errorf("setup panel note:\n%s", body)
	}
	ts2 := startApp(t, testConfig(t))
	_, _, body = ts2.do(t, "GET", generatorPath, "", "")
	if !strings.Contains(string(body), "so sign-in works") {
		t.Errorf("default setup panel note:\n%s", body)
	}
}
