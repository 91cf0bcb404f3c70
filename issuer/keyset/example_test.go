package keyset_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/extauth/extauth/issuer"
	"github.com/extauth/extauth/issuer/keyset"
	"github.com/extauth/extauth/jwks"
)

// Every replica runs the same code on the same store: they publish the
// same keys and sign with the same one, and rotate without a window in
// which a token's kid is unpublished.
func Example() {
	dir, _ := os.MkdirTemp("", "keyset-example")
	defer os.RemoveAll(dir)
	kek := make([]byte, 32) // from your secret manager
	_, _ = rand.Read(kek)
	sealer, err := keyset.NewAESGCM("kek-1", kek)
	if err != nil {
		log.Fatal(err)
	}
	cfg := keyset.Config{Store: &keyset.FileStore{Path: filepath.Join(dir, "keys.json")}, Sealer: sealer}

	replicaA, err := keyset.New(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer replicaA.Close()
	replicaB, err := keyset.New(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer replicaB.Close()

	iss, err := issuer.New(issuer.Config{Issuer: "https://auth.example.com", Keys: replicaA})
	if err != nil {
		log.Fatal(err)
	}
	h, err := jwks.NewHandler(replicaB, &jwks.Options{CacheControl: replicaB.CacheControl()})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	ka, _, _ := replicaA.SigningKey(context.Background())
	kb, _, _ := replicaB.SigningKey(context.Background())
	_, err = iss.Issue(context.Background(), issuer.Claims{Subject: "user-123"})
	fmt.Println(ka.ID() == kb.ID(), err, replicaB.CacheControl())
	// Output: true <nil> public, max-age=300
}
