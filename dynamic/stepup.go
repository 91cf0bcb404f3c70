package dynamic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// RequestElevatedToken exchanges a step-up assertion for an elevated access
// token: POST {BaseURL}/sdk/{environmentId}/externalAuth/verify with body
// {"jwt": assertionJWT} and "Authorization: Bearer accessToken" (the
// signed-in user's Session.AccessToken). The assertion is signed by your
// issuer with a key from the environment's jwksUrl and carries sub (the
// user's external id), scope (space-separated, e.g. "wallet:export"), a
// unique jti and exp. No device headers are sent: this path is not a
// nonce-signature path in the SDK.
//
// The returned token is sent later as x-dyn-elevated-access-token on calls
// that need its scope.
func (c *Client) RequestElevatedToken(ctx context.Context, assertionJWT, accessToken string) (string, error) {
	st, err := c.state()
	if err != nil {
		return "", err
	}
	if err := checkCompactJWT("assertion JWT", assertionJWT); err != nil {
		return "", err
	}
	if accessToken == "" {
		return "", fmt.Errorf("%w: access token is empty: pass Session.AccessToken of the signed-in user", ErrInvalidConfig)
	}
	if err := checkToken("access token", accessToken); err != nil {
		return "", err
	}
	data, err := st.do(ctx, &request{method: "POST", url: st.verifyURL, bearer: accessToken, body: signInBody(assertionJWT, "")})
	if err != nil {
		return "", err
	}
	return decodeElevatedToken(data)
}

// decodeElevatedToken parses {"elevatedAccessToken": "…"}.
func decodeElevatedToken(data []byte) (string, error) {
	const method, path = "POST", "externalAuth/verify"
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] != '{' && json.Valid(t) {
		return "", badResponse(method+" "+path, "body is JSON but not an object")
	}
	var doc struct {
		ElevatedAccessToken string `json:"elevatedAccessToken"`
	}
	if err := decodeJSON(method, path, t, &doc); err != nil {
		return "", err
	}
	if doc.ElevatedAccessToken == "" {
		return "", badResponse(method+" "+path, "elevatedAccessToken is missing")
	}
	return doc.ElevatedAccessToken, nil
}

// Errors of ValidateStepUp beyond Validate's.
var (
	// ErrSubjectMismatch: a step-up assertion's sub is not the signed-in
	// user's external id (the externalUser credential's public identifier).
	// It matches ErrInvalidExternalAuth.
	ErrSubjectMismatch error = &externalAuthError{"dynamic: step-up assertion sub is not the signed-in user's"}
	// ErrMissingScope: a step-up assertion has no scope. Unlike the other
	// assertion errors it does not match ErrInvalidExternalAuth: Dynamic's
	// API has the separate code invalid_scopes for it.
	ErrMissingScope = errors.New("dynamic: step-up assertion has no scope")
)

// ValidateStepUp checks a step-up assertion (the assertionJWT of
// RequestElevatedToken) as Dynamic does: everything Validate checks, plus a
// sub equal to externalUserID (User.ExternalUserID() of the signed-in user;
// ErrSubjectMismatch), a non-empty space-separated scope (ErrMissingScope)
// and a jti (ErrMissingClaim). Refusing a jti seen before is up to the
// caller, which keeps the state (dynamictest does).
func (v *Validator) ValidateStepUp(ctx context.Context, assertion, externalUserID string) (*ExternalClaims, error) {
	c, err := v.Validate(ctx, assertion)
	if err != nil {
		return nil, err
	}
	switch {
	case externalUserID == "" || c.Subject != externalUserID:
		return nil, fmt.Errorf("%w: assertion sub %q, signed-in user's external id %q: sign the assertion for the signed-in user", ErrSubjectMismatch, clip(c.Subject), clip(externalUserID))
	case strings.TrimSpace(c.Scope) == "":
		return nil, fmt.Errorf("%w: add a space-separated scope claim, e.g. \"wallet:export\"", ErrMissingScope)
	case c.ID == "":
		return nil, fmt.Errorf("%w: jti absent: give every assertion a unique jti (replay protection)", ErrMissingClaim)
	}
	return c, nil
}
