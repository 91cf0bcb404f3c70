package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/extauth/extauth/issuer"
)

// keyFileName is the private JWK (the demo's JWT_PROVIDER_PRIVATE_KEY
// format) of the persisted signing key, inside the state directory.
const keyFileName = "key.json"

// stateGitignore is written into a state directory the devserver creates.
const stateGitignore = "# Created by the extauth devserver: key.json is a private key, never commit it.\n*\n"

// keySource says where the signing key came from, for the start-up log.
type keySource struct {
	Key      *issuer.Key
	Issuer   string // from JWT_PROVIDER_ISSUER, "" when not set
	Origin   string // "env", "state" or "generated"
	Path     string // key file for state/generated
	Warnings []string
}

// loadSigningKey returns the key from JWT_PROVIDER_* (environment or
// .env files) when JWT_PROVIDER_PRIVATE_KEY is set, otherwise the key
// persisted in stateDir, generating and persisting one on first use.
func loadSigningKey(getenv func(string) string, stateDir string) (*keySource, error) {
	if getenv(issuer.EnvPrivateKey) != "" || getenv(issuer.EnvKID) != "" || getenv(issuer.EnvPublicKey) != "" {
		// A key without an issuer gets the devserver's default (-issuer,
		// when given, wins over both: see newApp).
		withIssuer := func(k string) string {
			if k == issuer.EnvIssuer {
				return cmp.Or(getenv(k), defaultIssuer)
			}
			return getenv(k)
		}
		key, iss, err := issuer.LoadEnv(withIssuer)
		if err != nil {
			return nil, fmt.Errorf("JWT_PROVIDER_* configuration: %w", err)
		}
		return &keySource{Key: key, Issuer: iss, Origin: "env"}, nil
	}
	ks, err := loadOrCreateStateKey(stateDir)
	if err != nil {
		return nil, err
	}
	ks.Issuer = getenv(issuer.EnvIssuer)
	return ks, nil
}

// loadOrCreateStateKey reads <stateDir>/key.json or creates it (mode 0600,
// atomically, never replacing a file another process created meanwhile).
func loadOrCreateStateKey(stateDir string) (*keySource, error) {
	path := filepath.Join(stateDir, keyFileName)
	ks, err := readStateKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return ks, err
	}
	_, statErr := os.Lstat(stateDir)
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w (choose another with -state-dir)", stateDir, err)
	}
	if err := checkStateDir(stateDir); err != nil {
		return nil, err
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		// The devserver often runs in someone's own project: make sure
		// git never picks up the private key (only in a directory we
		// created, so a -state-dir of theirs keeps its files tracked).
		_ = os.WriteFile(filepath.Join(stateDir, ".gitignore"), []byte(stateGitignore), 0o600)
	}
	key, err := issuer.GenerateKey(2048, "")
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	data, err := key.MarshalPrivateJWK()
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	created, err := createFileExclusive(path, append(data, '\n'))
	if err != nil {
		return nil, err
	}
	if !created { // lost a race with another devserver: use its key
		return readStateKey(path)
	}
	return &keySource{Key: key, Origin: "generated", Path: path}, nil
}

// checkStateDir refuses a state directory that someone else could have
// planted a key in, as ssh refuses a ~/.ssh others can write: a symbolic
// link, a directory owned by another user, or one group or others may
// write to.
func checkStateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("state directory %s is a symbolic link: the link could lead the devserver to a key someone else planted; use a real directory (-state-dir)", dir)
	case !fi.IsDir():
		return fmt.Errorf("state directory %s is not a directory: remove it or choose another -state-dir", dir)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("state directory %s has mode %04o: group or others may write to it and plant a key that signs your tokens; run chmod 700 %s", dir, fi.Mode().Perm(), dir)
	}
	return checkOwner(dir, fi)
}

// checkKeyFile refuses a key file that is a symbolic link, a directory,
// owned by another user, or readable or writable by anyone but you.
func checkKeyFile(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("key file %s is a symbolic link: the link could lead the devserver to a key someone else planted; replace it with the file itself", path)
	case fi.IsDir():
		return fmt.Errorf("key file %s is a directory: remove it or choose another -state-dir", path)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("key file %s has mode %04o: other users may read or replace the private key; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return checkOwner(path, fi)
}

func readStateKey(path string) (*keySource, error) {
	if err := checkStateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := checkKeyFile(path, st); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	key, err := issuer.ParseJWK(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s is not a valid private RSA JWK (%w): delete it to generate a new key, or fix it", path, err)
	}
	return &keySource{Key: key, Origin: "state", Path: path}, nil
}

// createFileExclusive atomically creates path with data and mode 0600 unless
// it exists (then it returns false). The content is written to a temporary
// file, fsynced, and hard-linked into place, so path never holds a partial
// key and a concurrent creator's file is never replaced. Where hard links are
// not supported it falls back to rename.
func createFileExclusive(path string, data []byte) (bool, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("create temporary key file in %s: %w", dir, err)
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, fmt.Errorf("chmod %s: %w", name, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("fsync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("close %s: %w", name, err)
	}
	if err := os.Link(name, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		if _, statErr := os.Stat(path); statErr == nil {
			return false, nil
		}
		if err := os.Rename(name, path); err != nil {
			return false, fmt.Errorf("move key file into place at %s: %w", path, err)
		}
	}
	syncDir(dir)
	return true, nil
}
