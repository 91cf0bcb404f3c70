package dynamic

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/extauth/extauth/dynamic/internal/keyset"
	"github.com/extauth/extauth/dynamic/internal/wire"
	"github.com/extauth/extauth/internal/jsonobj"
)

// DefaultBaseURL is Dynamic's production API root.
const DefaultBaseURL = "https://app.dynamicauth.com/api/v0"

// defaultTimeout bounds every HTTP exchange when Config.HTTPClient is nil,
// and background fetches (settings, nonce pool refills) in any case.
const defaultTimeout = 30 * time.Second

// Config configures a Client. Only EnvironmentID is required.
type Config struct {
	// EnvironmentID is the Dynamic environment (a UUID, from the dashboard's
	// Developers → SDK & API keys page). Upper case is accepted and
	// lower-cased in paths, as Dynamic's path matching expects.
	EnvironmentID string
	// BaseURL is the API root, DefaultBaseURL when empty. It must be an
	// absolute http(s) URL; a trailing slash is ignored. Keep the /api/v0
	// suffix: Dynamic (and its SDK) match paths against /api/v0/sdk/….
	BaseURL string
	// HTTPClient sends the requests. When nil, a client with a 30 s timeout
	// that refuses redirects to another origin or from https to http (so
	// the external JWT never travels anywhere but BaseURL's origin). An
	// injected client is used as it is: give it a CheckRedirect of your own.
	HTTPClient *http.Client
	// Logger receives one debug record per request (method, path, status,
	// duration, request id; never tokens or keys) and a warning per
	// failure. Nil discards.
	Logger *slog.Logger
	// DeviceKey is the P-256 key that signs device nonces
	// (x-dynamic-device-*). Nil: a key is generated for the Client. Supply
	// one to keep a stable device identity across restarts.
	DeviceKey *ecdsa.PrivateKey
	// SessionKey is the P-256 key whose public half is sent as
	// x-dyn-session-public-key. Nil: a key is generated for the Client.
	SessionKey *ecdsa.PrivateKey
	// Headers override or add request headers (names match without regard
	// to case), e.g. x-dyn-version or Origin. An entry with no values
	// removes the header.
	Headers http.Header
	// UserAgent is sent as User-Agent; default "extauth-go/<version>".
	UserAgent string
	// APIToken is a dyn_ API token of the environment (dashboard →
	// Developers → API tokens), needed only by CheckExternalJWT. It is a
	// secret: it is sent only as that call's bearer token, and never
	// logged or printed.
	APIToken string

	// now replaces time.Now in tests.
	now func() time.Time
}

// Client talks to Dynamic's SDK API for one environment, sending the same
// requests as the official JS SDK 1.27.1. Create it with NewClient; it is
// safe for concurrent use.
type Client struct {
	st *clientState
}

// clientState is everything derived from the Config.
type clientState struct {
	env     string // lower-case UUID
	base    string // no trailing slash
	prefix  string // base + "/sdk/" + env
	hc      *http.Client
	log     *slog.Logger
	device  *wire.DeviceKey
	session *wire.DeviceKey
	headers http.Header // shared by every request; cloned per request
	now     func() time.Time

	settingsURL string
	noncesURL   string
	signinURL   string
	verifyURL   string
	checkURL    string
	apiToken    string

	settings settingsCache
	pool     noncePool
}

// NewClient checks cfg and returns a Client for its environment, or an error
// matching ErrInvalidConfig that names the field to fix. It sends nothing;
// call Prefetch to load the settings and nonces ahead of the first sign-in.
func NewClient(cfg Config) (*Client, error) {
	env, err := normalizeEnvironmentID(cfg.EnvironmentID)
	if err != nil {
		return nil, err
	}
	base, err := normalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	s := &clientState{env: env, base: base, prefix: base + "/sdk/" + env, hc: cfg.HTTPClient, log: cfg.Logger, now: cfg.now}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: defaultTimeout, CheckRedirect: keyset.SameOriginRedirect}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.device, err = wire.NewDeviceKey(cfg.DeviceKey, "Config.DeviceKey"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if s.session, err = wire.NewDeviceKey(cfg.SessionKey, "Config.SessionKey"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "extauth-go/" + wire.Version
	}
	if err := checkToken("Config.UserAgent", ua); err != nil {
		return nil, err
	}
	s.headers = baseHeaders(randomAlnum(sessionIDLen), s.session.PublicKeyHex(), ua, cfg.Headers)
	s.settingsURL = s.prefix + "/settings?sdkVersion=" + url.QueryEscape("ClientSDK/"+wire.SDKVersion)
	s.noncesURL = s.prefix + "/nonces?count=" + strconv.Itoa(noncePoolSize)
	s.signinURL = s.prefix + "/externalAuth/signin"
	s.verifyURL = s.prefix + "/externalAuth/verify"
	s.checkURL = base + "/environments/" + env + "/externalJwt/check"
	if err := checkToken("Config.APIToken", cfg.APIToken); err != nil {
		return nil, err
	}
	s.apiToken = cfg.APIToken
	s.pool.fetch = s.fetchNonces
	s.pool.now = s.now
	return &Client{st: s}, nil
}

// errZeroClient is returned by the methods of a Client not made by NewClient.
var errZeroClient = fmt.Errorf("%w: Client is nil or a zero value: create it with dynamic.NewClient", ErrInvalidConfig)

func (c *Client) state() (*clientState, error) {
	if c == nil || c.st == nil {
		return nil, errZeroClient
	}
	return c.st, nil
}

// Prefetch loads the project settings (GET /sdk/{environmentId}/settings)
// and, in environments that are not cookie-based, fills the nonce pool (GET
// /sdk/{environmentId}/nonces?count=5), so that the next sign-in costs
// exactly one HTTP round trip. Calling it at start-up is optional.
func (c *Client) Prefetch(ctx context.Context) error {
	st, err := c.state()
	if err != nil {
		return err
	}
	ps, err := st.projectSettings(ctx, false)
	if err != nil {
		return err
	}
	if ps.CookieMode() {
		return nil
	}
	return st.pool.fill(ctx)
}

// normalizeEnvironmentID checks that id is a UUID and lower-cases it.
func normalizeEnvironmentID(id string) (string, error) {
	const hint = "copy it from the Dynamic dashboard (Developers → SDK & API keys)"
	if id == "" {
		return "", fmt.Errorf("%w: EnvironmentID is empty: %s", ErrInvalidConfig, hint)
	}
	q := id
	if len(q) > 64 {
		q = q[:64] + "…"
	}
	if len(id) != 36 {
		return "", fmt.Errorf("%w: EnvironmentID %q is not a UUID (it has %d characters, want 36 like 2762a57b-faa4-41ce-9f16-abff9300e2c9): %s", ErrInvalidConfig, q, len(id), hint)
	}
	out := []byte(id)
	for i, ch := range out {
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return "", fmt.Errorf("%w: EnvironmentID %q is not a UUID (want '-' at position %d): %s", ErrInvalidConfig, q, i+1, hint)
			}
			continue
		}
		switch {
		case '0' <= ch && ch <= '9', 'a' <= ch && ch <= 'f':
		case 'A' <= ch && ch <= 'F':
			out[i] = ch + ('a' - 'A')
		default:
			return "", fmt.Errorf("%w: EnvironmentID %q is not a UUID (character %d is not hexadecimal): %s", ErrInvalidConfig, q, i+1, hint)
		}
	}
	return string(out), nil
}

// normalizeBaseURL validates BaseURL and trims trailing slashes.
func normalizeBaseURL(raw string) (string, error) {
	if raw == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: BaseURL %q does not parse (%v): use e.g. %s", ErrInvalidConfig, raw, errors.Unwrap(err), DefaultBaseURL)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%w: BaseURL %q must be an absolute http or https URL, e.g. %s", ErrInvalidConfig, raw, DefaultBaseURL)
	case u.Host == "":
		return "", fmt.Errorf("%w: BaseURL %q has no host: use e.g. %s", ErrInvalidConfig, raw, DefaultBaseURL)
	case u.User != nil:
		return "", fmt.Errorf("%w: BaseURL must not contain credentials", ErrInvalidConfig)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("%w: BaseURL %q must not have a query or fragment: use e.g. %s", ErrInvalidConfig, raw, DefaultBaseURL)
	}
	return strings.TrimRight(raw, "/"), nil
}

// request is one API call.
type request struct {
	method    string
	url       string // absolute
	body      []byte // nil: no body
	bearer    string // Authorization: Bearer …, when not empty
	device    *signedNonce
	requestID string // filled in by do
}

// do sends r and returns the body of a 2xx response (at most
// maxResponseBytes). Non-2xx answers become *APIError; transport failures
// wrap ErrUnavailable or the context's error.
func (s *clientState) do(ctx context.Context, r *request) ([]byte, error) {
	path := strings.TrimPrefix(r.url, s.base)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, fmt.Errorf("dynamic: %s %s: building request: %w", r.method, path, err)
	}
	h := make(http.Header, len(s.headers)+5)
	maps.Copy(h, s.headers)
	r.requestID = randomAlnum(requestIDLen)
	h[wire.HeaderRequestID] = []string{r.requestID}
	if r.bearer != "" {
		h["Authorization"] = []string{"Bearer " + r.bearer}
	}
	if r.device != nil {
		h[wire.HeaderDeviceNonce] = []string{r.device.nonce}
		h[wire.HeaderDevicePublicKey] = []string{s.device.PublicKeyHex()}
		h[wire.HeaderDeviceSignedNonce] = []string{r.device.signature}
	}
	req.Header = h

	start := time.Now()
	resp, err := s.hc.Do(req)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "dynamic request failed",
			slog.String("method", r.method), slog.String("path", path),
			slog.Duration("duration", time.Since(start)), slog.String("request_id", r.requestID),
			slog.String("error", transportReason(ctx, err)))
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, &opError{msg: fmt.Sprintf("dynamic: %s %s: %s", r.method, path, transportReason(ctx, err)), errs: []error{ctxErr, err}}
		}
		return nil, &opError{msg: fmt.Sprintf("dynamic: %s %s: Dynamic unreachable: %s", r.method, path, transportReason(ctx, err)), errs: []error{ErrUnavailable, err}}
	}
	defer resp.Body.Close()
	data, truncated, readErr := readCapped(resp.Body, resp.ContentLength)
	level := slog.LevelDebug
	if resp.StatusCode >= 400 || readErr != nil {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(ctx, level, "dynamic request",
		slog.String("method", r.method), slog.String("path", path),
		slog.Int("status", resp.StatusCode), slog.Duration("duration", time.Since(start)),
		slog.String("request_id", r.requestID))
	if readErr != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, &opError{msg: fmt.Sprintf("dynamic: %s %s: reading response: %v", r.method, path, ctxErr), errs: []error{ctxErr}}
		}
		return nil, &opError{msg: fmt.Sprintf("dynamic: %s %s: reading response: %v", r.method, path, readErr), errs: []error{ErrUnavailable, readErr}}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newAPIError(r.method, path, resp.StatusCode, resp.Header, data, truncated, r.requestID, s.now())
	}
	if truncated {
		return nil, badResponse(r.method+" "+path, "the answer exceeds 1 MiB")
	}
	return data, nil
}

// transportReason describes a transport error without the URL (which the
// caller already names).
func transportReason(ctx context.Context, err error) string {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// readCapped reads at most maxResponseBytes; truncated reports more data.
// A known Content-Length sizes the buffer in one allocation.
func readCapped(r io.Reader, contentLength int64) (data []byte, truncated bool, err error) {
	if contentLength > 0 && contentLength <= maxResponseBytes {
		data = make([]byte, 0, contentLength+1) // +1: room to see an overlong body
		buf := bytes.NewBuffer(data)
		_, err = buf.ReadFrom(io.LimitReader(r, maxResponseBytes+1))
		data = buf.Bytes()
	} else {
		data, err = io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	}
	if len(data) > maxResponseBytes {
		return data[:maxResponseBytes], true, nil
	}
	return data, false, err
}

// decodeJSON decodes a 2xx body (one JSON object) into v, wrapping
// failures in ErrBadResponse; op names the call, e.g. "GET settings".
func decodeJSON(op string, data []byte, v any) error {
	if err := jsonobj.Decode(data, v, "the answer"); err != nil {
		return badResponse(op, "%v", err)
	}
	return nil
}

// opError is an error with a complete message that matches its sentinels
// and causes with errors.Is and errors.As.
type opError struct {
	msg  string
	errs []error
}

func (e *opError) Error() string   { return e.msg }
func (e *opError) Unwrap() []error { return e.errs }

// badResponse reports an unusable 2xx answer to op (e.g. "GET nonces").
func badResponse(op, format string, args ...any) error {
	return &opError{msg: "dynamic: " + op + ": unexpected response: " + fmt.Sprintf(format, args...), errs: []error{ErrBadResponse}}
}

// flight is one shared fetch: several callers wait for the same result.
type flight struct {
	done chan struct{}
	err  error
}

// detach runs fn for a shared fetch: not tied to the cancellation of the
// caller that started it (others may be waiting), but bounded by
// defaultTimeout.
func detach(ctx context.Context, fn func(context.Context) error) *flight {
	f := &flight{done: make(chan struct{})}
	go func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultTimeout)
		defer cancel()
		f.err = fn(fctx)
		close(f.done)
	}()
	return f
}

// wait waits for f or ctx, whichever ends first. The caller's context
// error is reported as "dynamic: <op>: <err>".
func (f *flight) wait(ctx context.Context, op string) error {
	var err error
	select {
	case <-f.done:
		err = f.err
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil && err == ctx.Err() {
		return fmt.Errorf("dynamic: %s: %w", op, err)
	}
	return err
}
