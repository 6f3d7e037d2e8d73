package rig

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A rigd listening on a unix socket is driven through Server("unix:PATH") with its token,
// and refuses a wrong token.
func TestStartOnAUnixSocketWithItsToken(t *testing.T) {
	command, _, err := rigdCommand(RigdOptions{})
	if err != nil {
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "rig-go-sock-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	socket, addrFile := filepath.Join(dir, "rigd.sock"), filepath.Join(dir, "sock.addr")
	cmd := exec.Command(command[0], append(command[1:], "--rig-dir", dir, "--addr-file", addrFile, "--listen", "unix:"+socket, "--idle", "0")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopRigd(cmd.Process.Pid)
	go func() { _ = cmd.Wait() }()
	for deadline := time.Now().Add(15 * time.Second); !fileExists(addrFile) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	content, err := os.ReadFile(addrFile)
	if err != nil || strings.TrimSpace(string(content)) != "unix:"+socket {
		t.Fatalf("addr file %q (%v), want unix:%s", content, err, socket)
	}
	token, err := os.ReadFile(filepath.Join(dir, "sock.token"))
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	env, err := Start(ctx, Services{"hello": Func(serveHTTP("via the socket"))}, Observe(false),
		Server("unix:"+socket), Token(strings.TrimSpace(string(token))))
	if err != nil {
		t.Fatal(err)
	}
	defer env.Destroy(ctx, DestroyOptions{})
	resp, err := http.Get(env.Endpoint("hello").URL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "via the socket" {
		t.Fatalf("got %q", body)
	}

	_, err = Start(ctx, Services{"hello": Func(serveHTTP("x"))}, Server("unix:"+socket), Token("wrong"))
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unauthenticated") {
		t.Fatalf("got %v; want UNAUTHENTICATED", err)
	}
}
