package pgstore

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// server is a PostgreSQL started for the tests: a fresh cluster in a
// temporary directory, listening on loopback only.
type server struct {
	dir  string
	port int
	cmd  *exec.Cmd
}

// howToRun is what a skipped test says.
const howToRun = "PostgreSQL is not installed: on Debian, apt-get install postgresql (the tests start their own server on 127.0.0.1); with CI set, this fails instead of skipping"

// pgBinDir finds initdb and postgres: pg_config's bindir, then Debian's
// /usr/lib/postgresql/<version>/bin, then $PATH.
func pgBinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) > 0 {
		return filepath.Dir(m[len(m)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("%s", howToRun)
}

// serverUser is who runs the PostgreSQL binaries: the user "postgres"
// when the tests run as root (PostgreSQL refuses to run as root), nil
// (this process's user) otherwise.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the user postgres (Debian's postgresql package creates it): %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func command(cred *syscall.Credential, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer initialises and starts a cluster; the caller stops it.
func startServer() (*server, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgstore-test")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir}
	cred, err := serverUser()
	if err != nil {
		s.remove()
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			s.remove()
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := command(cred, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		s.remove()
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		s.remove()
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		s.remove()
		return nil, err
	}
	defer logFile.Close()
	s.cmd = command(cred, filepath.Join(bin, "postgres"), "-D", data, "-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-k", dir, "-F")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		s.remove()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		pool, err := pgxpool.New(ctx, s.url())
		if err == nil {
			err = pool.Ping(ctx)
			pool.Close()
		}
		if err == nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			s.stop()
			return nil, fmt.Errorf("postgres did not accept connections in 30 s: %w\n%s", err, log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *server) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// stop shuts the server down (fast shutdown) and removes its files.
func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
	s.remove()
}

func (s *server) remove() { _ = os.RemoveAll(s.dir) }

var (
	testServer    *server
	testServerErr error
)

func TestMain(m *testing.M) {
	testServer, testServerErr = startServer()
	code := m.Run()
	if testServer != nil {
		testServer.stop()
	}
	os.Exit(code)
}

// newPool is a pool on the test server; the test skips (fails under CI)
// when there is no server.
func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	if testServer == nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL: %v", testServerErr)
		}
		t.Skipf("PostgreSQL: %v", testServerErr)
	}
	pool, err := pgxpool.New(context.Background(), testServer.url())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// table is a table name of its own for each test.
func table(t testing.TB) string {
	return "keyset_" + strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))
}
