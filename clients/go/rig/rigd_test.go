package rig

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// isolatedRigDir points the finder at an empty RIG_DIR with no RIG_SERVER override.
func isolatedRigDir(t *testing.T) string {
	t.Helper()
	if findRepo() == "" {
		t.Skip("no rig checkout with server/dist/main.js (make build)")
	}
	t.Setenv("RIG_SERVER", "")
	t.Setenv("RIG_RIGD", "")
	return t.TempDir()
}

func TestFindOrStartRigdStartsOneRigdForParallelCallers(t *testing.T) {
	dir := isolatedRigDir(t)
	const callers = 3
	results := make([]Rigd, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = FindOrStartRigd(context.Background(), RigdOptions{RigDir: dir})
		}()
	}
	wg.Wait()
	spawned := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r.Pid != 0 {
			spawned++
			t.Cleanup(func() { stopRigd(r.Pid) })
		}
		if r.Addr != results[0].Addr {
			t.Errorf("callers got different rigds: %s and %s", r.Addr, results[0].Addr)
		}
	}
	if spawned != 1 {
		t.Fatalf("%d rigds spawned, want 1", spawned)
	}
	content, err := os.ReadFile(filepath.Join(dir, "rigd-"+RigdVersion+".addr"))
	if err != nil || strings.TrimSpace(string(content)) != results[0].Addr {
		t.Errorf("addr file %q (%v), want %s", content, err, results[0].Addr)
	}
	again, err := FindOrStartRigd(context.Background(), RigdOptions{RigDir: dir})
	if err != nil || again.Addr != results[0].Addr || again.Pid != 0 {
		t.Errorf("second lookup: %+v, %v; want the running rigd, not a new one", again, err)
	}
}

func TestFindOrStartRigdReplacesAStaleAddrFile(t *testing.T) {
	dir := isolatedRigDir(t)
	addrFile := filepath.Join(dir, "rigd-"+RigdVersion+".addr")
	// Port 1 on loopback: nothing serves there.
	if err := os.WriteFile(addrFile, []byte("127.0.0.1:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := FindOrStartRigd(context.Background(), RigdOptions{RigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopRigd(r.Pid) })
	if r.Pid == 0 || r.Addr == "127.0.0.1:1" {
		t.Errorf("got %+v; want a freshly spawned rigd", r)
	}
}

func TestFindOrStartRigdReportsARigdThatCannotStart(t *testing.T) {
	dir := isolatedRigDir(t)
	_, err := FindOrStartRigd(context.Background(), RigdOptions{
		RigDir:  dir,
		Command: []string{"sh", "-c", "echo 'rigd: cannot bind' >&2; exit 3", "sh"},
	})
	if err == nil || !strings.Contains(err.Error(), "rigd: cannot bind") {
		t.Fatalf("got %v; want the output of the failed rigd", err)
	}
}

func TestFindOrStartRigdChecksRigServer(t *testing.T) {
	t.Setenv("RIG_SERVER", "127.0.0.1:1")
	t.Setenv("RIG_TOKEN", "some-token")
	if _, err := FindOrStartRigd(context.Background(), RigdOptions{}); err == nil || !strings.Contains(err.Error(), "RIG_SERVER=127.0.0.1:1") {
		t.Fatalf("got %v; want an error naming RIG_SERVER", err)
	}
	t.Setenv("RIG_TOKEN", "")
	if _, err := FindOrStartRigd(context.Background(), RigdOptions{RigDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no token for the rigd at 127.0.0.1:1") {
		t.Fatalf("got %v; want an error asking for RIG_TOKEN", err)
	}
}

func TestStartLockExcludesOthersAndTakesOverAStaleLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rigd.lock")
	release, err := acquireStartLock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := acquireStartLock(short, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second holder: %v; want to wait until the deadline", err)
	}
	release()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("lock not removed on release: %v", err)
	}

	// A lock left by a dead process (not refreshed for longer than lockStale).
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	quick, cancelQuick := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancelQuick()
	release, err = acquireStartLock(quick, path)
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	release()
}

func TestRigRigdNamesTheEntryAndItsVersion(t *testing.T) {
	repo := findRepo()
	if repo == "" {
		t.Skip("no rig checkout")
	}
	entry := filepath.Join(repo, "server", "dist", "main.js")
	t.Setenv("RIG_RIGD", entry)
	command, version, err := rigdCommand(RigdOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if command[len(command)-1] != entry || !strings.HasSuffix(command[0], "node") {
		t.Errorf("command %v; want node %s", command, entry)
	}
	if !slices.Contains(command, "--max-semi-space-size=32") || !slices.Contains(command, "--min-semi-space-size=32") {
		t.Errorf("command %v: rigd runs without its node flags (server/src/rigd/node-flags.ts)", command)
	}
	pkg, _ := os.ReadFile(filepath.Join(repo, "server", "package.json"))
	if !strings.Contains(string(pkg), `"version": "`+version+`"`) {
		t.Errorf("version %s is not server/package.json's", version)
	}
	if version != RigdVersion {
		t.Errorf("rigd is %s but RigdVersion is %s: keep them in step", version, RigdVersion)
	}
}

func TestRigdIsFoundAsRigRigdThenPathThenCheckout(t *testing.T) {
	bin := t.TempDir()
	onPath := filepath.Join(bin, "rigd")
	if err := os.WriteFile(onPath, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RIG_REPO", "")
	t.Setenv("PATH", bin)

	explicit := filepath.Join(t.TempDir(), "my-rigd")
	if err := os.WriteFile(explicit, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RIG_RIGD", explicit)
	if command, _, err := rigdCommand(RigdOptions{}); err != nil || command[0] != explicit {
		t.Errorf("RIG_RIGD set: command %v (%v), want %s", command, err, explicit)
	}
	t.Setenv("RIG_RIGD", "")
	command, version, err := rigdCommand(RigdOptions{})
	if err != nil || len(command) != 1 || command[0] != onPath {
		t.Errorf("rigd on PATH: command %v (%v), want %s", command, err, onPath)
	}
	if version != RigdVersion {
		t.Errorf("a rigd without a package.json beside it is taken as RigdVersion, got %s", version)
	}
	if repo := findRepo(); repo != "" {
		t.Setenv("PATH", t.TempDir())
		command, _, err := rigdCommand(RigdOptions{})
		if err != nil || command[len(command)-1] != filepath.Join(repo, "server", "dist", "main.js") {
			t.Errorf("no rigd on PATH: command %v (%v), want the checkout's server/dist/main.js", command, err)
		}
	}
}
