package rig

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// T wraps t so that a failed assertion also lands on the environment's timeline: Error,
// Errorf, Fatal and Fatalf post their message as an error test.note, prefixed with the
// file:line of the call as go test prints it ("orders_test.go:42: got 3 orders"), then
// do what t does. rig.log then shows the failure between the services' output.
//
//	env := rig.Up(t, services)
//	et := env.T(t)
//	if got != want { et.Errorf("got %d orders, want %d", got, want) }
func (e *Environment) T(t testing.TB) testing.TB {
	return &noteTB{TB: t, env: e}
}

// noteTB is a testing.TB whose failures are also test.notes.
type noteTB struct {
	testing.TB
	env *Environment
}

func (n *noteTB) Error(args ...any) {
	n.TB.Helper()
	n.note(fmt.Sprintln(args...))
	n.TB.Error(args...)
}

func (n *noteTB) Errorf(format string, args ...any) {
	n.TB.Helper()
	n.note(fmt.Sprintf(format, args...))
	n.TB.Errorf(format, args...)
}

func (n *noteTB) Fatal(args ...any) {
	n.TB.Helper()
	n.note(fmt.Sprintln(args...))
	n.TB.Fatal(args...)
}

func (n *noteTB) Fatalf(format string, args ...any) {
	n.TB.Helper()
	n.note(fmt.Sprintf(format, args...))
	n.TB.Fatalf(format, args...)
}

// note posts "file:line: message", the location being the caller of the method that
// called note (the test's line).
func (n *noteTB) note(message string) {
	if len(message) > 0 && message[len(message)-1] == '\n' {
		message = message[:len(message)-1]
	}
	if _, file, line, ok := runtime.Caller(2); ok {
		message = fmt.Sprintf("%s:%d: %s", filepath.Base(file), line, message)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A courtesy: the assertion itself is reported by t whether or not this arrives.
	_ = n.env.Note(ctx, "error", message)
}
