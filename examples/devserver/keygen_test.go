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
	lines := strings.Split(out, "\n")
	if len(lines) != 10 || lines[9] != "" {
		t.Fatalf("want 9 lines + final newline, got %d:\n%s", len(lines), out)
	}
	head := []string{"Generating RSA-256 key pair...", "", "Add the following to your .env.local:", "", keygenHeader}
	for i, want := range head {
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want)
		}
	}
	kidRE := regexp.MustCompile(`^JWT_PROVIDER_KID=(demo-key-\d{13})$`)
	m := kidRE.FindStringSubmatch(lines[5])
	if m == nil {
		t.Fatalf("line 6 = %q", lines[5])
	}
	kid := m[1]
	if lines[6] != "JWT_PROVIDER_ISSUER=https://demo-jwt-provider.example.com" {
		t.Errorf("line 7 = %q", lines[6])
	}
	pub := strings.TrimPrefix(lines[7], "JWT_PROVIDER_PUBLIC_KEY=")
	priv := strings.TrimPrefix(lines[8], "JWT_PROVIDER_PRIVATE_KEY=")
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
	for _, l := range lines[5:9] {
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
	if !strings.Contains(out, "\nJWT_PROVIDER_KID=k1\nJWT_PROVIDER_ISSUER=https://auth.example.com\n") {
		t.Errorf("flags not applied:\n%s", out)
	}
	priv := out[strings.Index(out, "JWT_PROVIDER_PRIVATE_KEY='")+26 : len(out)-2]
	key, err := issuer.ParseJWK([]byte(priv))
	if err != nil {
		t.Fatal(err)
	}
	if n := key.Public().Public.N.BitLen(); n != 3072 {
		t.Errorf("bits %d", n)
	}
	for _, args := range [][]string{{"-bits", "1024"}, {"-kid", "has'quote"}, {"-issuer", ""}, {"-bits", "x"}, {"extra"}} {
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
