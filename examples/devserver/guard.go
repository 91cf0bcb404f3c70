package main

import (
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// loopbackOnly lets a request through only when it can only have come from
// this machine: a loopback peer, a loopback Host (defeats DNS rebinding),
// no proxy headers (ngrok and other tunnels add them) and, when a browser
// says where the request comes from, a loopback origin (defeats cross-site
// requests from pages the developer happens to visit). Anything else gets
// 403 with a JSON reason.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := notLoopback(r); reason != "" {
			writeError(w, http.StatusForbidden, "forbidden: "+reason+"; only "+jwksPath+" is public, everything else answers requests from this machine only")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// notLoopback returns why r is refused, or "" when it is allowed.
func notLoopback(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "the peer address " + quoteShort(host) + " is not a loopback address"
	}
	if !loopbackHost(r.Host) {
		return "the Host header " + quoteShort(r.Host) + " is not localhost or a loopback address"
	}
	for name := range r.Header {
		if isProxyHeader(name) {
			return "the request came through a proxy or tunnel (" + name + " header present)"
		}
	}
	// Browsers send "Origin: null" for some same-origin navigations (e.g.
	// a form post from a page with a strict referrer policy); Sec-Fetch-Site
	// cannot be set by page scripts, so it vouches for those.
	if o := r.Header.Get("Origin"); o != "" && !(o == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin") {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !loopbackHost(u.Host) {
			return "the Origin " + quoteShort(o) + " is not a page served from this machine"
		}
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return "the browser marked the request as cross-site"
	}
	return ""
}

func isProxyHeader(name string) bool {
	name = textproto.CanonicalMIMEHeaderKey(name)
	return name == "Forwarded" || strings.HasPrefix(name, "X-Forwarded-") ||
		name == "X-Real-Ip" || name == "Via" || name == "X-Original-Forwarded-For"
}

// loopbackHost reports whether a Host header value (with optional port)
// names this machine.
func loopbackHost(hostport string) bool {
	if hostport == "" {
		return false
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// quoteShort quotes s for an error message, cut to a sane length.
func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return `"` + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return '?'
		}
		return r
	}, s) + `"`
}
