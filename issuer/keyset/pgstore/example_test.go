package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/issuer/keyset"
	"github.com/extauth/extauth/issuer/keyset/pgstore"
)

// Every replica opens the same table; the key set document lives in one
// row and the replicas agree on it.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.New(ctx, pool, "extauth_keyset")
	if err != nil {
		log.Fatal(err)
	}
	kek, err := keyset.NewAESGCM("kek-1", []byte(os.Getenv("KEY_ENCRYPTION_KEY"))) // 32 bytes, from your secret manager
	if err != nil {
		log.Fatal(err)
	}
	set, err := keyset.New(ctx, keyset.Config{Store: store, Sealer: kek})
	if err != nil {
		log.Fatal(err)
	}
	defer set.Close()
	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: set})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = iss.Issue(ctx, issuer.Claims{Subject: "user-123"})
}
