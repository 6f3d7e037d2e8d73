package rig

import (
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Ingress declares a port a service listens on. Start from [HTTP], [TCP] or [GRPC] and
// refine it: rig.HTTP().Named("admin").ReadyPath("/healthz").
type Ingress struct {
	name          string
	protocol      rigv1.Protocol
	ready         *rigv1.Readiness
	attributes    map[string]string
	containerPort uint32
}

// HTTP is an ingress speaking HTTP; ready once GET / answers with a status below 500.
func HTTP() *Ingress { return &Ingress{protocol: rigv1.Protocol_PROTOCOL_HTTP} }

// TCP is a plain TCP ingress; ready once it accepts a connection.
func TCP() *Ingress { return &Ingress{protocol: rigv1.Protocol_PROTOCOL_TCP} }

// GRPC is a gRPC ingress; ready once grpc.health.v1.Health/Check says SERVING.
func GRPC() *Ingress { return &Ingress{protocol: rigv1.Protocol_PROTOCOL_GRPC} }

// Named names the ingress; unnamed it is "default", wired as HOST and PORT.
func (i *Ingress) Named(name string) *Ingress { i.name = name; return i }

// Attr sets a static attribute; the value may use ${HOST}, ${PORT} and ${HOSTPORT}.
func (i *Ingress) Attr(name, value string) *Ingress {
	if i.attributes == nil {
		i.attributes = map[string]string{}
	}
	i.attributes[name] = value
	return i
}

// ContainerPort is the port inside a container that the host port maps to.
func (i *Ingress) ContainerPort(port int) *Ingress { i.containerPort = uint32(port); return i }

// ReadyPath makes the readiness check an HTTP GET of path.
func (i *Ingress) ReadyPath(path string) *Ingress {
	r := i.readiness()
	r.Kind = rigv1.ReadinessKind_READINESS_KIND_HTTP
	r.HttpPath = path
	return i
}

// ReadyTimeout is how long readiness is polled before the service fails (default 30 s).
func (i *Ingress) ReadyTimeout(d time.Duration) *Ingress {
	i.readiness().Timeout = durationpb.New(d)
	return i
}

// NoReadinessCheck marks the ingress ready as soon as the service is started.
func (i *Ingress) NoReadinessCheck() *Ingress {
	i.readiness().Kind = rigv1.ReadinessKind_READINESS_KIND_NONE
	return i
}

func (i *Ingress) readiness() *rigv1.Readiness {
	if i.ready == nil {
		i.ready = &rigv1.Readiness{}
	}
	return i.ready
}

func (i *Ingress) toProto() *rigv1.Ingress {
	return &rigv1.Ingress{
		Name:          i.name,
		Protocol:      i.protocol,
		Ready:         i.ready,
		Attributes:    i.attributes,
		ContainerPort: i.containerPort,
	}
}
