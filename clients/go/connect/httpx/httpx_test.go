package httpx_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/rig-dev/rig/clients/go/connect/httpx"
	"github.com/rig-dev/rig/clients/go/rig"
)

func TestURLJoinsPaths(t *testing.T) {
	c := httpx.New(rig.Endpoint{Host: "127.0.0.1", Port: 80, Protocol: "http"})
	for path, want := range map[string]string{"": "http://127.0.0.1:80", "/a": "http://127.0.0.1:80/a", "a/b": "http://127.0.0.1:80/a/b"} {
		if got := c.URL(path); got != want {
			t.Errorf("URL(%q) = %q, want %q", path, got, want)
		}
	}
}

// A func service serving with httpx.Serve on its ingress, called with httpx.New from the
// test and from a second func service through its egress.
func TestServeAndCallThroughAnEgress(t *testing.T) {
	if os.Getenv("RIG_SERVER") == "" {
		t.Skip("no rigd: set RIG_SERVER (scripts/test-clients.sh does)")
	}
	backend := rig.Func(func(ctx context.Context, f rig.FuncContext) error {
		return httpx.Serve(ctx, f.Wiring.Ingress(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("backend" + r.URL.Path))
		}))
	})
	front := rig.Func(func(ctx context.Context, f rig.FuncContext) error {
		api := httpx.New(f.Wiring.Egress("backend"))
		return httpx.Serve(ctx, f.Wiring.Ingress(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := api.GetBody(r.Context(), "/via-front")
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			w.Write([]byte(body))
		}))
	}).Egress("backend")
	env := rig.Up(t, rig.Services{"backend": backend, "front": front})
	body, err := httpx.New(env.Endpoint("front")).GetBody(context.Background(), "/")
	if err != nil || body != "backend/via-front" {
		t.Fatalf("got %q, %v", body, err)
	}
	if _, err := httpx.New(env.Endpoint("backend")).GetBody(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	resp, err := httpx.New(env.Endpoint("backend")).Post(context.Background(), "/p", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST: %s", resp.Status)
	}
}
