package jwks

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// loadDuration is how long TestLoad loads the Handler and the floor. Zero (the default) runs a short smoke variant;
// the load figure is measured with
//
//	go test ./jwks -run TestLoad -v -jwks.load=30s
var loadDuration = flag.Duration("jwks.load", 0, "run TestLoad for this long (e.g. 30s); 0 runs a 2s smoke variant")

// loadResult is what one load phase measured.
type loadResult struct {
	requests  int
	non2xx    int
	errs      int
	firstErr  error
	elapsed   time.Duration
	latencies []time.Duration
}

func (r *loadResult) add(o *loadResult) {
	r.requests += o.requests
	r.non2xx += o.non2xx
	r.errs += o.errs
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
}

func (r *loadResult) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r *loadResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	slices.Sort(r.latencies)
	return r.latencies[int(q*float64(len(r.latencies)-1))]
}

// runLoad sends GETs to u from workers goroutines over keep-alive
// connections until d has passed. It only ever dials loopback.
func runLoad(ctx context.Context, client *http.Client, u string, workers int, d time.Duration) *loadResult {
	start := time.Now()
	deadline := start.Add(d)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	results := make([]loadResult, workers)
	var wg sync.WaitGroup
	for i := range results {
		res := &results[i]
		res.latencies = make([]time.Duration, 0, 1<<14)
		wg.Go(func() {
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				if err != nil {
					res.errs++
					res.firstErr = err
					return
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil { // the phase ended mid-request
						return
					}
					res.errs++
					if res.firstErr == nil {
						res.firstErr = err
					}
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil && ctx.Err() != nil {
					return
				}
				done := time.Now()
				if done.After(deadline) { // finished after the window: not counted
					return
				}
				res.latencies = append(res.latencies, done.Sub(t0))
				res.requests++
				if resp.StatusCode < 200 || resp.StatusCode > 299 || err != nil {
					res.non2xx++
					if res.firstErr == nil {
						res.firstErr = fmt.Errorf("status %d, read error %v", resp.StatusCode, err)
					}
				}
			}
		})
	}
	wg.Wait()
	total := &loadResult{}
	for i := range results {
		total.add(&results[i])
	}
	// Throughput is counted over the window itself: requests finishing
	// after the deadline are not counted, so waiting for them is not either.
	total.elapsed = d
	return total
}

// TestLoad serves the set under load on loopback from the Handler and from
// the floor (precomputed bytes, same headers), both at once so that noise
// on a shared machine hits both alike, and reports throughput and p99 as
// ratios. It fails on any error or non-2xx answer. Without -jwks.load it
// runs a 2 s smoke variant; -short skips it.
func TestLoad(t *testing.T) {
	total := *loadDuration
	if total == 0 {
		if testing.Short() {
			t.Skip("load smoke test skipped in -short mode")
		}
		total = 2 * time.Second
	}
	const workers = 4 // per server

	keys := testKeys(t, 2)
	h := newTestHandler(t, Static(keys...), nil)
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", h)
	floorMux := http.NewServeMux()
	floorMux.Handle("GET /.well-known/jwks.json", newFloorHandler(t, keys))
	servers := []*httptest.Server{httptest.NewServer(mux), httptest.NewServer(floorMux)}
	for _, s := range servers {
		defer s.Close()
		host := s.Listener.Addr().(*net.TCPAddr).IP
		if !host.IsLoopback() {
			t.Fatalf("test server is not on loopback: %v", host)
		}
	}

	// Dial only loopback, whatever the URL says.
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	client := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, err := net.SplitHostPort(addr)
				if err != nil || !net.ParseIP(host).IsLoopback() {
					return nil, fmt.Errorf("load test dials loopback only, not %q", addr)
				}
				return dialer.DialContext(ctx, network, addr)
			},
			MaxIdleConnsPerHost: workers, // per host: one pool per server
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()

	// Both servers are loaded at the same time, each by its own workers:
	// on a shared machine whatever else runs hits both alike, which
	// alternating phases cannot guarantee.
	results := make([]*loadResult, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		u, _ := url.JoinPath(s.URL, "/.well-known/jwks.json")
		wg.Go(func() { results[i] = runLoad(t.Context(), client, u, workers, total) })
	}
	wg.Wait()
	names := []string{"handler", "floor"}
	for i, r := range results {
		if r.errs > 0 || r.non2xx > 0 {
			t.Errorf("%s: %d errors, %d non-2xx of %d requests; first: %v", names[i], r.errs, r.non2xx, r.requests, r.firstErr)
		}
		if r.requests == 0 {
			t.Errorf("%s: no request completed", names[i])
		}
		t.Logf("%-7s %8d requests  %8.0f req/s  p50 %v  p99 %v", names[i], r.requests, r.rps(), r.quantile(0.50), r.quantile(0.99))
	}
	hr, fr := results[0], results[1]
	if fr.requests > 0 && hr.requests > 0 {
		t.Logf("handler/floor: throughput %.3f×, p99 %.3f× (%s, %d workers per server, both at once)",
			hr.rps()/fr.rps(), float64(hr.quantile(0.99))/float64(fr.quantile(0.99)), total, workers)
	}
}
