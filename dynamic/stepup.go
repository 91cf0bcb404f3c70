package dynamic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
