package rig

import (
	"bytes"
	"context"
	"encoding/json"
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

// RigdVersion is the rigd version this SDK was written for. The addr and lock files are
// named after the version of the rigd to start (RIG_DIR/rigd-<version>.addr, .lock, read
// from the package.json beside its entry), so rigd versions coexist; RigdVersion is the
// fallback when no entry is known.
const RigdVersion = "0.1.0"

// RigdOptions say how to find or start rigd. Zero values take the defaults.
type RigdOptions struct {
	// RigDir holds the addr file, the lock and rigd's state. Default $RIG_DIR, else ~/.rig.
	RigDir string
	// Command starts rigd; --rig-dir and --addr-file are appended. Default, the first of:
	// $RIG_RIGD (an executable, or a .js/.mjs/.cjs entry run with node); rigd on PATH;
	// the checkout's server/dist/main.js, else its build/rigd (make rigd-binary).
	Command []string
	// Repo is the rig checkout whose rigd (and .tools/node) to use; when set, rigd on
	// PATH is not looked for. Default $RIG_REPO, else the first directory holding server/dist/main.js above this
	// source file or above the working directory.
	Repo string
	// StartTimeout bounds the wait for the start lock and for a spawned rigd to serve
	// (default 30 s).
	StartTimeout time.Duration
}

// Rigd is a rigd that answered its health check.
type Rigd struct {
	// Addr is "127.0.0.1:PORT" or "unix:/path/rigd.sock".
	Addr string
	// Token is sent on every call (authorization: Bearer). rigd writes it, 0600, to
	// rigd-<version>.token beside its addr file, before the addr file.
	Token string
	// Pid is the process id when this call spawned it, else 0.
	Pid int
}

// FindOrStartRigd returns a serving rigd, the same way every rig SDK does: the one
// RIG_SERVER names (its token from RIG_TOKEN, else from RIG_DIR's token file when RIG_DIR's
// addr file names the same address); else the one the version's addr file names, when it answers its
// health check; else, holding the version's start lock (so parallel test processes,
// in any language, start one rigd, not many), a re-check and a freshly spawned,
// detached rigd once it has written its addr file.
func FindOrStartRigd(ctx context.Context, opts RigdOptions) (Rigd, error) {
	rigDir, err := resolveRigDir(opts.RigDir)
	if err != nil {
		return Rigd{}, err
	}
	if addr := os.Getenv("RIG_SERVER"); addr != "" {
		return explicitRigd(ctx, addr, "", "RIG_SERVER="+addr, opts)
	}
	command, version, commandErr := rigdCommand(opts)
	addrFile := filepath.Join(rigDir, "rigd-"+version+".addr")
	if r, ok := readLiveRigd(ctx, addrFile); ok {
		return r, nil
	}
	if commandErr != nil {
		return Rigd{}, commandErr
	}
	// rigd tightens RIG_DIR to 0700 itself; create it private so nothing is ever exposed.
	if err := os.MkdirAll(rigDir, 0o700); err != nil {
		return Rigd{}, fmt.Errorf("rig: %w", err)
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	unlock, err := acquireStartLock(ctx, filepath.Join(rigDir, "rigd-"+version+".lock"))
	if err != nil {
		return Rigd{}, fmt.Errorf("rig: taking the rigd start lock: %w", err)
	}
	defer unlock()
	// Another process may have started rigd while we waited for the lock.
	if r, ok := readLiveRigd(ctx, addrFile); ok {
		return r, nil
	}
	return spawnRigd(ctx, command, rigDir, addrFile, filepath.Join(rigDir, "rigd-"+version+".out"))
}

// explicitRigd is the rigd at addr (named by `source`) with its token: token, else
// RIG_TOKEN, else RIG_DIR's token file when RIG_DIR's addr file names addr.
func explicitRigd(ctx context.Context, addr, token, source string, opts RigdOptions) (Rigd, error) {
	if token == "" {
		token = os.Getenv("RIG_TOKEN")
	}
	if token == "" {
		if rigDir, err := resolveRigDir(opts.RigDir); err == nil {
			_, version, _ := rigdCommand(opts)
			addrFile := filepath.Join(rigDir, "rigd-"+version+".addr")
			if published, _ := os.ReadFile(addrFile); strings.TrimSpace(string(published)) == addr {
				content, _ := os.ReadFile(tokenFileFor(addrFile))
				token = strings.TrimSpace(string(content))
			}
		}
	}
	if token == "" {
		return Rigd{}, fmt.Errorf("rig: no token for the rigd at %s (from %s): set RIG_TOKEN to the content of the rigd-<version>.token file beside its addr file", addr, source)
	}
	if err := probeRigd(ctx, addr); err != nil {
		return Rigd{}, fmt.Errorf("rig: the rigd at %s (from %s) does not answer: %w", addr, source, err)
	}
	return Rigd{Addr: addr, Token: token}, nil
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

// tokenFileFor is the token file beside an addr file (rigd-0.1.0.addr -> rigd-0.1.0.token),
// as rigd names it.
func tokenFileFor(addrFile string) string {
	if base, ok := strings.CutSuffix(addrFile, ".addr"); ok {
		return base + ".token"
	}
	return addrFile + ".token"
}

// readLiveRigd reads the addr file and the token beside it (written first) and reports
// the rigd if it answers there.
func readLiveRigd(ctx context.Context, addrFile string) (Rigd, bool) {
	content, err := os.ReadFile(addrFile)
	if err != nil {
		return Rigd{}, false
	}
	addr := strings.TrimSpace(string(content))
	token, err := os.ReadFile(tokenFileFor(addrFile))
	if err != nil || addr == "" || len(bytes.TrimSpace(token)) == 0 || probeRigd(ctx, addr) != nil {
		return Rigd{}, false
	}
	return Rigd{Addr: addr, Token: string(bytes.TrimSpace(token))}, true
}

// probeRigd asks grpc.health.v1.Health/Check (Connect JSON over h2c) for SERVING.
func probeRigd(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		baseURL(addr)+"/grpc.health.v1.Health/Check", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: newH2CTransport(addr)}
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

// rigdCommand is the command that starts rigd, without the flags spawnRigd adds, and
// the rigd version it runs (from the package.json beside the entry), which names the
// addr and lock files. Without a command the version is RigdVersion and the error
// says how to provide one.
func rigdCommand(opts RigdOptions) ([]string, string, error) {
	if len(opts.Command) > 0 {
		return opts.Command, RigdVersion, nil
	}
	repo := opts.Repo
	if repo == "" {
		repo = os.Getenv("RIG_REPO")
	}
	// The order: RIG_RIGD, then rigd on PATH, then a rigd in the checkout (the Repo
	// option or RIG_REPO, else the one this source file or the working directory is in).
	entry := os.Getenv("RIG_RIGD")
	if entry == "" && opts.Repo == "" {
		if onPath, err := exec.LookPath("rigd"); err == nil {
			entry, _ = filepath.EvalSymlinks(onPath)
		}
	}
	if entry == "" {
		if repo == "" {
			repo = findRepo()
		}
		if repo != "" {
			entry = checkoutRigd(repo)
		}
	}
	if entry == "" {
		return nil, RigdVersion, errors.New("rig: cannot find rigd: looked for $RIG_RIGD (unset), rigd on PATH (none), and a rig checkout above this SDK or the working directory (none); " +
			"set RIG_RIGD (a rigd executable or server/dist/main.js), put rigd on PATH (make rigd-binary, or npm install -g @rig/server), set RIG_REPO (a rig checkout), or RIG_SERVER (a running rigd)")
	}
	entry, _ = filepath.Abs(entry)
	if _, err := os.Stat(entry); err != nil {
		return nil, RigdVersion, fmt.Errorf("rig: cannot start rigd: %s is missing (build it with `make build`)", entry)
	}
	version := versionNear(entry)
	switch filepath.Ext(entry) {
	case ".js", ".mjs", ".cjs":
		node := "node"
		if repo != "" {
			if bundled := filepath.Join(repo, ".tools", "node", "bin", "node"); fileExists(bundled) {
				node = bundled
			}
		}
		return append(append([]string{node}, rigdNodeFlags...), entry), version, nil
	default:
		return []string{entry}, version, nil
	}
}

// rigdNodeFlags are the node flags rigd runs with (server/src/rigd/node-flags.ts says
// why; the TS and Python SDKs and rigd's own shebang give the same): V8 can size its young
// generation only when it starts.
var rigdNodeFlags = []string{"--max-semi-space-size=32", "--min-semi-space-size=32"}

// checkoutRigd is the rigd of a checkout: server/dist/main.js (make build), else the
// self-contained build/rigd (make rigd-binary).
func checkoutRigd(repo string) string {
	for _, candidate := range []string{filepath.Join(repo, "server", "dist", "main.js"), filepath.Join(repo, "build", "rigd")} {
		if fileExists(candidate) {
			return candidate
		}
	}
	return filepath.Join(repo, "server", "dist", "main.js")
}

// versionNear reads the version of the package holding a rigd entry
// (dist/main.js -> ../package.json), as the TypeScript SDK does.
func versionNear(entry string) string {
	content, err := os.ReadFile(filepath.Join(filepath.Dir(entry), "..", "package.json"))
	if err != nil {
		return RigdVersion
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(content, &pkg) != nil || pkg.Version == "" {
		return RigdVersion
	}
	return pkg.Version
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
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

// spawnRigd starts rigd detached (its own session, output to outPath, so it outlives
// the test process) and waits until it serves at the address it writes.
func spawnRigd(ctx context.Context, command []string, rigDir, addrFile, outPath string) (Rigd, error) {
	// A stale file (rigd died without removing it) must not be mistaken for the new one.
	_ = os.Remove(addrFile)
	out, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return Rigd{}, fmt.Errorf("rig: %w", err)
	}
	defer out.Close()
	args := append(append([]string{}, command[1:]...), "--rig-dir", rigDir, "--addr-file", addrFile)
	cmd := exec.Command(command[0], args...)
	cmd.Dir = rigDir
	cmd.Stdout, cmd.Stderr = out, out
	for _, kv := range os.Environ() {
		// rigd needs neither; a token in its env would reach the services it starts.
		if !strings.HasPrefix(kv, "RIG_SERVER=") && !strings.HasPrefix(kv, "RIG_TOKEN=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return Rigd{}, fmt.Errorf("rig: starting rigd (%s): %w", strings.Join(command, " "), err)
	}
	exited := make(chan struct{})
	// Reaps rigd if it exits while this process lives; this process never stops it.
	go func() { _ = cmd.Wait(); close(exited) }()

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if r, ok := readLiveRigd(ctx, addrFile); ok {
			r.Pid = cmd.Process.Pid
			return r, nil
		}
		select {
		case <-exited:
			return Rigd{}, fmt.Errorf("rig: rigd (%s) exited before serving; last output (%s):\n%s", strings.Join(command, " "), outPath, tailOf(outPath))
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return Rigd{}, fmt.Errorf("rig: rigd (%s) was not serving in time; last output (%s):\n%s", strings.Join(command, " "), outPath, tailOf(outPath))
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
