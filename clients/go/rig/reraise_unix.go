//go:build unix

package rig

import (
	"os"
	"syscall"
)

// reraise sends sig to this process again, now that the SDK no longer listens for it:
// with no other signal.Notify for it, Go's default action applies (the process dies of
// it); code that also listens gets it a second time.
func reraise(sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		_ = syscall.Kill(os.Getpid(), s)
	}
}
