package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/jwks"
)

func runCmd(t *testing.T, dir string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &sysEnv{getenv: func(k string) string { return env[k] }, dir: dir, stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestKeygenOutputFormat(t *testing.T) {
	code, out, stderr := runCmd(t, t.TempDir(), nil, "keygen")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// stdout holds the four assignments only, so `keygen > .env.local`
	// and `. .env.local` work (issue 12.4); the prose goes to stderr.
	lines := strings.Split(out, "\n")
	if len(lines) != 5 || lines[4] != "" {
		t.Fatalf("want 4 lines + final newline, got %d:\n%.300s", len(lines), out)
	}
	if !strings.Contains(stderr, "Add these lines to your .env.local") || strings.Contains(stderr, "JWT_PROVIDER_PRIVATE_KEY") {
		t.Errorf("stderr = %q", stderr)
	}
	kidRE := regexp.MustCompile(`^JWT_PROVIDER_KID=(demo-key-\d{13})$`)
	m := kidRE.FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("line 1 = %q", lines[0])
	}
	kid := m[1]
	if lines[1] != "JWT_PROVIDER_ISSUER=https://demo-jwt-provider.example.com" {
		t.Errorf("line 2 = %q", lines[1])
	}
	pub := strings.TrimPrefix(lines[2], "JWT_PROVIDER_PUBLIC_KEY=")
	priv := strings.TrimPrefix(lines[3], "JWT_PROVIDER_PRIVATE_KEY=")
	for _, v := range []string{pub, priv} {
		if !strings.HasPrefix(v, `'{"kty":"RSA","n":"`) || !strings.HasSuffix(v, `","kid":"`+kid+`","use":"sig","alg":"RS256"}'`) {
			t.Errorf("not the demo's single-quoted compact JWK: %.60s…", v)
		}
	}
	key, err := issuer.ParseJWK([]byte(strings.Trim(priv, "'")))
	if err != nil {
		t.Fatalf("ParseJWK(private): %v", err)
	}
	if key.ID() != kid {
		t.Errorf("kid %q, want %q", key.ID(), kid)
	}
	pk, err := jwks.ParseKey([]byte(strings.Trim(pub, "'")))
	if err != nil || !pk.Public.Equal(key.Public().Public) {
		t.Errorf("public key does not match private: %v", err)
	}
	// Member order like jose: private kty,n,e,d,p,q,dp,dq,qi,kid,use,alg.
	var order []string
	dec := json.NewDecoder(strings.NewReader(strings.Trim(priv, "'")))
	dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		order = append(order, tok.(string))
		dec.Token()
	}
	if got := strings.Join(order, ","); got != "kty,n,e,d,p,q,dp,dq,qi,kid,use,alg" {
		t.Errorf("member order %s", got)
	}
	// And the four lines load back as the devserver's key.
	env := map[string]string{}
	for _, l := range lines[:4] {
		k, v, _ := strings.Cut(l, "=")
		env[k] = v
	}
	k2, _, err := issuer.LoadEnv(func(k string) string { return env[k] })
	if err != nil || k2.ID() != kid {
		t.Errorf("LoadEnv: %v", err)
	}
}

func TestKeygenFlags(t *testing.T) {
	code, out, stderr := runCmd(t, t.TempDir(), nil, "keygen", "-issuer", "https://auth.example.com", "-kid", "k1", "-bits", "3072")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(out, "JWT_PROVIDER_KID=k1\nJWT_PROVIDER_ISSUER=https://auth.example.com\n") {
		t.Errorf("flags not applied:\n%.200s", out)
	}
	priv := out[strings.Index(out, "JWT_PROVIDER_PRIVATE_KEY='")+26 : len(out)-2]
	key, err := issuer.ParseJWK([]byte(priv))
	if err != nil {
		t.Fatal(err)
	}
	if n := key.Public().Public.N.BitLen(); n != 3072 {
		t.Errorf("bits %d", n)
	}
	for _, args := range [][]string{{"-bits", "1024"}, {"-kid", "has'quote"}, {"-issuer", "a b"}, {"-bits", "x"}, {"extra"}} {
		if code, _, _ := runCmd(t, t.TempDir(), nil, append([]string{"keygen"}, args...)...); code == 0 {
			t.Errorf("keygen %v: exit 0, want failure", args)
		}
	}
}

func TestKeygenWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env.local")
	old := "# mine\nNEXT_PUBLIC_DYNAMIC_ENVIRONMENT_ID=2b1f0c1e-1111-4a4a-9c9c-0123456789ab\nJWT_PROVIDER_KID=old\nDYNAMIC_WEBHOOK_SECRET='s3cr3t'\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, dir, nil, "keygen", "-write", ".env.local", "-kid", "new-kid")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "PRIVATE_KEY='") || strings.Contains(out, `"d":`) {
		t.Errorf("-write must not print the key: %s", out)
	}
	data, _ := os.ReadFile(path)
	got := string(data)
	if !strings.HasPrefix(got, "# mine\nNEXT_PUBLIC_DYNAMIC_ENVIRONMENT_ID=2b1f0c1e-1111-4a4a-9c9c-0123456789ab\nJWT_PROVIDER_KID=new-kid\nDYNAMIC_WEBHOOK_SECRET='s3cr3t'\n\n") {
		t.Errorf("other lines not preserved:\n%s", got)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 600", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	// The devserver loads the written key.
	cfg, err := resolveConfig(&flagVals{}, func(string) string { return "" }, dir)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := loadSigningKey(cfg.Getenv, cfg.StateDir)
	if err != nil || ks.Key.ID() != "new-kid" || ks.Origin != "env" {
		t.Fatalf("load written key: %v %+v", err, ks)
	}
	// A second -write replaces the four lines in place.
	if code, _, stderr := runCmd(t, dir, nil, "keygen", "-write", path, "-kid", "newer"); code != 0 {
		t.Fatal(stderr)
	}
	data, _ = os.ReadFile(path)
	if strings.Count(string(data), "JWT_PROVIDER_") != 4 || !strings.Contains(string(data), "JWT_PROVIDER_KID=newer\n") {
		t.Errorf("second write:\n%s", data)
	}
}

// TestKeygenWriteRefusesSymlinks (issue 9.10): a symlinked or dangling
// .env.local would make keygen replace its target, anywhere, with a file
// holding the private key.
func TestKeygenWriteRefusesSymlinks(t *testing.T) {
	for name, target := range map[string]string{"existing target": "victim.txt", "dangling": "missing/nowhere.env"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(dir, target)
			if name == "existing target" {
				os.WriteFile(victim, []byte("precious\n"), 0o644)
			}
			os.Symlink(victim, filepath.Join(dir, ".env.local"))
			code, _, stderr := runCmd(t, dir, nil, "keygen", "-write", ".env.local")
			if code == 0 || !strings.Contains(stderr, "is a symbolic link") {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if data, err := os.ReadFile(victim); name == "existing target" && string(data) != "precious\n" || name == "dangling" && err == nil {
				t.Errorf("the link's target was written: %q, %v", data, err)
			}
		})
	}
}

// TestKeygenWriteUnterminatedQuote (issue 9.11): after OTHER="abc the
// appended lines would be swallowed by the open quote; keygen refuses and
// names the line.
func TestKeygenWriteUnterminatedQuote(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env.local")
	old := "FIRST=1\nOTHER=\"abc\nLAST=2\n"
	os.WriteFile(path, []byte(old), 0o600)
	code, _, stderr := runCmd(t, dir, nil, "keygen", "-write", ".env.local")
	if code == 0 || !strings.Contains(stderr, "line 2: OTHER has an unterminated") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(path); string(data) != old {
		t.Errorf("file changed:\n%s", data)
	}
}

// TestKeygenWriteKeepsIssuer (issue 12.1): -write keeps the file's issuer
// unless -issuer is given, and says when it changes it.
func TestKeygenWriteKeepsIssuer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env.local")
	os.WriteFile(path, []byte("JWT_PROVIDER_ISSUER=https://mine.example\n"), 0o600)
	if code, _, stderr := runCmd(t, dir, nil, "keygen", "-write", ".env.local"); code != 0 {
		t.Fatal(stderr)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "JWT_PROVIDER_ISSUER=https://mine.example\n") {
		t.Fatalf("issuer not kept:\n%.300s", data)
	}
	code, _, stderr := runCmd(t, dir, nil, "keygen", "-write", ".env.local", "-issuer", "https://new.example")
	if code != 0 || !strings.Contains(stderr, "JWT_PROVIDER_ISSUER changed https://mine.example -> https://new.example") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "JWT_PROVIDER_ISSUER=https://new.example\n") {
		t.Fatalf("issuer not changed:\n%.300s", data)
	}
}

func TestJWKSCommand(t *testing.T) {
	cfg := testConfig(t)
	code, out, stderr := runCmd(t, cfg.Dir, nil, "jwks")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &set); err != nil || len(set.Keys) != 1 || set.Keys[0]["kid"] != "test-key-1" {
		t.Fatalf("jwks output %q: %v", out, err)
	}
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := set.Keys[0][m]; ok {
			t.Errorf("private member %q in jwks output", m)
		}
	}
}

// TestJWKSCommandCreatesNoKey (issue 12.10): printing the JWKS in a fresh
// directory says how to get a key instead of creating one.
func TestJWKSCommandCreatesNoKey(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCmd(t, dir, nil, "jwks")
	if code == 0 || out != "" || !strings.Contains(stderr, "keygen -write .env.local") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".extauth")); err == nil {
		t.Error("jwks created a state directory")
	}
}
