package rig

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A test whose rigd dies (kill -9) learns it from the SDK at once, with a message that
// says rigd is gone, rather than after the reconnect attempts of a flaky stream.
func TestLostRigdEndsTheEnvironmentSayingRigdIsGone(t *testing.T) {
	needRigd(t)
	dir := t.TempDir()
	t.Setenv("RIG_SERVER", "")
	t.Setenv("RIG_TOKEN", "")
	ctx := context.Background()
	rigd, err := FindOrStartRigd(ctx, RigdOptions{RigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if rigd.Pid <= 0 {
		t.Fatalf("expected a rigd spawned for this test, got %+v", rigd)
	}
	t.Cleanup(func() { stopRigd(rigd.Pid) })
	env, err := Start(ctx, Services{"sleeper": Process("sleep", "300").NoIngress()},
		Server(rigd.Addr), Token(rigd.Token), Observe(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(rigd.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-env.session.down:
	case <-time.After(20 * time.Second):
		t.Fatal("the environment was not reported down after its rigd was killed")
	}
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), "rigd is gone") {
		t.Fatalf("Err() = %v, want it to say rigd is gone", err)
	}
	// Destroying it fails (rigd is gone) but lets go of it.
	_, _ = env.Destroy(ctx, DestroyOptions{})
}

// The SDK names its test process to rigd (Rig-Client: go pid N), so rigd's limit of
// environments per client stops a runaway test, with an error naming the process.
func TestPerClientLimitNamesThisProcess(t *testing.T) {
	needRigd(t)
	t.Setenv("RIG_SERVER", "")
	t.Setenv("RIG_TOKEN", "")
	command, _, err := rigdCommand(RigdOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rigd, err := FindOrStartRigd(ctx, RigdOptions{RigDir: t.TempDir(), Command: append(command, "--limit", "environments-per-client=1")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopRigd(rigd.Pid) })
	opts := []Option{Server(rigd.Addr), Token(rigd.Token), Observe(false)}
	first, err := Start(ctx, Services{"idle": Process("sleep", "30").NoIngress()}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Destroy(ctx, DestroyOptions{}) //nolint:errcheck // best effort
	_, err = Start(ctx, Services{"idle": Process("sleep", "30").NoIngress()}, opts...)
	want := fmt.Sprintf("this client (go pid %d) already runs 1 environments in this rigd", os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second Start: %v; want an error containing %q", err, want)
	}
}
