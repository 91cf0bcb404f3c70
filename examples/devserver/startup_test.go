package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

// Startup latency: exec → first byte of GET /api/dev/jwks, with a
// persisted key, against a floor binary that only listens and writes fixed
// bytes (testdata/floorserver), measured in the same run:
//
//	go test ./examples/devserver -run '^$' -bench 'Startup' -benchtime 20x -count 3

var listenLine = regexp.MustCompile(`msg=listening url=(http://\S+)`)

// buildBinary builds pkg into dir and returns the executable's path.
func buildBinary(b testing.TB, dir, name, pkg string) string {
	b.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	return out
}

// timeToFirstJWKSByte execs bin and measures until the first body byte of
// its JWKS arrives.
func timeToFirstJWKSByte(b *testing.B, bin, dir string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stderr)
	var base string
	for sc.Scan() {
		if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		b.Fatalf("%s printed no listening line", bin)
	}
	go io.Copy(io.Discard, stderr)
	resp, err := http.Get(base + jwksPath)
	if err != nil {
		b.Fatal(err)
	}
	var one [1]byte
	if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	resp.Body.Close()
	return d
}

func benchStartup(b *testing.B, bin, dir string, args ...string) {
	timeToFirstJWKSByte(b, bin, dir, args...) // warm the page cache
	var ds []time.Duration
	b.ResetTimer()
	for range b.N {
		ds = append(ds, timeToFirstJWKSByte(b, bin, dir, args...))
	}
	b.StopTimer()
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(ds[len(ds)*9/10].Microseconds())/1000, "p90-ms")
}

func BenchmarkStartupFirstJWKSByte(b *testing.B) {
	cfg := testConfig(b) // persisted key in <dir>/.extauth/key.json
	bin := buildBinary(b, b.TempDir(), "devserver", ".")
	benchStartup(b, bin, cfg.Dir, "-port", "0", "-no-dotenv", "-ngrok-api-url", cfg.NgrokAPIURL)
}

func BenchmarkFloor_StartupFirstJWKSByte(b *testing.B) {
	bin := buildBinary(b, b.TempDir(), "floorserver", "./testdata/floorserver")
	benchStartup(b, bin, b.TempDir())
}
