package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestStopRestart: a stopped server refuses connections; restarted, it
// has kept its data and its port.
func TestStopRestart(t *testing.T) {
	s := Require(t)
	ctx := context.Background()
	if err := ping(ctx, s.URL()); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	_ = c.Close(ctx)
	s.Stop()
	if err := ping(ctx, s.URL()); err == nil {
		t.Fatal("a stopped server accepts connections")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	c, err = pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var v int
	if err := c.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != 42 {
		t.Errorf("after the restart: %d, %v", v, err)
	}
}
