package main

import (
	"cmp"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/extauth/extauth/dynamic"
)

// Defaults and environment variable names of the devserver. The
// JWT_PROVIDER_* names live in package issuer.
const (
	defaultIssuer   = "https://demo-jwt-provider.example.com"
	defaultPort     = 3000
	defaultNgrokAPI = "http://127.0.0.1:4040"
	defaultStateDir = ".extauth"

	envPort             = "PORT"
	envEnvironmentID    = "DYNAMIC_ENVIRONMENT_ID"
	envPublicEnvID      = "NEXT_PUBLIC_DYNAMIC_ENVIRONMENT_ID"
	envDynamicAPIURL    = "DYNAMIC_API_URL"
	envNgrokAPIURL      = "NGROK_API_URL"
	envStateDir         = "EXTAUTH_STATE_DIR"
	envHost             = "EXTAUTH_HOST"
	envLocalExternalAut = "EXTAUTH_LOCAL_EXTERNAL_AUTH"
	envLocalIssuer      = "EXTAUTH_LOCAL_ISSUER"
	envLogLevel         = "EXTAUTH_LOG_LEVEL"
	envAPIToken         = "DYNAMIC_API_TOKEN"
	envLocalOrigins     = "EXTAUTH_LOCAL_DYNAMIC_ORIGINS"
)

// config is the resolved configuration of one devserver command.
type config struct {
	Dir               string // working directory: .env files and relative paths
	StateDir          string // absolute
	Host              string
	Port              int
	Issuer            string // explicit -issuer; "" means JWT_PROVIDER_ISSUER or the default
	EnvironmentID     string // "" → local Dynamic
	DynamicAPIURL     string
	NgrokAPIURL       string
	LocalExternalAuth bool
	LocalIssuer       string
	LocalOrigins      []string // origins of your own front-ends the local Dynamic answers (CORS)
	LogLevel          slog.Level
	// Getenv looks a variable up in the process environment, then
	// .env.local, then .env (the environment wins over files).
	Getenv   func(string) string
	Warnings []string // problems found in .env files, logged at start
}

// flagVals are the raw flag values shared by the subcommands; "" means unset.
type flagVals struct {
	stateDir, host, port, issuer, envID, dynamicAPI, ngrokAPI string
	localExternalAuth, localIssuer, logLevel, localOrigins    string
	noDotenv                                                  bool
}

// register adds the flags cmd ("serve" or "check") shares. Each help text
// gives the environment variable and the default once (the flags' own
// defaults are empty, so the flag package prints none).
func (v *flagVals) register(fs *flag.FlagSet, cmd string) {
	fs.StringVar(&v.stateDir, "state-dir", "", "directory holding key.json (env "+envStateDir+"; default "+defaultStateDir+")")
	fs.BoolVar(&v.noDotenv, "no-dotenv", false, "do not read .env.local and .env from the working directory")
	fs.StringVar(&v.ngrokAPI, "ngrok-api-url", "", "ngrok agent API (env "+envNgrokAPIURL+"; default "+defaultNgrokAPI+")")
	fs.StringVar(&v.logLevel, "log-level", "", "debug, info, warn or error (env "+envLogLevel+"; default info)")
	if cmd == "check" {
		fs.StringVar(&v.port, "port", "", "the devserver's port, to find the ngrok tunnel that forwards to it (env "+envPort+"; default 3000)")
		return
	}
	fs.StringVar(&v.port, "port", "", "port to listen on, 0 picks a free one (env "+envPort+"; default 3000)")
	fs.StringVar(&v.issuer, "issuer", "", "iss of minted tokens (env JWT_PROVIDER_ISSUER; default "+defaultIssuer+")")
	fs.StringVar(&v.host, "host", "", "loopback address to listen on (env "+envHost+"; default 127.0.0.1)")
	fs.StringVar(&v.envID, "environment-id", "", "Dynamic environment id; empty runs a local Dynamic (env "+envEnvironmentID+" or "+envPublicEnvID+")")
	fs.StringVar(&v.dynamicAPI, "dynamic-api-url", "", "Dynamic API base URL (env "+envDynamicAPIURL+"; default "+dynamic.DefaultBaseURL+")")
	fs.StringVar(&v.localExternalAuth, "local-external-auth", "", "local Dynamic only: on or off, whether external auth is configured (env "+envLocalExternalAut+"; default on)")
	fs.StringVar(&v.localOrigins, "local-dynamic-origins", "", "local Dynamic only: comma-separated loopback origins of your own front-ends allowed to call it, e.g. http://localhost:5173 (env "+envLocalOrigins+")")
	fs.StringVar(&v.localIssuer, "local-issuer", "", "local Dynamic only: the iss it expects, to try a mismatch (env "+envLocalIssuer+"; default the issuer)")
}

// resolveConfig merges flags, the environment and the .env files of dir.
func resolveConfig(v *flagVals, getenv func(string) string, dir string) (*config, error) {
	c := &config{Dir: dir}
	var local, base dotenv
	if !v.noDotenv {
		for _, f := range []struct {
			name string
			dst  *dotenv
		}{{".env.local", &local}, {".env", &base}} {
			vars, warns, err := readDotenv(filepath.Join(dir, f.name))
			if err != nil {
				return nil, err
			}
			*f.dst = vars
			for _, w := range warns {
				c.Warnings = append(c.Warnings, f.name+": "+w)
			}
		}
	}
	c.Getenv = func(k string) string { return cmp.Or(getenv(k), local[k], base[k]) }
	pick := func(flagVal string, envs ...string) string {
		if flagVal != "" {
			return flagVal
		}
		for _, e := range envs {
			if s := strings.TrimSpace(c.Getenv(e)); s != "" {
				return s
			}
		}
		return ""
	}

	c.StateDir = cmp.Or(pick(v.stateDir, envStateDir), defaultStateDir)
	if !filepath.IsAbs(c.StateDir) {
		c.StateDir = filepath.Join(dir, c.StateDir)
	}
	c.Host = cmp.Or(pick(v.host, envHost), "127.0.0.1")
	if ip := net.ParseIP(strings.Trim(c.Host, "[]")); c.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-host %q is not a loopback address: the devserver mints tokens and must listen on 127.0.0.1, ::1 or localhost only (use ngrok to expose the JWKS)", c.Host)
	}
	port := cmp.Or(pick(v.port, envPort), strconv.Itoa(defaultPort))
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("port %q is not a number between 0 and 65535: set -port or PORT", port)
	}
	c.Port = p
	c.Issuer = v.issuer
	c.EnvironmentID = pick(v.envID, envEnvironmentID, envPublicEnvID)
	c.DynamicAPIURL = pick(v.dynamicAPI, envDynamicAPIURL)
	if c.DynamicAPIURL != "" {
		if err := checkHTTPURL(c.DynamicAPIURL); err != nil {
			return nil, fmt.Errorf("DYNAMIC_API_URL: %w", err)
		}
	}
	c.NgrokAPIURL = cmp.Or(pick(v.ngrokAPI, envNgrokAPIURL), defaultNgrokAPI)
	if err := checkHTTPURL(c.NgrokAPIURL); err != nil {
		return nil, fmt.Errorf("NGROK_API_URL: %w", err)
	}
	switch s := strings.ToLower(cmp.Or(pick(v.localExternalAuth, envLocalExternalAut), "on")); s {
	case "on", "true", "1", "yes":
		c.LocalExternalAuth = true
	case "off", "false", "0", "no":
	default:
		return nil, fmt.Errorf("-local-external-auth %q: use on or off", s)
	}
	c.LocalIssuer = pick(v.localIssuer, envLocalIssuer)
	if c.LocalOrigins, err = parseOrigins(pick(v.localOrigins, envLocalOrigins)); err != nil {
		return nil, fmt.Errorf("-local-dynamic-origins: %w", err)
	}
	if err := c.LogLevel.UnmarshalText([]byte(cmp.Or(pick(v.logLevel, envLogLevel), "info"))); err != nil {
		return nil, fmt.Errorf("-log-level: %w (use debug, info, warn or error)", err)
	}
	return c, nil
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL with a host", s)
	}
	return nil
}

// parseOrigins reads a comma-separated list of origins; only loopback
// origins (http or https, localhost or a loopback address, a port) may be
// listed: the local Dynamic must stay unreachable from anywhere else.
func parseOrigins(list string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return nil, fmt.Errorf("%q is not an origin like http://localhost:5173", o)
		case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
			return nil, fmt.Errorf("%q has more than scheme, host and port: an origin is like http://localhost:5173", o)
		case !loopbackHost(u.Host):
			return nil, fmt.Errorf("%q is not a loopback origin: only front-ends on this machine may call the local Dynamic", o)
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out, nil
}
