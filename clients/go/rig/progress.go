package rig

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// upProgress prints, once Start has waited longer than delay (2 s), what it still waits
// for on stderr: rigd, artifacts being pulled or built, services in prestart hooks,
// started but not yet healthy, healthy but not yet ready, or in init hooks. One line per
// change (changes within throttle make one line); rig's own services (named "~...") are
// left out; nothing with RIG_QUIET set. The same lines as the TypeScript SDK's.
type upProgress struct {
	name     string
	out      io.Writer
	throttle time.Duration
	began    time.Time

	mu        sync.Mutex
	timer     *time.Timer
	pending   *time.Timer
	speaking  bool
	stopped   bool
	created   bool
	last      string
	artifacts map[string]string // description by key, in start order below
	// lines is the latest artifact.progress line by key (pull bytes, build step).
	lines    map[string]string
	order    []string
	services map[string]string // phase by service
}

func newUpProgress(name string, out io.Writer, delay, throttle time.Duration, quiet bool) *upProgress {
	p := &upProgress{name: name, out: out, throttle: throttle, began: time.Now(), artifacts: map[string]string{}, lines: map[string]string{}, services: map[string]string{}}
	if quiet {
		p.stopped = true
		return p
	}
	p.timer = time.AfterFunc(delay, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.speaking = true
		p.say()
	})
	return p
}

// startProgress is the progress of one Start: stderr, 2 s, quiet with RIG_QUIET.
func startProgress(name string) *upProgress {
	return newUpProgress(name, os.Stderr, 2*time.Second, 100*time.Millisecond, os.Getenv("RIG_QUIET") != "")
}

func (p *upProgress) observe(ev *rigv1.Event) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.created = true
	service := ev.GetService()
	if strings.HasPrefix(service, "~") {
		return
	}
	switch e := ev.GetPayload().(type) {
	case *rigv1.Event_ArtifactStarted:
		key := e.ArtifactStarted.GetKey()
		if _, ok := p.artifacts[key]; !ok {
			p.order = append(p.order, key)
		}
		desc := e.ArtifactStarted.GetDescription()
		if desc == "" {
			desc = key
		}
		p.artifacts[key] = desc
	case *rigv1.Event_ArtifactProgress:
		key := e.ArtifactProgress.GetKey()
		if _, ok := p.artifacts[key]; !ok {
			return
		}
		p.lines[key] = e.ArtifactProgress.GetLine()
	case *rigv1.Event_ArtifactCompleted:
		p.dropArtifact(e.ArtifactCompleted.GetKey())
	case *rigv1.Event_ArtifactCached:
		p.dropArtifact(e.ArtifactCached.GetKey())
	case *rigv1.Event_ArtifactFailed:
		p.dropArtifact(e.ArtifactFailed.GetKey())
	case *rigv1.Event_ServicePrestart:
		p.services[service] = "prestart hooks"
	case *rigv1.Event_ServiceStarting:
		p.services[service] = "starting, not yet ready"
	case *rigv1.Event_ServiceHealthy:
		p.services[service] = "healthy, not yet ready"
	case *rigv1.Event_ServiceInit:
		p.services[service] = "init hooks"
	case *rigv1.Event_ServiceReady, *rigv1.Event_ServiceFailed, *rigv1.Event_ServiceStopped:
		delete(p.services, service)
	default:
		return
	}
	p.changed()
}

func (p *upProgress) dropArtifact(key string) {
	delete(p.artifacts, key)
	delete(p.lines, key)
	for i, k := range p.order {
		if k == key {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
}

// stop ends the progress: startup is over, whichever way.
func (p *upProgress) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.pending != nil {
		p.pending.Stop()
	}
}

func (p *upProgress) changed() {
	if !p.speaking || p.pending != nil {
		return
	}
	if p.throttle <= 0 {
		p.say()
		return
	}
	p.pending = time.AfterFunc(p.throttle, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.pending = nil
		p.say()
	})
}

// waitingFor is the current line without the elapsed time (what a change compares).
func (p *upProgress) waitingFor() string {
	if !p.created {
		return "rigd"
	}
	var parts []string
	for _, k := range p.order {
		part := "artifact " + p.artifacts[k]
		if line := p.lines[k]; line != "" {
			part += " (" + shortenLine(line) + ")"
		}
		parts = append(parts, part)
	}
	names := sortedKeys(p.services)
	sort.Strings(names)
	for _, s := range names {
		parts = append(parts, fmt.Sprintf("%s (%s)", s, p.services[s]))
	}
	if len(parts) == 0 {
		return "services to start"
	}
	return strings.Join(parts, ", ")
}

func (p *upProgress) say() {
	if !p.speaking || p.stopped {
		return
	}
	what := p.waitingFor()
	if what == p.last {
		return
	}
	p.last = what
	fmt.Fprintf(p.out, "rig: %s [%.1fs] waiting for %s\n", p.name, time.Since(p.began).Seconds(), what)
}

// shortenLine fits a progress line into the waiting line: one line, at most 100 characters.
func shortenLine(line string) string {
	one := strings.Join(strings.Fields(line), " ")
	if r := []rune(one); len(r) > 100 {
		return string(r[:99]) + "…"
	}
	return one
}
