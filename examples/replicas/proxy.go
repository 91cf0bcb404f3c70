package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
)

// newProxy is a small round-robin load balancer: httputil.ReverseProxy
// whose transport sends each request to the next backend and, when a
// backend cannot be reached (a killed replica), tries the following one,
// as a load balancer's health checks would take it out of rotation.
func newProxy(backends []string, log *slog.Logger) (http.Handler, error) {
	rr := &roundRobin{base: http.DefaultTransport, log: log}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			return nil, err
		}
		rr.backends = append(rr.backends, u)
	}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetXForwarded() },
		Transport: rr,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			w.Header().Set("Content-Type", "application/json")
			if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				_, _ = io.WriteString(w, `{"error":"request body over 64 KiB"}`)
				return
			}
			log.Warn("proxy: no backend answered", "err", err.Error())
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, `{"error":"no replica answered"}`)
		},
	}
	// Bodies are buffered to be retried on the next backend: bound them.
	return http.MaxBytesHandler(rp, maxBody), nil
}

// maxBody bounds the request bodies the proxy buffers.
const maxBody = 64 << 10

type roundRobin struct {
	backends []*url.URL
	next     atomic.Uint64
	base     http.RoundTripper
	log      *slog.Logger
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body) // bounded by MaxBytesHandler
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	start := rr.next.Add(1)
	var errs []error
	for i := range rr.backends {
		b := rr.backends[(start+uint64(i))%uint64(len(rr.backends))]
		out := req.Clone(req.Context())
		out.URL.Scheme, out.URL.Host, out.Host = b.Scheme, b.Host, ""
		if body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := rr.base.RoundTrip(out)
		if err == nil {
			return resp, nil
		}
		rr.log.Debug("proxy: backend unreachable, trying the next", "backend", b.Host, "err", err.Error())
		errs = append(errs, fmt.Errorf("%s: %w", b.Host, err))
	}
	return nil, errors.Join(errs...)
}
