package rig

import (
	"context"
	"fmt"
	"path/filepath"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// ExecResult is what a command run with Exec printed and how it ended.
type ExecResult struct {
	ExitCode int
	Stdout   string
	Stderr   string
}

// LogLine is one line of a service's output; Stream is "stdout" or "stderr".
type LogLine struct {
	Stream string
	Line   string
}

// Exec runs command in a container service and returns its exit code and output (a
// non-zero exit is a result, not an error).
func (e *Environment) Exec(ctx context.Context, service string, command ...string) (ExecResult, error) {
	resp, err := e.client.ExecService(ctx, connect.NewRequest(&rigv1.ExecServiceRequest{EnvironmentId: e.id, Service: service, Command: command}))
	if err != nil {
		return ExecResult{}, opError("exec in", service, err)
	}
	return ExecResult{ExitCode: int(resp.Msg.GetExitCode()), Stdout: string(resp.Msg.GetStdout()), Stderr: string(resp.Msg.GetStderr())}, nil
}

// CopyTo copies a host file or directory (relative to the working directory) to
// containerPath in a container service; parents are created.
func (e *Environment) CopyTo(ctx context.Context, service, hostPath, containerPath string) error {
	abs, err := filepath.Abs(hostPath)
	if err != nil {
		return err
	}
	_, err = e.client.CopyToService(ctx, connect.NewRequest(&rigv1.CopyToServiceRequest{
		EnvironmentId: e.id, Service: service, ContainerPath: containerPath,
		Source: &rigv1.CopyToServiceRequest_HostPath{HostPath: abs},
	}))
	return opError("copy into", service, err)
}

// CopyContentTo writes content as the file containerPath in a container service.
func (e *Environment) CopyContentTo(ctx context.Context, service string, content []byte, containerPath string) error {
	_, err := e.client.CopyToService(ctx, connect.NewRequest(&rigv1.CopyToServiceRequest{
		EnvironmentId: e.id, Service: service, ContainerPath: containerPath,
		Source: &rigv1.CopyToServiceRequest_Content{Content: content},
	}))
	return opError("copy into", service, err)
}

// CopyFrom copies a file or directory out of a container service to hostPath.
func (e *Environment) CopyFrom(ctx context.Context, service, containerPath, hostPath string) error {
	abs, err := filepath.Abs(hostPath)
	if err != nil {
		return err
	}
	_, err = e.client.CopyFromService(ctx, connect.NewRequest(&rigv1.CopyFromServiceRequest{
		EnvironmentId: e.id, Service: service, ContainerPath: containerPath, HostPath: abs,
	}))
	return opError("copy out of", service, err)
}

// Logs returns a service's output so far, across restarts (the last tail lines; 0: all).
func (e *Environment) Logs(ctx context.Context, service string, tail int) ([]LogLine, error) {
	resp, err := e.client.GetServiceLogs(ctx, connect.NewRequest(&rigv1.GetServiceLogsRequest{EnvironmentId: e.id, Service: service, Tail: uint32(tail)}))
	if err != nil {
		return nil, opError("read the logs of", service, err)
	}
	lines := make([]LogLine, 0, len(resp.Msg.GetLines()))
	for _, l := range resp.Msg.GetLines() {
		stream := "stdout"
		if l.GetStream() == rigv1.LogStream_LOG_STREAM_STDERR {
			stream = "stderr"
		}
		lines = append(lines, LogLine{Stream: stream, Line: l.GetLine()})
	}
	return lines, nil
}

// Stop stops one service (its dependents keep running) and returns its exit code.
func (e *Environment) Stop(ctx context.Context, service string) (int, error) {
	resp, err := e.client.StopService(ctx, connect.NewRequest(&rigv1.StopServiceRequest{EnvironmentId: e.id, Service: service}))
	if err != nil {
		return 0, opError("stop", service, err)
	}
	return int(resp.Msg.GetExitCode()), nil
}

// Restart starts a service again (stopping it first if it runs) and waits until it is
// ready; its endpoints stay the same.
func (e *Environment) Restart(ctx context.Context, service string) error {
	_, err := e.client.RestartService(ctx, connect.NewRequest(&rigv1.RestartServiceRequest{EnvironmentId: e.id, Service: service}))
	return opError("restart", service, err)
}

func opError(what, service string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("rig: %s service %s: %w", what, service, err)
}
