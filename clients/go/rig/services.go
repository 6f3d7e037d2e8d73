package rig

import (
	"context"
	"fmt"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// Services is an environment: service definitions by service name. Names are lower-case
// letters, digits, '-' and '_', starting with a letter.
type Services map[string]Service

// Service is a service definition made by [Process], [Container], [Postgres], [Redis]
// or [Func]. Each builder has the methods that make sense for its type.
type Service interface {
	// toProto builds the API message, registering closures under names unique in the
	// environment.
	toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error)
}

// HookContext is what a prestart or init hook closure gets.
type HookContext struct {
	// Service is the service the hook belongs to.
	Service string
	// Phase is "prestart" (egresses ready, ports allocated, not started) or "init"
	// (healthy, not yet ready).
	Phase  string
	Wiring Wiring
}

// HookFunc is a hook closure. A non-nil error (or a panic) fails the service with its
// message. ctx ends when the environment goes down while the hook runs.
type HookFunc func(ctx context.Context, h HookContext) error

// serviceBase holds what every service type shares: ingresses, egresses and hooks. It
// is embedded in each builder with the builder's own pointer type, so the chaining
// methods return the concrete builder (rig.Process(...).Egress("db").Env(...)).
type serviceBase[S any] struct {
	self      S
	ingresses []*Ingress
	noIngress bool
	egresses  []*rigv1.Egress
	prestart  []hookDef
	init      []hookDef
	requires  []*rigv1.ResourceRequirement
}

// hookDef is one hook: a client closure or a server-side action.
type hookDef struct {
	fn   HookFunc
	sql  []string
	exec []string
}

// Egress makes the service depend on the default (or only) ingress of another service;
// it starts once that service is ready and is wired with its endpoint under the
// service's name (DB_HOST, DB_PORT for "db").
func (b *serviceBase[S]) Egress(service string) S {
	b.egresses = append(b.egresses, &rigv1.Egress{Service: service})
	return b.self
}

// EgressTo depends on a named ingress of another service.
func (b *serviceBase[S]) EgressTo(service, ingress string) S {
	b.egresses = append(b.egresses, &rigv1.Egress{Service: service, Ingress: ingress})
	return b.self
}

// EgressAs depends on an ingress of another service under a local name (the wiring
// prefix: "orders-db" gives ORDERS_DB_HOST). ingress may be "" for the only ingress.
func (b *serviceBase[S]) EgressAs(name, service, ingress string) S {
	b.egresses = append(b.egresses, &rigv1.Egress{Name: name, Service: service, Ingress: ingress})
	return b.self
}

// Ingress declares a port the service listens on; without any, the service gets its
// type's default ingress.
func (b *serviceBase[S]) Ingress(in *Ingress) S {
	b.ingresses = append(b.ingresses, in)
	return b.self
}

// NoIngress declares that the service listens on nothing (a worker).
func (b *serviceBase[S]) NoIngress() S {
	b.noIngress = true
	return b.self
}

// Requires makes the service hold resource (a rig.Resource / LockService name) alone
// while it runs: it starts once it holds every resource it requires, queueing behind
// test processes and other environments, and lets them go when it stops.
func (b *serviceBase[S]) Requires(resource string) S {
	return b.require(resource, false)
}

// RequiresShared is Requires in shared mode: together with other shared holders, up
// to the resource's max parallelism.
func (b *serviceBase[S]) RequiresShared(resource string) S {
	return b.require(resource, true)
}

// require adds a requirement, or changes the mode of one already named.
func (b *serviceBase[S]) require(resource string, shared bool) S {
	for _, r := range b.requires {
		if r.Resource == resource {
			r.Shared = shared
			return b.self
		}
	}
	b.requires = append(b.requires, &rigv1.ResourceRequirement{Resource: resource, Shared: shared})
	return b.self
}

// Prestart runs fn once the service's egresses are ready and its ports are allocated,
// before it starts: the place to write config files or seed dependencies.
func (b *serviceBase[S]) Prestart(fn HookFunc) S {
	b.prestart = append(b.prestart, hookDef{fn: fn})
	return b.self
}

// Init runs fn once the service is healthy, before it is marked ready.
func (b *serviceBase[S]) Init(fn HookFunc) S {
	b.init = append(b.init, hookDef{fn: fn})
	return b.self
}

// baseProto fills the shared fields of the API message.
func (b *serviceBase[S]) baseProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s := &rigv1.Service{Name: name, NoIngress: b.noIngress, Egresses: b.egresses}
	for _, r := range b.requires {
		s.Requires = append(s.Requires, &rigv1.ResourceRequirement{Resource: r.Resource, Shared: r.Shared})
	}
	for _, in := range b.ingresses {
		s.Ingresses = append(s.Ingresses, in.toProto())
	}
	var err error
	if s.Prestart, err = hooksToProto(name, "prestart", b.prestart, handlers); err != nil {
		return nil, err
	}
	if s.Init, err = hooksToProto(name, "init", b.init, handlers); err != nil {
		return nil, err
	}
	return s, nil
}

func hooksToProto(service, phase string, defs []hookDef, handlers *handlerRegistry) ([]*rigv1.Hook, error) {
	var hooks []*rigv1.Hook
	for i, d := range defs {
		switch {
		case d.sql != nil:
			hooks = append(hooks, &rigv1.Hook{Action: &rigv1.Hook_Sql{Sql: &rigv1.SqlHook{Statements: d.sql}}})
		case d.exec != nil:
			hooks = append(hooks, &rigv1.Hook{Action: &rigv1.Hook_Exec{Exec: &rigv1.ExecHook{Command: d.exec}}})
		default:
			name := fmt.Sprintf("%s.%s.%d", service, phase, i)
			if err := handlers.addHook(name, d.fn); err != nil {
				return nil, err
			}
			hooks = append(hooks, &rigv1.Hook{Action: &rigv1.Hook_ClientFunc{ClientFunc: &rigv1.ClientFuncHook{Name: name}}})
		}
	}
	return hooks, nil
}

// copyEnv copies a user's map so later changes to it do not leak into the spec.
func copyEnv(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
