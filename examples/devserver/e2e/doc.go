// Package e2e holds the browser tests of the devserver (examples/devserver).
//
// The tests live in a module of their own so that chromedp, which drives the
// browser, never enters the go.mod of the extauth library. The go.mod replaces
// github.com/extauth/extauth with the working tree (../../..), so the tests
// always build the devserver from the code next to them.
//
// Run them from this directory:
//
//	go test -count=1 ./...
//
// They need Debian's chromium (/usr/bin/chromium, or the path in E2E_CHROMIUM).
// Without it they skip, unless the environment variable CI is set, in which
// case a missing browser is a failure. Screenshots of every step and the log of
// every devserver go to E2E_ARTIFACTS (default: e2e-artifacts/ at the root of
// the repository, which git ignores). E2E_TIMEOUT bounds each test (a Go
// duration, default 90s).
package e2e
