// Command go-bench measures rig's resource locks from the Go SDK, in one run (scripts/
// bench.sh runs it beside server/dist/bench/lock-bench.js), against two floors: two bare
// unary calls to the same rigd (the round trips a lock and its release need, without the
// lock) and flock(2) on a file (the kernel's own cross-process lock, no daemon at all).
// Figures only, never a test:
//
//	go-bench [-runs 500] [-procs 8] [-per-proc 100]
//
// It measures uncontended exclusive lock + unlock (median, p99) and the throughput of 8
// processes contending for one exclusive resource, and prints ratios. The issue asks for
// github.com/daichitakahashi/rsmap as the baseline; the Go module proxy reachable here
// refuses it (403), so it is not measured.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rig-dev/rig/clients/go/rig"
)

// locker is one way of taking and releasing an exclusive cross-process lock.
type locker interface {
	lockUnlock(ctx context.Context) error
	close()
}

type rigLocker struct{ r *rig.SharedResource }

func newRigLocker(server, token, resource string) locker {
	return rigLocker{rig.Resource(resource, rig.ResourceOptions{Server: server, Token: token})}
}

func (l rigLocker) lockUnlock(ctx context.Context) error {
	held, err := l.r.Lock(ctx)
	if err != nil {
		return err
	}
	return held.Unlock()
}

func (rigLocker) close() {}

// rpcFloor takes no lock: it makes the two unary round trips to rigd a lock and its
// release cost at least (grpc.health.v1 Check, Connect JSON over h2c, one connection).
type rpcFloor struct {
	client *http.Client
	url    string
}

func newRPCFloor(addr string) locker {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	return rpcFloor{&http.Client{Transport: &http.Transport{Protocols: &protocols}}, "http://" + addr + "/grpc.health.v1.Health/Check"}
}

func (f rpcFloor) lockUnlock(ctx context.Context) error {
	for range 2 {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, strings.NewReader("{}"))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := f.client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("health check: HTTP %d", resp.StatusCode)
		}
	}
	return nil
}

func (f rpcFloor) close() { f.client.CloseIdleConnections() }

type flockLocker struct{ f *os.File }

func newFlockLocker(path string) (locker, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	return flockLocker{f}, nil
}

func (l flockLocker) lockUnlock(context.Context) error {
	if err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	return syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
}

func (l flockLocker) close() { _ = l.f.Close() }

// newLocker builds the locker a worker process names: "rig SERVER TOKEN RESOURCE" or "flock PATH".
func newLocker(args []string) (locker, error) {
	switch {
	case len(args) == 4 && args[0] == "rig":
		return newRigLocker(args[1], args[2], args[3]), nil
	case len(args) == 2 && args[0] == "flock":
		return newFlockLocker(args[1])
	}
	return nil, fmt.Errorf("bad worker arguments %q", args)
}

// uncontended returns the median and p99 of runs lock + unlock round trips, after a warm-up.
func uncontended(ctx context.Context, l locker, runs int) (median, p99 time.Duration, err error) {
	for i := 0; i < 30; i++ {
		if err := l.lockUnlock(ctx); err != nil {
			return 0, 0, err
		}
	}
	d := make([]time.Duration, runs)
	for i := range d {
		t0 := time.Now()
		if err := l.lockUnlock(ctx); err != nil {
			return 0, 0, err
		}
		d[i] = time.Since(t0)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], d[min(len(d)-1, len(d)*99/100)], nil
}

// worker is one contending process: it warms up, says "ready", waits for a line on
// stdin, takes and releases the lock count times, and says "done".
func worker(count int, args []string) error {
	ctx := context.Background()
	l, err := newLocker(args)
	if err != nil {
		return err
	}
	defer l.close()
	if err := l.lockUnlock(ctx); err != nil {
		return err
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		if err := l.lockUnlock(ctx); err != nil {
			return err
		}
	}
	fmt.Println("done")
	return nil
}

// contended runs procs worker processes at once and returns lock + unlock per second.
func contended(procs, perProc int, args []string) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	type child struct {
		cmd   *exec.Cmd
		stdin *os.File
		lines *bufio.Scanner
	}
	children := make([]child, procs)
	for i := range children {
		r, w, err := os.Pipe()
		if err != nil {
			return 0, err
		}
		cmd := exec.Command(self, append([]string{"-worker", strconv.Itoa(perProc), "--"}, args...)...)
		cmd.Stdin, cmd.Stderr = r, os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return 0, err
		}
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		_ = r.Close()
		children[i] = child{cmd, w, bufio.NewScanner(out)}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	}
	expect := func(c child, want string) error {
		if !c.lines.Scan() || c.lines.Text() != want {
			return fmt.Errorf("worker said %q, want %q", c.lines.Text(), want)
		}
		return nil
	}
	for _, c := range children {
		if err := expect(c, "ready"); err != nil {
			return 0, err
		}
	}
	t0 := time.Now()
	for _, c := range children {
		_, _ = c.stdin.WriteString("go\n")
	}
	for _, c := range children {
		if err := expect(c, "done"); err != nil {
			return 0, err
		}
	}
	return float64(procs*perProc) / time.Since(t0).Seconds(), nil
}

func ms(d time.Duration) string {
	if d < 10*time.Microsecond {
		return fmt.Sprintf("%.2f µs", float64(d.Nanoseconds())/1e3)
	}
	return fmt.Sprintf("%.3f ms", float64(d.Nanoseconds())/1e6)
}

func run(runs, procs, perProc int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rig-go-lock-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rigd, err := rig.FindOrStartRigd(ctx, rig.RigdOptions{RigDir: dir})
	if err != nil {
		return err
	}
	defer func() {
		_ = syscall.Kill(rigd.Pid, syscall.SIGTERM)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && syscall.Kill(rigd.Pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		}
	}()
	flockFile := filepath.Join(dir, "bench.lock")

	rigArgs := func(resource string) []string { return []string{"rig", rigd.Addr, rigd.Token, resource} }
	rigL, _ := newLocker(rigArgs("bench-go-uncontended"))
	rigMed, rigP99, err := uncontended(ctx, rigL, runs)
	if err != nil {
		return fmt.Errorf("rig uncontended: %w", err)
	}
	flockL, err := newLocker([]string{"flock", flockFile})
	if err != nil {
		return err
	}
	defer flockL.close()
	flMed, flP99, err := uncontended(ctx, flockL, runs)
	if err != nil {
		return fmt.Errorf("flock uncontended: %w", err)
	}
	floor := newRPCFloor(rigd.Addr)
	defer floor.close()
	rpcMed, rpcP99, err := uncontended(ctx, floor, runs)
	if err != nil {
		return fmt.Errorf("rpc floor: %w", err)
	}
	fmt.Printf("uncontended exclusive lock + unlock, %d runs (Go):\n", runs)
	fmt.Printf("  rig (Go SDK, gRPC stream)       median %s, p99 %s\n", ms(rigMed), ms(rigP99))
	fmt.Printf("  2 bare unary calls to rigd      median %s, p99 %s  (rig / this: median x%.2f)\n", ms(rpcMed), ms(rpcP99), float64(rigMed)/float64(rpcMed))
	fmt.Printf("  flock(2) on a file, no daemon   median %s, p99 %s\n", ms(flMed), ms(flP99))

	rigRate, err := contended(procs, perProc, rigArgs("bench-go-contended"))
	if err != nil {
		return fmt.Errorf("rig contended: %w", err)
	}
	flRate, err := contended(procs, perProc, []string{"flock", flockFile})
	if err != nil {
		return fmt.Errorf("flock contended: %w", err)
	}
	fmt.Printf("%d processes contending for one exclusive resource, %d lock + unlock each (Go):\n", procs, perProc)
	fmt.Printf("  rig    %.0f per second\n  flock  %.0f per second (no daemon: the kernel hands the lock over)\n", rigRate, flRate)
	fmt.Println("rsmap: not measured, the Go module proxy here refuses github.com/daichitakahashi/rsmap (403)")
	return nil
}

func main() {
	runs := flag.Int("runs", 500, "uncontended rounds")
	procs := flag.Int("procs", 8, "contending processes")
	perProc := flag.Int("per-proc", 100, "lock + unlock per contending process")
	workerCount := flag.Int("worker", 0, "internal: run as a contending worker doing this many rounds")
	flag.Parse()
	var err error
	if *workerCount > 0 {
		err = worker(*workerCount, flag.Args())
	} else {
		err = run(*runs, *procs, *perProc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-bench:", err)
		os.Exit(1)
	}
}
