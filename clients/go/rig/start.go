package rig

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// Start creates an environment and returns once every service is ready
// (environment.up). When the environment goes down instead, it returns a *DownError
// naming the failed service; when it is not up within the startup timeout, an error
// with rigd's last progress report. Either way nothing is left running. The caller
// destroys a returned environment; [Up] does that for tests.
func Start(ctx context.Context, services Services, opts ...Option) (*Environment, error) {
	s := defaultSettings()
	for _, opt := range opts {
		opt(&s)
	}
	spec, handlers, err := buildSpec(services, s)
	if err != nil {
		return nil, err
	}
	// Past 2 s, stderr says what startup waits for (quiet with RIG_QUIET).
	progress := startProgress(spec.GetName())
	defer progress.stop()
	var rigd Rigd
	if s.server != "" {
		rigd, err = explicitRigd(ctx, s.server, s.token, "the Server option", s.rigd)
	} else {
		rigd, err = FindOrStartRigd(ctx, s.rigd)
	}
	if err != nil {
		return nil, err
	}
	client, transport := newClient(rigd.Addr, rigd.Token)
	created, err := client.CreateEnvironment(ctx, connect.NewRequest(&rigv1.CreateEnvironmentRequest{Spec: spec}))
	if err != nil {
		transport.CloseIdleConnections()
		return nil, fmt.Errorf("rig: creating environment: %w", err)
	}
	env := &Environment{
		id:        created.Msg.GetEnvironmentId(),
		envDir:    created.Msg.GetEnvDir(),
		client:    client,
		transport: transport,
		session:   newSession(client, created.Msg.GetEnvironmentId(), handlers, progress),
	}
	tearDownOnSignal(env)

	timer := time.NewTimer(s.startupTimeout)
	defer timer.Stop()
	select {
	case <-env.session.up:
		up, _, _ := env.session.snapshot()
		env.endpoints = map[string]map[string]Endpoint{}
		for name, svc := range up.GetServices() {
			env.endpoints[name] = endpointsFromProto(svc.GetIngresses())
		}
		return env, nil
	case <-env.session.down:
		_, down, _ := env.session.snapshot()
		failure := downError(env.id, down)
		if result, err := env.Destroy(context.WithoutCancel(ctx), DestroyOptions{Reason: "environment went down while starting"}); err == nil {
			failure.LogPath = result.LogPath
		}
		// The failure explains itself: the message ends with what `rig explain` says.
		failure.Diagnosis, _ = env.Explain(context.WithoutCancel(ctx))
		return nil, failure
	case <-timer.C:
		err = fmt.Errorf("rig: environment %s not up after %s%s", env.id, s.startupTimeout, stallReport(env))
	case <-ctx.Done():
		err = fmt.Errorf("rig: waiting for environment %s: %w", env.id, ctx.Err())
	}
	_, _ = env.Destroy(context.WithoutCancel(ctx), DestroyOptions{TestFailed: true, Reason: err.Error()})
	if diagnosis, explainErr := env.Explain(context.WithoutCancel(ctx)); explainErr == nil {
		err = fmt.Errorf("%w%s", err, explained(diagnosis))
	}
	return nil, err
}

// stallReport describes rigd's last progress.stall, if any: what each service waits for.
func stallReport(env *Environment) string {
	_, _, stall := env.session.snapshot()
	if stall == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, ": %s", stall.GetMessage())
	for _, svc := range stall.GetServices() {
		fmt.Fprintf(&b, "\n  %s: %s", svc.GetService(), svc.GetPhase())
		if svc.GetWaitingFor() != "" {
			fmt.Fprintf(&b, ", waiting for %s", svc.GetWaitingFor())
		}
		for _, line := range svc.GetLastLogLines() {
			fmt.Fprintf(&b, "\n    | %s", line)
		}
	}
	return b.String()
}

// IsDown reports whether err says an environment went down, and returns the details.
func IsDown(err error) (*DownError, bool) {
	var down *DownError
	ok := errors.As(err, &down)
	return down, ok
}
