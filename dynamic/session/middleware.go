package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// cookieName is the cookie cookie-based Dynamic environments keep the
// access token in.
const cookieName = "DYNAMIC_JWT_TOKEN"

type contextKey struct{}

// FromContext returns the claims Middleware verified for the request.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(contextKey{}).(*Claims)
	return c, ok
}

// Middleware verifies the session token of every request before next sees
// it: from "Authorization: Bearer <token>", else the DYNAMIC_JWT_TOKEN
// cookie of cookie-based environments. The verified claims are in the
// request's context (FromContext). Refusals follow RFC 6750 with a JSON
// body {"error": …}:
//
//   - no token: 401, WWW-Authenticate: Bearer realm="dynamic" (no error
//     code, as §3.1 asks when a request carries no credentials);
//   - a token Verify refuses: 401, Bearer error="invalid_token",
//     error_description="…";
//   - a missing scope or a pending MFA step: 403, Bearer
//     error="insufficient_scope", scope="…".
//
// Nothing of the token is logged or echoed.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, found := tokenOf(r)
		if !found {
			deny(w, http.StatusUnauthorized, `Bearer realm="dynamic"`, "no Dynamic session token: send Authorization: Bearer <access token>")
			return
		}
		claims, err := v.Verify(r.Context(), token)
		if err != nil {
			var rf *refusal
			scope := ""
			if errors.As(err, &rf) {
				scope = rf.scope
			}
			switch {
			case errors.Is(err, ErrInsufficientScope):
				deny(w, http.StatusForbidden, `Bearer error="insufficient_scope", scope=`+quote(scope)+`, error_description=`+quote(err.Error()), err.Error())
			case errors.Is(err, ErrMFAPending):
				deny(w, http.StatusForbidden, `Bearer error="insufficient_scope", scope="`+scopeBasic+`", error_description=`+quote(err.Error()), err.Error())
			default:
				deny(w, http.StatusUnauthorized, `Bearer error="invalid_token", error_description=`+quote(err.Error()), err.Error())
			}
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), contextKey{}, claims)))
	})
}

// tokenOf finds the session token of r; found is false when r carries none.
func tokenOf(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok), true
		}
	}
	if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// deny writes a refusal.
func deny(w http.ResponseWriter, status int, challenge, msg string) {
	h := w.Header()
	h.Set("WWW-Authenticate", challenge)
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	body, _ := json.Marshal(map[string]string{"error": msg})
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// quote makes an RFC 9110 quoted-string of s, with characters a header
// cannot carry replaced.
func quote(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	return strconv.Quote(s)
}
