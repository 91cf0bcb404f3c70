package dynamic

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
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
	data, err := st.do(ctx, &request{method: "POST", url: st.verifyURL, bearer: accessToken, body: signInBody{JWT: assertionJWT}.encode()})
	if err != nil {
		return "", err
	}
	return decodeElevatedToken(data)
}

// decodeElevatedToken parses {"elevatedAccessToken": "…"}.
func decodeElevatedToken(data []byte) (string, error) {
	const op = "POST externalAuth/verify"
	var doc struct {
		ElevatedAccessToken string `json:"elevatedAccessToken"`
	}
	if err := decodeJSON(op, data, &doc); err != nil {
		return "", err
	}
	if doc.ElevatedAccessToken == "" {
		return "", badResponse(op, "elevatedAccessToken is missing")
	}
	return doc.ElevatedAccessToken, nil
}

// ErrMissingScope reports a step-up assertion without a scope. Unlike the
// other assertion errors it does not match ErrInvalidExternalAuth: Dynamic's
// API has the separate code invalid_scopes for it.
var ErrMissingScope = errors.New("dynamic: step-up assertion has no scope")

// ValidateStepUp checks a step-up assertion (the assertionJWT of
// RequestElevatedToken) as Dynamic does: everything Validate checks, plus a
// sub equal to externalUserID (User.ExternalUserID() of the signed-in user;
// jwt.ErrTokenInvalidSubject), a non-empty space-separated scope
// (ErrMissingScope) and a jti (jwt.ErrTokenRequiredClaimMissing). Refusing a jti seen before is up to the
// caller, which keeps the state (dynamictest does).
func (v *Validator) ValidateStepUp(ctx context.Context, assertion, externalUserID string) (*ExternalClaims, error) {
	c, err := v.Validate(ctx, assertion)
	if err != nil {
		return nil, err
	}
	switch {
	case externalUserID == "" || c.Subject != externalUserID:
		return nil, refuse(jwt.ErrTokenInvalidSubject, "the assertion's sub is %q, the signed-in user's external id %q: sign the assertion for the signed-in user", clip(c.Subject), clip(externalUserID))
	case strings.TrimSpace(c.Scope) == "":
		return nil, fmt.Errorf("%w: add a space-separated scope claim, e.g. \"wallet:export\"", ErrMissingScope)
	case c.ID == "":
		return nil, refuse(jwt.ErrTokenRequiredClaimMissing, "jti absent: give every assertion a unique jti (replay protection)")
	}
	return c, nil
}
