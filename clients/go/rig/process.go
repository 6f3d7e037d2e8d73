package rig

import (
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// programBase holds what every program run on the host shares (process, Go, Node):
// arguments, environment, working directory and stop grace.
type programBase[S any] struct {
	serviceBase[S]
	args      []string
	dir       string
	env       map[string]string
	stopGrace time.Duration
}

// Args appends arguments; ${VAR} references the wiring, e.g. "${PORT}".
func (p *programBase[S]) Args(args ...string) S {
	p.args = append(p.args, args...)
	return p.self
}

// Env sets an environment variable (under the wiring variables, which win).
func (p *programBase[S]) Env(name, value string) S {
	if p.env == nil {
		p.env = map[string]string{}
	}
	p.env[name] = value
	return p.self
}

// Dir sets the working directory; relative paths resolve against the test's working
// directory, which is also the default.
func (p *programBase[S]) Dir(dir string) S {
	p.dir = dir
	return p.self
}

// StopGrace is the time between SIGTERM and SIGKILL at teardown (default 5 s).
func (p *programBase[S]) StopGrace(d time.Duration) S {
	p.stopGrace = d
	return p.self
}

// stopGraceProto is the stop grace as the API spells it; nil for the default.
func (p *programBase[S]) stopGraceProto() *durationpb.Duration {
	if p.stopGrace > 0 {
		return durationpb.New(p.stopGrace)
	}
	return nil
}

// ProcessService runs any executable on the host. Its default ingress is "default",
// http. The process gets its wiring as environment variables (HOST, PORT, DB_HOST, ...,
// RIG_WIRING) on top of the test process's own environment.
type ProcessService struct {
	programBase[*ProcessService]
	command string
}

// Process declares a process service. Arguments may use ${VAR} references to the
// service's wiring, e.g. rig.Process("./server", "--listen", "${HOST}:${PORT}").
func Process(command string, args ...string) *ProcessService {
	p := &ProcessService{command: command}
	p.args = args
	p.self = p
	return p
}

func (p *ProcessService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s, err := p.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	cfg := &rigv1.ProcessConfig{Command: p.command, Args: p.args, Dir: p.dir, Env: copyEnv(p.env), StopGrace: p.stopGraceProto()}
	s.Config = &rigv1.Service_Process{Process: cfg}
	return s, nil
}
