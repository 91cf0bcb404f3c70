package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/issuer/keyset"
	"github.com/extauth/extauth/issuer/keyset/pgstore"
	"github.com/extauth/extauth/jwks"
)

// schedule is the key set's timing, accelerated for the demo.
type schedule struct {
	Rotation, PublishLead, MaxTTL, Refresh time.Duration
}

// replicaConfig is what one replica process needs.
type replicaConfig struct {
	Name     string // shown in X-Replica and log lines
	Listen   string
	Database string
	Table    string
	Issuer   string
	KEK      string // 64 hex characters
	Schedule schedule
}

// replica is one running replica: the key set, the issuer and the routes.
type replica struct {
	name string
	set  *keyset.Set
	iss  *issuer.Issuer
	jwks *jwks.Handler
	log  *slog.Logger
}

func newReplica(ctx context.Context, cfg replicaConfig, log *slog.Logger) (*replica, func(), error) {
	kek, err := hex.DecodeString(cfg.KEK)
	if err != nil || len(kek) != 32 {
		return nil, nil, errors.New("the key-encryption key (EXTAUTH_KEK) must be 64 hex characters (32 bytes)")
	}
	sealer, err := keyset.NewAESGCM("replicas-kek", kek)
	if err != nil {
		return nil, nil, err
	}
	pool, err := pgxpool.New(ctx, cfg.Database)
	if err != nil {
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	store, err := pgstore.New(ctx, pool, cfg.Table)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	set, err := keyset.New(ctx, keyset.Config{
		Store: store, Sealer: sealer, Logger: log,
		Rotation: cfg.Schedule.Rotation, PublishLead: cfg.Schedule.PublishLead,
		MaxTTL: cfg.Schedule.MaxTTL, Refresh: cfg.Schedule.Refresh,
		Leeway: min(time.Minute, cfg.Schedule.MaxTTL/4),
		// A replica is told unhealthy after four missed re-reads.
		StaleAfter: 4 * cfg.Schedule.Refresh,
	})
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	iss, err := issuer.New(issuer.Config{Issuer: cfg.Issuer, Keys: set, TTL: cfg.Schedule.MaxTTL})
	if err != nil {
		set.Close()
		pool.Close()
		return nil, nil, err
	}
	h, err := jwks.NewHandler(set, &jwks.Options{CacheControl: set.CacheControl(), Logger: log})
	if err != nil {
		set.Close()
		pool.Close()
		return nil, nil, err
	}
	closeAll := func() { h.Close(); set.Close(); pool.Close() }
	return &replica{name: cfg.Name, set: set, iss: iss, jwks: h, log: log}, closeAll, nil
}

func (r *replica) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", r.jwks)
	mux.HandleFunc("POST /token", r.token)
	mux.HandleFunc("GET /healthz", r.health)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("X-Replica", r.name)
		mux.ServeHTTP(w, req)
	})
}

// token mints a token for {"sub": "..."}: a stand-in for your login.
func (r *replica) token(w http.ResponseWriter, req *http.Request) {
	var in struct {
		Sub string `json:"sub"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be a JSON object {\"sub\": \"...\"}: " + err.Error()})
		return
	}
	tok, err := r.iss.Issue(req.Context(), issuer.Claims{Subject: in.Sub})
	switch {
	case errors.Is(err, issuer.ErrInvalidClaims):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case err != nil:
		r.log.Error("issue", "err", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "no signing key: " + err.Error()})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"jwt": tok})
	}
}

// health is 200 while the key set is fresh, 503 naming the cause after
// the store has been unreachable for StaleAfter (the replica keeps
// serving meanwhile: a load balancer may keep it in rotation).
func (r *replica) health(w http.ResponseWriter, _ *http.Request) {
	if err := r.set.Err(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// runReplica serves one replica until ctx ends.
func runReplica(ctx context.Context, cfg replicaConfig, log *slog.Logger) error {
	r, closeAll, err := newReplica(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeAll()
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r.routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	log.Info("replica listening", "name", cfg.Name, "addr", l.Addr().String())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// validName keeps table names the way pgstore wants them.
func validName(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}
