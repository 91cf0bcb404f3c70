// Command replicas runs several extauth issuer replicas that share one key
// set through PostgreSQL, behind a round-robin proxy, with a local fake of
// Dynamic fetching the JWKS through the proxy: the production layout in
// one command, on an accelerated schedule that rotates every few seconds.
//
//	go run ./examples/replicas                        # a throwaway PostgreSQL (Debian's postgresql package)
//	DATABASE_URL=postgres://… go run ./examples/replicas
//
// Every replica runs the same code on the same table: they publish the same
// JWKS and sign with the same key, and rotate without a window in which a
// token's kid is unpublished. Kill one, or stop PostgreSQL for a while:
// sign-ins go on. The log shows the rotations and a sign-in every second.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/extauth/extauth/dynamic"
	"github.com/extauth/extauth/dynamic/dynamictest"
	"github.com/extauth/extauth/issuer/keyset/pgstore/pgtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "replicas:", err)
		os.Exit(1)
	}
}

// run is main without the process: args without the program name.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if len(args) > 0 && args[0] == "replica" {
		cfg, err := parseReplica(args[1:], getenv, stderr)
		if err != nil {
			return err
		}
		return runReplica(ctx, cfg, log.With("replica", cfg.Name))
	}
	return runAll(ctx, args, getenv, stderr, log)
}

func scheduleFlags(fs *flag.FlagSet) *schedule {
	s := &schedule{}
	fs.DurationVar(&s.Rotation, "rotation", 12*time.Second, "how long a key signs before the next takes over")
	fs.DurationVar(&s.PublishLead, "publish-lead", 3*time.Second, "how long a new key is published before it signs (at least the verifiers' JWKS cache)")
	fs.DurationVar(&s.MaxTTL, "max-ttl", 4*time.Second, "token lifetime; a retired key stays published this long after its successor signs")
	fs.DurationVar(&s.Refresh, "refresh", 250*time.Millisecond, "how often each replica re-reads the key set")
	return s
}

func checkSchedule(s *schedule) error {
	switch {
	case s.Rotation <= 0 || s.PublishLead <= 0 || s.MaxTTL < time.Second || s.Refresh <= 0:
		return errors.New("-rotation, -publish-lead and -refresh must be positive and -max-ttl at least 1s")
	case s.PublishLead >= s.Rotation:
		return fmt.Errorf("-publish-lead %s must be shorter than -rotation %s", s.PublishLead, s.Rotation)
	}
	return nil
}

func parseReplica(args []string, getenv func(string) string, stderr io.Writer) (replicaConfig, error) {
	fs := flag.NewFlagSet("replicas replica", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := replicaConfig{Database: getenv("DATABASE_URL"), KEK: getenv("EXTAUTH_KEK")}
	fs.StringVar(&cfg.Name, "name", "replica", "name in logs and the X-Replica header")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "address to listen on")
	fs.StringVar(&cfg.Table, "table", "extauth_keyset", "PostgreSQL table of the key set")
	fs.StringVar(&cfg.Issuer, "issuer", "https://auth.replicas.example", "iss of the tokens")
	s := scheduleFlags(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.Schedule = *s
	switch {
	case cfg.Database == "":
		return cfg, errors.New("DATABASE_URL is not set")
	case !validName(cfg.Table):
		return cfg, fmt.Errorf("-table %q: use lower-case letters, digits and _", cfg.Table)
	}
	return cfg, checkSchedule(s)
}

// runAll is the default mode: a database (DATABASE_URL or a throwaway
// one), the replicas, the proxy, the Dynamic fake and a sign-in a second.
func runAll(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("replicas", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("replicas", 3, "how many replica processes")
	listen := fs.String("listen", "127.0.0.1:8090", "the proxy's address (the JWKS URL is http://<listen>/.well-known/jwks.json)")
	cfg := replicaConfig{Database: getenv("DATABASE_URL"), Table: "extauth_keyset", Issuer: "https://auth.replicas.example"}
	s := scheduleFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 16 {
		return fmt.Errorf("-replicas %d: use 1 to 16", *n)
	}
	if err := checkSchedule(s); err != nil {
		return err
	}
	cfg.Schedule = *s
	if cfg.Database == "" {
		pg, err := pgtest.Start()
		if err != nil {
			return fmt.Errorf("DATABASE_URL is not set and no throwaway PostgreSQL could be started: %w", err)
		}
		defer pg.Close()
		cfg.Database = pg.URL()
		log.Info("DATABASE_URL not set: started a throwaway PostgreSQL", "url", pg.URL())
	}
	// The key-encryption key seals the private keys in the table. A new
	// one per run: a table sealed by another run's key is refused (say so
	// with EXTAUTH_KEK, or use a fresh -table).
	cfg.KEK = getenv("EXTAUTH_KEK")
	if cfg.KEK == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		cfg.KEK = hex.EncodeToString(k)
	}
	c, err := newCluster(*n, cfg, stderr)
	if err != nil {
		return err
	}
	defer c.stop()
	for i := range *n {
		if err := c.start(ctx, i); err != nil {
			return err
		}
	}
	p, err := newProxy(c.urls(), log)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("proxy: %w (pick another -listen)", err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	jwksURL := "http://" + l.Addr().String() + "/.well-known/jwks.json"

	// The Dynamic fake, on a loopback port of its own, fetching the JWKS
	// through the proxy as Dynamic would through your load balancer.
	fake, err := dynamictest.New(dynamictest.Config{Issuer: cfg.Issuer, JWKSURL: jwksURL})
	if err != nil {
		return err
	}
	defer fake.Close()
	fl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fakeSrv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = fakeSrv.Serve(fl) }()
	defer fakeSrv.Close()
	fakeURL := "http://" + fl.Addr().String() + "/api/v0"
	log.Info("running", "replicas", *n, "jwks", jwksURL, "token", "POST http://"+l.Addr().String()+"/token {\"sub\":\"...\"}", "dynamic_fake", fakeURL)
	return signInEverySecond(ctx, fake.EnvironmentID(), fakeURL, "http://"+l.Addr().String(), log)
}

func signInEverySecond(ctx context.Context, envID, dynamicURL, proxyURL string, log *slog.Logger) error {
	client, err := dynamic.NewClient(dynamic.Config{EnvironmentID: envID, BaseURL: dynamicURL})
	if err != nil {
		return err
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		kid, replica, err := signIn(ctx, client, proxyURL, "demo-user")
		if err != nil {
			log.Warn("sign-in failed", "err", err.Error())
			continue
		}
		log.Info("signed in", "kid", kid, "minted_by", replica)
	}
}
