package rig

import (
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ProcessService runs any executable on the host. Its default ingress is "default",
// http. The process gets its wiring as environment variables (HOST, PORT, DB_HOST, ...,
// RIG_WIRING) on top of the test process's own environment.
type ProcessService struct {
	serviceBase[*ProcessService]
	command   string
	args      []string
	dir       string
	env       map[string]string
	stopGrace time.Duration
}

// Process declares a process service. Arguments may use ${VAR} references to the
// service's wiring, e.g. rig.Process("./server", "--listen", "${HOST}:${PORT}").
func Process(command string, args ...string) *ProcessService {
	p := &ProcessService{command: command, args: args}
	p.self = p
	return p
}

// Args appends arguments.
func (p *ProcessService) Args(args ...string) *ProcessService {
	p.args = append(p.args, args...)
	return p
}

// Env sets an environment variable (under the wiring variables, which win).
func (p *ProcessService) Env(name, value string) *ProcessService {
	if p.env == nil {
		p.env = map[string]string{}
	}
	p.env[name] = value
	return p
}

// Dir sets the working directory; relative paths resolve against the test's working
// directory, which is also the default.
func (p *ProcessService) Dir(dir string) *ProcessService {
	p.dir = dir
	return p
}

// StopGrace is the time between SIGTERM and SIGKILL at teardown (default 5 s).
func (p *ProcessService) StopGrace(d time.Duration) *ProcessService {
	p.stopGrace = d
	return p
}

func (p *ProcessService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s, err := p.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	cfg := &rigv1.ProcessConfig{Command: p.command, Args: p.args, Dir: p.dir, Env: copyEnv(p.env)}
	if p.stopGrace > 0 {
		cfg.StopGrace = durationpb.New(p.stopGrace)
	}
	s.Config = &rigv1.Service_Process{Process: cfg}
	return s, nil
}
