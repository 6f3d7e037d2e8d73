package rig

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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
