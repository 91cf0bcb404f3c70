package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ngrokTimeout bounds one call to the ngrok agent API, like the demo's
// AbortSignal.timeout(2000).
const ngrokTimeout = 2 * time.Second

// maxNgrokBody caps what we read from the agent API.
const maxNgrokBody = 1 << 20

// Detection failures; ngrokErrorText maps them to the demo's texts.
var (
	errNgrokNotDetected = errors.New("ngrok not detected")
	errNgrokAPIError    = errors.New("ngrok API returned error")
	errNoHTTPSTunnel    = errors.New("no HTTPS tunnel found")
)

// ngrokTunnel is the part of the agent's /api/tunnels answer we use.
type ngrokTunnel struct {
	PublicURL string `json:"public_url"`
	Proto     string `json:"proto"`
	Config    struct {
		Addr string `json:"addr"`
	} `json:"config"`
}

// ngrokError is a detection failure: kind is one of the sentinels above,
// detail says what happened and what to do, for people.
type ngrokError struct {
	kind   error
	detail string
}

func (e *ngrokError) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *ngrokError) Unwrap() error { return e.kind }

// ngrokDetail returns the human part of a detection error.
func ngrokDetail(err error) string {
	var ne *ngrokError
	if errors.As(err, &ne) {
		return ne.detail
	}
	return err.Error()
}

// ngrokResult is a detected tunnel.
type ngrokResult struct {
	URL     string `json:"url"`
	JWKSURL string `json:"jwksUrl"`
	// Warning is set when no tunnel forwards to our port and another
	// https tunnel was picked (the demo's choice): its jwksUrl reaches some
	// other server.
	Warning string `json:"warning,omitempty"`
}

// ngrokDetector asks the local ngrok agent which public URL forwards to us.
type ngrokDetector struct {
	apiURL string // e.g. http://127.0.0.1:4040
	client *http.Client
}

func newNgrokDetector(apiURL string) *ngrokDetector {
	return &ngrokDetector{
		apiURL: strings.TrimRight(apiURL, "/"),
		client: &http.Client{
			Timeout: ngrokTimeout,
			// The agent is local: never use a proxy from the environment,
			// and never follow it elsewhere.
			Transport: &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: ngrokTimeout}).DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// detect returns the https tunnel whose config.addr forwards to port, else
// the first https tunnel. Errors wrap errNgrokNotDetected (agent down, slow
// or garbage), errNgrokAPIError (non-2xx) or errNoHTTPSTunnel.
func (d *ngrokDetector) detect(ctx context.Context, port int) (*ngrokResult, error) {
	ctx, cancel := context.WithTimeout(ctx, ngrokTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.apiURL+"/api/tunnels", nil)
	if err != nil {
		return nil, &ngrokError{errNgrokNotDetected, fmt.Sprintf("NGROK_API_URL %s is not usable: %v", d.apiURL, err)}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		why := "it did not answer within " + ngrokTimeout.String()
		if errors.Is(err, syscall.ECONNREFUSED) {
			why = "nothing listens there"
		} else if !errors.Is(err, context.DeadlineExceeded) && !os.IsTimeout(err) {
			why = err.Error()
		}
		return nil, &ngrokError{errNgrokNotDetected, fmt.Sprintf("no ngrok agent at %s (%s). Start `ngrok http %d`.", d.apiURL, why, port)}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxNgrokBody))
		return nil, &ngrokError{errNgrokAPIError, fmt.Sprintf("the ngrok agent at %s answered HTTP %d.", d.apiURL, resp.StatusCode)}
	}
	var body struct {
		Tunnels []ngrokTunnel `json:"tunnels"`
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxNgrokBody))
	if err := dec.Decode(&body); err != nil {
		return nil, &ngrokError{errNgrokNotDetected, fmt.Sprintf("%s answered something that is not ngrok's tunnel list (%v): is NGROK_API_URL right?", d.apiURL, err)}
	}
	t := pickTunnel(body.Tunnels, port)
	if t == nil {
		return nil, &ngrokError{errNoHTTPSTunnel, fmt.Sprintf("ngrok runs %d tunnel(s) but none is https. Start `ngrok http %d`.", len(body.Tunnels), port)}
	}
	base := strings.TrimRight(t.PublicURL, "/")
	res := &ngrokResult{URL: base, JWKSURL: base + jwksPath}
	if port > 0 && !forwardsTo(t.Config.Addr, port) {
		res.Warning = fmt.Sprintf("this tunnel forwards to %s, not to this devserver (port %d): Dynamic would fetch another server's JWKS. Start `ngrok http %d`.", quoteShort(t.Config.Addr), port, port)
	}
	return res, nil
}

// pickTunnel prefers an https tunnel forwarding to our port.
func pickTunnel(tunnels []ngrokTunnel, port int) *ngrokTunnel {
	var first *ngrokTunnel
	for i := range tunnels {
		t := &tunnels[i]
		if t.Proto != "https" || !validPublicURL(t.PublicURL) {
			continue
		}
		if forwardsTo(t.Config.Addr, port) {
			return t
		}
		if first == nil {
			first = t
		}
	}
	return first
}

func validPublicURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

// forwardsTo reports whether an ngrok config.addr ("http://localhost:3000",
// "localhost:3000", "3000", "127.0.0.1:3000") points at port on this machine.
func forwardsTo(addr string, port int) bool {
	if port <= 0 || addr == "" {
		return false
	}
	if i := strings.Index(addr, "://"); i >= 0 {
		addr = addr[i+3:]
	}
	addr = strings.TrimRight(addr, "/")
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		host, p = "localhost", addr
	}
	n, err := strconv.Atoi(p)
	if err != nil || n != port {
		return false
	}
	if host == "" || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// ngrokStatus maps a detection error to the demo's status codes.
func ngrokStatus(err error) int {
	switch {
	case errors.Is(err, errNgrokAPIError):
		return http.StatusBadGateway
	case errors.Is(err, errNoHTTPSTunnel):
		return http.StatusNotFound
	default:
		return http.StatusServiceUnavailable
	}
}

// ngrokErrorText is the demo's error text for err, verbatim.
func ngrokErrorText(err error) string {
	switch {
	case errors.Is(err, errNgrokAPIError):
		return "ngrok API returned error"
	case errors.Is(err, errNoHTTPSTunnel):
		return "No HTTPS tunnel found"
	default:
		return "ngrok not detected"
	}
}
