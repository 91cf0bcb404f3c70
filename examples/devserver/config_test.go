package main

import (
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDotenv(t *testing.T) {
	in := strings.Join([]string{
		"# comment",
		"",
		"PLAIN=value # trailing comment",
		"export EXPORTED=yes",
		"export\tTABBED=yes",
		"exported=no-prefix",
		`SINGLE='{"kty":"RSA","n":"a#b"}'`,
		`DOUBLE="line1\nline2 \"q\""`,
		`MULTI="first`,
		`second"`,
		"SPACED =  padded  ",
		"EMPTY=",
		"not an assignment",
		"1BAD=x",
		"URL=https://example.com/a?b=c#frag",
	}, "\n")
	got, warns := parseDotenv([]byte(in))
	want := map[string]string{
		"PLAIN":    "value",
		"EXPORTED": "yes",
		"TABBED":   "yes",
		"exported": "no-prefix",
		"SINGLE":   `{"kty":"RSA","n":"a#b"}`,
		"DOUBLE":   "line1\nline2 \"q\"",
		"MULTI":    "first\nsecond",
		"SPACED":   "padded",
		"EMPTY":    "",
		"URL":      "https://example.com/a?b=c#frag",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d vars %v, want %d", len(got), got, len(want))
	}
	if len(warns) != 2 {
		t.Errorf("warnings = %q, want 2 (one per bad line)", warns)
	}
}

func TestParseDotenvUnterminated(t *testing.T) {
	got, warns := parseDotenv([]byte("A='open\nB=2\n# c\nC=\"x\n"))
	if _, ok := got["A"]; ok || len(warns) != 2 {
		t.Errorf("got %v warnings %q; want A and C skipped with a warning each", got, warns)
	}
	// One broken value must not swallow the assignments after it.
	if got["B"] != "2" {
		t.Errorf("B = %q, want 2 (got %v)", got["B"], got)
	}
}

// The demo's .env.local (single-quoted JSON keys) works unchanged.
func TestDemoEnvLocal(t *testing.T) {
	data, err := os.ReadFile("testdata/demo.env.local")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env.local"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := resolveConfig(&flagVals{}, func(string) string { return "" }, dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EnvironmentID != "2b1f0c1e-1111-4a4a-9c9c-0123456789ab" {
		t.Errorf("EnvironmentID = %q (from NEXT_PUBLIC_DYNAMIC_ENVIRONMENT_ID)", cfg.EnvironmentID)
	}
	ks, err := loadSigningKey(cfg.Getenv, cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Origin != "env" || ks.Key.ID() != "demo-key-1739180000000" || ks.Issuer != defaultIssuer {
		t.Errorf("key from %s kid %s iss %s", ks.Origin, ks.Key.ID(), ks.Issuer)
	}
	if _, err := os.Stat(cfg.StateDir); err == nil {
		t.Error("a key from the environment must not create the state directory")
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT=1111\nNGROK_API_URL=http://127.0.0.1:1\nDYNAMIC_API_URL=http://127.0.0.1:9/api/v0\n"), 0o600)
	os.WriteFile(filepath.Join(dir, ".env.local"), []byte("PORT=2222\nNGROK_API_URL=http://127.0.0.1:2\n"), 0o600)
	env := map[string]string{"PORT": "3333"}
	getenv := func(k string) string { return env[k] }

	parse := func(args ...string) *config {
		t.Helper()
		var fv flagVals
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fv.register(fs, "serve")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		cfg, err := resolveConfig(&fv, getenv, dir)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := parse("-port", "4444")
	if cfg.Port != 4444 {
		t.Errorf("flag: port %d, want 4444", cfg.Port)
	}
	cfg = parse()
	if cfg.Port != 3333 || cfg.NgrokAPIURL != "http://127.0.0.1:2" || cfg.DynamicAPIURL != "http://127.0.0.1:9/api/v0" {
		t.Errorf("env/.env.local/.env: port %d ngrok %s dynamic %s", cfg.Port, cfg.NgrokAPIURL, cfg.DynamicAPIURL)
	}
	delete(env, "PORT")
	if cfg = parse(); cfg.Port != 2222 {
		t.Errorf(".env.local: port %d, want 2222", cfg.Port)
	}
	if cfg = parse("-no-dotenv"); cfg.Port != defaultPort || cfg.NgrokAPIURL != defaultNgrokAPI || cfg.StateDir != filepath.Join(dir, defaultStateDir) {
		t.Errorf("defaults: port %d ngrok %s state %s", cfg.Port, cfg.NgrokAPIURL, cfg.StateDir)
	}
	if cfg.LocalExternalAuth != true || cfg.Host != "127.0.0.1" {
		t.Errorf("defaults: local external auth %v host %s", cfg.LocalExternalAuth, cfg.Host)
	}
	env["DYNAMIC_ENVIRONMENT_ID"] = "A"
	env["NEXT_PUBLIC_DYNAMIC_ENVIRONMENT_ID"] = "B"
	if cfg = parse(); cfg.EnvironmentID != "A" {
		t.Errorf("DYNAMIC_ENVIRONMENT_ID wins over NEXT_PUBLIC_: %q", cfg.EnvironmentID)
	}
	if cfg = parse("-local-external-auth=false", "-local-issuer", "https://other.example"); cfg.LocalExternalAuth || cfg.LocalIssuer != "https://other.example" {
		t.Errorf("local flags: %v %q", cfg.LocalExternalAuth, cfg.LocalIssuer)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		fv   flagVals
		want string
	}{
		{"port not a number", flagVals{port: "abc"}, "port \"abc\""},
		{"port out of range", flagVals{port: "70000"}, "between 0 and 65535"},
		{"host not loopback", flagVals{host: "0.0.0.0"}, "not a loopback address"},
		{"bad ngrok url", flagVals{ngrokAPI: "ftp://x"}, "NGROK_API_URL"},
		{"bad dynamic url", flagVals{dynamicAPI: "::"}, "DYNAMIC_API_URL"},
		{"bad local external auth", flagVals{localExternalAuth: "maybe"}, "use on or off"},
		{"bad log level", flagVals{logLevel: "loud"}, "-log-level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fv.noDotenv = true
			_, err := resolveConfig(&tc.fv, func(string) string { return "" }, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestUpdateDotenv(t *testing.T) {
	old := "# my settings\nNEXT_PUBLIC_DYNAMIC_ENVIRONMENT_ID=abc\nJWT_PROVIDER_KID=old\n" +
		"export JWT_PROVIDER_ISSUER=https://old.example\nJWT_PROVIDER_PRIVATE_KEY='{\"old\":\n\"multi\"}'\nOTHER=1 # keep\nJWT_PROVIDER_KID=dup\n"
	vals := map[string]string{
		"JWT_PROVIDER_KID": "new", "JWT_PROVIDER_ISSUER": "https://new.example",
		"JWT_PROVIDER_PUBLIC_KEY": "'{\"p\":1}'", "JWT_PROVIDER_PRIVATE_KEY": "'{\"s\":1}'",
	}
	got := string(updateDotenv([]byte(old), keygenHeader, envOrder, vals))
	want := "# my settings\nNEXT_PUBLIC_DYNAMIC_ENVIRONMENT_ID=abc\nJWT_PROVIDER_KID=new\n" +
		"export JWT_PROVIDER_ISSUER=https://new.example\nJWT_PROVIDER_PRIVATE_KEY='{\"s\":1}'\nOTHER=1 # keep\n" +
		"\nJWT_PROVIDER_PUBLIC_KEY='{\"p\":1}'\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Empty file: header plus the four lines.
	got = string(updateDotenv(nil, keygenHeader, envOrder, vals))
	if !strings.HasPrefix(got, keygenHeader+"\nJWT_PROVIDER_KID=new\n") || strings.Count(got, "\n") != 5 {
		t.Errorf("fresh file:\n%s", got)
	}
	// A value whose quote is never closed is one line: the lines after it
	// are kept (they were being swallowed up to the end of the file).
	got = string(updateDotenv([]byte("JWT_PROVIDER_KID='broken\nOTHER=keep\n# comment\n"), keygenHeader, envOrder, vals))
	if !strings.HasPrefix(got, "JWT_PROVIDER_KID=new\nOTHER=keep\n# comment\n\n") {
		t.Errorf("unterminated old value:\n%s", got)
	}
	// Continuation lines of someone else's multi-line value are not ours,
	// even when they look like an assignment.
	other := "OTHER=\"a\nJWT_PROVIDER_KID=inside\"\n"
	got = string(updateDotenv([]byte(other), keygenHeader, envOrder, vals))
	if !strings.HasPrefix(got, other+"\n"+keygenHeader+"\nJWT_PROVIDER_KID=new\n") {
		t.Errorf("multi-line value of another variable:\n%s", got)
	}
	// CRLF files stay CRLF.
	got = string(updateDotenv([]byte("A=1\r\nJWT_PROVIDER_KID=old\r\nexport JWT_PROVIDER_ISSUER=x\r\n# c\r\n"), keygenHeader, envOrder, vals))
	if !strings.HasPrefix(got, "A=1\r\nJWT_PROVIDER_KID=new\r\nexport JWT_PROVIDER_ISSUER=https://new.example\r\n# c\r\n\r\nJWT_PROVIDER_PUBLIC_KEY=") ||
		strings.Count(got, "\n") != strings.Count(got, "\r\n") {
		t.Errorf("CRLF file:\n%q", got)
	}
	got = string(updateDotenv([]byte("export\t JWT_PROVIDER_KID=old\n"), keygenHeader, envOrder, vals))
	if !strings.HasPrefix(got, "export\t JWT_PROVIDER_KID=new\n") || strings.Count(got, "JWT_PROVIDER_KID") != 1 {
		t.Errorf("export with a tab:\n%q", got)
	}
	// A BOM (as some Windows editors write) stays, and the line behind it
	// is still found.
	got = string(updateDotenv([]byte("\ufeffJWT_PROVIDER_KID=old\nA=1\n"), keygenHeader, envOrder, vals))
	if !strings.HasPrefix(got, "\ufeffJWT_PROVIDER_KID=new\nA=1\n") || strings.Count(got, "JWT_PROVIDER_KID") != 1 {
		t.Errorf("BOM file:\n%q", got)
	}
	// No trailing newline in the old file.
	got = string(updateDotenv([]byte("A=1"), keygenHeader, envOrder, vals))
	if !strings.HasPrefix(got, "A=1\n\n"+keygenHeader+"\n") {
		t.Errorf("append after unterminated line:\n%s", got)
	}
}

// TestIssuerFlagWithEnvKey (issue 12.3): with only JWT_PROVIDER_PRIVATE_KEY
// set, -issuer wins, and without it the documented default applies.
func TestIssuerFlagWithEnvKey(t *testing.T) {
	env := map[string]string{"JWT_PROVIDER_PRIVATE_KEY": "'" + string(testKeyJSON()) + "'"}
	for _, tc := range []struct {
		flag, want string
	}{{"https://x.example", "https://x.example"}, {"", defaultIssuer}} {
		cfg, err := resolveConfig(&flagVals{issuer: tc.flag, noDotenv: true}, func(k string) string { return env[k] }, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		a, err := newApp(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("-issuer %q: %v", tc.flag, err)
		}
		if a.issuer != tc.want || a.key.Origin != "env" {
			t.Errorf("-issuer %q: issuer %q from %s, want %q from env", tc.flag, a.issuer, a.key.Origin, tc.want)
		}
	}
}

// TestLocalDynamicOrigins: only loopback origins may be listed.
func TestLocalDynamicOrigins(t *testing.T) {
	got, err := parseOrigins(" http://localhost:5173, https://127.0.0.1:8443 ,http://[::1]:3001/")
	if err != nil || strings.Join(got, " ") != "http://localhost:5173 https://127.0.0.1:8443 http://[::1]:3001" {
		t.Errorf("parseOrigins = %v, %v", got, err)
	}
	for _, bad := range []string{"http://example.com", "http://192.168.1.2:5173", "localhost:5173", "ftp://localhost", "http://localhost:5173/app", "http://u@localhost:1", "http://localhost:evil.example"} {
		if _, err := parseOrigins(bad); err == nil {
			t.Errorf("parseOrigins(%q) accepted", bad)
		}
	}
	// A listed origin passes the guard on the local Dynamic only.
	r := httptest.NewRequest("POST", localDynPrefix+"/api/v0/sdk/x/externalAuth/signin", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Host = "127.0.0.1:3000"
	r.Header.Set("Origin", "http://localhost:5173")
	r.Header.Set("Sec-Fetch-Site", "same-site")
	if reason := notLoopback(r, []string{"http://localhost:5173"}); reason != "" {
		t.Errorf("listed origin refused: %s", reason)
	}
	if reason := notLoopback(r, nil); reason == "" {
		t.Error("unlisted origin let through")
	}
	r.URL.Path = jwtPath
	if reason := notLoopback(r, []string{"http://localhost:5173"}); reason == "" {
		t.Error("a listed origin may mint tokens")
	}
	r.URL.Path = localDynPrefix + "/api/v0/sdk/x/settings"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	if reason := notLoopback(r, []string{"http://localhost:5173"}); reason == "" {
		t.Error("a listed origin through a tunnel let through")
	}
}
