package rig

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// Tests of behaviour that needs a test process of its own (one that fails, or is
// signalled): the parent runs this test binary again with -test.run selecting a
// fixture test, which skips unless RIG_GO_FIXTURE names it.

func fixture(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("RIG_GO_FIXTURE") != name {
		t.Skip("a fixture, run as a child process by another test")
	}
}

func fixtureCommand(name string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestFixtureEnvT fails through env.T: its note must reach the log.
func TestFixtureEnvT(t *testing.T) {
	fixture(t, "env-t")
	env := Up(t, Services{"hello": Func(serveHTTP("hi"))}, Observe(false))
	if err := os.WriteFile(os.Getenv("RIG_FIXTURE_OUT"), []byte(env.ID()), 0o600); err != nil {
		t.Fatal(err)
	}
	et := env.T(t)
	et.Errorf("got %q, want %q", "hi", "hello") // NOTE-LINE
}

func TestEnvTPostsAFailedAssertionAsATestNoteWithFileAndLine(t *testing.T) {
	needRigd(t)
	out := filepath.Join(t.TempDir(), "id")
	run, err := fixtureCommand("TestFixtureEnvT", "RIG_GO_FIXTURE=env-t", "RIG_FIXTURE_OUT="+out).CombinedOutput()
	if err == nil || !strings.Contains(string(run), "--- FAIL: TestFixtureEnvT") {
		t.Fatalf("the fixture did not fail (%v):\n%s", err, run)
	}
	id, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	source, _ := os.ReadFile("sdk_defects_test.go")
	line := 0
	for i, l := range strings.Split(string(source), "\n") {
		if strings.HasSuffix(l, "// NOTE-LINE") {
			line = i + 1
			break
		}
	}
	want := "sdk_defects_test.go:" + strconv.Itoa(line) + `: got "hi", want "hello"`
	client, _ := newClient(os.Getenv("RIG_SERVER"), os.Getenv("RIG_TOKEN"))
	stream, err := client.GetLog(context.Background(), connect.NewRequest(&rigv1.GetLogRequest{EnvironmentId: string(id)}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var notes []*rigv1.TestNote
	noteBeforeDestroy := false
	for stream.Receive() {
		ev := stream.Msg().GetEvent()
		if n := ev.GetTestNote(); n != nil {
			notes = append(notes, n)
		}
		if ev.GetEnvironmentDestroying() != nil {
			noteBeforeDestroy = len(notes) > 0
			if !ev.GetEnvironmentDestroying().GetTestFailed() {
				t.Errorf("teardown not marked test_failed")
			}
		}
	}
	if len(notes) != 1 || notes[0].GetMessage() != want || notes[0].GetLevel() != "error" {
		t.Fatalf("notes %v; want one error note %q", notes, want)
	}
	if !noteBeforeDestroy {
		t.Errorf("the note is not before the teardown")
	}
}

// TestFixtureSignalled brings an environment up and waits to be signalled.
func TestFixtureSignalled(t *testing.T) {
	fixture(t, "signalled")
	pidFile := os.Getenv("RIG_FIXTURE_PIDFILE")
	env, err := Start(context.Background(), Services{
		"sleeper": Process("sh", "-c", "echo $$ > "+pidFile+"; exec sleep 300").NoIngress(),
	}, Name("signalled"), Observe(false))
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("FIXTURE-ID " + env.ID() + "\n")
	select {}
}

func TestSignalDestroysOpenEnvironmentsThenTheSignalKillsTheProcess(t *testing.T) {
	needRigd(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			cmd := fixtureCommand("TestFixtureSignalled", "RIG_GO_FIXTURE=signalled", "RIG_FIXTURE_PIDFILE="+pidFile)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
			defer timer.Stop()
			id := ""
			scanner := bufio.NewScanner(stdout)
			for id == "" && scanner.Scan() {
				if rest, ok := strings.CutPrefix(scanner.Text(), "FIXTURE-ID "); ok {
					id = rest
				}
			}
			if id == "" {
				_ = cmd.Wait()
				t.Fatal("the fixture printed no environment id")
			}
			go func() { _, _ = bufio.NewReader(stdout).WriteTo(discard{}) }()
			// Ready once started: the pid may land a moment later.
			raw, err := os.ReadFile(pidFile)
			for deadline := time.Now().Add(5 * time.Second); (err != nil || len(raw) == 0) && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
				raw, err = os.ReadFile(pidFile)
			}
			if err != nil {
				t.Fatal(err)
			}
			servicePid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
			if syscall.Kill(servicePid, 0) != nil {
				t.Fatalf("the service (pid %d) is not running", servicePid)
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the fixture ended with %v; want death by %v", err, sig)
			}
			if ws := exit.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != sig {
				t.Errorf("exit status %v; want death by %v", ws, sig)
			}

			client, _ := newClient(os.Getenv("RIG_SERVER"), os.Getenv("RIG_TOKEN"))
			list, err := client.ListEnvironments(context.Background(), connect.NewRequest(&rigv1.ListEnvironmentsRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range list.Msg.GetEnvironments() {
				if e.GetId() == id {
					t.Errorf("environment %s still live (%s) after %v", id, e.GetState(), sig)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for syscall.Kill(servicePid, 0) == nil && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if syscall.Kill(servicePid, 0) == nil {
				t.Errorf("the service (pid %d) still runs", servicePid)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestPooledImagesFollowTheCallersEnvironment(t *testing.T) {
	images := func() (string, string, string) {
		spec, _, err := buildSpec(Services{"db": Postgres(), "cache": Redis(), "pinned": Postgres().Image("postgres:15")}, settings{name: "x"})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]*rigv1.Service{}
		for _, s := range spec.GetServices() {
			byName[s.GetName()] = s
		}
		return byName["db"].GetPostgres().GetImage(), byName["cache"].GetRedis().GetImage(), byName["pinned"].GetPostgres().GetImage()
	}
	t.Setenv("RIG_POSTGRES_IMAGE", "example/pg:1")
	t.Setenv("RIG_REDIS_IMAGE", "example/redis:1")
	if db, cache, pinned := images(); db != "example/pg:1" || cache != "example/redis:1" || pinned != "postgres:15" {
		t.Errorf("images %q %q %q; want the caller's, and the pinned one kept", db, cache, pinned)
	}
	os.Unsetenv("RIG_POSTGRES_IMAGE")
	os.Unsetenv("RIG_REDIS_IMAGE")
	if db, cache, _ := images(); db != "" || cache != "" {
		t.Errorf("images %q %q; want empty (rigd's default)", db, cache)
	}
}
