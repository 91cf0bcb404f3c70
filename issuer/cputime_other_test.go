//go:build !linux

package issuer

import (
	"time"
)

// threadCPU falls back to wall-clock time where per-thread CPU time is not
// readable without extra dependencies.
func threadCPU() time.Duration { return time.Duration(time.Now().UnixNano()) }

func lockThread() (unlock func()) { return func() {} }
