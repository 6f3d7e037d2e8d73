package rig

import (
	"fmt"
	"sort"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// DefaultIngress is the name of the ingress a service gets when it declares none.
const DefaultIngress = "default"

// Wiring is what a service is told about itself and its egresses (SPEC §7): the
// endpoints it listens on, the endpoints it may call, and its scratch directories.
type Wiring struct {
	// Ingresses are the service's own endpoints, by ingress name.
	Ingresses map[string]Endpoint
	// Egresses are the endpoints the service depends on, by egress name (the target
	// service's name unless the egress was named otherwise).
	Egresses map[string]Endpoint
	// TempDir is the service's own temp dir; EnvDir is shared by the whole environment.
	TempDir string
	EnvDir  string
}

// Ingress is the default ingress; it panics when the service has none (a func service
// declared with NoIngress), which is a mistake in the test, not a runtime condition.
func (w Wiring) Ingress() Endpoint {
	return w.IngressNamed(DefaultIngress)
}

// IngressNamed is the ingress with the given name; it panics when there is none.
func (w Wiring) IngressNamed(name string) Endpoint {
	e, ok := w.Ingresses[name]
	if !ok {
		panic(fmt.Sprintf("rig: no ingress %q in the wiring (have %v)", name, sortedKeys(w.Ingresses)))
	}
	return e
}

// Egress is the egress with the given name; it panics when there is none.
func (w Wiring) Egress(name string) Endpoint {
	e, ok := w.Egresses[name]
	if !ok {
		panic(fmt.Sprintf("rig: no egress %q in the wiring (have %v)", name, sortedKeys(w.Egresses)))
	}
	return e
}

func wiringFromProto(m *rigv1.Wiring) Wiring {
	return Wiring{
		Ingresses: endpointsFromProto(m.GetIngresses()),
		Egresses:  endpointsFromProto(m.GetEgresses()),
		TempDir:   m.GetTempDir(),
		EnvDir:    m.GetEnvDir(),
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
