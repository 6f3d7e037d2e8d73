package rig

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"github.com/rig-dev/rig/clients/go/gen/rig/v1/rigv1connect"
)

// Environment is a running environment: every service is ready. Destroy it when done
// ([Up] does that in t.Cleanup).
type Environment struct {
	id        string
	envDir    string
	client    rigv1connect.EnvironmentServiceClient
	transport *http.Transport
	session   *session
	endpoints map[string]map[string]Endpoint
	tb        testing.TB // set by Up: lookups fail the test instead of panicking

	destroying  atomic.Bool // Destroy was called: a later environment.down is expected
	destroyOnce sync.Once
	destroyed   *DestroyResult
	destroyErr  error
}

// ID is the environment's instance id.
func (e *Environment) ID() string { return e.id }

// EnvDir is the scratch directory shared by the environment's services.
func (e *Environment) EnvDir() string { return e.envDir }

// Endpoint is the default (or only) ingress of a service.
func (e *Environment) Endpoint(service string) Endpoint {
	if ins, ok := e.endpoints[service]; ok && len(ins) == 1 {
		for _, ep := range ins {
			return ep
		}
	}
	return e.EndpointNamed(service, DefaultIngress)
}

// EndpointNamed is a named ingress of a service.
func (e *Environment) EndpointNamed(service, ingress string) Endpoint {
	ep, ok := e.LookupEndpoint(service, ingress)
	if !ok {
		msg := fmt.Sprintf("rig: environment %s has no endpoint %s.%s (services: %v)", e.id, service, ingress, sortedKeys(e.endpoints))
		if ins, found := e.endpoints[service]; found {
			msg = fmt.Sprintf("rig: service %s has no ingress %q (has %v)", service, ingress, sortedKeys(ins))
		}
		if e.tb != nil {
			e.tb.Helper()
			e.tb.Fatal(msg)
		}
		panic(msg)
	}
	return ep
}

// LookupEndpoint is a named ingress of a service, if there is one.
func (e *Environment) LookupEndpoint(service, ingress string) (Endpoint, bool) {
	ep, ok := e.endpoints[service][ingress]
	return ep, ok
}

// Services lists the services with endpoints, sorted.
func (e *Environment) Services() []string { return sortedKeys(e.endpoints) }

// Events reads every event of the environment so far from rigd, in order, service output
// excluded: lifecycle, the traffic its proxies recorded, notes. It reads the log on demand
// (the SDK's own stream leaves traffic out, so a test under load costs nothing until it
// asks) and works after Destroy too, while rigd remembers the run (rigd --retention).
func (e *Environment) Events(ctx context.Context) ([]*rigv1.Event, error) {
	stream, err := e.client.GetLog(ctx, connect.NewRequest(&rigv1.GetLogRequest{EnvironmentId: e.id}))
	if err != nil {
		return nil, fmt.Errorf("rig: reading the log of environment %s: %w", e.id, err)
	}
	defer stream.Close()
	var events []*rigv1.Event
	for stream.Receive() {
		if ev := stream.Msg().GetEvent(); ev != nil && ev.GetServiceLog() == nil {
			events = append(events, ev)
		}
	}
	if err := stream.Err(); err != nil {
		return nil, fmt.Errorf("rig: reading the log of environment %s: %w", e.id, err)
	}
	return events, nil
}

// Err is non-nil once the environment went down on its own (a service crashed, the TTL
// passed, rigd stopped) rather than through Destroy.
func (e *Environment) Err() error {
	_, down, _ := e.session.snapshot()
	if down == nil || e.destroyedByUs() {
		return nil
	}
	return downError(e.id, down)
}

func (e *Environment) destroyedByUs() bool { return e.destroying.Load() }

// Note records a note from the test in the environment's log (a test.note event).
func (e *Environment) Note(ctx context.Context, level, message string) error {
	_, err := e.client.PostEvent(ctx, connect.NewRequest(&rigv1.PostEventRequest{
		EnvironmentId: e.id,
		Event:         &rigv1.PostEventRequest_TestNote{TestNote: &rigv1.TestNote{Level: level, Message: message}},
	}))
	return err
}

// Client is the generated API client this environment talks through, for calls the
// SDK does not wrap (GetEnvironment, GetLog).
func (e *Environment) Client() rigv1connect.EnvironmentServiceClient { return e.client }

// DestroyOptions say how to tear an environment down.
type DestroyOptions struct {
	// TestFailed is recorded in the log (Up sets it from t.Failed()).
	TestFailed bool
	// Preserve keeps the temp dirs and env dir on disk.
	Preserve bool
	// Reason is recorded in the log.
	Reason string
}

// DestroyResult is where the run left its traces.
type DestroyResult struct {
	EnvDir string
	// TempDirs maps service names to their temp dirs.
	TempDirs map[string]string
	// EventLogPath is the JSON-lines file of every event; LogPath the readable log.
	EventLogPath string
	LogPath      string
	Preserved    bool
	Down         *rigv1.EnvironmentDown
}

// Explain returns what `rig explain` says of this environment, as plain text: its outcome,
// the failing service with its output tail, the test's notes, traffic errors, stall
// reports and the time each service spent in each phase. It works before and after Destroy.
func (e *Environment) Explain(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := e.client.ExplainEnvironment(ctx, connect.NewRequest(&rigv1.ExplainEnvironmentRequest{EnvironmentId: e.id}))
	if err != nil {
		return "", fmt.Errorf("rig: explaining environment %s: %w", e.id, err)
	}
	return resp.Msg.GetText(), nil
}

// destroyWait bounds how long Destroy waits for the stream's environment.down and for
// func services that ignore their context.
const destroyWait = 15 * time.Second

// Destroy tears the environment down in reverse dependency order and waits until its
// func services stopped. It runs once; later calls return the first result.
func (e *Environment) Destroy(ctx context.Context, opts DestroyOptions) (*DestroyResult, error) {
	e.destroying.Store(true)
	e.destroyOnce.Do(func() {
		defer untrackSignalTeardown(e)
		// Output of func services reaches the log only while the environment lives.
		flush, cancelFlush := context.WithTimeout(ctx, 5*time.Second)
		e.session.logs.flush(flush)
		cancelFlush()
		resp, err := e.client.DestroyEnvironment(ctx, connect.NewRequest(&rigv1.DestroyEnvironmentRequest{
			EnvironmentId: e.id, Preserve: opts.Preserve, TestFailed: opts.TestFailed, Reason: opts.Reason,
		}))
		wait, cancel := context.WithTimeout(ctx, destroyWait)
		defer cancel()
		if err == nil {
			// Func services stop on service.stopping; environment.down ends the stream.
			select {
			case <-e.session.down:
			case <-wait.Done():
			}
		}
		e.session.close(wait)
		e.transport.CloseIdleConnections()
		if err != nil {
			e.destroyErr = fmt.Errorf("rig: destroying environment %s: %w", e.id, err)
			return
		}
		m := resp.Msg
		e.destroyed = &DestroyResult{
			EnvDir: m.GetEnvDir(), TempDirs: m.GetTempDirs(), EventLogPath: m.GetEventLogPath(),
			LogPath: m.GetLogPath(), Preserved: m.GetPreserved(), Down: m.GetDown(),
		}
	})
	return e.destroyed, e.destroyErr
}
