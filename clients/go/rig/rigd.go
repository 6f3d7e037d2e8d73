package rig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// RigdVersion is the rigd version this SDK speaks to. It names the addr and lock files
// (RIG_DIR/rigd-<version>.addr, .lock), so different rigd versions coexist; it follows
// server/package.json.
const RigdVersion = "0.1.0"

// RigdOptions say how to find or start rigd. Zero values take the defaults.
type RigdOptions struct {
	// RigDir holds the addr file, the lock and rigd's state. Default $RIG_DIR, else ~/.rig.
	RigDir string
	// Command starts rigd; --rig-dir and --addr-file are appended. Default $RIG_RIGD
	// (split on whitespace), else `node <repo>/server/dist/main.js`.
	Command []string
	// Repo is the rig checkout whose server/dist/main.js the default command runs.
	// Default $RIG_REPO, else the first directory holding server/dist/main.js above this
	// source file or above the working directory.
	Repo string
	// StartTimeout bounds the wait for a spawned rigd to serve (default 30 s).
	StartTimeout time.Duration
}

// Rigd is a rigd that answered its health check.
type Rigd struct {
	// Addr is "127.0.0.1:PORT".
	Addr string
	// Pid is the process id when this call spawned it, else 0.
	Pid int
}

// FindOrStartRigd returns a serving rigd: the one RIG_SERVER names; else the one the
// addr file names, when it answers its health check; else, under an exclusive lock on
// the version's lock file (so parallel test processes start one rigd, not many), a
// re-check and a freshly spawned, detached rigd once it has written its addr file.
func FindOrStartRigd(ctx context.Context, opts RigdOptions) (Rigd, error) {
	if addr := os.Getenv("RIG_SERVER"); addr != "" {
		if err := probeRigd(ctx, addr); err != nil {
			return Rigd{}, fmt.Errorf("rig: RIG_SERVER=%s does not answer: %w", addr, err)
		}
		return Rigd{Addr: addr}, nil
	}
	rigDir, err := resolveRigDir(opts.RigDir)
	if err != nil {
		return Rigd{}, err
	}
	addrFile := filepath.Join(rigDir, "rigd-"+RigdVersion+".addr")
	if addr, ok := readLiveAddr(ctx, addrFile); ok {
		return Rigd{Addr: addr}, nil
	}
	if err := os.MkdirAll(rigDir, 0o755); err != nil {
		return Rigd{}, fmt.Errorf("rig: %w", err)
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	unlock, err := lockFile(ctx, filepath.Join(rigDir, "rigd-"+RigdVersion+".lock"))
	if err != nil {
		return Rigd{}, fmt.Errorf("rig: taking the rigd start lock: %w", err)
	}
	defer unlock()
	// Another process may have started rigd while we waited for the lock.
	if addr, ok := readLiveAddr(ctx, addrFile); ok {
		return Rigd{Addr: addr}, nil
	}
	command, err := rigdCommand(opts)
	if err != nil {
		return Rigd{}, err
	}
	return spawnRigd(ctx, command, rigDir, addrFile)
}

func resolveRigDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv("RIG_DIR")
	}
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("rig: no RIG_DIR and no home directory: %w", err)
		}
		dir = filepath.Join(home, ".rig")
	}
	return filepath.Abs(dir)
}

// readLiveAddr reads the addr file and reports the address if rigd answers there.
func readLiveAddr(ctx context.Context, addrFile string) (string, bool) {
	content, err := os.ReadFile(addrFile)
	if err != nil {
		return "", false
	}
	addr := strings.TrimSpace(string(content))
	if addr == "" || probeRigd(ctx, addr) != nil {
		return "", false
	}
	return addr, true
}

// probeRigd asks grpc.health.v1.Health/Check (Connect JSON over h2c) for SERVING.
func probeRigd(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		"http://"+addr+"/grpc.health.v1.Health/Check", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: newH2CTransport()}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"SERVING"`)) {
		return fmt.Errorf("health check: HTTP %d %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return nil
}

// rigdCommand is the command that starts rigd, without the flags spawnRigd adds.
func rigdCommand(opts RigdOptions) ([]string, error) {
	if len(opts.Command) > 0 {
		return opts.Command, nil
	}
	if env := strings.Fields(os.Getenv("RIG_RIGD")); len(env) > 0 {
		return env, nil
	}
	repo := opts.Repo
	if repo == "" {
		repo = os.Getenv("RIG_REPO")
	}
	if repo == "" {
		repo = findRepo()
	}
	if repo == "" {
		return nil, errors.New("rig: cannot start rigd: set RIG_SERVER (a running rigd), RIG_RIGD (the command to start one) or RIG_REPO (a rig checkout with server/dist/main.js)")
	}
	main := filepath.Join(repo, "server", "dist", "main.js")
	if _, err := os.Stat(main); err != nil {
		return nil, fmt.Errorf("rig: cannot start rigd: %s is missing (build it with `make build`)", main)
	}
	node := filepath.Join(repo, ".tools", "node", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		node = "node"
	}
	return []string{node, main}, nil
}

// findRepo looks for a rig checkout above this source file (the SDK used from the
// repository, or through a replace directive) and above the working directory.
func findRepo() string {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, "server", "dist", "main.js")); err == nil {
				return dir
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return ""
}

// spawnRigd starts rigd detached (its own session, no inherited output, so it outlives
// the test process) and waits until it serves at the address it writes.
func spawnRigd(ctx context.Context, command []string, rigDir, addrFile string) (Rigd, error) {
	// A stale file (rigd died without removing it) must not be mistaken for the new one.
	_ = os.Remove(addrFile)
	outPath := filepath.Join(rigDir, "rigd-"+RigdVersion+".out")
	out, err := os.Create(outPath)
	if err != nil {
		return Rigd{}, fmt.Errorf("rig: %w", err)
	}
	defer out.Close()
	args := append(append([]string{}, command[1:]...), "--rig-dir", rigDir, "--addr-file", addrFile)
	cmd := exec.Command(command[0], args...)
	cmd.Stdout, cmd.Stderr = out, out
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return Rigd{}, fmt.Errorf("rig: starting rigd (%s): %w", strings.Join(command, " "), err)
	}
	exited := make(chan struct{})
	// Reaps rigd if it exits while this process lives; it is not stopped by this process.
	go func() { _ = cmd.Wait(); close(exited) }()

	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if addr, ok := readLiveAddr(ctx, addrFile); ok {
			return Rigd{Addr: addr, Pid: cmd.Process.Pid}, nil
		}
		select {
		case <-exited:
			return Rigd{}, fmt.Errorf("rig: rigd (%s) exited before serving: %s", strings.Join(command, " "), tailOf(outPath))
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return Rigd{}, fmt.Errorf("rig: rigd (%s) did not write %s in time: %s", strings.Join(command, " "), addrFile, tailOf(outPath))
		case <-tick.C:
		}
	}
}

// tailOf is the last lines of a file, for error messages.
func tailOf(path string) string {
	content, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(content)) == 0 {
		return "(no output)"
	}
	lines := strings.Split(strings.TrimSpace(string(content)), "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return strings.Join(lines, "\n")
}
