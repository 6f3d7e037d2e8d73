package rig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// serveHTTP is a func service answering every request with body.
func serveHTTP(body string) FuncServe {
	return func(ctx context.Context, f FuncContext) error {
		ln, err := net.Listen("tcp", f.Wiring.Ingress().HostPort())
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) })}
		go func() { <-ctx.Done(); srv.Close() }()
		f.Logf("serving %q", body)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func TestUpServesFuncServiceAndShipsItsOutput(t *testing.T) {
	needRigd(t)
	env := Up(t, Services{"hello": Func(serveHTTP("hi"))}, Observe(false))
	resp, err := http.Get(env.Endpoint("hello").URL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hi" {
		t.Fatalf("got %q", body)
	}
	if _, err := env.Destroy(context.Background(), DestroyOptions{}); err != nil {
		t.Fatal(err)
	}
	stream, err := env.Client().GetLog(context.Background(), connect.NewRequest(&rigv1.GetLogRequest{EnvironmentId: env.ID()}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var lines []string
	for stream.Receive() {
		if l := stream.Msg().GetEvent().GetServiceLog(); l != nil {
			lines = append(lines, l.GetLine())
		}
	}
	if !strings.Contains(strings.Join(lines, "\n"), `serving "hi"`) {
		t.Errorf("func output not in the log: %q (%v)", lines, stream.Err())
	}
}

func TestStartReportsAFuncServiceThatFailsToStart(t *testing.T) {
	needRigd(t)
	_, err := Start(context.Background(), Services{
		"broken": Func(func(context.Context, FuncContext) error { return errors.New("port taken") }),
	}, Name("func-fails"), Observe(false))
	down, ok := IsDown(err)
	if !ok {
		t.Fatalf("got %v; want a DownError", err)
	}
	if down.Service != "broken" || !strings.Contains(down.Error(), "port taken") {
		t.Errorf("got %+v", down)
	}
}

func TestStartReportsAPanickingHook(t *testing.T) {
	needRigd(t)
	_, err := Start(context.Background(), Services{
		"svc": Func(serveHTTP("x")).Init(func(context.Context, HookContext) error { panic("boom") }),
	}, Observe(false))
	if down, ok := IsDown(err); !ok || down.Service != "svc" || !strings.Contains(down.Error(), "panic: boom") {
		t.Fatalf("got %v; want svc failing with the panic", err)
	}
}

func TestStartReportsTheStderrTailOfACrashingProcess(t *testing.T) {
	needRigd(t)
	_, err := Start(context.Background(), Services{
		"crash": Process("sh", "-c", "echo 'config file missing' >&2; exit 2"),
	}, Observe(false))
	down, ok := IsDown(err)
	if !ok {
		t.Fatalf("got %v; want a DownError", err)
	}
	if down.Service != "crash" || !strings.Contains(strings.Join(down.StderrTail, "\n"), "config file missing") {
		t.Errorf("got %+v", down)
	}
	// The message ends with rigd's diagnosis, as `rig explain` prints it.
	for _, want := range []string{"\nrig explain:\n  ", "outcome   failed", "failed    crash while starting", "phases"} {
		if !strings.Contains(down.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, down.Error())
		}
	}
}

func TestErrReportsAFuncServiceThatCrashesAfterUp(t *testing.T) {
	needRigd(t)
	crash := make(chan struct{})
	env, err := Start(context.Background(), Services{
		"flaky": Func(func(ctx context.Context, f FuncContext) error {
			go serveHTTP("ok")(ctx, f) //nolint:errcheck // stops with ctx
			select {
			case <-crash:
				return errors.New("lost its database")
			case <-ctx.Done():
				return nil
			}
		}),
	}, Observe(false))
	if err != nil {
		t.Fatal(err)
	}
	defer env.Destroy(context.Background(), DestroyOptions{}) //nolint:errcheck
	if env.Err() != nil {
		t.Fatalf("Err before the crash: %v", env.Err())
	}
	close(crash)
	select {
	case <-env.session.down:
	case <-time.After(30 * time.Second):
		t.Fatal("environment still up 30s after its func service crashed")
	}
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), "lost its database") {
		t.Errorf("Err = %v; want the crash", err)
	}
}

func TestStartRejectsAnInvalidSpecWithEveryProblem(t *testing.T) {
	needRigd(t)
	_, err := Start(context.Background(), Services{
		"a": Process("true").Egress("nowhere"),
		"b": Process("true").Egress("elsewhere"),
	})
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("got %v; want INVALID_ARGUMENT", err)
	}
	for _, want := range []string{"nowhere", "elsewhere"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q: %v", want, err)
		}
	}
}

func ExampleStart() {
	// Outside a test (in one, use Up): Start, then Destroy.
	env, err := Start(context.Background(), Services{"hello": Func(serveHTTP("hi"))})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer env.Destroy(context.Background(), DestroyOptions{}) //nolint:errcheck
	fmt.Println(env.Endpoint("hello").Protocol)
}
