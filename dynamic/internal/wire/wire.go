package wire

import (
	"errors"
	"fmt"
)

// Values of the headers the official JS SDK (@dynamic-labs-sdk/client 1.27.1,
// built against @dynamic-labs/sdk-api-core 0.0.1125) sends on every API call.
const (
	// SDKVersion is the SDK version presented: the x-dyn-version header is
	// "ClientSDK/" + SDKVersion, and the settings call passes the same string
	// as its sdkVersion query parameter.
	SDKVersion = "1.27.1"
	// APIVersion is the api-core version presented in x-dyn-api-version
	// ("API/" + APIVersion).
	APIVersion = "0.0.1125"
	// Platform is the x-dynamic-platform value of the SDK's web/Node build.
	Platform = "web"
	// Version is extauth's version, sent in the default User-Agent
	// ("extauth-go/" + Version).
	Version = "0.2.0"
)

// Header names, spelled as the SDK sends them. Go's HTTP/1.1 client writes
// header names as given, so the wire casing matches the recordings (HTTP/2
// lower-cases everything anyway).
const (
	HeaderAPIVersion        = "x-dyn-api-version"
	HeaderVersion           = "x-dyn-version"
	HeaderRequestID         = "x-dyn-request-id"
	HeaderSessionID         = "x-dyn-session-id"
	HeaderPlatform          = "x-dynamic-platform"
	HeaderSessionPublicKey  = "x-dyn-session-public-key"
	HeaderDeviceNonce       = "x-dynamic-device-nonce"
	HeaderDevicePublicKey   = "x-dynamic-device-publickey"
	HeaderDeviceSignedNonce = "x-dynamic-device-signed-nonce"
)

// Error codes of Dynamic's API that the client branches on and the fake
// answers with.
const (
	CodeInvalidExternalAuth    = "invalid_external_auth"
	CodeInvalidDeviceSignature = "invalid_device_signature"
	CodeInvalidScopes          = "invalid_scopes"
	CodeInvalidSessionKey      = "invalid_session_public_key"
	CodeNotFound               = "not_found"
	CodeUnauthorized           = "unauthorized"
	CodeTooManyRequests        = "too_many_requests"
)

// AccessTokenCookie is the cookie that carries Dynamic's access token in
// cookie-based environments.
const AccessTokenCookie = "DYNAMIC_JWT_TOKEN"

// ErrBadSessionKey reports a session public key not in the SDK's format.
var ErrBadSessionKey = errors.New("SessionPublicKey")

// CheckSessionPublicKey checks the SDK's format of a session public key
// (sessionPublicKey, x-dyn-session-public-key): a compressed P-256 point as
// 66 lower-case hex characters starting with 02 or 03. The point is not
// checked to lie on the curve: the SDK sends what its caller gives it.
func CheckSessionPublicKey(k string) error {
	const want = "want 66 lower-case hex characters starting with 02 or 03 (a compressed P-256 key)"
	if len(k) != DevicePublicKeyHexLen {
		return fmt.Errorf("%w has %d characters, %s", ErrBadSessionKey, len(k), want)
	}
	if k[0] != '0' || (k[1] != '2' && k[1] != '3') {
		return fmt.Errorf("%w does not start with 02 or 03: %s", ErrBadSessionKey, want)
	}
	for i := 0; i < len(k); i++ {
		if ch := k[i]; !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f') {
			return fmt.Errorf("%w character %d is not lower-case hex: %s", ErrBadSessionKey, i+1, want)
		}
	}
	return nil
}
