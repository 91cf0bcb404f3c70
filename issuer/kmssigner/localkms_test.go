package kmssigner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// The tests run against local-kms (github.com/nsmithuk/local-kms, the
// version .ci/adapters pins). local-kms listens on every interface, so the
// test binary re-executes itself in a network namespace of its own
// (unshare -n; unshare -rn when not root) where loopback is the only
// interface, and starts local-kms there.

const howToRun = "local-kms is not installed: go install github.com/nsmithuk/local-kms@v0.0.0-20260228092603-2a5e92d09ab6 (bash .ci/adapters does it); with CI set, this fails instead of skipping"

// inNamespace marks the re-executed test binary.
const inNamespace = "EXTAUTH_KMSSIGNER_NETNS"

var (
	kmsURL string // local-kms's endpoint, "" without it
	kmsErr error
)

func findLocalKMS() (string, error) {
	if p, err := exec.LookPath("local-kms"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(filepath.SplitList(gopath)[0], "bin", "local-kms")
	if _, err := os.Stat(p); err != nil {
		return "", errors.New(howToRun)
	}
	return p, nil
}

// reexec runs this test binary again in a new network namespace and
// returns its exit code; ok is false when no namespace can be had.
func reexec() (code int, ok bool, err error) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return 0, false, errors.New("local-kms listens on every interface and unshare (util-linux) is missing to isolate it")
	}
	flags := "-n"
	if os.Geteuid() != 0 {
		flags = "-rn" // an unprivileged user namespace
	}
	if out, err := exec.Command(unshare, flags, "true").CombinedOutput(); err != nil {
		return 0, false, fmt.Errorf("local-kms listens on every interface and this machine gives no network namespace to isolate it (unshare %s: %v: %s): run as root or enable unprivileged user namespaces", flags, err, strings.TrimSpace(string(out)))
	}
	cmd := exec.Command(unshare, append([]string{flags, "--", os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), inNamespace+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), true, nil
		}
		return 0, false, err
	}
	return 0, true, nil
}

// onlyLoopback brings up lo in the fresh namespace and checks that it is
// the only interface.
func onlyLoopback() error {
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("ip link set lo up: %v: %s", err, out)
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			return fmt.Errorf("interface %s is in the test's network namespace: refusing to start local-kms", i.Name)
		}
	}
	return nil
}

// startLocalKMS starts local-kms on a free loopback port with its data in
// dir; the returned function stops it.
func startLocalKMS(bin, dir string) (url string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logFile, err := os.Create(filepath.Join(dir, "local-kms.log"))
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "KMS_DATA_PATH="+filepath.Join(dir, "data"),
		"KMS_REGION=eu-west-2", "KMS_ACCOUNT_ID=111122223333")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return "", nil, fmt.Errorf("start local-kms: %w", err)
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logFile.Close() }
	url = "http://127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return url, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(filepath.Join(dir, "local-kms.log"))
			return "", nil, fmt.Errorf("local-kms did not listen in 20 s: %s", log)
		}
	}
}

func TestMain(m *testing.M) {
	bin, err := findLocalKMS()
	if err != nil {
		kmsErr = err
		os.Exit(m.Run())
	}
	if os.Getenv(inNamespace) == "" {
		code, ok, err := reexec()
		if ok {
			os.Exit(code)
		}
		kmsErr = err
		os.Exit(m.Run())
	}
	if kmsErr = onlyLoopback(); kmsErr != nil {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "kmssigner-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var stop func()
	kmsURL, stop, kmsErr = startLocalKMS(bin, dir)
	code := m.Run()
	if stop != nil {
		stop()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// client is a KMS client of local-kms at url (or of a proxy in front of
// it); the test skips (fails under CI) without local-kms.
func client(t testing.TB, url string) *kms.Client {
	t.Helper()
	if kmsURL == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("local-kms: %v", kmsErr)
		}
		t.Skipf("local-kms: %v", kmsErr)
	}
	if url == "" {
		url = kmsURL
	}
	return kms.New(kms.Options{
		Region: "eu-west-2", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		HTTPClient: &http.Client{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	})
}
