// Package pgstore is a keyset.Store in PostgreSQL: one row holds the key
// set document and its version, and Swap is a single conditional statement
// (a transaction of its own), so exactly one of several replicas racing to
// rotate wins. Private keys are stored as keyset seals them: with a
// keyset.Sealer, the row holds no private key material in the clear; with
// HSM or KMS keys, only their references.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	store, err := pgstore.New(ctx, pool, "extauth_keyset")
//	set, err := keyset.New(ctx, keyset.Config{Store: store, Sealer: kek})
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/extauth/extauth/issuer/keyset"
)

// Store is a keyset.Store in one table of a PostgreSQL database.
type Store struct {
	pool  *pgxpool.Pool
	table string
}

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// New returns the Store in table (created when missing: one row, id 1,
// with the version and the document as jsonb).
func New(ctx context.Context, pool *pgxpool.Pool, table string) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: the pool is nil: pass a pgxpool.Pool")
	}
	if !tableName.MatchString(table) {
		return nil, fmt.Errorf("pgstore: table name %q: use lower-case letters, digits and _", table)
	}
	// Replicas starting at once race on CREATE TABLE IF NOT EXISTS (it is
	// not atomic in PostgreSQL); a transaction-scoped advisory lock on the
	// table's name serialises them.
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "extauth.pgstore."+table); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
			id integer PRIMARY KEY CHECK (id = 1),
			version bigint NOT NULL,
			doc jsonb NOT NULL,
			updated_at timestamptz NOT NULL DEFAULT now())`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: create table %s: %w", table, err)
	}
	return &Store{pool: pool, table: table}, nil
}

// Load implements keyset.Store.
func (s *Store) Load(ctx context.Context) (*keyset.Document, error) {
	var version int64
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT version, doc FROM `+s.table+` WHERE id = 1`).Scan(&version, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return &keyset.Document{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: load: %w", err)
	}
	doc := &keyset.Document{}
	if err := json.Unmarshal(raw, doc); err != nil {
		return nil, fmt.Errorf("pgstore: the stored document in %s does not decode: %w", s.table, err)
	}
	if doc.Version != version {
		return nil, fmt.Errorf("pgstore: the stored document in %s says version %d, its row %d: it was edited by hand; make them equal", s.table, doc.Version, version)
	}
	return doc, nil
}

// Swap implements keyset.Store: it stores next only if the stored version
// is still old (compare-and-swap in one statement).
func (s *Store) Swap(ctx context.Context, old int64, next *keyset.Document) error {
	if next == nil || next.Version <= old {
		return fmt.Errorf("pgstore: swap from version %d needs a document of a later version", old)
	}
	raw, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("pgstore: encode the document: %w", err)
	}
	var tag interface{ RowsAffected() int64 }
	if old == 0 {
		tag, err = s.pool.Exec(ctx, `INSERT INTO `+s.table+` (id, version, doc) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, next.Version, raw)
	} else {
		tag, err = s.pool.Exec(ctx, `UPDATE `+s.table+` SET version = $1, doc = $2, updated_at = now() WHERE id = 1 AND version = $3`, next.Version, raw, old)
	}
	if err != nil {
		return fmt.Errorf("pgstore: swap: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return keyset.ErrConflict
	}
	return nil
}

var _ keyset.Store = (*Store)(nil)
