module github.com/extauth/extauth/examples/devserver/e2e

go 1.25.0

// The devserver under test; TestMain builds it with `go build`, and
// `go tool devserver` runs it from this module.
tool github.com/extauth/extauth/examples/devserver

require (
	github.com/MicahParks/keyfunc/v3 v3.9.1
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/golang-jwt/jwt/v5 v5.3.1
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/extauth/extauth v0.0.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	golang.org/x/time v0.15.0 // indirect
)

// chromedp stays in this module; the library's go.mod never sees it.
replace github.com/extauth/extauth => ../../..
