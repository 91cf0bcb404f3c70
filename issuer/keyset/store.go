package keyset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// ErrConflict is returned by Store.Swap when the stored document is no
// longer the version the change was based on: another replica changed it
// first. The Set reloads and decides again.
var ErrConflict = errors.New("keyset: the stored document changed (another replica won)")

// Store holds the document all replicas share.
type Store interface {
	// Load returns the stored document; an empty store returns an empty
	// document of version 0.
	Load(ctx context.Context) (*Document, error)
	// Swap stores next if the stored document's version is still old,
	// and returns ErrConflict otherwise. It must be atomic across
	// replicas (a transaction, a lock).
	Swap(ctx context.Context, old int64, next *Document) error
}

// MemoryStore is a Store in this process, for one replica, tests, and the
// in-memory case. Its zero value is an empty store.
type MemoryStore struct {
	mu  sync.Mutex
	doc []byte
	ver int64
}

// Load implements Store.
func (m *MemoryStore) Load(context.Context) (*Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return decodeDocument(m.doc)
}

// Swap implements Store.
func (m *MemoryStore) Swap(_ context.Context, old int64, next *Document) error {
	data, err := json.Marshal(next)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ver != old {
		return ErrConflict
	}
	m.doc, m.ver = data, next.Version
	return nil
}

// FileStore keeps the document in a JSON file, for a single host's
// replicas or a mounted volume (a Kubernetes Secret, say, rotated by
// whoever writes it: a read-only mount is fine for replicas that never
// rotate). Swap takes an exclusive lock on Path + ".lock" and replaces the
// file atomically with mode 0600.
type FileStore struct {
	Path string
}

// Load implements Store.
func (f *FileStore) Load(context.Context) (*Document, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Document{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keyset: read %s: %w", f.Path, err)
	}
	doc, err := decodeDocument(data)
	if err != nil {
		return nil, fmt.Errorf("keyset: %s: %w", f.Path, err)
	}
	return doc, nil
}

// Swap implements Store.
func (f *FileStore) Swap(ctx context.Context, old int64, next *Document) error {
	unlock, err := lockFile(f.Path + ".lock")
	if err != nil {
		return fmt.Errorf("keyset: lock %s: %w", f.Path, err)
	}
	defer unlock()
	cur, err := f.Load(ctx)
	if err != nil {
		return err
	}
	if cur.Version != old {
		return ErrConflict
	}
	data, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("keyset: write %s: %w", f.Path, err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(append(data, '\n'))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.Path)
	}
	if err != nil {
		return fmt.Errorf("keyset: write %s: %w", f.Path, err)
	}
	return nil
}

// decodeDocument reads a stored document; nothing stored is version 0.
func decodeDocument(data []byte) (*Document, error) {
	doc := &Document{}
	if len(data) == 0 {
		return doc, nil
	}
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, fmt.Errorf("the stored key set is not a key set document: %w", err)
	}
	return doc, nil
}
