package rig

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestMain gives the tests that need a real rigd one of their own, in a temp RIG_DIR,
// unless RIG_SERVER already names one (scripts/test-clients.sh), and stops it after.
func TestMain(m *testing.M) {
	os.Exit(runWithRigd(m))
}

func runWithRigd(m *testing.M) int {
	if os.Getenv("RIG_SERVER") != "" || findRepo() == "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "rig-go-sdk-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	rigd, err := FindOrStartRigd(context.Background(), RigdOptions{RigDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopRigd(rigd.Pid)
	os.Setenv("RIG_SERVER", rigd.Addr)
	os.Setenv("RIG_TOKEN", rigd.Token)
	return m.Run()
}

// stopRigd stops a rigd this test process spawned and waits until it is gone.
func stopRigd(pid int) {
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// needRigd skips a test when no rigd can run here (no rig checkout with a built server).
func needRigd(t *testing.T) {
	t.Helper()
	if os.Getenv("RIG_SERVER") == "" {
		t.Skip("no rigd: build the server (make build) or set RIG_SERVER")
	}
}
