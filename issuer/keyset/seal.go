package keyset

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Sealer encrypts private key material at rest. ID names it in the
// records it sealed, so a reader finds the right key.
type Sealer interface {
	ID() string
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// NewAESGCM returns a Sealer that encrypts with AES-GCM under key (16, 24
// or 32 bytes, from your secret manager), a random nonce per record. id
// names the key (e.g. "kek-2026-12"), so rotating it leaves old records
// readable while both are configured.
func NewAESGCM(id string, key []byte) (Sealer, error) {
	if id == "" {
		return nil, errors.New("keyset: NewAESGCM: the id is empty: name the key, e.g. kek-1")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyset: NewAESGCM: the key must be 16, 24 or 32 bytes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &aesGCM{id: id, aead: aead}, nil
}

type aesGCM struct {
	id   string
	aead cipher.AEAD
}

func (a *aesGCM) ID() string { return a.id }

func (a *aesGCM) Seal(plaintext []byte) ([]byte, error) {
	nonce := make([]byte, a.aead.NonceSize(), a.aead.NonceSize()+len(plaintext)+a.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return a.aead.Seal(nonce, nonce, plaintext, []byte(a.id)), nil
}

func (a *aesGCM) Open(sealed []byte) ([]byte, error) {
	n := a.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("keyset: sealed key material is truncated")
	}
	out, err := a.aead.Open(nil, sealed[:n], sealed[n:], []byte(a.id))
	if err != nil {
		return nil, fmt.Errorf("keyset: sealed key material does not open with key %q: a wrong key, or altered data", a.id)
	}
	return out, nil
}
