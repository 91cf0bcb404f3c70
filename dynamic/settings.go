package dynamic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// settingsTTL is how long ProjectSettings are cached, as in the JS SDK.
const settingsTTL = 5 * time.Minute

// settingsRetry is how long previous settings stay in use after a failed
// refresh.
const settingsRetry = time.Minute

// ProjectSettings is the subset of an environment's settings that external
// JWT sign-in depends on, plus the whole document in Raw.
type ProjectSettings struct {
	// EnvironmentName is e.g. "sandbox" or "live".
	EnvironmentName string
	// ExternalAuth is security.externalAuth, the "Bring Your Own Auth"
	// configuration from the dashboard.
	ExternalAuth ExternalAuthSettings
	// Storage is security.auth.storage: where the SDK keeps the session,
	// "localstorage" and/or "cookie".
	Storage []string
	// Raw is the complete settings document as received.
	Raw json.RawMessage
}

// ExternalAuthSettings is security.externalAuth. JSON null and absent
// strings both read as "".
type ExternalAuthSettings struct {
	// Enabled is the raw "enabled" flag as Dynamic reports it (nil when
	// absent). Do not trust it: the demo's documentation says the current
	// API reports it inverted. Use ProjectSettings.ExternalAuthOn instead.
	Enabled *bool `json:"enabled"`
	// Iss is the issuer a JWT's iss must equal exactly.
	Iss string `json:"iss"`
	// Aud is the required audience; empty when not checked.
	Aud string `json:"aud"`
	// JWKSURL is where Dynamic fetches the verification keys; it must be
	// publicly reachable.
	JWKSURL string `json:"jwksUrl"`
	// CookieName, when set, makes the environment cookie-based.
	CookieName string `json:"cookieName"`
	// AssumeEmailVerified treats a missing emailVerified claim as true (an
	// explicit false is always respected).
	AssumeEmailVerified bool `json:"assumeEmailVerified"`
}

// settingsDoc is the wire form of the settings document (subset).
type settingsDoc struct {
	EnvironmentName string `json:"environmentName"`
	Security        struct {
		ExternalAuth ExternalAuthSettings `json:"externalAuth"`
		Auth         struct {
			Storage []string `json:"storage"`
		} `json:"auth"`
	} `json:"security"`
}

// ExternalAuthOn reports whether external JWT sign-in is configured: iss and
// jwksUrl are both set.
//
// This deliberately ignores ExternalAuth.Enabled. The reference demo's
// documentation states that the current API reports that flag inverted and
// that "on" must be decided by the configuration's presence; the demo's own
// code trusts the flag, so its JWT section hides exactly when the feature is
// on if the documentation is right. Whether the live API inverts the flag
// could not be verified; the raw value stays available in Enabled.
func (s *ProjectSettings) ExternalAuthOn() bool {
	return s.ExternalAuth.Iss != "" && s.ExternalAuth.JWKSURL != ""
}

// CookieMode reports whether the environment is cookie-based, by the SDK's
// rule: security.auth.storage contains "cookie" or externalAuth.cookieName
// is set. Cookie-based environments get no device-nonce headers.
func (s *ProjectSettings) CookieMode() bool {
	return slices.Contains(s.Storage, "cookie") || s.ExternalAuth.CookieName != ""
}

// Mismatches compares the dashboard's External Authentication settings
// with your issuer: iss is the iss your tokens carry, jwksURL the public URL
// of your JWK Set ("" when not known: not compared) and aud the audiences
// your tokens carry. It returns one sentence per problem Dynamic would
// refuse a sign-in for, or none.
func (s *ProjectSettings) Mismatches(iss, jwksURL string, aud []string) []string {
	ea := s.ExternalAuth
	if !s.ExternalAuthOn() {
		return []string{"external auth is not configured: enter iss and jwksUrl under External Authentication in the dashboard and turn it on"}
	}
	var out []string
	if ea.Iss != iss {
		out = append(out, fmt.Sprintf("the dashboard's iss is %q but the tokens carry %q: Dynamic compares them exactly", ea.Iss, iss))
	}
	if jwksURL != "" && ea.JWKSURL != jwksURL {
		out = append(out, fmt.Sprintf("the dashboard's jwksUrl is %q, the keys are served at %q", ea.JWKSURL, jwksURL))
	}
	if ea.Aud != "" && !slices.Contains(aud, ea.Aud) {
		have := "no aud"
		if len(aud) > 0 {
			have = fmt.Sprintf("aud %q", aud)
		}
		out = append(out, fmt.Sprintf("the dashboard's aud is %q but the tokens carry %s: clear aud in the dashboard or issue tokens for it", ea.Aud, have))
	}
	return out
}

// decodeSettings parses a settings document.
func decodeSettings(data []byte) (*ProjectSettings, error) {
	var doc settingsDoc
	if err := decodeJSON("GET settings", data, &doc); err != nil {
		return nil, err
	}
	return &ProjectSettings{
		EnvironmentName: doc.EnvironmentName,
		ExternalAuth:    doc.Security.ExternalAuth,
		Storage:         doc.Security.Auth.Storage,
		Raw:             json.RawMessage(bytes.Clone(bytes.TrimSpace(data))),
	}, nil
}

// ProjectSettings returns the environment's settings:
// GET {BaseURL}/sdk/{environmentId}/settings?sdkVersion=ClientSDK%2F1.27.1,
// with the SDK's headers. Results are cached for five minutes, as in the JS
// SDK; concurrent callers share one request. When a refresh fails, the
// error is returned and the previous settings are served for another minute
// before the next attempt. The returned value is shared: do not modify it.
func (c *Client) ProjectSettings(ctx context.Context) (*ProjectSettings, error) {
	st, err := c.state()
	if err != nil {
		return nil, err
	}
	return st.projectSettings(ctx, false)
}

// settingsCache holds the last settings and the fetch in progress.
type settingsCache struct {
	mu       sync.Mutex
	value    *ProjectSettings
	fetched  time.Time
	inflight *flight
}

// projectSettings returns cached settings when fresh. With allowStale, an
// expired value is returned at once and refreshed in the background (the
// sign-in path uses this so a warm sign-in stays one round trip).
func (s *clientState) projectSettings(ctx context.Context, allowStale bool) (*ProjectSettings, error) {
	sc := &s.settings
	sc.mu.Lock()
	if v := sc.value; v != nil {
		fresh := s.now().Sub(sc.fetched) < settingsTTL
		if fresh || allowStale {
			if !fresh && sc.inflight == nil {
				sc.inflight = s.startSettingsFetch(ctx)
			}
			sc.mu.Unlock()
			return v, nil
		}
	}
	f := sc.inflight
	if f == nil {
		f = s.startSettingsFetch(ctx)
		sc.inflight = f
	}
	sc.mu.Unlock()
	if err := f.wait(ctx, "GET settings"); err != nil {
		return nil, err
	}
	sc.mu.Lock()
	v := sc.value
	sc.mu.Unlock()
	if v == nil { // cannot happen: a successful flight stores a value
		return nil, badResponse("GET settings", "no settings")
	}
	return v, nil
}

// startSettingsFetch starts a shared fetch; sc.mu must be held.
func (s *clientState) startSettingsFetch(ctx context.Context) *flight {
	return detach(ctx, func(ctx context.Context) error {
		data, err := s.do(ctx, &request{method: "GET", url: s.settingsURL})
		var ps *ProjectSettings
		if err == nil {
			ps, err = decodeSettings(data)
		}
		sc := &s.settings
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.inflight = nil
		if err != nil {
			if sc.value != nil {
				// Keep serving the previous settings and retry in a minute
				// rather than on every call while Dynamic has trouble.
				sc.fetched = s.now().Add(settingsRetry - settingsTTL)
			}
			return err
		}
		sc.value, sc.fetched = ps, s.now()
		return nil
	})
}
