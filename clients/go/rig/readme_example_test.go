package rig_test

// The first test of clients/go/README.md, kept here so it keeps working.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/rig-dev/rig/clients/go/rig"
)

func TestGreeting(t *testing.T) {
	if os.Getenv("RIG_SERVER") == "" {
		t.Skip("no rigd (set RIG_SERVER or build the server)")
	}
	env := rig.Up(t, rig.Services{
		// A service run by the test itself: an HTTP server on the port rigd allocated.
		"greeter": rig.Func(func(ctx context.Context, f rig.FuncContext) error {
			ln, err := net.Listen("tcp", f.Wiring.Ingress().HostPort())
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, "hello")
			})}
			go func() { <-ctx.Done(); srv.Close() }()
			srv.Serve(ln)
			return nil
		}),
		// Any executable; ${HOST} and ${PORT} are its own ingress.
		"files": rig.Process("python3", "-m", "http.server", "${PORT}", "--bind", "${HOST}").
			Egress("greeter").
			Prestart(func(ctx context.Context, h rig.HookContext) error {
				// Runs before the process starts, with its wiring known.
				greeter := h.Wiring.Egress("greeter")
				return os.WriteFile(filepath.Join(h.Wiring.TempDir, "greeter.txt"), []byte(greeter.URL()), 0o644)
			}),
	})

	resp, err := http.Get(env.Endpoint("greeter").URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "hello" {
		t.Fatalf("greeter said %q", body)
	}
	if _, err := http.Get(env.Endpoint("files").URL()); err != nil {
		t.Fatal(err)
	}
}
