package rig

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return regexp.MustCompile(`\[\d+\.\ds\]`).ReplaceAllString(l.b.String(), "[T]")
}

func svcEvent(service string, payload any) *rigv1.Event {
	ev := &rigv1.Event{Service: service}
	switch p := payload.(type) {
	case *rigv1.ServiceStarting:
		ev.Payload = &rigv1.Event_ServiceStarting{ServiceStarting: p}
	case *rigv1.ServiceHealthy:
		ev.Payload = &rigv1.Event_ServiceHealthy{ServiceHealthy: p}
	case *rigv1.ServiceInit:
		ev.Payload = &rigv1.Event_ServiceInit{ServiceInit: p}
	case *rigv1.ServiceReady:
		ev.Payload = &rigv1.Event_ServiceReady{ServiceReady: p}
	case *rigv1.ServicePrestart:
		ev.Payload = &rigv1.Event_ServicePrestart{ServicePrestart: p}
	case *rigv1.ArtifactStarted:
		ev.Payload = &rigv1.Event_ArtifactStarted{ArtifactStarted: p}
	case *rigv1.ArtifactCompleted:
		ev.Payload = &rigv1.Event_ArtifactCompleted{ArtifactCompleted: p}
	case *rigv1.ArtifactProgress:
		ev.Payload = &rigv1.Event_ArtifactProgress{ArtifactProgress: p}
	case *rigv1.ServiceLog:
		ev.Payload = &rigv1.Event_ServiceLog{ServiceLog: p}
	}
	return ev
}

func TestProgressQuickStartupSaysNothing(t *testing.T) {
	var out lockedBuffer
	p := newUpProgress("orders", &out, 30*time.Millisecond, 0, false)
	p.observe(svcEvent("api", &rigv1.ServiceStarting{}))
	p.observe(svcEvent("api", &rigv1.ServiceReady{}))
	p.stop()
	time.Sleep(60 * time.Millisecond)
	if out.text() != "" {
		t.Fatalf("said %q", out.text())
	}
}

func TestProgressOneLinePerChange(t *testing.T) {
	var out lockedBuffer
	p := newUpProgress("orders", &out, 10*time.Millisecond, 0, false)
	time.Sleep(40 * time.Millisecond)
	p.observe(svcEvent("", &rigv1.ArtifactStarted{Key: "img", Description: "pull postgres:16"}))
	p.observe(svcEvent("db", &rigv1.ServicePrestart{Hooks: 1}))
	p.observe(svcEvent("", &rigv1.ArtifactCompleted{Key: "img"}))
	p.observe(svcEvent("db", &rigv1.ServiceStarting{}))
	p.observe(svcEvent("~proxy.~test.api.default", &rigv1.ServiceStarting{}))
	p.observe(svcEvent("api", &rigv1.ServiceStarting{}))
	p.observe(svcEvent("api", &rigv1.ServiceLog{Line: "listening"}))
	p.observe(svcEvent("db", &rigv1.ServiceHealthy{}))
	p.observe(svcEvent("db", &rigv1.ServiceInit{Hooks: 1}))
	p.observe(svcEvent("db", &rigv1.ServiceReady{}))
	p.observe(svcEvent("api", &rigv1.ServiceReady{}))
	p.stop()
	p.observe(svcEvent("late", &rigv1.ServiceStarting{}))
	want := strings.Join([]string{
		"rig: orders [T] waiting for rigd",
		"rig: orders [T] waiting for artifact pull postgres:16",
		"rig: orders [T] waiting for artifact pull postgres:16, db (prestart hooks)",
		"rig: orders [T] waiting for db (prestart hooks)",
		"rig: orders [T] waiting for db (starting, not yet ready)",
		"rig: orders [T] waiting for api (starting, not yet ready), db (starting, not yet ready)",
		"rig: orders [T] waiting for api (starting, not yet ready), db (healthy, not yet ready)",
		"rig: orders [T] waiting for api (starting, not yet ready), db (init hooks)",
		"rig: orders [T] waiting for api (starting, not yet ready)",
		"rig: orders [T] waiting for services to start",
		"",
	}, "\n")
	if got := out.text(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestProgressShowsAnArtifactsLatestLine(t *testing.T) {
	var out lockedBuffer
	p := newUpProgress("orders", &out, 10*time.Millisecond, 0, false)
	time.Sleep(40 * time.Millisecond)
	p.observe(svcEvent("", &rigv1.ArtifactStarted{Key: "img", Description: "image postgres:16"}))
	p.observe(svcEvent("", &rigv1.ArtifactProgress{Key: "img", Line: "pulling postgres:16: 12.4 of 80.1 MiB, 3 of 9 layers done"}))
	p.observe(svcEvent("", &rigv1.ArtifactProgress{Key: "other", Line: "not an artifact this environment waits for"}))
	p.observe(svcEvent("", &rigv1.ArtifactCompleted{Key: "img"}))
	p.stop()
	want := strings.Join([]string{
		"rig: orders [T] waiting for rigd",
		"rig: orders [T] waiting for artifact image postgres:16",
		"rig: orders [T] waiting for artifact image postgres:16 (pulling postgres:16: 12.4 of 80.1 MiB, 3 of 9 layers done)",
		"rig: orders [T] waiting for services to start",
		"",
	}, "\n")
	if got := out.text(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestProgressThrottlesBurstsAndIsQuietWhenAsked(t *testing.T) {
	var out lockedBuffer
	p := newUpProgress("orders", &out, 5*time.Millisecond, 40*time.Millisecond, false)
	time.Sleep(30 * time.Millisecond)
	p.observe(svcEvent("db", &rigv1.ServiceStarting{}))
	p.observe(svcEvent("db", &rigv1.ServiceReady{}))
	p.observe(svcEvent("api", &rigv1.ServiceStarting{}))
	time.Sleep(100 * time.Millisecond)
	p.stop()
	if got, want := out.text(), "rig: orders [T] waiting for rigd\nrig: orders [T] waiting for api (starting, not yet ready)\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	var quiet lockedBuffer
	q := newUpProgress("orders", &quiet, time.Millisecond, 0, true)
	time.Sleep(20 * time.Millisecond)
	q.observe(svcEvent("api", &rigv1.ServiceStarting{}))
	if quiet.text() != "" {
		t.Fatalf("quiet said %q", quiet.text())
	}
}

// Start of a service that listens after 3 s says on stderr what it waits for; with
// RIG_QUIET it says nothing.
func TestStartSaysWhatItWaitsForPastTwoSeconds(t *testing.T) {
	needRigd(t)
	capture := func(quiet bool) string {
		if quiet {
			t.Setenv("RIG_QUIET", "1")
		} else {
			t.Setenv("RIG_QUIET", "")
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		saved := os.Stderr
		os.Stderr = w
		done := make(chan string)
		go func() { b, _ := io.ReadAll(r); done <- string(b) }()
		slow := Process("sh", "-c", "sleep 3; exec python3 -m http.server $PORT --bind $HOST")
		env := Up(t, Services{"slow": slow}, Name("slow-up"), Observe(false))
		os.Stderr = saved
		w.Close()
		if _, err := env.Destroy(t.Context(), DestroyOptions{}); err != nil {
			t.Fatal(err)
		}
		return <-done
	}
	loud := capture(false)
	if !regexp.MustCompile(`(?m)^rig: slow-up \[2\.\ds\] waiting for slow \(starting, not yet ready\)$`).MatchString(loud) {
		t.Fatalf("stderr:\n%s", loud)
	}
	if quiet := capture(true); strings.Contains(quiet, "waiting for") {
		t.Fatalf("RIG_QUIET, yet:\n%s", quiet)
	}
}
