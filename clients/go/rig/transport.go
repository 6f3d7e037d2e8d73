package rig

import (
	"net/http"

	"connectrpc.com/connect"
	"github.com/rig-dev/rig/clients/go/gen/rig/v1/rigv1connect"
)

// newH2CTransport speaks HTTP/2 without TLS (prior knowledge), as gRPC does: rigd serves
// gRPC, Connect and health on one cleartext port.
func newH2CTransport() *http.Transport {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	return &http.Transport{Protocols: &protocols}
}

// newClient is a gRPC client of rigd's EnvironmentService at addr. One HTTP/2
// connection carries the event stream and every unary call.
func newClient(addr string) (rigv1connect.EnvironmentServiceClient, *http.Transport) {
	transport := newH2CTransport()
	client := rigv1connect.NewEnvironmentServiceClient(&http.Client{Transport: transport}, "http://"+addr, connect.WithGRPC())
	return client, transport
}
