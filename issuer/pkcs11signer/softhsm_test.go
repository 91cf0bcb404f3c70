package pkcs11signer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The tests run against SoftHSM2 with a token of their own, initialised in
// a temporary directory.
const (
	testToken = "extauth-test"
	testPIN   = "1234-test"
)

const howToRun = "SoftHSM2 is not installed: on Debian, apt-get install softhsm2 (the tests initialise their own token); with CI set, this fails instead of skipping"

var (
	softhsmLib string // the PKCS#11 module, "" without SoftHSM2
	softhsmErr error
)

func findSoftHSM() (string, error) {
	for _, p := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so"} {
		if _, err := os.Stat(p); err == nil {
			if _, err := exec.LookPath("softhsm2-util"); err != nil {
				return "", fmt.Errorf("%s", howToRun)
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("%s", howToRun)
}

// initToken points SoftHSM2 at a fresh token directory (SOFTHSM2_CONF) and
// initialises the test token in it.
func initToken(dir string) error {
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return err
	}
	if err := os.Setenv("SOFTHSM2_CONF", conf); err != nil {
		return err
	}
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", testToken, "--pin", testPIN, "--so-pin", "5678-test").CombinedOutput()
	if err != nil {
		return fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
	}
	return nil
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pkcs11signer-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	softhsmLib, softhsmErr = findSoftHSM()
	if softhsmErr == nil {
		if softhsmErr = initToken(dir); softhsmErr != nil {
			softhsmLib = ""
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// openToken logs in to the test token; the test skips (fails under CI)
// without SoftHSM2.
func openToken(t testing.TB) *Token {
	t.Helper()
	needSoftHSM(t)
	tok, err := Open(Config{Path: softhsmLib, TokenLabel: testToken, PIN: testPIN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tok.Close() })
	return tok
}

// needSoftHSM skips the test (fails it under CI) without SoftHSM2.
func needSoftHSM(t testing.TB) {
	t.Helper()
	if softhsmLib == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("SoftHSM2: %v", softhsmErr)
		}
		t.Skipf("SoftHSM2: %v", softhsmErr)
	}
}
