package pgstore

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/extauth/extauth/issuer/keyset/pgstore/pgtest"
)

// One server for the package's tests; each test has a table of its own.
var (
	testServer    *pgtest.Server
	testServerErr error
)

func TestMain(m *testing.M) {
	testServer, testServerErr = pgtest.Start()
	code := m.Run()
	if testServer != nil {
		testServer.Close()
	}
	os.Exit(code)
}

// newPool is a pool on the test server; the test skips (fails under CI)
// when there is no server.
func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	if testServer == nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL: %v", testServerErr)
		}
		t.Skipf("PostgreSQL: %v; with CI set, this fails instead of skipping", testServerErr)
	}
	pool, err := pgxpool.New(context.Background(), testServer.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// table is a table name of its own for each test.
func table(t testing.TB) string {
	return "keyset_" + strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))
}
