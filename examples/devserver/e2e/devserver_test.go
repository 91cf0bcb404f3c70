package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Flags of the devserver that the tests use. They belong to the devserver
// (examples/devserver); keep them in step with its -help output.
const (
	// flagExternalAuthOff makes the local Dynamic report external auth as
	// off in its project settings.
	flagExternalAuthOff = "-local-external-auth=off"
	// flagOtherIssuer makes the local Dynamic expect an iss that differs
	// from the one the devserver signs with, so every sign-in fails.
	flagOtherIssuer = "-local-issuer=https://other-issuer.example.com"
)

// startupTimeout bounds the time from exec to a healthy devserver.
const startupTimeout = 30 * time.Second

// envPrefixesToDrop are the variables of the test's own environment that
// would configure the devserver. The tests always run it with the local
// Dynamic and a fresh key, whatever the machine has set.
var envPrefixesToDrop = []string{"JWT_PROVIDER_", "DYNAMIC_", "NEXT_PUBLIC_DYNAMIC_", "EXTAUTH_", "PORT=", "NGROK_API_URL="}

// devserver is one running devserver process.
type devserver struct {
	// URL is the base URL, such as http://127.0.0.1:41234, without a
	// trailing slash.
	URL string
	// Dir is the working directory of the process (and so the parent of its
	// state directory).
	Dir string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // the result of cmd.Wait, set before done closes
}

// startDevserver starts the devserver binary with the local Dynamic on a free
// loopback port (-port 0), in a fresh working directory, with the extra
// arguments. It waits until the devserver logs that it listens and answers the
// JWKS URL, and stops it when the test ends. The log goes to the artifacts of
// the test.
func startDevserver(t *testing.T, args ...string) *devserver {
	t.Helper()
	if devserverBin == "" {
		t.Fatal("the devserver binary was not built (TestMain did not run?)")
	}
	// A port nobody listens on: the ngrok detection fails fast and the same
	// way on every machine, whether or not ngrok runs there.
	deadPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cmd := exec.Command(devserverBin, append([]string{"serve", "-port", "0"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(os.Environ()),
		"NGROK_API_URL=http://127.0.0.1:"+strconv.Itoa(deadPort),
		"EXTAUTH_LOG_LEVEL=debug", // the tests read the per-request lines
	)
	s := &devserver{Dir: dir, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw

	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			s.out.WriteLine(line)
			if !sent && strings.Contains(line, "listening") && listenURL.MatchString(line) {
				listening <- line
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("exec %s: %v", devserverBin, err)
	}
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })

	timer := time.NewTimer(startupTimeout)
	defer timer.Stop()
	var line string
	select {
	case line = <-listening:
	case <-s.done:
		t.Fatalf("devserver %v exited before it listened (%v); its log:\n%s", args, s.err, s.out.String())
	case <-timer.C:
		t.Fatalf("devserver %v: no \"listening\" log line after %v; its log:\n%s", args, startupTimeout, s.out.String())
	}
	m := listenURL.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("devserver: no loopback URL in its listening line %q", line)
	}
	s.URL = strings.TrimSuffix(m[1], "/")
	if err := waitHealthy(s, time.Until(start.Add(startupTimeout))); err != nil {
		t.Fatal(err)
	}
	t.Logf("devserver %v up at %s after %v", args, s.URL, time.Since(start).Round(time.Millisecond))
	return s
}

// listenURL finds the URL of the devserver in its "listening" line, which
// reads `time=... level=INFO msg=listening url=http://127.0.0.1:PORT`.
var listenURL = regexp.MustCompile(`url=(http://(?:127\.0\.0\.1|\[::1\]):\d+/?)`)

// waitHealthy polls the public JWKS URL until it answers 200.
func waitHealthy(s *devserver, budget time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(budget)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("devserver exited (%v); its log:\n%s", s.err, s.out.String())
		default:
		}
		resp, err := client.Get(s.URL + "/api/dev/jwks")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("GET %s/api/dev/jwks did not answer 200 within the startup time (last: %s); log:\n%s", s.URL, last, s.out.String())
}

// stop ends the process gracefully (SIGINT), kills it if it does not end in
// time, and saves its log. It is safe to call more than once.
func (s *devserver) stop(t *testing.T) {
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Errorf("devserver did not shut down within 10s of SIGINT; killing it")
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	name := "devserver.log"
	path := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(path, []byte(s.out.String()), 0o644); err != nil {
		t.Logf("save the devserver log: %v", err)
	}
	if m := jwtShaped.FindString(s.out.String()); m != "" {
		t.Errorf("the devserver log contains a JWT (%.12s…); tokens must never be logged", m)
	}
	if t.Failed() {
		t.Logf("devserver log (%s):\n%s", s.URL, s.out.String())
	}
}

// jwtShaped matches a compact JWS: base64url JSON header and payload.
var jwtShaped = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.`)

// Log returns what the devserver has written to stdout and stderr so far.
func (s *devserver) Log() string { return s.out.String() }

// assertNotLogged fails the test if the devserver log contains secret.
func (s *devserver) assertNotLogged(t *testing.T, what, secret string) {
	t.Helper()
	if secret != "" && strings.Contains(s.Log(), secret) {
		t.Errorf("the devserver log contains the %s; tokens must never be logged", what)
	}
}

// mint asks the devserver for a token, as the /jwt page does.
func (s *devserver) mint(ctx context.Context, t *testing.T, sub, email string) string {
	t.Helper()
	body := fmt.Sprintf(`{"sub":%q,"email":%q}`, sub, email)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/api/dev/jwt", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /api/dev/jwt: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("POST /api/dev/jwt: read the body: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/dev/jwt: %s: %s", resp.Status, raw)
	}
	var got struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(raw, &got); err != nil || got.Token == "" {
		t.Fatalf("POST /api/dev/jwt: no token in %s (%v)", raw, err)
	}
	return got.Token
}

// jwks fetches the public key set of the devserver.
func (s *devserver) jwks(ctx context.Context, t *testing.T) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/dev/jwks", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /api/dev/jwks: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/dev/jwks: %s %v", resp.Status, err)
	}
	return raw
}

// cleanEnv drops the variables that would configure the devserver.
func cleanEnv(env []string) []string {
	out := env[:0:0]
next:
	for _, kv := range env {
		for _, p := range envPrefixesToDrop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("find a free loopback port: not a TCP address")
	}
	return addr.Port, nil
}

// syncBuffer is a log buffer that the reader goroutine writes and the test
// reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) WriteLine(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(line)
	b.buf.WriteByte('\n')
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
