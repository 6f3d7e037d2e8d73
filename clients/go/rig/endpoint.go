package rig

import (
	"net"
	"strconv"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// Endpoint is a resolved ingress: where to connect and what the service says about
// itself. Attribute values have ${HOST}, ${PORT} and ${HOSTPORT} already resolved.
type Endpoint struct {
	Host string
	Port int
	// Protocol is "tcp", "http", "grpc" or "kafka".
	Protocol   string
	Attributes map[string]string
}

// HostPort is "host:port", ready for net.Dial or a gRPC target.
func (e Endpoint) HostPort() string {
	return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
}

// URL is "http://host:port" for http and grpc ingresses, "tcp://host:port" for tcp and
// "kafka://host:port" for kafka.
func (e Endpoint) URL() string {
	scheme := e.Protocol
	if scheme == "grpc" || scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + e.HostPort()
}

// Attr is one attribute, or "" when the service did not publish it.
func (e Endpoint) Attr(name string) string {
	return e.Attributes[name]
}

var protocolNames = map[rigv1.Protocol]string{
	rigv1.Protocol_PROTOCOL_TCP:   "tcp",
	rigv1.Protocol_PROTOCOL_HTTP:  "http",
	rigv1.Protocol_PROTOCOL_GRPC:  "grpc",
	rigv1.Protocol_PROTOCOL_KAFKA: "kafka",
}

func endpointFromProto(m *rigv1.Endpoint) Endpoint {
	protocol, ok := protocolNames[m.GetProtocol()]
	if !ok {
		protocol = "tcp"
	}
	attrs := make(map[string]string, len(m.GetAttributes()))
	for k, v := range m.GetAttributes() {
		attrs[k] = v
	}
	return Endpoint{Host: m.GetHost(), Port: int(m.GetPort()), Protocol: protocol, Attributes: attrs}
}

func endpointsFromProto(ms map[string]*rigv1.Endpoint) map[string]Endpoint {
	out := make(map[string]Endpoint, len(ms))
	for name, m := range ms {
		out[name] = endpointFromProto(m)
	}
	return out
}
