package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/extauth/extauth/dynamic/dynamictest"
)

// checkLines maps item → status from check's output.
func checkLines(t *testing.T, out string) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(PASS|FAIL|SKIP)  ([a-zA-Z' ]+):`)
	got := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		got[m[2]] = m[1]
	}
	return got
}

func TestCheckCommand(t *testing.T) {
	cfg := testConfig(t)
	ts := startApp(t, cfg)
	jwksURL := ts.url + jwksPath
	items := []string{"signing key", "public jwksUrl", "JWKS reachable", "token verifies", "iss matches", "dashboard"}

	for _, tc := range []struct {
		name string
		dir  string
		args []string
		code int
		want map[string]string
		text string
	}{
		{"all good", cfg.Dir, []string{"-jwks-url", jwksURL, "-allow-loopback", "-ngrok-api-url", cfg.NgrokAPIURL}, 0,
			map[string]string{"signing key": "PASS", "public jwksUrl": "PASS", "JWKS reachable": "PASS", "token verifies": "PASS", "iss matches": "PASS", "dashboard": "SKIP"}, "all checks passed"},
		{"dashboard iss differs", cfg.Dir, []string{"-jwks-url", jwksURL, "-allow-loopback", "-dashboard-iss", "https://other.example.com"}, 1,
			map[string]string{"JWKS reachable": "PASS", "token verifies": "PASS", "iss matches": "FAIL"}, "must be identical"},
		{"localhost jwksUrl", cfg.Dir, []string{"-jwks-url", jwksURL}, 1,
			map[string]string{"public jwksUrl": "FAIL", "JWKS reachable": "PASS"}, "not localhost"},
		{"no ngrok", cfg.Dir, []string{"-ngrok-api-url", cfg.NgrokAPIURL, "-port", "3000"}, 1,
			map[string]string{"public jwksUrl": "FAIL", "JWKS reachable": "SKIP"}, "ngrok http 3000"},
		{"JWKS down", cfg.Dir, []string{"-jwks-url", closedURL(t) + jwksPath, "-allow-loopback"}, 1,
			map[string]string{"JWKS reachable": "FAIL", "token verifies": "SKIP"}, ""},
		{"no key at all", t.TempDir(), []string{"-jwks-url", jwksURL, "-allow-loopback"}, 1,
			map[string]string{"signing key": "FAIL"}, "JWT_PROVIDER_PUBLIC_KEY not configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, tc.dir, nil, append([]string{"check"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, stderr)
			}
			got := checkLines(t, out)
			for _, it := range items {
				if _, ok := got[it]; !ok {
					t.Errorf("no line for %q:\n%s", it, out)
				}
			}
			for it, st := range tc.want {
				if got[it] != st {
					t.Errorf("%s: %s, want %s\n%s", it, got[it], st, out)
				}
			}
			if tc.text != "" && !strings.Contains(out, tc.text) {
				t.Errorf("output lacks %q:\n%s", tc.text, out)
			}
		})
	}

	// ngrok runs, but only for another port: the jwksUrl it offers is not ours.
	agent := fakeNgrok(t, tunnels(`{"tunnels":[{"public_url":"https://else.ngrok-free.app","proto":"https","config":{"addr":"http://localhost:8080"}}]}`))
	code, out, _ := runCmd(t, cfg.Dir, nil, "check", "-ngrok-api-url", agent, "-port", "3000")
	if code != 1 || checkLines(t, out)["public jwksUrl"] != "FAIL" || !strings.Contains(out, "ngrok http 3000") {
		t.Errorf("tunnel to another port: exit %d\n%s", code, out)
	}

	// A server publishing a different key: unknown kid.
	other := testConfig(t)
	code, out, _ = runCmd(t, other.Dir, nil, "keygen", "-write", ".env.local")
	if code != 0 {
		t.Fatal(out)
	}
	code, out, _ = runCmd(t, other.Dir, nil, "check", "-jwks-url", jwksURL, "-allow-loopback")
	if code != 1 || checkLines(t, out)["JWKS reachable"] != "FAIL" || !strings.Contains(out, "does not publish kid") {
		t.Errorf("other key: exit %d\n%s", code, out)
	}

	// With an environment id, check reads the dashboard values from Dynamic.
	on := dynamictest.NewServer(t, dynamictest.Config{Issuer: defaultIssuer, JWKSURL: jwksURL})
	code, out, _ = runCmd(t, cfg.Dir, nil, "check", "-jwks-url", jwksURL, "-allow-loopback", "-environment-id", on.EnvironmentID(), "-dynamic-api-url", on.URL())
	if code != 0 || checkLines(t, out)["dashboard"] != "PASS" {
		t.Errorf("dashboard on: exit %d\n%s", code, out)
	}
	wrong := dynamictest.NewServer(t, dynamictest.Config{Issuer: "https://elsewhere.example", JWKSURL: jwksURL})
	code, out, _ = runCmd(t, cfg.Dir, nil, "check", "-jwks-url", jwksURL, "-allow-loopback", "-environment-id", wrong.EnvironmentID(), "-dynamic-api-url", wrong.URL())
	if got := checkLines(t, out); code != 1 || got["iss matches"] != "FAIL" || got["dashboard"] != "FAIL" {
		t.Errorf("dashboard iss differs: exit %d\n%s", code, out)
	}
	off := dynamictest.NewServer(t, dynamictest.Config{Disabled: true})
	code, out, _ = runCmd(t, cfg.Dir, nil, "check", "-jwks-url", jwksURL, "-allow-loopback", "-environment-id", off.EnvironmentID(), "-dynamic-api-url", off.URL())
	if code != 1 || checkLines(t, out)["dashboard"] != "FAIL" || !strings.Contains(out, "external auth is off") {
		t.Errorf("dashboard off: exit %d\n%s", code, out)
	}
}

// TestCheckRemote (issue 10): check -remote asks Dynamic itself (the
// fake's externalJwt/check, behind DYNAMIC_API_TOKEN) and never prints
// the API token.
func TestCheckRemote(t *testing.T) {
	cfg := testConfig(t)
	ts := startApp(t, cfg)
	jwksURL := ts.url + jwksPath
	const apiToken = "dyn_check_remote_secret"
	fake := dynamictest.NewServer(t, dynamictest.Config{Issuer: defaultIssuer, JWKSURL: jwksURL, APIToken: apiToken})
	args := []string{"check", "-remote", "-jwks-url", jwksURL, "-allow-loopback", "-environment-id", fake.EnvironmentID(), "-dynamic-api-url", fake.URL()}
	code, out, stderr := runCmd(t, cfg.Dir, map[string]string{"DYNAMIC_API_TOKEN": apiToken}, args...)
	if code != 0 || checkLines(t, out)["Dynamic's check"] != "PASS" || strings.Contains(out+stderr, apiToken) {
		t.Errorf("exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runCmd(t, cfg.Dir, map[string]string{"DYNAMIC_API_TOKEN": "dyn_wrong"}, args...)
	if code != 1 || checkLines(t, out)["Dynamic's check"] != "FAIL" || !strings.Contains(out, "401") {
		t.Errorf("wrong token: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, cfg.Dir, nil, args...)
	if code != 1 || !strings.Contains(out, "needs a dyn_ API token") {
		t.Errorf("no token: exit %d\n%s", code, out)
	}
	if err := fake.Configure(func(c *dynamictest.Config) { c.Issuer = "https://elsewhere.example" }); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, cfg.Dir, map[string]string{"DYNAMIC_API_TOKEN": apiToken}, args...)
	if code != 1 || !strings.Contains(out, "Dynamic refuses a fresh token: external JWT refused: iss mismatch") {
		t.Errorf("iss differs: exit %d\n%s", code, out)
	}
}

// TestCheckLeakyJWKS (issue 9.9): a JWKS that publishes private members
// fails check loudly.
func TestCheckLeakyJWKS(t *testing.T) {
	cfg := testConfig(t)
	var m map[string]any
	if err := json.Unmarshal(testKeyJSON(), &m); err != nil {
		t.Fatal(err)
	}
	leaky, _ := json.Marshal(map[string]any{"keys": []any{m}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(leaky) }))
	defer srv.Close()
	code, out, _ := runCmd(t, cfg.Dir, nil, "check", "-jwks-url", srv.URL, "-allow-loopback")
	if code != 1 || checkLines(t, out)["JWKS reachable"] != "FAIL" || !strings.Contains(out, `publishes the private member "d"`) {
		t.Errorf("leaky JWKS: exit %d\n%s", code, out)
	}
	if strings.Contains(out, m["d"].(string)) {
		t.Error("check printed the private member")
	}
}
