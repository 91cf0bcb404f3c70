package main

import (
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// loopbackOnly lets a request through only when it can only have come from
// this machine: a loopback peer, a loopback Host (defeats DNS rebinding),
// no proxy headers (ngrok and other tunnels add them) and, when a browser
// says where the request comes from, one of our own pages (defeats requests
// from other sites the developer visits and from other local dev servers;
// following a link to a page is fine). Anything else gets 403 with a JSON
// reason.
//
// Requests to the local Dynamic from one of origins (your own front-end
// on another local port) pass the origin checks, still only from this
// machine.
func loopbackOnly(next http.Handler, origins []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := notLoopback(r, origins); reason != "" {
			writeError(w, http.StatusForbidden, "forbidden: "+reason+"; only "+jwksPath+" is public, everything else answers requests from this machine only")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// notLoopback returns why r is refused, or "" when it is allowed.
func notLoopback(r *http.Request, origins []string) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "the peer address " + quoteShort(host) + " is not a loopback address"
	}
	// An absolute-form target ("GET http://host/path") is what clients send
	// to a proxy, never to an origin server; net/http would take r.Host
	// from it and ignore the Host header.
	if r.URL.Host != "" || r.URL.Scheme != "" {
		return "the request target is an absolute URL (a proxy request)"
	}
	if !loopbackHost(r.Host) {
		return "the Host header " + quoteShort(r.Host) + " is not localhost or a loopback address"
	}
	for name := range r.Header {
		if isProxyHeader(name) {
			return "the request came through a proxy or tunnel (" + name + " header present)"
		}
	}
	// Browsers say where a request comes from (page scripts cannot forge
	// Origin or Sec-Fetch-*). Only this devserver's own pages may post to
	// it: another origin, even another port on localhost (a different dev
	// server), could otherwise mint tokens or sign the browser in and out.
	site := r.Header.Get("Sec-Fetch-Site")
	if strings.HasPrefix(r.URL.Path, localDynPrefix+"/") && slices.Contains(origins, strings.ToLower(r.Header.Get("Origin"))) {
		return "" // a listed front-end calling the local Dynamic (answered with CORS)
	}
	if o := r.Header.Get("Origin"); o != "" {
		// "Origin: null" comes with some same-origin navigations (e.g. a
		// form post from a page with a strict referrer policy); then
		// Sec-Fetch-Site vouches for it.
		if !(o == "null" && site == "same-origin") && !sameOrigin(o, r.Host) {
			return "the Origin " + quoteShort(o) + " is not this devserver's own origin " + quoteShort("http://"+r.Host)
		}
	}
	switch site {
	case "", "same-origin", "none": // not a browser, our own page, or typed/bookmarked
	default:
		// Following a link from another site to a page is harmless (GET
		// has no side effects here and the answer goes to the user only);
		// anything else from another site or origin is refused.
		if !topLevelNavigation(r) {
			return "the browser marked the request as " + quoteShort(site) + " (it comes from a page of another origin)"
		}
	}
	return ""
}

// sameOrigin reports whether a browser's Origin header names the origin
// http://host of the request itself.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Scheme == "http" && u.User == nil && (u.Path == "" || u.Path == "/") &&
		u.Host != "" && strings.EqualFold(u.Host, host)
}

// topLevelNavigation reports whether r is a browser loading a page in a
// tab (following a link), as opposed to a fetch, form post or subresource.
func topLevelNavigation(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
}

func isProxyHeader(name string) bool {
	name = textproto.CanonicalMIMEHeaderKey(name)
	switch name {
	case "Forwarded", "Via", "X-Real-Ip", "X-Original-Forwarded-For", "X-Original-Host",
		"X-Client-Ip", "X-Cluster-Client-Ip", "True-Client-Ip", "Cf-Connecting-Ip", "Cdn-Loop", "Fastly-Client-Ip":
		return true
	}
	return strings.HasPrefix(name, "X-Forwarded-")
}

// loopbackHost reports whether a Host header value (with optional port)
// names this machine.
func loopbackHost(hostport string) bool {
	if hostport == "" {
		return false
	}
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		// "localhost:evil.example" splits into localhost and a "port"
		// that is a host name: refuse anything but a port number.
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
			return false
		}
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
