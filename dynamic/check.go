package dynamic

import (
	"context"
	"fmt"
)

// CheckExternalJWT asks Dynamic itself whether externalJWT passes the
// environment's saved External Authentication settings:
// POST {BaseURL}/environments/{environmentId}/externalJwt/check with
// "Authorization: Bearer <Config.APIToken>" and {"encodedJwt": …}, the
// check the dashboard's "Check JWT" runs. It returns Dynamic's reasons for
// refusing the token, none when it is valid.
//
// Errors are about the call (no APIToken: ErrInvalidConfig; a refused token:
// ErrUnauthorized; …), not the JWT. The API token never appears in an error
// or a log line.
func (c *Client) CheckExternalJWT(ctx context.Context, externalJWT string) ([]string, error) {
	st, err := c.state()
	if err != nil {
		return nil, err
	}
	if st.apiToken == "" {
		return nil, fmt.Errorf("%w: Config.APIToken is empty: CheckExternalJWT needs a dyn_ API token of the environment (dashboard → Developers → API tokens)", ErrInvalidConfig)
	}
	if err := checkCompactJWT("external JWT", externalJWT); err != nil {
		return nil, err
	}
	body := struct {
		EncodedJWT string `json:"encodedJwt"`
	}{externalJWT}
	data, err := st.do(ctx, &request{method: "POST", url: st.checkURL, bearer: st.apiToken, body: mustJSON(body)})
	if err != nil {
		return nil, err
	}
	const op = "POST externalJwt/check"
	var doc struct {
		Valid  *bool    `json:"valid"`
		Errors []string `json:"errors"`
	}
	if err := decodeJSON(op, data, &doc); err != nil {
		return nil, err
	}
	switch {
	case doc.Valid == nil:
		return nil, badResponse(op, "valid is missing")
	case *doc.Valid:
		return nil, nil
	case len(doc.Errors) == 0:
		return []string{"Dynamic reports the JWT invalid without a reason"}, nil
	}
	out := make([]string, len(doc.Errors))
	for i, e := range doc.Errors {
		out[i] = redact(e)
	}
	return out, nil
}
