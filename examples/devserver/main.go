// Command devserver is a development identity provider for Dynamic's
// external JWT authentication, compatible with Dynamic's Next.js demo: it
// mints RS256 tokens, publishes their JWKS, detects an ngrok tunnel and
// signs in to Dynamic (or to a local fake of it) from a few small pages.
//
// Usage:
//
//	go run ./examples/devserver [serve] [flags]   # the server (default)
//	go run ./examples/devserver keygen [-write .env.local]
//	go run ./examples/devserver check [-jwks-url URL]
//	go run ./examples/devserver jwks               # the JWKS JSON, for static hosting
//
// With nothing configured it generates a key in .extauth/key.json and runs
// a local Dynamic in-process. Configuration comes from flags, then the
// environment, then .env.local and .env in the working directory.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/extauth/extauth/dynamic"
)

// Server timeouts.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 5 * time.Second
	maxHeaderBytes    = 64 << 10
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts a graceful shutdown; a second one (Ctrl-C
	// again) kills the process at once instead of being swallowed.
	context.AfterFunc(ctx, stop)
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "devserver: cannot determine the working directory:", err)
		os.Exit(1)
	}
	os.Exit(run(ctx, os.Args[1:], &sysEnv{getenv: os.Getenv, dir: dir, stdout: os.Stdout, stderr: os.Stderr}))
}

// sysEnv is what a command may touch of the outside world (tests swap it).
type sysEnv struct {
	getenv func(string) string
	dir    string
	stdout io.Writer
	stderr io.Writer
	// ready, when set, receives the base URL once serve listens.
	ready func(url string)
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, sys *sysEnv) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, args, sys)
	case "keygen":
		err = cmdKeygen(args, sys)
	case "check":
		err = cmdCheck(ctx, args, sys)
	case "jwks":
		err = cmdJWKS(args, sys)
	case "help":
		fmt.Fprint(sys.stdout, usage)
		return 0
	default:
		fmt.Fprintf(sys.stderr, "devserver: unknown command %q\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errCheckFailed):
		return 1
	default:
		fmt.Fprintln(sys.stderr, "devserver:", err)
		return 1
	}
}

const usage = `usage: devserver [command] [flags]

commands:
  serve    run the devserver (default)
  keygen   print a new key as JWT_PROVIDER_* lines (-write FILE updates a .env file)
  check    verify the setup as Dynamic would (JWKS reachable, token verifies, iss)
  jwks     print the JWKS JSON
  help     this text

Run "devserver <command> -h" for the flags of a command.
`

// errUsage marks a flag parsing error (already printed by the flag package).
var errUsage = errors.New("usage error")

// commandHelp is the synopsis and one-line description of each command,
// for its -h.
var commandHelp = map[string][2]string{
	"serve":  {"devserver [serve] [flags]", "Runs the devserver: JWKS and minting endpoints, the local Dynamic (or a real environment), and the pages."},
	"keygen": {"devserver keygen [-write FILE] [flags]", "Prints a new key as the four JWT_PROVIDER_* assignments, or updates them in a .env file."},
	"check":  {"devserver check [flags]", "Checks the setup as Dynamic would: the key, a public jwksUrl, the JWKS, a fresh token, the dashboard."},
	"jwks":   {"devserver jwks [flags]", "Prints the JWK Set the devserver publishes, for static hosting."},
}

func parseFlags(fs *flag.FlagSet, args []string, sys *sysEnv) error {
	fs.SetOutput(sys.stderr)
	fs.Usage = func() {
		h := commandHelp[fs.Name()]
		fmt.Fprintf(sys.stderr, "usage: %s\n\n%s\n\nflags:\n", h[0], h[1])
		fs.PrintDefaults()
		fmt.Fprint(sys.stderr, "\nOther commands: serve, keygen, check, jwks (devserver help lists them).\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(sys.stderr, "devserver %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// cmdServe runs the server until ctx is cancelled (SIGINT/SIGTERM).
func cmdServe(ctx context.Context, args []string, sys *sysEnv) error {
	var fv flagVals
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fv.register(fs, "serve")
	if err := parseFlags(fs, args, sys); err != nil {
		return err
	}
	cfg, err := resolveConfig(&fv, sys.getenv, sys.dir)
	if err != nil {
		return err
	}
	log := newLogger(sys.stderr, cfg.LogLevel)
	for _, w := range cfg.Warnings {
		log.Warn("ignored a line of a .env file", "problem", w)
	}
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on %s port %d: %w (is another devserver running? pick another with -port N, or -port 0 for a free one)", cfg.Host, cfg.Port, err)
	}
	base := listenURL(ln.Addr())
	if err := a.setBase(base); err != nil {
		ln.Close()
		return err
	}
	srv := newHTTPServer(a.Handler(), log)
	// Serve the JWKS at once; the rest waits for attachDynamic below.
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if err := a.attachDynamic(); err != nil {
		srv.Close()
		return err
	}
	// Only now is the whole configuration known to be good.
	a.printBanner(sys.stderr)
	log.Info("listening", "url", base)
	if sys.ready != nil {
		sys.ready(base)
	}
	a.logStartup(ctx)

	select {
	case err := <-errc:
		a.close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	a.close()
	log.Info("stopped")
	return nil
}

// newHTTPServer is the devserver's http.Server: every phase of a request
// is bounded, so a slow or stalled client cannot hold a connection open.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// printBanner tells a person, before the structured logs, what to open and
// what to enter in Dynamic's dashboard.
func (a *app) printBanner(w io.Writer) {
	dyn := "a real Dynamic environment, " + a.cfg.EnvironmentID
	if a.local != nil {
		dyn = "the local Dynamic (an in-process fake; set DYNAMIC_ENVIRONMENT_ID for a real one)"
	}
	key := "JWT_PROVIDER_PRIVATE_KEY (environment or .env files)"
	if a.key.Path != "" {
		key = a.key.Path
	}
	fmt.Fprintf(w, `
extauth devserver is running.

  Open       %s%s
  Signs in   with %s
  Key        kid %s, from %s

  Dynamic dashboard, External Authentication:
    iss      %s
    jwksUrl  pending ngrok: run "ngrok http %d", then GET %s%s shows it
    aud      (leave empty)

`, a.baseURL, generatorPath, dyn, a.key.Key.ID(), key, a.issuer, a.port, a.baseURL, ngrokPath)
}

// logStartup logs where the key lives and what to enter in Dynamic's
// dashboard; ngrok detection runs in the background so it never delays
// serving.
func (a *app) logStartup(ctx context.Context) {
	ks := a.key
	switch ks.Origin {
	case "env":
		a.log.Info("signing key", "kid", ks.Key.ID(), "from", "JWT_PROVIDER_PRIVATE_KEY (environment or .env.local/.env)")
	case "generated":
		a.log.Info("signing key", "kid", ks.Key.ID(), "from", "generated now", "path", ks.Path, "mode", "0600")
	default:
		a.log.Info("signing key", "kid", ks.Key.ID(), "from", "state directory", "path", ks.Path)
	}
	for _, w := range ks.Warnings {
		a.log.Warn(w)
	}
	if a.local != nil {
		ext := "on"
		if !a.cfg.LocalExternalAuth {
			ext = "off"
		}
		a.log.Info("local Dynamic: no DYNAMIC_ENVIRONMENT_ID set, sign-ins go to an in-process fake of Dynamic",
			"url", a.baseURL+localDynPrefix+"/api/v0", "environment_id", a.local.EnvironmentID(),
			"external_auth", ext, "expects_iss", a.localIssuer, "jwksUrl", a.baseURL+jwksPath)
	} else {
		a.log.Info("Dynamic", "environment_id", a.cfg.EnvironmentID, "api", cmp.Or(a.cfg.DynamicAPIURL, dynamic.DefaultBaseURL))
	}
	go func() {
		jwksURL := ""
		if res, err := a.ngrok.detect(ctx, a.port); err != nil {
			a.log.Info("Dynamic dashboard values", "iss", a.issuer, "jwksUrl", "pending ngrok", "aud", "(leave empty)",
				"ngrok", ngrokDetail(err), "todo", fmt.Sprintf("jwksUrl will be https://<ngrok-id>.ngrok-free.app%s; GET %s%s shows it once ngrok runs", jwksPath, a.baseURL, ngrokPath))
		} else {
			jwksURL = res.JWKSURL
			a.log.Info("Dynamic dashboard values", "iss", a.issuer, "jwksUrl", res.JWKSURL, "aud", "(leave empty)", "ngrok", res.URL)
			if res.Warning != "" {
				a.log.Warn("ngrok tunnel is not ours", "problem", res.Warning)
			}
		}
		if a.local == nil {
			a.compareDashboard(ctx, jwksURL)
		}
	}()
}

// compareDashboard warns when the real environment's External
// Authentication settings do not match what this devserver serves.
func (a *app) compareDashboard(ctx context.Context, jwksURL string) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	ps, err := a.dyn.ProjectSettings(ctx)
	if err != nil {
		a.log.Warn("could not load the project settings from Dynamic", "err", err.Error())
		return
	}
	problems := ps.Mismatches(a.issuer, jwksURL, nil)
	for _, p := range problems {
		a.log.Warn("Dynamic's dashboard does not match this devserver: sign-ins will fail with invalid_external_auth", "problem", p, "environment_id", a.cfg.EnvironmentID)
	}
	if len(problems) == 0 {
		a.log.Info("Dynamic's dashboard matches", "iss", ps.ExternalAuth.Iss, "jwksUrl", ps.ExternalAuth.JWKSURL)
	}
}

// close releases what the app holds.
func (a *app) close() {
	a.jwks.Close()
	a.verifierMu.Lock()
	if a.verifier != nil {
		a.verifier.Close()
	}
	a.verifierMu.Unlock()
	if a.local != nil {
		a.local.Close()
	}
}
