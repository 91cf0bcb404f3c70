package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startBinary starts the devserver binary bin on a free port in cfg.Dir
// and returns it with its stderr.
func startBinary(t *testing.T, bin string, cfg *config) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(bin, "-port", "0", "-no-dotenv", "-ngrok-api-url", cfg.NgrokAPIURL)
	cmd.Dir = cfg.Dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cfg.Dir}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stderr
}

// The real binary shuts down gracefully on SIGTERM and SIGINT, exit code 0.
func TestSignalShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t, t.TempDir(), "devserver", ".")
	cfg := testConfig(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, stderr := startBinary(t, bin, cfg)
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var all []string
			deadline := time.After(20 * time.Second)
		wait:
			for {
				select {
				case l := <-lines:
					all = append(all, l)
					if listenLine.MatchString(l) {
						break wait
					}
				case <-deadline:
					cmd.Process.Kill()
					t.Fatalf("no listening line:\n%s", strings.Join(all, "\n"))
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for l := range lines {
				all = append(all, l)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit: %v", err)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("did not stop")
			}
			if !strings.Contains(strings.Join(all, "\n"), "msg=stopped") {
				t.Errorf("no graceful stop logged:\n%s", strings.Join(all, "\n"))
			}
		})
	}
}

// A second Ctrl-C during a graceful shutdown that waits for a slow client
// ends the process at once instead of being swallowed.
func TestSecondSignalKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if signal.Ignored(os.Interrupt) {
		t.Skip("SIGINT is ignored in this process (started in the background), so it is in the child too")
	}
	bin := buildBinary(t, t.TempDir(), "devserver", ".")
	cfg := testConfig(t)
	cmd, stderr := startBinary(t, bin, cfg)
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	var base string
	for sc.Scan() {
		if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	shuttingDown := make(chan struct{})
	go func() {
		for sc.Scan() {
			if strings.Contains(sc.Text(), `msg="shutting down"`) {
				close(shuttingDown)
				break
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	if base == "" {
		t.Fatal("no listening line")
	}
	// A client that sends half a body keeps Shutdown waiting.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", jwtPath, strings.TrimPrefix(base, "http://"))
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-shuttingDown:
	case <-time.After(10 * time.Second):
		t.Fatal("the first SIGINT did not start a shutdown")
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the second SIGINT took %v to end the process", d)
		}
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatal("did not stop")
	}
}

// Every phase of a request is bounded (slowloris, stalled bodies, idle
// keep-alives) and headers are capped.
func TestServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), newLogger(io.Discard, slog.LevelInfo))
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout,
	} {
		if d <= 0 || d > 2*time.Minute {
			t.Errorf("%s = %v, want a bound of at most 2m", name, d)
		}
	}
	if srv.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout = %v: a slowloris client holds a connection that long", srv.ReadHeaderTimeout)
	}
	// A sign-in waits up to dynamicTimeout for Dynamic: the write deadline
	// must leave room for it.
	if srv.WriteTimeout <= dynamicTimeout {
		t.Errorf("WriteTimeout %v <= the Dynamic call bound %v: slow sign-ins would be cut off without an answer", srv.WriteTimeout, dynamicTimeout)
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d", srv.MaxHeaderBytes)
	}
	if srv.ErrorLog == nil {
		t.Error("no ErrorLog: net/http would write to the standard logger")
	}
}
