package dynamic

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"

	"github.com/extauth/extauth/dynamic/internal/wire"
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
		"Content-Type":              {"application/json"},
		wire.HeaderAPIVersion:       {"API/" + wire.APIVersion},
		wire.HeaderPlatform:         {wire.Platform},
		wire.HeaderSessionID:        {sessionID},
		wire.HeaderVersion:          {"ClientSDK/" + wire.SDKVersion},
		wire.HeaderSessionPublicKey: {sessionPublicKey},
		"User-Agent":                {userAgent},
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
