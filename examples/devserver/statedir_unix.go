//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a file or directory that another user owns: they
// could replace the key that signs your tokens.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("%s is owned by uid %d, not by you (uid %d): another user could plant a key that signs your tokens; use a directory of your own (-state-dir) or chown it", path, st.Uid, uid)
	}
	return nil
}
