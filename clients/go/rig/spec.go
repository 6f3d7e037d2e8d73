package rig

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// buildSpec turns services and settings into the API spec and the closures it names.
func buildSpec(services Services, s settings) (*rigv1.EnvironmentSpec, *handlerRegistry, error) {
	if len(services) == 0 {
		return nil, nil, fmt.Errorf("rig: an environment needs at least one service")
	}
	handlers := newHandlerRegistry()
	spec := &rigv1.EnvironmentSpec{Name: s.name, Observe: s.observe, Dir: s.dir, HostEnv: hostEnv(), Labels: suiteLabels(s.testName)}
	if spec.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, nil, fmt.Errorf("rig: working directory: %w", err)
		}
		spec.Dir = wd
	}
	// Sorted so the spec (and handler names) do not depend on map order.
	for _, name := range sortedKeys(services) {
		def := services[name]
		if def == nil {
			return nil, nil, fmt.Errorf("rig: service %q has no definition", name)
		}
		svc, err := def.toProto(name, handlers)
		if err != nil {
			return nil, nil, fmt.Errorf("rig: %w", err)
		}
		spec.Services = append(spec.Services, svc)
	}
	spec.Ttl = optionalDuration(s.ttl)
	spec.OrphanGrace = optionalDuration(s.orphanGrace)
	spec.CallbackTimeout = optionalDuration(s.callbackTimeout)
	spec.StallTimeout = optionalDuration(s.stallTimeout)
	return spec, handlers, nil
}

func optionalDuration(d time.Duration) *durationpb.Duration {
	if d <= 0 {
		return nil
	}
	return durationpb.New(d)
}

// hostEnv is the test process's environment; process services inherit it (SPEC §5),
// except RIG_TOKEN: services never see rigd's token (rigd scrubs it too).
func hostEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" && k != "RIG_TOKEN" {
			env[k] = v
		}
	}
	return env
}

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// environmentName makes a test name ("TestX/sub case") fit rigd's environment-name
// rule: 1-63 letters, digits, '.', '-' or '_', starting with a letter or digit.
func environmentName(testName string) string {
	name := strings.Trim(nameUnsafe.ReplaceAllString(testName, "-"), "-._")
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-._")
	}
	if name == "" {
		return "env"
	}
	return name
}
