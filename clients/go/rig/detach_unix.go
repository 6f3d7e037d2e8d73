//go:build unix

package rig

import (
	"os/exec"
	"syscall"
)

// detach puts a spawned rigd in its own session so it outlives the test process and
// gets no signals meant for the test's process group.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
