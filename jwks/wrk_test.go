package jwks

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// wrkRound is the length of one wrk round; zero skips TestLoadWrk. The
// issue's load figure:
//
//	go test ./jwks -run TestLoadWrk -v -jwks.wrk=10s -jwks.rounds=6
var (
	wrkRound  = flag.Duration("jwks.wrk", 0, "TestLoadWrk: length of one wrk round (e.g. 10s); 0 skips it")
	wrkRounds = flag.Int("jwks.rounds", 6, "TestLoadWrk: rounds per handler, interleaved")
)

var wrkRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// TestLoadWrk loads the Handler over loopback with wrk (2 threads, 64
// connections), in rounds interleaved with the floor (a handler writing
// the same precomputed bytes with the same headers) and with
// http.ServeContent serving the same body, and reports each one's
// throughput relative to the floor. Target for the Handler: at least
// 0.95×. wrk comes from Debian's package of that name.
func TestLoadWrk(t *testing.T) {
	if *wrkRound == 0 {
		t.Skip("a load run: go test ./jwks -run TestLoadWrk -v -jwks.wrk=10s (needs wrk: apt-get install wrk)")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatalf("wrk is not installed: apt-get install wrk")
	}
	keys := testKeys(t, 2)
	h := newTestHandler(t, Static(keys...), nil)
	floor := newFloorHandler(t, keys)
	body, _ := Marshal(keys)
	etag := etagOf(body)
	serveContent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Access-Control-Allow-Origin", "*")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Cache-Control", defaultCacheControl)
		hdr.Set("Etag", etag)
		hdr.Set("Content-Type", "application/json")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
	names := []string{"floor", "handler", "servecontent"}
	servers := map[string]*httptest.Server{}
	for name, handler := range map[string]http.Handler{"floor": floor, "handler": h, "servecontent": serveContent} {
		s := httptest.NewServer(handler)
		defer s.Close()
		servers[name] = s
	}
	totals := map[string]float64{}
	for round := range *wrkRounds {
		for _, name := range names {
			ctx, cancel := context.WithTimeout(t.Context(), *wrkRound+30*time.Second)
			out, err := exec.CommandContext(ctx, wrk, "-t2", "-c64", "-d"+wrkRound.String(), servers[name].URL+"/").CombinedOutput()
			cancel()
			m := wrkRPS.FindSubmatch(out)
			if err != nil || m == nil || bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
				t.Fatalf("wrk against %s: %v\n%s", name, err, out)
			}
			rps, _ := strconv.ParseFloat(string(m[1]), 64)
			totals[name] += rps
			t.Logf("round %d %-12s %10.0f req/s", round+1, name, rps)
		}
	}
	for _, name := range names[1:] {
		t.Logf("%s/floor: %.3f× (%d interleaved rounds of %s, wrk -t2 -c64)", name, totals[name]/totals["floor"], *wrkRounds, *wrkRound)
	}
}
