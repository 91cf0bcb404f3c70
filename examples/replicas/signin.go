package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauth/extauth/dynamic"
)

// signIn mints a token through the proxy and exchanges it with Dynamic (the
// fake), as a user's browser would after your login. It returns the kid
// that signed the token and the replica that minted it.
func signIn(ctx context.Context, c *dynamic.Client, proxyURL, sub string) (kid, replica string, err error) {
	body, _ := json.Marshal(map[string]string{"sub": sub})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, proxyURL+"/token", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("mint: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		JWT   string `json:"jwt"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("mint: %s %s %v", resp.Status, out.Error, err)
	}
	replica = resp.Header.Get("X-Replica")
	tok, _, err := jwt.NewParser().ParseUnverified(out.JWT, jwt.MapClaims{})
	if err != nil {
		return "", replica, fmt.Errorf("mint: %w", err)
	}
	kid, _ = tok.Header["kid"].(string)
	if _, err := c.SignInWithExternalJWT(ctx, out.JWT, nil); err != nil {
		return kid, replica, fmt.Errorf("sign-in (kid %s, minted by %s): %w", kid, replica, err)
	}
	return kid, replica, nil
}
