package dynamic

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
)

// Values of the headers the official JS SDK (@dynamic-labs-sdk/client 1.27.1,
// built against @dynamic-labs/sdk-api-core 0.0.1125) sends on every API call.
// Client.Headers overrides them.
const (
	// SDKVersion is the SDK version the client presents: the x-dyn-version
	// header is "ClientSDK/" + SDKVersion, and the settings call passes the
	// same string as its sdkVersion query parameter.
	SDKVersion = "1.27.1"
	// APIVersion is the api-core version the client presents in
	// x-dyn-api-version ("API/" + APIVersion).
	APIVersion = "0.0.1125"
	// Platform is the x-dynamic-platform value of the SDK's web/Node build.
	Platform = "web"
	// Version is this library's version, sent in the default User-Agent
	// ("extauth-go/" + Version).
	Version = "0.1.0"
)

// Header names of the SDK's common headers, spelled as the SDK sends them.
// Go's HTTP/1.1 client writes header names as given, so the wire casing
// matches the recordings (HTTP/2 lower-cases everything anyway).
const (
	HeaderAPIVersion       = "x-dyn-api-version"
	HeaderVersion          = "x-dyn-version"
	HeaderRequestID        = "x-dyn-request-id"
	HeaderSessionID        = "x-dyn-session-id"
	HeaderPlatform         = "x-dynamic-platform"
	HeaderSessionPublicKey = "x-dyn-session-public-key"
)

// Lengths of the random identifiers, as the SDK generates them.
const (
	requestIDLen = 50 // x-dyn-request-id: fresh per call
	sessionIDLen = 32 // x-dyn-session-id: fixed per client
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum returns n characters drawn uniformly from [A-Za-z0-9] with
// crypto/rand, like the SDK's randomString. Rejection sampling keeps the
// distribution uniform (248 = 4*62).
func randomAlnum(n int) string {
	out := make([]byte, n)
	var buf [64]byte
	for i := 0; i < n; {
		rand.Read(buf[:]) // never returns an error (Go ≥ 1.24); it crashes the program instead
		for _, b := range buf {
			if b >= 248 {
				continue
			}
			out[i] = alnum[b%62]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

// baseHeaders builds the header set shared by every request of a client:
// the SDK's constant headers, the per-client session id and session public
// key, the User-Agent, and finally the caller's overrides (matched without
// regard to case; an override with no values removes the header).
func baseHeaders(sessionID, sessionPublicKey, userAgent string, overrides http.Header) http.Header {
	h := http.Header{
		"Content-Type":         {"application/json"},
		HeaderAPIVersion:       {"API/" + APIVersion},
		HeaderPlatform:         {Platform},
		HeaderSessionID:        {sessionID},
		HeaderVersion:          {"ClientSDK/" + SDKVersion},
		HeaderSessionPublicKey: {sessionPublicKey},
		"User-Agent":           {userAgent},
	}
	for name, values := range overrides {
		for existing := range h {
			if strings.EqualFold(existing, name) {
				delete(h, existing)
			}
		}
		if len(values) > 0 {
			// Full slice: a RoundTripper's Header.Add must not write into
			// the backing array shared by all requests.
			h[name] = slices.Clip(slices.Clone(values))
		}
	}
	return h
}

// headerValue looks a header up without regard to the case of its name
// (base headers keep the SDK's lower-case names, which http.Header.Get
// would not find).
func headerValue(h http.Header, name string) string {
	if v, ok := h[name]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
