package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The key is generated once, stored 0600, and reused by the next server:
// the kid and the JWKS survive restarts.
func TestKeyPersistsAcrossRestarts(t *testing.T) {
	cfg := testConfig(t)
	os.RemoveAll(cfg.StateDir) // start with nothing
	first := startApp(t, cfg)
	if first.app.key.Origin != "generated" {
		t.Fatalf("first start: origin %s", first.app.key.Origin)
	}
	path := filepath.Join(cfg.StateDir, keyFileName)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %o, want 600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(cfg.StateDir); dst.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %o, want 700", dst.Mode().Perm())
	}
	_, _, jwks1 := first.do(t, "GET", jwksPath, "", "")

	second := startApp(t, cfg)
	if second.app.key.Origin != "state" || second.app.key.Key.ID() != first.app.key.Key.ID() {
		t.Fatalf("second start: origin %s kid %s, want state %s", second.app.key.Origin, second.app.key.Key.ID(), first.app.key.Key.ID())
	}
	_, _, jwks2 := second.do(t, "GET", jwksPath, "", "")
	if string(jwks1) != string(jwks2) {
		t.Errorf("JWKS changed across restarts:\n%s\n%s", jwks1, jwks2)
	}
	entries, _ := os.ReadDir(cfg.StateDir)
	if len(entries) != 2 {
		t.Errorf("state dir holds %v, want only %s and .gitignore", entries, keyFileName)
	}
	// The state directory ignores itself, so the private key cannot be
	// committed from a project that does not list it in its .gitignore.
	if gi, err := os.ReadFile(filepath.Join(cfg.StateDir, ".gitignore")); err != nil || !strings.HasSuffix(string(gi), "\n*\n") {
		t.Errorf(".gitignore in the state dir: %q, %v", gi, err)
	}
	if git, err := exec.LookPath("git"); err == nil {
		repo := cfg.Dir
		if out, err := exec.Command(git, "-C", repo, "init", "-q").CombinedOutput(); err != nil {
			t.Fatalf("git init: %v %s", err, out)
		}
		out, _ := exec.Command(git, "-C", repo, "status", "--porcelain", "--untracked-files=all").CombinedOutput()
		if strings.Contains(string(out), keyFileName) {
			t.Errorf("git would commit the key:\n%s", out)
		}
	}
}

// A -state-dir that already exists (the user's own directory) gets no
// .gitignore from us.
func TestStateDirExistingNoGitignore(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadOrCreateStateKey(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".gitignore")); err == nil {
		t.Error("wrote a .gitignore into an existing directory")
	}
}

// Two devservers starting at once end up with the same key.
func TestKeyCreationRace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	var wg sync.WaitGroup
	kids := make([]string, 4)
	errs := make([]error, 4)
	for i := range kids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ks, err := loadOrCreateStateKey(dir)
			errs[i] = err
			if err == nil {
				kids[i] = ks.Key.ID()
			}
		}()
	}
	wg.Wait()
	for i := range kids {
		if errs[i] != nil || kids[i] != kids[0] {
			t.Fatalf("racers disagree: %v %v", kids, errs)
		}
	}
}

func TestKeyFileProblems(t *testing.T) {
	t.Run("corrupt", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, keyFileName), []byte(`{"kty":"RSA"`), 0o600)
		_, err := loadOrCreateStateKey(dir)
		if err == nil || !strings.Contains(err.Error(), "delete it to generate a new key") {
			t.Fatalf("err = %v", err)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, keyFileName)); string(data) != `{"kty":"RSA"` {
			t.Error("a corrupt key file must not be overwritten")
		}
	})
	t.Run("public only", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, keyFileName), []byte(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`), 0o600)
		if _, err := loadOrCreateStateKey(dir); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("readable by others", func(t *testing.T) {
		// As ssh refuses an unprotected private key file.
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, keyFileName), testKeyJSON(), 0o644)
		os.Chmod(filepath.Join(dir, keyFileName), 0o644) // whatever the umask
		if _, err := loadOrCreateStateKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, keyFileName), 0o700)
		if _, err := loadOrCreateStateKey(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("env wins and names the variable", func(t *testing.T) {
		env := map[string]string{"JWT_PROVIDER_KID": "x"}
		_, err := loadSigningKey(func(k string) string { return env[k] }, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "JWT_PROVIDER_PRIVATE_KEY") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("issuer alone keeps the state key", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, keyFileName), testKeyJSON(), 0o600)
		env := map[string]string{"JWT_PROVIDER_ISSUER": "https://auth.example.com"}
		ks, err := loadSigningKey(func(k string) string { return env[k] }, dir)
		if err != nil || ks.Issuer != "https://auth.example.com" || ks.Origin != "state" {
			t.Fatalf("%v %+v", err, ks)
		}
	})
}

// TestStateDirectoryTrust (issue 9.12): a state directory someone else
// could have planted a key in is refused, with the fix, as ssh refuses a
// ~/.ssh others can write. Each case used to load the planted key.
func TestStateDirectoryTrust(t *testing.T) {
	planted := testKeyJSON()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string // returns the state directory
		want  string
	}{
		{"group-writable directory", func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), ".extauth")
			os.Mkdir(dir, 0o700)
			os.Chmod(dir, 0o770)
			os.WriteFile(filepath.Join(dir, keyFileName), planted, 0o600)
			return dir
		}, "chmod 700"},
		{"world-writable directory without a key yet", func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), ".extauth")
			os.Mkdir(dir, 0o700)
			os.Chmod(dir, 0o777)
			return dir
		}, "chmod 700"},
		{"symlinked directory", func(t *testing.T) string {
			base := t.TempDir()
			real := filepath.Join(base, "elsewhere")
			os.Mkdir(real, 0o700)
			os.WriteFile(filepath.Join(real, keyFileName), planted, 0o600)
			link := filepath.Join(base, ".extauth")
			os.Symlink(real, link)
			return link
		}, "symbolic link"},
		{"symlinked key file", func(t *testing.T) string {
			base := t.TempDir()
			os.WriteFile(filepath.Join(base, "planted.json"), planted, 0o600)
			dir := filepath.Join(base, ".extauth")
			os.Mkdir(dir, 0o700)
			os.Symlink(filepath.Join(base, "planted.json"), filepath.Join(dir, keyFileName))
			return dir
		}, "symbolic link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t)
			ks, err := loadOrCreateStateKey(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("loadOrCreateStateKey = %+v, %v; want an error with %q", ks, err, tc.want)
			}
		})
	}
	if os.Geteuid() == 0 {
		// root can make a directory another user owns: it must be refused.
		dir := filepath.Join(t.TempDir(), ".extauth")
		os.Mkdir(dir, 0o700)
		os.WriteFile(filepath.Join(dir, keyFileName), planted, 0o600)
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := loadOrCreateStateKey(dir); err == nil || !strings.Contains(err.Error(), "is owned by uid 65534") {
			t.Fatalf("directory of another user: %v", err)
		}
	}
}
