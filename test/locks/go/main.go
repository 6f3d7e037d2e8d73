// Command worker is the Go side of the three-language lock proof (test/locks/README.md):
// it waits for the start signal, then takes the locks LOCKS_MODES names on
// LOCKS_RESOURCE and appends enter/leave records to LOCKS_DIR/records.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rig-dev/rig/clients/go/rig"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "go worker:", err)
		os.Exit(1)
	}
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(line + "\n")
	return err
}

func run() error {
	dir, id := os.Getenv("LOCKS_DIR"), os.Getenv("LOCKS_ID")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := rig.Resource(os.Getenv("LOCKS_RESOURCE"), rig.ResourceOptions{MaxParallelism: 2, Init: func(context.Context) error {
		if err := appendLine(filepath.Join(dir, "init"), id); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond) // everyone else arrives while it runs
		return nil
	}})
	if err := appendLine(filepath.Join(dir, "ready"), id); err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	records := filepath.Join(dir, "records")
	for _, mode := range strings.Split(os.Getenv("LOCKS_MODES"), ",") {
		var l *rig.HeldLock
		var err error
		if mode == "x" {
			l, err = res.Lock(ctx)
		} else {
			l, err = res.RLock(ctx)
		}
		if err != nil {
			return err
		}
		if err := appendLine(records, fmt.Sprintf("enter %s %s %d", id, mode, time.Now().UnixNano())); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
		if err := appendLine(records, fmt.Sprintf("leave %s %s %d", id, mode, time.Now().UnixNano())); err != nil {
			return err
		}
		if err := l.Unlock(); err != nil {
			return err
		}
	}
	return nil
}
