// The conformance scenario of test/conformance/README.md, in Go, against a real rigd
// (RIG_SERVER, or one the SDK finds or starts).
package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"github.com/rig-dev/rig/clients/go/rig"
)

const (
	language = "go"
	greeting = "hello from greeter"
)

// webScript is the scenario's process service, test/conformance/service/web.mjs.
func webScript(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "service", "web.mjs")
	if _, err := os.Stat(script); err != nil {
		t.Fatal(err)
	}
	return script
}

// greeter is the func service: GET /greeting answers greeting; it records its stop.
func greeter(stopped *atomic.Bool) rig.FuncServe {
	return func(ctx context.Context, f rig.FuncContext) error {
		ln, err := net.Listen("tcp", f.Wiring.Ingress().HostPort())
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/greeting" {
				fmt.Fprint(w, greeting)
				return
			}
			fmt.Fprint(w, "ok")
		})}
		go func() {
			<-ctx.Done()
			stopped.Store(true)
			_ = srv.Close()
		}()
		f.Logf("greeter: serving on %s", ln.Addr())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func get(url string) (string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: HTTP %d: %s", url, resp.StatusCode, body)
	}
	return string(body), nil
}

func TestConformanceScenario(t *testing.T) {
	var initRan, greeterStopped atomic.Bool
	prefix := "conformance-" + language

	env := rig.Up(t, rig.Services{
		"greeter": rig.Func(greeter(&greeterStopped)).
			Init(func(ctx context.Context, h rig.HookContext) error {
				// Init runs once the service is healthy: it answers already.
				body, err := get(h.Wiring.Ingress().URL() + "/greeting")
				if err != nil {
					return err
				}
				if body != greeting {
					return fmt.Errorf("greeter answered %q", body)
				}
				initRan.Store(true)
				return nil
			}),
		"web": rig.Process("node", webScript(t)).
			Egress("greeter").
			Prestart(func(ctx context.Context, h rig.HookContext) error {
				if h.Service != "web" || h.Phase != "prestart" {
					return fmt.Errorf("hook called for %s/%s", h.Service, h.Phase)
				}
				in := h.Wiring.Ingress()
				if in.Port == 0 || in.Protocol != "http" {
					return fmt.Errorf("bad own ingress %+v", in)
				}
				// Egress targets are ready before prestart: the greeter answers through it.
				body, err := get(h.Wiring.Egress("greeter").URL() + "/greeting")
				if err != nil || body != greeting {
					return fmt.Errorf("egress greeter: %q, %v", body, err)
				}
				if info, err := os.Stat(h.Wiring.TempDir); err != nil || !info.IsDir() {
					return fmt.Errorf("temp dir %q: %v", h.Wiring.TempDir, err)
				}
				return os.WriteFile(filepath.Join(h.Wiring.TempDir, "prefix.txt"), []byte(prefix+"\n"), 0o644)
			}),
	})

	// The process read the file its prestart hook wrote and calls greeter over its egress.
	body, err := get(env.Endpoint("web").URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	if want := prefix + " " + greeting; body != want {
		t.Fatalf("web answered %q, want %q", body, want)
	}
	if !initRan.Load() {
		t.Fatal("the init hook of greeter did not run")
	}

	result, err := env.Destroy(context.Background(), rig.DestroyOptions{Reason: "conformance done"})
	if err != nil {
		t.Fatal(err)
	}
	if !greeterStopped.Load() {
		t.Error("greeter's context did not end at teardown")
	}
	checkEventOrder(t, events(t, env))
	checkCleanDestroy(t, env, result)
}

func TestConformanceFailingHook(t *testing.T) {
	_, err := rig.Start(context.Background(), rig.Services{
		"web": rig.Process("node", webScript(t)).
			Prestart(func(context.Context, rig.HookContext) error {
				return errors.New("conformance: prestart refused")
			}),
	}, rig.Name("conformance-failing-"+language))
	down, ok := rig.IsDown(err)
	if !ok {
		t.Fatalf("want a DownError, got %v", err)
	}
	if down.Reason != "failed" || down.Service != "web" {
		t.Errorf("reason %q, service %q; want failed, web", down.Reason, down.Service)
	}
	for _, want := range []string{"web", "prestart", "conformance: prestart refused"} {
		if !strings.Contains(down.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, down)
		}
	}
}

// step is one expected event: its dotted type and service ("" for environment events).
type step struct{ typ, service string }

// checkEventOrder asserts the documented order (README, "Events"): seq rising from 1
// (service.log events are not watched, so there are gaps), and each chain in order.
func checkEventOrder(t *testing.T, events []*rigv1.Event) {
	t.Helper()
	for i, ev := range events {
		if (i == 0 && ev.GetSeq() != 1) || (i > 0 && ev.GetSeq() <= events[i-1].GetSeq()) {
			t.Fatalf("event %d (%s) has seq %d: seq must rise from 1", i, ev.GetType(), ev.GetSeq())
		}
	}
	index := func(s step, kind rigv1.CallbackKind) int {
		for i, ev := range events {
			if ev.GetType() != s.typ || ev.GetService() != s.service {
				continue
			}
			if req := ev.GetCallbackRequest(); kind != 0 && req.GetKind() != kind {
				continue
			}
			return i
		}
		return -1
	}
	at := func(s step) int { return index(s, 0) }
	chains := [][]step{
		{{"environment.created", ""}, {"ingress.published", "greeter"}, {"wiring.resolved", "greeter"}, {"service.starting", "greeter"},
			{"service.healthy", "greeter"}, {"service.init", "greeter"}, {"service.ready", "greeter"}},
		{{"service.ready", "greeter"}, {"wiring.resolved", "web"}, {"service.prestart", "web"}, {"service.starting", "web"},
			{"service.healthy", "web"}, {"service.ready", "web"}, {"environment.up", ""}},
		{{"environment.up", ""}, {"environment.destroying", ""}, {"service.stopping", "web"}, {"service.stopped", "web"},
			{"service.stopping", "greeter"}, {"service.stopped", "greeter"}, {"environment.down", ""}},
	}
	for _, chain := range chains {
		last := -1
		for _, s := range chain {
			i := at(s)
			if i < 0 {
				t.Errorf("no %s event for %q", s.typ, s.service)
				break
			}
			if i < last {
				t.Errorf("%s of %q (event %d) comes before the previous step of %v", s.typ, s.service, i, chain)
			}
			last = i
		}
	}
	// Callbacks: web's prestart between its wiring and service.prestart; greeter's start
	// before it is healthy; its init hook between healthy and service.init.
	between := func(name string, i, lo, hi int) {
		if i < 0 || i <= lo || i >= hi {
			t.Errorf("%s at event %d, want between events %d and %d", name, i, lo, hi)
		}
	}
	between("web prestart callback", index(step{"callback.request", "web"}, rigv1.CallbackKind_CALLBACK_KIND_HOOK),
		at(step{"wiring.resolved", "web"}), at(step{"service.prestart", "web"}))
	between("greeter start callback", index(step{"callback.request", "greeter"}, rigv1.CallbackKind_CALLBACK_KIND_START),
		at(step{"wiring.resolved", "greeter"}), at(step{"service.healthy", "greeter"}))
	between("greeter init callback", index(step{"callback.request", "greeter"}, rigv1.CallbackKind_CALLBACK_KIND_HOOK),
		at(step{"service.healthy", "greeter"}), at(step{"service.init", "greeter"}))
	if last := events[len(events)-1]; last.GetType() != "environment.down" {
		t.Errorf("last event is %s, want environment.down", last.GetType())
	} else if reason := last.GetEnvironmentDown().GetReason(); reason != rigv1.DownReason_DOWN_REASON_DESTROYED {
		t.Errorf("environment.down reason %v, want DESTROYED", reason)
	}
}

// events reads the environment's log from rigd (it outlives Destroy while rigd remembers it).
func events(t *testing.T, env *rig.Environment) []*rigv1.Event {
	t.Helper()
	evs, err := env.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// checkCleanDestroy asserts nothing is left: the process is gone, the dirs are removed,
// the logs are written and rigd no longer lists the environment.
func checkCleanDestroy(t *testing.T, env *rig.Environment, result *rig.DestroyResult) {
	t.Helper()
	for _, ev := range events(t, env) {
		if ev.GetType() == "service.starting" && ev.GetService() == "web" {
			if pid := int(ev.GetServiceStarting().GetPid()); pid <= 0 {
				t.Errorf("service.starting of web carries no pid")
			} else if err := syscall.Kill(pid, 0); err == nil {
				t.Errorf("web (pid %d) still runs after destroy", pid)
			}
		}
	}
	if result.Preserved {
		t.Error("dirs preserved without being asked to")
	}
	for name, dir := range result.TempDirs {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("temp dir of %s (%s) still exists", name, dir)
		}
	}
	for _, path := range []string{result.LogPath, result.EventLogPath} {
		if info, err := os.Stat(path); err != nil || info.Size() == 0 {
			t.Errorf("log %q missing or empty: %v", path, err)
		}
	}
	list, err := env.Client().ListEnvironments(context.Background(), connect.NewRequest(&rigv1.ListEnvironmentsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Msg.GetEnvironments() {
		if e.GetId() == env.ID() {
			t.Errorf("rigd still lists %s after destroy (state %v)", env.ID(), e.GetState())
		}
	}
}
