// An external Go module using the rig SDK (scripts/test-rigd-binary.sh copies it into a
// temp dir with a go.mod that requires github.com/rig-dev/rig/clients/go and replaces it
// with the checkout): rigd is the self-contained binary on PATH, with no Node anywhere.
package greeting_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/rig-dev/rig/clients/go/rig"
)

func TestGreetingFromAnExternalModule(t *testing.T) {
	env := rig.Up(t, rig.Services{
		"greeter": rig.Func(func(ctx context.Context, f rig.FuncContext) error {
			ln, err := net.Listen("tcp", f.Wiring.Ingress().HostPort())
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })}
			go func() { <-ctx.Done(); srv.Close() }()
			srv.Serve(ln)
			return nil
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
}
