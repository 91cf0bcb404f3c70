package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxBody is the largest POST body the devserver reads.
const maxBody = 64 << 10

// httpError is an error with the status it should be answered with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"could not encode the response"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeError writes {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeErr writes err with its status (400 unless it is an *httpError).
func writeErr(w http.ResponseWriter, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, he.msg)
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// allowMethods answers 405 with a JSON error and an Allow header unless the
// request method is one of methods (GET also allows HEAD).
func allowMethods(h http.Handler, methods ...string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range methods {
			if r.Method == m || (m == http.MethodGet && r.Method == http.MethodHead) {
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s: use %s", quoteShort(r.Method), r.URL.Path, allow))
	})
}

// decodeJSONBody decodes a JSON object body of at most maxBody bytes into
// dst, rejecting unknown fields. An empty body decodes as {}. Errors are
// *httpError with 413, 415 or 400 and a message naming the problem.
func decodeJSONBody(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength > maxBody {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is %d bytes, larger than the limit of %d bytes (64 KiB)", r.ContentLength, maxBody)}
	}
	body := http.MaxBytesReader(w, r.Body, maxBody)
	data, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than the limit of %d bytes (64 KiB)", maxBody)}
		}
		return badRequest("could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil // no body: all fields optional
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return &httpError{http.StatusUnsupportedMediaType, "missing Content-Type: send the body as JSON with Content-Type: application/json"}
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported Content-Type %s: send the body as JSON with Content-Type: application/json", quoteShort(ct))}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported charset %s: JSON must be UTF-8", quoteShort(cs))}
	}
	if !utf8.Valid(data) {
		return badRequest("request body is not valid UTF-8 (JSON must be UTF-8): check the encoding of what you send")
	}
	return decodeJSONObject(data, dst)
}

// decodeJSONObject strictly decodes one JSON object from data into dst.
func decodeJSONObject(data []byte, dst any) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] != '{' {
		if json.Valid(trimmed) {
			return badRequest("request body must be a JSON object like {\"sub\":\"user-123\"}, not %s", jsonKind(trimmed[0]))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("request body must hold exactly one JSON object; found more data after it")
	}
	return nil
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

// jsonError turns an encoding/json error into a 400 naming the problem.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("request body is truncated: the JSON object is not complete")
	case errors.As(err, &se):
		return badRequest("request body is not valid JSON: %s (at byte %d)", se.Error(), se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return badRequest("request body must be a JSON object, not %s", te.Value)
		}
		return badRequest("%q must be a %s, not %s", te.Field, te.Type.String(), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown field %s in the request body", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return badRequest("request body is not valid JSON: %v", err)
	}
}
