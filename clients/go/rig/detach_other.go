//go:build !unix

package rig

import "os/exec"

// detach has nothing to do where there are no sessions: the child already outlives us.
func detach(*exec.Cmd) {}
