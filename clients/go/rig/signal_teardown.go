package rig

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Ctrl-C or SIGTERM of a test process used to leave its environments running for
// rigd's orphan grace. While an environment is open (from creation, so an interrupted
// startup too), the SDK listens for SIGINT and SIGTERM; on one it destroys every open
// environment (bounded by signalTeardownBound), stops listening and raises the signal
// again, so what happens next is what happened before: by default the process dies of
// it. With no environment open nothing listens, so Go's default behaviour is untouched.

// signalTeardownBound is the longest a signal waits for the teardowns.
const signalTeardownBound = 10 * time.Second

var signalTeardown struct {
	mu   sync.Mutex
	open map[*Environment]struct{}
	ch   chan os.Signal
	stop chan struct{}
}

// tearDownOnSignal registers an open environment; untrackSignalTeardown removes it.
func tearDownOnSignal(env *Environment) {
	st := &signalTeardown
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.open == nil {
		st.open = map[*Environment]struct{}{}
	}
	st.open[env] = struct{}{}
	if st.ch == nil {
		st.ch = make(chan os.Signal, 1)
		st.stop = make(chan struct{})
		signal.Notify(st.ch, os.Interrupt, syscall.SIGTERM)
		go watchSignals(st.ch, st.stop)
	}
}

func untrackSignalTeardown(env *Environment) {
	st := &signalTeardown
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.open, env)
	if len(st.open) == 0 {
		stopWatchingSignalsLocked()
	}
}

// stopWatchingSignalsLocked restores the signals' previous handling (st.mu held).
func stopWatchingSignalsLocked() {
	st := &signalTeardown
	if st.ch == nil {
		return
	}
	signal.Stop(st.ch)
	close(st.stop)
	st.ch, st.stop = nil, nil
}

func watchSignals(ch chan os.Signal, stop chan struct{}) {
	select {
	case <-stop:
		return
	case sig := <-ch:
		st := &signalTeardown
		st.mu.Lock()
		envs := make([]*Environment, 0, len(st.open))
		for env := range st.open {
			envs = append(envs, env)
		}
		st.open = nil
		// From here a second signal takes its usual course at once.
		stopWatchingSignalsLocked()
		st.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), signalTeardownBound)
		var wg sync.WaitGroup
		for _, env := range envs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = env.Destroy(ctx, DestroyOptions{Reason: "test process got " + signalName(sig)})
			}()
		}
		wg.Wait()
		cancel()
		reraise(sig)
	}
}

func signalName(sig os.Signal) string {
	if sig == os.Interrupt {
		return "SIGINT"
	}
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return sig.String()
}
