package dynamic

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// SettingsTTL is how long ProjectSettings are cached, as in the JS SDK.
const SettingsTTL = 5 * time.Minute

// settingsRetry is how long previous settings stay in use after a failed
// refresh.
const settingsRetry = time.Minute

// ProjectSettings is the subset of an environment's settings that external
// JWT sign-in depends on, plus the whole document in Raw.
type ProjectSettings struct {
	// EnvironmentName is e.g. "sandbox" or "live".
	EnvironmentName string `json:"environmentName"`
	// Security holds security.externalAuth and security.auth.
	Security Security `json:"security"`
	// Raw is the complete settings document as received.
	Raw json.RawMessage `json:"-"`
}

// Security is the settings' security block (subset).
type Security struct {
	// ExternalAuth is security.externalAuth, the "Bring Your Own Auth"
	// configuration from the dashboard.
	ExternalAuth ExternalAuthSettings `json:"externalAuth"`
	// Auth is security.auth.
	Auth AuthSettings `json:"auth"`
}

// AuthSettings is security.auth.
type AuthSettings struct {
	// Storage lists where the SDK keeps the session: "localstorage" and/or
	// "cookie".
	Storage []string `json:"storage"`
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

// ExternalAuthOn reports whether external JWT sign-in is configured: iss and
// jwksUrl are both set.
//
// This deliberately ignores Security.ExternalAuth.Enabled. The reference
// demo's documentation states that the current API reports that flag
// inverted and that "on" must be decided by the configuration's presence;
// the demo's own code trusts the flag, so its JWT section hides exactly when
// the feature is on if the documentation is right. Whether the live API
// inverts the flag could not be verified; the raw value stays available in
// Enabled.
func (s *ProjectSettings) ExternalAuthOn() bool {
	ea := s.Security.ExternalAuth
	return ea.Iss != "" && ea.JWKSURL != ""
}

// CookieMode reports whether the environment is cookie-based, by the SDK's
// rule: security.auth.storage contains "cookie" or externalAuth.cookieName
// is set. Cookie-based environments get no device-nonce headers.
func (s *ProjectSettings) CookieMode() bool {
	return slices.Contains(s.Security.Auth.Storage, "cookie") || s.Security.ExternalAuth.CookieName != ""
}

// decodeSettings parses a settings document.
func decodeSettings(data []byte) (*ProjectSettings, error) {
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] != '{' && json.Valid(t) {
		return nil, badResponse("GET settings", "body is JSON but not an object")
	}
	ps := new(ProjectSettings)
	if err := decodeJSON("GET", "settings", t, ps); err != nil {
		return nil, err
	}
	ps.Raw = json.RawMessage(bytes.Clone(t))
	return ps, nil
}

// ProjectSettings returns the environment's settings:
// GET {BaseURL}/sdk/{environmentId}/settings?sdkVersion=ClientSDK%2F1.27.1,
// with the SDK's headers. Results are cached for SettingsTTL; concurrent
// callers share one request. When a refresh fails, the error is returned
// and the previous settings are served for another minute before the next
// attempt. The returned value is shared: do not modify it.
func (c *Client) ProjectSettings(ctx context.Context) (*ProjectSettings, error) {
	st, err := c.state()
	if err != nil {
		return nil, err
	}
	return st.projectSettings(ctx, false)
}

// ExternalAuthEnabled reports ProjectSettings(ctx).ExternalAuthOn(): whether
// iss and jwksUrl are configured (see ExternalAuthOn for why the raw
// "enabled" flag is not used).
func (c *Client) ExternalAuthEnabled(ctx context.Context) (bool, error) {
	ps, err := c.ProjectSettings(ctx)
	if err != nil {
		return false, err
	}
	return ps.ExternalAuthOn(), nil
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
		fresh := s.now().Sub(sc.fetched) < SettingsTTL
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
				sc.fetched = s.now().Add(settingsRetry - SettingsTTL)
			}
			return err
		}
		sc.value, sc.fetched = ps, s.now()
		return nil
	})
}
