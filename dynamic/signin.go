package dynamic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/extauth/extauth/dynamic/internal/wire"
	"github.com/golang-jwt/jwt/v5"
)

// SignInOptions are the optional parts of a sign-in.
type SignInOptions struct {
	// SessionPublicKey is sent in the body as "sessionPublicKey" (Dynamic
	// binds it into the access token's session_public_key claim): a
	// compressed P-256 public key, 66 lower-case hex characters starting with
	// 02 or 03, as the browser SDK sends it. Empty: not sent.
	SessionPublicKey string
	// AccessToken, when set, is sent as "Authorization: Bearer …", as the SDK
	// does when it already holds a session.
	AccessToken string
}

// Session is Dynamic's answer to a successful sign-in (VerifyResponse).
// Its String method omits the tokens.
type Session struct {
	// AccessToken is Dynamic's access token ("minifiedJwt"), sent as
	// "Authorization: Bearer" on later calls. Empty in cookie-based
	// environments.
	AccessToken string
	// JWT is Dynamic's id-style token ("jwt").
	JWT string
	// ExpiresAt is when the session ends ("expiresAt", unix seconds).
	ExpiresAt time.Time
	// User is the signed-in Dynamic user.
	User User
	// MFAToken is set when an MFA step is pending ("mfaToken").
	MFAToken string
	// ElevatedAccessToken is an elevated token minted alongside, if any.
	ElevatedAccessToken string
	// RequestID is the x-dyn-request-id of the sign-in request.
	RequestID string
	// Raw is the complete answer as received (it contains the tokens), for
	// fields this package does not model.
	Raw json.RawMessage
}

// String describes the session without its tokens, so that printing a
// Session with %v cannot leak them.
func (s Session) String() string {
	return fmt.Sprintf("dynamic.Session{user=%s expires=%s}", s.User.ID, s.ExpiresAt.UTC().Format(time.RFC3339))
}

// GoString is like String, so that %#v cannot print the tokens either.
func (s Session) GoString() string { return s.String() }

// LogValue makes slog log the user id and expiry only, never the tokens.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user_id", s.User.ID), slog.Time("expires_at", s.ExpiresAt))
}

// User is Dynamic's SdkUser (subset; Session.Raw holds the whole answer).
type User struct {
	ID                       string `json:"id"`                       // Dynamic user id (UUID)
	ProjectEnvironmentID     string `json:"projectEnvironmentId"`     // the environment id
	SessionID                string `json:"sessionId"`                // Dynamic's auth session id
	Email                    string `json:"email"`                    // from the external JWT's email claim, if any
	Username                 string `json:"username"`                 // optional profile field
	FirstName                string `json:"firstName"`                // optional profile field
	LastName                 string `json:"lastName"`                 // optional profile field
	Scope                    string `json:"scope"`                    // space-separated, e.g. "user:basic"
	NewUser                  bool   `json:"newUser"`                  // first sign-in of this user
	LastVerifiedCredentialID string `json:"lastVerifiedCredentialId"` // credential used to sign in
	// Metadata is the user's free-form metadata object.
	Metadata json.RawMessage `json:"metadata"`
	// VerifiedCredentials are the user's credentials; external-JWT sign-in
	// creates one with Format "externalUser".
	VerifiedCredentials []VerifiedCredential `json:"verifiedCredentials"`
}

// ExternalUserID returns the public identifier (the external JWT's sub) of
// the user's externalUser credential, or "" if there is none.
func (u *User) ExternalUserID() string {
	for i := range u.VerifiedCredentials {
		if vc := &u.VerifiedCredentials[i]; vc.Format == "externalUser" {
			return vc.PublicIdentifier
		}
	}
	return ""
}

// VerifiedCredential is Dynamic's JwtVerifiedCredential (subset). Its wire
// names mix camelCase and snake_case (public_identifier, wallet_name, …).
type VerifiedCredential struct {
	ID     string `json:"id"`     // credential id (UUID)
	Format string `json:"format"` // blockchain, email, oauth, passkey, phoneNumber, externalUser, totp
	// PublicIdentifier is "public_identifier" on the wire (the API model's
	// name); "publicIdentifier" is accepted too, since some fakes send it.
	// For the externalUser credential it is the external JWT's sub.
	PublicIdentifier string `json:"public_identifier"`
	Email            string `json:"email"`          // email credentials
	SignInEnabled    bool   `json:"signInEnabled"`  // usable to sign in
	Address          string `json:"address"`        // blockchain credentials
	Chain            string `json:"chain"`          // blockchain credentials
	WalletName       string `json:"wallet_name"`    // blockchain credentials
	OAuthProvider    string `json:"oauth_provider"` // oauth credentials
	LastSelectedAt   string `json:"lastSelectedAt"` // ISO-8601
}

// verifyResponse is the wire form of VerifyResponse.
type verifyResponse struct {
	User                *User    `json:"user"`
	ExpiresAt           *float64 `json:"expiresAt"`
	MinifiedJWT         string   `json:"minifiedJwt"`
	JWT                 string   `json:"jwt"`
	MFAToken            string   `json:"mfaToken"`
	ElevatedAccessToken *string  `json:"elevatedAccessToken"`
}

// decodeVerifyResponse parses a sign-in answer and checks the fields the API
// model requires: user (with id, projectEnvironmentId and a
// verifiedCredentials array) and expiresAt (unix seconds).
func decodeVerifyResponse(data []byte) (*Session, error) {
	const op = "POST externalAuth/signin"
	t := bytes.TrimSpace(data)
	var vr verifyResponse
	if err := decodeJSON(op, t, &vr); err != nil {
		return nil, err
	}
	if vr.User == nil {
		return nil, badResponse(op, "user is missing or not an object")
	}
	if vr.ExpiresAt == nil {
		return nil, badResponse(op, "expiresAt is missing")
	}
	exp := *vr.ExpiresAt
	if exp <= 0 || exp > 1e11 || math.IsNaN(exp) {
		return nil, badResponse(op, "expiresAt %v is not a unix time in seconds", exp)
	}
	u := vr.User
	switch {
	case u.VerifiedCredentials == nil:
		return nil, badResponse(op, "user.verifiedCredentials is missing or not an array")
	case u.ID == "":
		return nil, badResponse(op, "user.id is missing")
	case u.ProjectEnvironmentID == "":
		return nil, badResponse(op, "user.projectEnvironmentId is missing")
	}
	if err := camelPublicIdentifiers(u, t); err != nil {
		return nil, badResponse(op, "user.verifiedCredentials: %v", err)
	}
	sess := &Session{
		AccessToken: vr.MinifiedJWT,
		JWT:         vr.JWT,
		MFAToken:    vr.MFAToken,
		ExpiresAt:   unixSeconds(exp),
		User:        *u,
		Raw:         json.RawMessage(t), // data is ours and never reused
	}
	if vr.ElevatedAccessToken != nil {
		sess.ElevatedAccessToken = *vr.ElevatedAccessToken
	}
	return sess, nil
}

// unixSeconds converts fractional unix seconds (at most 1e11) to a UTC time.
// (Going through nanoseconds would overflow int64 after the year 2262.)
func unixSeconds(sec float64) time.Time {
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

// camelPublicIdentifiers fills PublicIdentifier from "publicIdentifier"
// where "public_identifier" was absent. The API model spells it
// public_identifier; some fakes (the SDK recordings' among them) send the
// camelCase name. Only such answers pay for the second pass.
func camelPublicIdentifiers(u *User, body []byte) error {
	missing := slices.ContainsFunc(u.VerifiedCredentials, func(vc VerifiedCredential) bool { return vc.PublicIdentifier == "" })
	if !missing || !bytes.Contains(body, []byte(`"publicIdentifier"`)) {
		return nil
	}
	var camel struct {
		User struct {
			VerifiedCredentials []struct {
				PublicIdentifier string `json:"publicIdentifier"`
			} `json:"verifiedCredentials"`
		} `json:"user"`
	}
	if err := json.Unmarshal(body, &camel); err != nil {
		return err
	}
	for i, c := range camel.User.VerifiedCredentials {
		if i < len(u.VerifiedCredentials) && u.VerifiedCredentials[i].PublicIdentifier == "" {
			u.VerifiedCredentials[i].PublicIdentifier = c.PublicIdentifier
		}
	}
	return nil
}

// SignInWithExternalJWT signs a user in with an external JWT:
// POST {BaseURL}/sdk/{environmentId}/externalAuth/signin with body
// {"jwt": externalJWT} (plus "sessionPublicKey" when opts has one) and the
// official SDK's headers. In environments that are not cookie-based it adds
// the device-nonce headers (x-dynamic-device-nonce, -publickey,
// -signed-nonce) over a nonce from the client's pool.
//
// The first call loads the project settings and the nonce pool (two extra
// round trips; see Prefetch). After that a sign-in is exactly one HTTP
// round trip: settings are reused (refreshed in the background after
// settingsTTL) and the pool refills itself in the background.
//
// A rejected JWT gives a *APIError matching ErrInvalidExternalAuth.
func (c *Client) SignInWithExternalJWT(ctx context.Context, externalJWT string, opts *SignInOptions) (*Session, error) {
	st, err := c.state()
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &SignInOptions{}
	}
	if err := checkCompactJWT("external JWT", externalJWT); err != nil {
		return nil, err
	}
	if opts.SessionPublicKey != "" {
		if err := checkSessionPublicKey(opts.SessionPublicKey); err != nil {
			return nil, err
		}
	}
	if err := checkToken("SignInOptions.AccessToken", opts.AccessToken); err != nil {
		return nil, err
	}
	ps, err := st.projectSettings(ctx, true)
	if err != nil {
		return nil, err
	}
	r := &request{method: "POST", url: st.signinURL, bearer: opts.AccessToken, body: signInBody{JWT: externalJWT, SessionPublicKey: opts.SessionPublicKey}.encode()}
	if !ps.CookieMode() {
		n, err := st.pool.take(ctx)
		if err != nil {
			return nil, err
		}
		r.device = &n
	}
	data, err := st.do(ctx, r)
	if err != nil {
		return nil, err
	}
	sess, err := decodeVerifyResponse(data)
	if err != nil {
		return nil, err
	}
	sess.RequestID = r.requestID
	return sess, nil
}

// signInBody is the body of externalAuth/signin and externalAuth/verify:
// json.Marshal of it is byte for byte what the SDK's JSON.stringify sends
// (the fixtures' byte-equality test proves it).
type signInBody struct {
	JWT              string `json:"jwt"`
	SessionPublicKey string `json:"sessionPublicKey,omitempty"`
}

func (b signInBody) encode() []byte { return mustJSON(b) }

// mustJSON marshals a request body made of strings, which cannot fail.
func mustJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}

// checkCompactJWT checks that tok looks like a compact JWS (three
// base64url segments), without echoing it. A token is input, not
// configuration, so its errors match jwt.ErrTokenMalformed (and
// ErrInvalidExternalAuth), as the Validator's do.
func checkCompactJWT(what, tok string) error {
	if tok == "" {
		return refuse(jwt.ErrTokenMalformed, "%s is empty: pass the token your issuer signed", what)
	}
	if strings.Count(tok, ".") != 2 {
		return refuse(jwt.ErrTokenMalformed, "%s is not a compact JWS (want three base64url parts separated by dots, got %d dots)", what, strings.Count(tok, "."))
	}
	for i := 0; i < len(tok); i++ {
		ch := tok[i]
		if !(ch == '.' || ch == '-' || ch == '_' || '0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z') {
			return refuse(jwt.ErrTokenMalformed, "%s contains a character that is not base64url (position %d): pass the compact token without quotes or whitespace", what, i+1)
		}
	}
	return nil
}

// checkToken checks that an optional bearer token can travel in a header.
func checkToken(what, tok string) error {
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x21 || tok[i] > 0x7e {
			return fmt.Errorf("%w: %s contains a character that cannot be sent in a header (position %d)", ErrInvalidConfig, what, i+1)
		}
	}
	return nil
}

// checkSessionPublicKey checks SignInOptions.SessionPublicKey.
func checkSessionPublicKey(k string) error {
	if err := wire.CheckSessionPublicKey(k); err != nil {
		return fmt.Errorf("%w: SignInOptions.%w", ErrInvalidConfig, err)
	}
	return nil
}
