//go:build !unix

package keyset

import "errors"

// lockFile is not available: FileStore.Swap needs flock.
func lockFile(string) (func(), error) {
	return nil, errors.New("file locking is not supported on this system: use another Store")
}
