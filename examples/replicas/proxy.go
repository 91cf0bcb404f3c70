package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// proxy is a small round-robin load balancer: each request goes to the
// next backend; a backend that cannot be reached (a killed replica) is
// skipped and the next one tried, as a load balancer's health checks
// would take it out of rotation.
type proxy struct {
	backends []*url.URL
	next     atomic.Uint64
	client   *http.Client
	log      *slog.Logger
}

func newProxy(backends []string, log *slog.Logger) (*proxy, error) {
	p := &proxy{
		client: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log: log,
	}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			return nil, err
		}
		p.backends = append(p.backends, u)
	}
	return p, nil
}

// maxBody bounds the request bodies the proxy buffers to retry.
const maxBody = 64 << 10

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, `{"error":"request body over 64 KiB"}`, http.StatusRequestEntityTooLarge)
		return
	}
	start := p.next.Add(1)
	var lastErr error
	for i := range p.backends {
		b := p.backends[(start+uint64(i))%uint64(len(p.backends))]
		out, err := http.NewRequestWithContext(r.Context(), r.Method, b.JoinPath(r.URL.Path).String(), bytes.NewReader(body))
		if err != nil {
			lastErr = err
			continue
		}
		out.URL.RawQuery = r.URL.RawQuery
		out.Header = r.Header.Clone()
		resp, err := p.client.Do(out)
		if err != nil {
			lastErr = err
			p.log.Debug("proxy: backend unreachable, trying the next", "backend", b.Host, "err", err.Error())
			continue
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	p.log.Warn("proxy: no backend answered", "err", errString(lastErr))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = io.WriteString(w, `{"error":"no replica answered"}`)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
