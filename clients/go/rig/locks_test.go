package rig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// uniqueResource is a resource name no other test (or run against the same rigd) uses.
func uniqueResource(t *testing.T, base string) string {
	return fmt.Sprintf("go-%s-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), base, time.Now().UnixNano())
}

func TestLockExclusiveExcludesEveryone(t *testing.T) {
	needRigd(t)
	ctx := context.Background()
	name := uniqueResource(t, "x")
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := Resource(name, ResourceOptions{MaxParallelism: 3})
			for round := 0; round < 3; round++ {
				var l *HeldLock
				var err error
				if i%2 == 0 {
					l, err = r.Lock(ctx)
				} else {
					l, err = r.RLock(ctx)
				}
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				if i%2 == 0 && n != 1 {
					t.Errorf("exclusive holder with %d inside", n)
				}
				for m := maxInside.Load(); n > m && !maxInside.CompareAndSwap(m, n); m = maxInside.Load() {
				}
				time.Sleep(5 * time.Millisecond)
				inside.Add(-1)
				if err := l.Unlock(); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	if m := maxInside.Load(); m > 3 {
		t.Fatalf("%d holders at once, max parallelism 3", m)
	}
}

func TestRLockMaxParallelism(t *testing.T) {
	needRigd(t)
	ctx := context.Background()
	r := Resource(uniqueResource(t, "s"), ResourceOptions{MaxParallelism: 2})
	a, err := r.RLock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.RLock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A third shared holder waits for one of the two.
	waitCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := r.RLock(waitCtx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third shared lock with max parallelism 2: %v, want a deadline error", err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	c, err := r.RLock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Held() || !c.Held() || a.Held() {
		t.Fatalf("held: a %v b %v c %v", a.Held(), b.Held(), c.Held())
	}
	_ = b.Unlock()
	_ = c.Unlock()
	if err := c.Unlock(); err != nil {
		t.Fatalf("second Unlock: %v", err)
	}
}

func TestLockCancelledWaitLeavesNothingBehind(t *testing.T) {
	needRigd(t)
	ctx := context.Background()
	r := Resource(uniqueResource(t, "c"), ResourceOptions{})
	l, err := r.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if _, err := r.Lock(waitCtx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	_ = l.Unlock()
	// The cancelled waiter is gone from the queue: the next lock is granted at once.
	quick, cancelQuick := context.WithTimeout(ctx, 5*time.Second)
	defer cancelQuick()
	l2, err := r.Lock(quick)
	if err != nil {
		t.Fatal(err)
	}
	_ = l2.Unlock()
}

func TestInitRunsOnceAcrossDeclarers(t *testing.T) {
	needRigd(t)
	ctx := context.Background()
	name := uniqueResource(t, "init")
	var runs atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := Resource(name, ResourceOptions{MaxParallelism: 6, Init: func(context.Context) error {
				runs.Add(1)
				time.Sleep(50 * time.Millisecond)
				return nil
			}})
			l, err := r.RLock(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			_ = l.Unlock()
		}()
	}
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("init ran %d times, want 1", n)
	}
}

func TestFailedInitIsRetriedByTheNextDeclarer(t *testing.T) {
	needRigd(t)
	ctx := context.Background()
	name := uniqueResource(t, "fail")
	failing := Resource(name, ResourceOptions{Init: func(context.Context) error { return errors.New("boom") }})
	if _, err := failing.Lock(ctx); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("lock after a failing init: %v", err)
	}
	ran := false
	ok := Resource(name, ResourceOptions{Init: func(context.Context) error { ran = true; return nil }})
	l, err := ok.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Unlock()
	if !ran {
		t.Fatal("the second declarer's init did not run after the first failed")
	}
}

func TestLockAllOppositeOrdersNeverDeadlock(t *testing.T) {
	needRigd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := Resource(uniqueResource(t, "a"), ResourceOptions{})
	b := Resource(uniqueResource(t, "b"), ResourceOptions{})
	var wg sync.WaitGroup
	for _, order := range [][]*SharedResource{{a, b}, {b, a}} {
		wg.Add(1)
		go func(order []*SharedResource) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				l, err := LockAll(ctx, order)
				if err != nil {
					t.Error(err)
					return
				}
				_ = l.Unlock()
			}
		}(order)
	}
	wg.Wait()
}

func TestForTestReleasesAtCleanupAndRecordsTheHolder(t *testing.T) {
	needRigd(t)
	ctx := context.Background()
	name := uniqueResource(t, "t")
	r := Resource(name, ResourceOptions{})
	var lock *HeldLock
	t.Run("holder", func(t *testing.T) {
		l, err := r.Lock(ctx, ForTest(t))
		if err != nil {
			t.Fatal(err)
		}
		lock = l
		entry := findHolder(t, name)
		if entry == nil {
			t.Fatal("rig locks ps does not show the lock")
		}
		h := entry.GetHolder()
		if h.GetLanguage() != "go" || h.GetTestName() != t.Name() || !strings.Contains(h.GetLocation(), "locks_test.go:") {
			t.Fatalf("holder %v", h)
		}
	})
	if lock.Held() {
		t.Fatal("lock still held after the subtest ended")
	}
	if entry := findHolder(t, name); entry != nil {
		t.Fatalf("rigd still shows a holder: %v", entry)
	}
}

func findHolder(t *testing.T, name string) *rigv1.LockEntry {
	t.Helper()
	client, err := lockClient(context.Background(), ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.ListLocks(context.Background(), connect.NewRequest(&rigv1.ListLocksRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Msg.GetResources() {
		if r.GetName() == name && len(r.GetHolders()) > 0 {
			return r.GetHolders()[0]
		}
	}
	return nil
}

// rigd killed while one test holds a lock and another waits for it: the holder learns
// its lock is lost (Lost, Err, Unlock all say so), the waiter gets the lock from the
// next rigd (started for it) without an error.
func TestRigdKilledWhileLocked(t *testing.T) {
	needRigd(t)
	dir := t.TempDir()
	t.Setenv("RIG_SERVER", "")
	t.Setenv("RIG_TOKEN", "")
	ctx := context.Background()
	first, err := FindOrStartRigd(ctx, RigdOptions{RigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopRigd(first.Pid)
		for _, pid := range rigdPidsIn(dir) { // the one the waiter started
			stopRigd(pid)
		}
	})
	opts := ResourceOptions{Rigd: RigdOptions{RigDir: dir}}
	name := uniqueResource(t, "restart")
	held, err := Resource(name, opts).Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	var got *HeldLock
	go func() {
		waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		l, err := Resource(name, opts).Lock(waitCtx)
		got = l
		waited <- err
	}()
	client, err := lockClient(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the second lock to queue", func() bool {
		res, err := client.ListLocks(ctx, connect.NewRequest(&rigv1.ListLocksRequest{}))
		if err != nil {
			return false
		}
		for _, r := range res.Msg.GetResources() {
			if r.GetName() == name {
				return len(r.GetWaiters()) == 1
			}
		}
		return false
	})

	if err := syscall.Kill(first.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("the held lock was not reported lost after rigd was killed")
	}
	if err := held.Err(); !errors.Is(err, ErrLockLost) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "rigd went away") {
		t.Fatalf("Err() = %v, want ErrLockLost naming %s and saying rigd went away", err, name)
	}
	if held.Held() {
		t.Error("Held() after the lock was lost")
	}
	if err := held.Unlock(); !errors.Is(err, ErrLockLost) {
		t.Errorf("Unlock() = %v, want the loss", err)
	}

	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("the waiter failed instead of asking the next rigd: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the waiter did not get the lock from the next rigd")
	}
	serving := rigdPidsIn(dir)
	if len(serving) != 1 || serving[0] == first.Pid {
		t.Fatalf("the lock came from rigd %v, want one new rigd (killed %d)", serving, first.Pid)
	}
	if !got.Held() {
		t.Fatal("the waiter's lock is not held")
	}
	if err := got.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// rigdPidsIn are the rigd processes serving dir (by their --rig-dir argument),
// including ones the SDK started on its own.
func rigdPidsIn(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		argv := strings.Split(string(cmdline), "\x00")
		for i := 0; i+1 < len(argv); i++ {
			if argv[i] == "--rig-dir" && argv[i+1] == dir {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

func waitUntil(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !check(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
