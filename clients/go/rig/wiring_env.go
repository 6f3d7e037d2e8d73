package rig

import (
	"encoding/json"
	"fmt"
	"os"
)

// WiringVar is the environment variable rigd passes every service its wiring in, as
// JSON (SPEC §7), beside HOST, PORT, <EGRESS>_HOST, ... .
const WiringVar = "RIG_WIRING"

// ParseWiring is the wiring of the service this process is, read from $RIG_WIRING. A
// service started by rig calls it to find where to listen and what to call:
//
//	w, err := rig.ParseWiring()
//	...
//	http.ListenAndServe(w.Ingress().HostPort(), handler)
//	pool, err := pgxpool.New(ctx, w.Egress("db").PostgresURL())
//
// It fails when the variable is not set (the process was not started by rig) or does
// not hold wiring JSON.
func ParseWiring() (Wiring, error) {
	raw, ok := os.LookupEnv(WiringVar)
	if !ok {
		return Wiring{}, fmt.Errorf("rig: $%s is not set; is this process a service started by rig?", WiringVar)
	}
	return ParseWiringJSON([]byte(raw))
}

// MustParseWiring is ParseWiring for a service's main: it panics on an error.
func MustParseWiring() Wiring {
	w, err := ParseWiring()
	if err != nil {
		panic(err)
	}
	return w
}

// ServiceName is the name of the service this process is ($RIG_SERVICE), or "" outside rig.
func ServiceName() string {
	return os.Getenv("RIG_SERVICE")
}

type wiringJSON struct {
	Ingresses map[string]endpointJSON `json:"ingresses"`
	Egresses  map[string]endpointJSON `json:"egresses"`
	TempDir   string                  `json:"temp_dir"`
	EnvDir    string                  `json:"env_dir"`
}

type endpointJSON struct {
	Host       *string           `json:"host"`
	Port       *int              `json:"port"`
	Protocol   string            `json:"protocol"`
	Attributes map[string]string `json:"attributes"`
}

// ParseWiringJSON parses wiring JSON (the value of $RIG_WIRING).
func ParseWiringJSON(data []byte) (Wiring, error) {
	var raw wiringJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return Wiring{}, fmt.Errorf("rig: $%s is not wiring JSON: %w", WiringVar, err)
	}
	ingresses, err := endpointsFromJSON(raw.Ingresses)
	if err != nil {
		return Wiring{}, err
	}
	egresses, err := endpointsFromJSON(raw.Egresses)
	if err != nil {
		return Wiring{}, err
	}
	return Wiring{Ingresses: ingresses, Egresses: egresses, TempDir: raw.TempDir, EnvDir: raw.EnvDir}, nil
}

func endpointsFromJSON(in map[string]endpointJSON) (map[string]Endpoint, error) {
	out := make(map[string]Endpoint, len(in))
	for name, e := range in {
		if e.Host == nil || e.Port == nil {
			return nil, fmt.Errorf("rig: $%s is not wiring JSON: endpoint %q has no host or port", WiringVar, name)
		}
		protocol := e.Protocol
		if protocol == "" || protocol == "unspecified" {
			protocol = "tcp"
		}
		attrs := e.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		out[name] = Endpoint{Host: *e.Host, Port: *e.Port, Protocol: protocol, Attributes: attrs}
	}
	return out, nil
}
