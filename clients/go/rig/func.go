package rig

import (
	"context"
	"fmt"
	"io"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// FuncContext is what a func service gets.
type FuncContext struct {
	// Service is the service's name.
	Service string
	// Wiring holds the endpoints to listen on (Wiring.Ingress().Port) and to call.
	Wiring Wiring
	// Stdout and Stderr are the service's output: line-buffered and shipped to rigd as
	// the service's log, never blocking (lines are dropped, and counted, when rigd
	// cannot keep up).
	Stdout io.Writer
	Stderr io.Writer
}

// Logf writes one line to Stdout.
func (f FuncContext) Logf(format string, args ...any) {
	fmt.Fprintf(f.Stdout, format+"\n", args...)
}

// FuncServe is the body of a func service. It starts whatever the service is (for
// example an HTTP server on Wiring.Ingress()) and either blocks until ctx ends or
// returns nil leaving goroutines that stop with ctx. ctx ends when rigd stops the
// service (teardown) or the environment goes down. An error returned before that, or a
// panic, fails the environment with its message.
type FuncServe func(ctx context.Context, f FuncContext) error

// FuncService is a service run inside the test process: rigd allocates its ports,
// checks its readiness and wires it like any other service, and asks the test to start
// it through a start callback. Its default ingress is "default", http.
type FuncService struct {
	serviceBase[*FuncService]
	serve FuncServe
}

// Func declares a func service.
func Func(serve FuncServe) *FuncService {
	f := &FuncService{serve: serve}
	f.self = f
	return f
}

func (f *FuncService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	if f.serve == nil {
		return nil, fmt.Errorf("service %q: rig.Func needs a function", name)
	}
	s, err := f.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	handler := name + ".start"
	if err := handlers.addStart(handler, f.serve); err != nil {
		return nil, err
	}
	s.Config = &rigv1.Service_Client{Client: &rigv1.ClientConfig{StartHandler: handler}}
	return s, nil
}
