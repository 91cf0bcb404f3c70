package dynamic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/extauth/extauth/dynamic/internal/wire"
)

// Sentinel errors. A *APIError matches the first three with errors.Is
// according to its status and code; transport failures and responses that
// cannot be decoded wrap the others.
var (
	// ErrInvalidExternalAuth means Dynamic (or the Validator, which wraps it
	// in more specific errors) rejected the external JWT: API code
	// invalid_external_auth, whatever the HTTP status. Usual causes: the
	// JWT's iss differs from the dashboard value, the jwksUrl is not
	// publicly reachable or lacks the token's kid, or the token expired.
	ErrInvalidExternalAuth = errors.New("dynamic: external JWT rejected (invalid_external_auth)")
	// ErrUnauthorized means Dynamic answered 401 Unauthorized.
	ErrUnauthorized = errors.New("dynamic: unauthorized")
	// ErrRateLimited means Dynamic answered 429 Too Many Requests (or the
	// code too_many_requests); see APIError.RetryAfter.
	ErrRateLimited = errors.New("dynamic: rate limited")
	// ErrUnavailable means Dynamic could not be reached (connection refused,
	// DNS, TLS, reset) or answered 502, 503 or 504. Retrying later may help.
	ErrUnavailable = errors.New("dynamic: service unavailable")
	// ErrBadResponse means Dynamic answered 2xx with a body this client
	// cannot use (not JSON, wrong shape, required field missing, over
	// 1 MiB).
	ErrBadResponse = errors.New("dynamic: unexpected response from Dynamic")
	// ErrInvalidConfig means a Client field or a call argument is invalid;
	// the message names the field and what to do. Nothing was sent.
	ErrInvalidConfig = errors.New("dynamic: invalid configuration")
)

// maxResponseBytes caps every response body the client reads (1 MiB).
const maxResponseBytes = 1 << 20

// maxErrorBody caps APIError.Body.
const maxErrorBody = 4 << 10

// APIError is a non-2xx answer from Dynamic. Use errors.Is with
// ErrInvalidExternalAuth, ErrUnauthorized, ErrRateLimited or ErrUnavailable
// to branch, errors.As to read the details.
//
// Decoding follows the official SDK where it can: a JSON
// body with a string "error" gives Message, "code" and "payload"; the
// object-shaped {"error":{"code","message"},"payload"} and the old
// {"message":…,"code":429} rate-limit body are read too; any other body
// (empty, {}, text, HTML) still yields a readable Message built from the
// status and a short excerpt. Messages never carry anything that looks like
// a JWT.
type APIError struct {
	// Method and Path name the call, e.g. "POST" and
	// "/sdk/<env>/externalAuth/signin" (relative to BaseURL).
	Method, Path string
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the machine code from the body ("invalid_external_auth",
	// "unauthorized", …); empty when the body had none. (The JS SDK reports
	// a missing code as "unknown_error".)
	Code string
	// Message is the human-readable reason: the body's error text, or a
	// description of the status and body when it had none.
	Message string
	// Payload is the body's "payload" object, if any.
	Payload json.RawMessage
	// RequestID is the x-dyn-request-id this client sent; quote it to
	// Dynamic's support.
	RequestID string
	// RetryAfter is the parsed Retry-After header (seconds or HTTP-date);
	// zero when absent or in the past.
	RetryAfter time.Duration
	// Body is the start of the raw response body (at most 4 KiB).
	Body []byte
	// Truncated reports that the body exceeded maxResponseBytes and was
	// not read to the end.
	Truncated bool
}

// Error describes the failure and, for the mapped sentinels, what to do.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("dynamic: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteString(" ")
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	switch {
	case e.Is(ErrInvalidExternalAuth):
		b.WriteString(" (check that the JWT's iss equals the dashboard's iss exactly, that jwksUrl is publicly reachable and serves the token's kid, and that exp is in the future)")
	case e.Is(ErrRateLimited):
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
		} else {
			b.WriteString(" (slow down and retry later)")
		}
	}
	if e.RequestID != "" {
		b.WriteString(" [x-dyn-request-id ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

// Is maps the error onto the package's sentinels: code
// invalid_external_auth → ErrInvalidExternalAuth (whatever the status, like
// the SDK); 401 → ErrUnauthorized; 429 or code too_many_requests →
// ErrRateLimited; 502, 503, 504 → ErrUnavailable. (Truncated reports a
// body over 1 MiB.)
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidExternalAuth:
		return e.Code == wire.CodeInvalidExternalAuth
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests || e.Code == wire.CodeTooManyRequests
	case ErrUnavailable:
		return e.StatusCode == http.StatusBadGateway || e.StatusCode == http.StatusServiceUnavailable || e.StatusCode == http.StatusGatewayTimeout
	}
	return false
}

// newAPIError decodes an error response. body holds at most
// maxResponseBytes; truncated reports that there was more. It never fails:
// whatever the body, the result has a useful Message.
func newAPIError(method, path string, status int, h http.Header, body []byte, truncated bool, requestID string, now time.Time) *APIError {
	e := &APIError{
		Method:     method,
		Path:       path,
		StatusCode: status,
		RequestID:  requestID,
		RetryAfter: parseRetryAfter(h.Get("Retry-After"), now),
		Truncated:  truncated,
	}
	if len(body) > 0 {
		n := min(len(body), maxErrorBody)
		e.Body = bytes.Clone(body[:n])
	}
	if !truncated {
		decodeErrorBody(e, body)
	}
	if e.Message == "" {
		e.Message = fallbackMessage(status, h.Get("Content-Type"), body, truncated)
	}
	// Everything Error prints that came from the body is redacted: a JWT
	// echoed in the message or in the code (top level or nested).
	e.Message = redact(e.Message)
	e.Code = redact(e.Code)
	return e
}

// decodeErrorBody fills Code, Message and Payload from the known JSON
// shapes. Unknown shapes leave them empty.
func decodeErrorBody(e *APIError, body []byte) {
	var doc struct {
		Error   json.RawMessage `json:"error"`
		Code    json.RawMessage `json:"code"`
		Message json.RawMessage `json:"message"`
		Payload json.RawMessage `json:"payload"`
	}
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &doc) != nil {
		return
	}
	e.Code = jsonString(doc.Code)
	if p := bytes.TrimSpace(doc.Payload); len(p) > 0 && p[0] == '{' {
		e.Payload = json.RawMessage(bytes.Clone(p))
	}
	if msg, ok := jsonStringOK(doc.Error); ok {
		e.Message = msg
		return
	}
	// {"error":{"code":"…","message":"…"},"payload":{…}} (ForbiddenWithErrorAndPayload)
	var inner struct {
		Code    json.RawMessage `json:"code"`
		Message json.RawMessage `json:"message"`
	}
	if t := bytes.TrimSpace(doc.Error); len(t) > 0 && t[0] == '{' && json.Unmarshal(t, &inner) == nil {
		if c := jsonString(inner.Code); c != "" {
			e.Code = c
		}
		e.Message = jsonString(inner.Message)
		return
	}
	// Old rate-limit body {"message":"Rate limit exceeded","code":429}.
	e.Message = jsonString(doc.Message)
}

func jsonString(raw json.RawMessage) string {
	s, _ := jsonStringOK(raw)
	return s
}

func jsonStringOK(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// fallbackMessage describes a body without a usable error text.
func fallbackMessage(status int, contentType string, body []byte, truncated bool) string {
	text := http.StatusText(status)
	if text == "" {
		text = "HTTP " + strconv.Itoa(status)
	}
	if status == http.StatusUnauthorized {
		text += " (check the access token or the environment's settings)"
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case truncated:
		return text + " (body exceeds 1 MiB, not read)"
	case len(trimmed) == 0:
		return text + " (empty body)"
	case trimmed[0] == '{' || trimmed[0] == '[':
		return text + " (JSON body without an error message)"
	}
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.TrimSpace(mt)
	if mt == "" {
		mt = "unknown content type"
	}
	if ex := excerpt(trimmed, 200); ex != "" {
		return text + " (" + mt + " body: " + strconv.Quote(ex) + ")"
	}
	return text + " (" + mt + " body)"
}

// excerpt returns up to n bytes of printable UTF-8 text from b, or "" when b
// does not look like text.
func excerpt(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) { // do not cut a rune in half
			b = b[:len(b)-1]
		}
	}
	if !utf8.Valid(b) {
		return ""
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return ""
		}
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

// redact removes anything that looks like a JWT from a message, so that a
// server echoing a token cannot leak it into logs through an error string.
func redact(s string) string {
	if !strings.Contains(s, "eyJ") {
		return s
	}
	return jwtLike.ReplaceAllString(s, "[redacted JWT]")
}

// maxRetryAfterSecs caps a reported Retry-After: a day. A server asking
// for longer is broken or hostile, and a caller that sleeps on the value
// must not sleep for years.
const maxRetryAfterSecs = 24 * 60 * 60

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3). Invalid, negative or past values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, maxRetryAfterSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d.Round(time.Second), maxRetryAfterSecs*time.Second)
		}
	}
	return 0
}
