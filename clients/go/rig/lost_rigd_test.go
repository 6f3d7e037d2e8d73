package rig

import (
	"context"
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
}
