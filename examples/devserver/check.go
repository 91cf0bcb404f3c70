package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/issuer"
	"github.com/golang-jwt/jwt/v5"
)

// errCheckFailed makes check exit non-zero after printing its report.
var errCheckFailed = errors.New("check failed")

// checkTimeout bounds the whole check.
const checkTimeout = 20 * time.Second

// checkReport prints one line per item of the demo's troubleshooting list.
type checkReport struct {
	sys    *sysEnv
	failed int
}

func (r *checkReport) line(status, item, detail string) {
	if status == "FAIL" {
		r.failed++
	}
	fmt.Fprintf(r.sys.stdout, "%-4s  %-18s %s\n", status, item+":", detail)
}

// cmdCheck verifies the setup the way Dynamic will: the key is configured,
// the jwksUrl is public, the JWKS answers and publishes our key, a fresh
// token verifies, its iss matches, and (with DYNAMIC_ENVIRONMENT_ID) the
// dashboard has external auth configured with our values.
func cmdCheck(ctx context.Context, args []string, sys *sysEnv) error {
	var fv flagVals
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fv.register(fs, "check")
	jwksURL := fs.String("jwks-url", "", "JWKS URL Dynamic fetches (default: the detected ngrok URL + "+jwksPath+")")
	wantIss := fs.String("dashboard-iss", "", "iss configured in Dynamic's dashboard (default: the dashboard's value with -environment-id, else the issuer)")
	fs.StringVar(&fv.envID, "environment-id", "", "Dynamic environment id whose dashboard values to compare (env "+envEnvironmentID+")")
	fs.StringVar(&fv.dynamicAPI, "dynamic-api-url", "", "Dynamic API base URL (env "+envDynamicAPIURL+")")
	fs.StringVar(&fv.issuer, "issuer", "", "iss of the test token (env JWT_PROVIDER_ISSUER; default "+defaultIssuer+")")
	allowLoopback := fs.Bool("allow-loopback", false, "accept a loopback jwksUrl (for testing the check itself; Dynamic cannot reach it)")
	remote := fs.Bool("remote", false, "also ask Dynamic itself to check a fresh token against the saved settings (needs -environment-id and env "+envAPIToken+")")
	if err := parseFlags(fs, args, sys); err != nil {
		return err
	}
	cfg, err := resolveConfig(&fv, sys.getenv, sys.dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	rep := &checkReport{sys: sys}

	// 1. "JWT_PROVIDER_PUBLIC_KEY not configured"
	ks, err := loadExistingKey(cfg)
	if err != nil {
		rep.line("FAIL", "signing key", err.Error())
	} else if ks.Origin == "env" {
		rep.line("PASS", "signing key", fmt.Sprintf("kid %s from JWT_PROVIDER_* (environment or .env files)", ks.Key.ID()))
	} else {
		rep.line("PASS", "signing key", fmt.Sprintf("kid %s from %s", ks.Key.ID(), ks.Path))
	}
	ourIss := defaultIssuer
	if ks != nil {
		ourIss = cmp.Or(cfg.Issuer, ks.Issuer, defaultIssuer)
	}

	// The dashboard values, when we know the environment.
	var dash *dynamic.ExternalAuthSettings
	var settings *dynamic.ProjectSettings
	var settingsErr error
	if cfg.EnvironmentID != "" {
		var c *dynamic.Client
		if c, settingsErr = dynamic.NewClient(dynamic.Config{EnvironmentID: cfg.EnvironmentID, BaseURL: cfg.DynamicAPIURL}); settingsErr == nil {
			settings, settingsErr = c.ProjectSettings(ctx)
		}
		if settingsErr == nil {
			dash = &settings.ExternalAuth
		}
	}

	// 2. "Dynamic can't verify the JWT": ngrok must run and jwksUrl must be public.
	target := *jwksURL
	switch {
	case target != "":
		if err := publicURL(target); err != nil && !*allowLoopback {
			rep.line("FAIL", "public jwksUrl", err.Error())
		} else {
			rep.line("PASS", "public jwksUrl", target)
		}
	default:
		res, err := newNgrokDetector(cfg.NgrokAPIURL).detect(ctx, cfg.Port)
		if err != nil {
			rep.line("FAIL", "public jwksUrl", fmt.Sprintf("%s. Dynamic must reach your JWKS from the internet (or pass -jwks-url)", strings.TrimRight(err.Error(), ". ")))
		} else {
			target = res.JWKSURL
			if res.Warning != "" {
				rep.line("FAIL", "public jwksUrl", "ngrok's "+res.URL+": "+res.Warning)
			} else {
				rep.line("PASS", "public jwksUrl", "ngrok forwards "+res.URL+" → jwksUrl "+target)
			}
		}
	}

	// 3+4+5. Fetch the JWKS as Dynamic would and verify a fresh token.
	expect := cmp.Or(*wantIss, ourIss)
	if *wantIss == "" && dash != nil && dash.Iss != "" {
		expect = dash.Iss
	}
	switch {
	case target == "":
		rep.line("SKIP", "JWKS reachable", "no jwksUrl to fetch")
		rep.line("SKIP", "token verifies", "no jwksUrl to fetch")
		rep.line("SKIP", "iss matches", "no jwksUrl to fetch")
	case ks == nil:
		rep.line("SKIP", "JWKS reachable", "no signing key to compare with")
		rep.line("SKIP", "token verifies", "no signing key")
		rep.line("SKIP", "iss matches", "no signing key")
	default:
		checkVerification(ctx, rep, ks.Key, ourIss, expect, target)
	}

	// 6. "JWT section not visible on sign-in page"
	switch {
	case cfg.EnvironmentID == "":
		rep.line("SKIP", "dashboard", "no DYNAMIC_ENVIRONMENT_ID: cannot read the External Authentication settings (the local Dynamic needs none)")
	case settingsErr != nil:
		rep.line("FAIL", "dashboard", fmt.Sprintf("could not load the project settings of environment %s: %v", cfg.EnvironmentID, settingsErr))
	case !settings.ExternalAuthOn():
		rep.line("FAIL", "dashboard", "external auth is off: set iss and jwksUrl under External Authentication and turn the toggle on (the sign-in page hides the JWT section until then)")
	default:
		// The devserver mints tokens without aud.
		if diffs := settings.Mismatches(ourIss, target, nil); len(diffs) > 0 {
			rep.line("FAIL", "dashboard", strings.Join(diffs, "; "))
		} else {
			rep.line("PASS", "dashboard", "external auth is on with our iss and jwksUrl")
		}
	}

	if *remote {
		checkRemote(ctx, rep, cfg, ks, ourIss)
	}

	if rep.failed > 0 {
		fmt.Fprintf(sys.stdout, "%d check(s) failed\n", rep.failed)
		return errCheckFailed
	}
	fmt.Fprintln(sys.stdout, "all checks passed")
	return nil
}

// checkVerification fetches the JWKS with Dynamic's rules and verifies a
// freshly minted token, reporting reachability, verification and iss.
func checkVerification(ctx context.Context, rep *checkReport, key *issuer.Key, ourIss, expect, jwksURL string) {
	ring, err := issuer.NewRing(key, nil)
	if err != nil {
		rep.line("FAIL", "JWKS reachable", err.Error())
		return
	}
	iss, err := issuer.New(issuer.Config{Issuer: ourIss, Keys: ring})
	if err != nil {
		rep.line("FAIL", "JWKS reachable", err.Error())
		return
	}
	tok, err := iss.Issue(ctx, issuer.Claims{Subject: "extauth-check-" + newUUID()[:8]})
	if err != nil {
		rep.line("FAIL", "JWKS reachable", "could not mint a test token: "+err.Error())
		return
	}
	v, err := dynamic.NewValidator(ctx, dynamic.ValidatorConfig{Issuer: expect, JWKSURL: jwksURL})
	if err != nil {
		rep.line("FAIL", "JWKS reachable", fmt.Sprintf("%s: %v", jwksURL, err))
		rep.line("SKIP", "token verifies", "JWKS not available")
		rep.line("SKIP", "iss matches", "JWKS not available")
		return
	}
	defer v.Close()
	_, err = v.Validate(ctx, tok)
	switch {
	case err == nil:
		rep.line("PASS", "JWKS reachable", jwksURL+" publishes kid "+key.ID())
		rep.line("PASS", "token verifies", "RS256 signature, sub and exp accepted")
		rep.line("PASS", "iss matches", fmt.Sprintf("%q", expect))
	case errors.Is(err, dynamic.ErrJWKSUnreachable):
		rep.line("FAIL", "JWKS reachable", fmt.Sprintf("%s: %v", jwksURL, err))
		rep.line("SKIP", "token verifies", "JWKS not available")
		rep.line("SKIP", "iss matches", "JWKS not available")
	case errors.Is(err, dynamic.ErrUnknownKey):
		rep.line("FAIL", "JWKS reachable", fmt.Sprintf("%s does not publish kid %s: the server behind it uses another key (run check in the devserver's directory, or restart it after keygen)", jwksURL, key.ID()))
		rep.line("SKIP", "token verifies", "our key is not published")
		rep.line("SKIP", "iss matches", "our key is not published")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		rep.line("PASS", "JWKS reachable", jwksURL+" publishes kid "+key.ID())
		rep.line("PASS", "token verifies", "signature accepted")
		rep.line("FAIL", "iss matches", fmt.Sprintf("the token's iss %q differs from the dashboard's %q: they must be identical (this is what invalid_external_auth means)", ourIss, expect))
	default:
		rep.line("PASS", "JWKS reachable", jwksURL)
		rep.line("FAIL", "token verifies", err.Error())
		rep.line("SKIP", "iss matches", "token did not verify")
	}
}

// publicURL says why Dynamic could not fetch u, or nil.
func publicURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", u, err)
	}
	h := p.Hostname()
	if ip := net.ParseIP(h); h == "localhost" || strings.HasSuffix(h, ".localhost") || (ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified())) {
		return fmt.Errorf("%s points at this machine or a private network: Dynamic cannot reach it (use the ngrok URL, not localhost)", u)
	}
	if p.Scheme != "https" {
		return fmt.Errorf("%s is not https: Dynamic fetches the JWKS from the internet over https (use the ngrok URL)", u)
	}
	return nil
}

// loadExistingKey is loadSigningKey without creating a key: check only
// reports.
func loadExistingKey(cfg *config) (*keySource, error) {
	if cfg.Getenv(issuer.EnvPrivateKey) != "" || cfg.Getenv(issuer.EnvKID) != "" || cfg.Getenv(issuer.EnvPublicKey) != "" {
		return loadSigningKey(cfg.Getenv, cfg.StateDir)
	}
	ks, err := readStateKey(filepath.Join(cfg.StateDir, keyFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("JWT_PROVIDER_PUBLIC_KEY not configured: JWT_PROVIDER_PRIVATE_KEY is not set and %s does not exist; start the devserver once (it generates one), or run `devserver keygen -write .env.local`", filepath.Join(cfg.StateDir, keyFileName))
	}
	if err != nil {
		return nil, err
	}
	ks.Issuer = cfg.Getenv(issuer.EnvIssuer)
	return ks, nil
}

// checkRemote asks Dynamic's admin API to check a fresh token against the
// environment's saved settings (Client.CheckExternalJWT). The API token is
// never printed.
func checkRemote(ctx context.Context, rep *checkReport, cfg *config, ks *keySource, ourIss string) {
	apiToken := strings.TrimSpace(cfg.Getenv(envAPIToken))
	switch {
	case cfg.EnvironmentID == "":
		rep.line("FAIL", "Dynamic's check", "-remote needs the environment: set -environment-id or "+envEnvironmentID)
		return
	case apiToken == "":
		rep.line("FAIL", "Dynamic's check", "-remote needs a dyn_ API token of the environment in "+envAPIToken+" (dashboard → Developers → API tokens)")
		return
	case ks == nil:
		rep.line("SKIP", "Dynamic's check", "no signing key")
		return
	}
	c, err := dynamic.NewClient(dynamic.Config{EnvironmentID: cfg.EnvironmentID, BaseURL: cfg.DynamicAPIURL, APIToken: apiToken})
	if err != nil {
		rep.line("FAIL", "Dynamic's check", err.Error())
		return
	}
	iss, err := issuer.New(issuer.Config{Issuer: ourIss, Keys: ks.Key})
	if err != nil {
		rep.line("FAIL", "Dynamic's check", err.Error())
		return
	}
	tok, err := iss.Issue(ctx, issuer.Claims{Subject: "extauth-check-" + newUUID()[:8]})
	if err != nil {
		rep.line("FAIL", "Dynamic's check", "could not mint a test token: "+err.Error())
		return
	}
	problems, err := c.CheckExternalJWT(ctx, tok)
	switch {
	case err != nil:
		rep.line("FAIL", "Dynamic's check", "could not ask Dynamic: "+err.Error())
	case len(problems) > 0:
		rep.line("FAIL", "Dynamic's check", "Dynamic refuses a fresh token: "+strings.Join(problems, "; "))
	default:
		rep.line("PASS", "Dynamic's check", "Dynamic accepts a fresh token with the saved settings")
	}
}
