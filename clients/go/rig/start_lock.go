package rig

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// The start lock is a directory, created and removed atomically, refreshed while held
// and taken over when stale: the protocol of proper-lockfile, which the TypeScript SDK
// uses on the same path, so SDKs of every language exclude each other.
const (
	lockStale  = 10 * time.Second // a lock not refreshed for this long belongs to a dead process
	lockUpdate = 2 * time.Second  // how often the holder refreshes it
	lockPoll   = 50 * time.Millisecond
)

// acquireStartLock takes the lock at path, waiting until ctx ends.
func acquireStartLock(ctx context.Context, path string) (release func(), err error) {
	for {
		err := os.Mkdir(path, 0o755)
		if err == nil {
			return holdLock(path), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if info, err := os.Stat(path); err == nil && time.Since(info.ModTime()) > lockStale {
			_ = os.Remove(path) // its holder died; the next Mkdir decides who gets it
			continue
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}

// holdLock refreshes the lock's mtime until release removes it.
func holdLock(path string) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(lockUpdate)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				_ = os.Chtimes(path, now, now)
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		_ = os.Remove(path)
	}
}
