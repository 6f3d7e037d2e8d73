package rig

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"github.com/rig-dev/rig/clients/go/gen/rig/v1/rigv1connect"
)

// unixPrefix marks a unix socket address ("unix:/path/rigd.sock") in the addr file,
// RIG_SERVER and [Server].
const unixPrefix = "unix:"

// clientName names this test process in the Rig-Client header of every call.
var clientName = "go pid " + strconv.Itoa(os.Getpid())

// newH2CTransport speaks HTTP/2 without TLS (prior knowledge), as gRPC does: rigd serves
// gRPC, Connect and health on one cleartext port, or on a unix socket.
func newH2CTransport(addr string) *http.Transport {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	transport := &http.Transport{Protocols: &protocols}
	if path, ok := strings.CutPrefix(addr, unixPrefix); ok {
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}
	}
	return transport
}

// baseURL is the URL rigd's API is called at; over a unix socket it only names the
// :authority (the transport dials the socket).
func baseURL(addr string) string {
	if strings.HasPrefix(addr, unixPrefix) {
		return "http://localhost"
	}
	return "http://" + addr
}

// bearer sends rigd's token on every request (rigd answers UNAUTHENTICATED without it).
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	// Names this test process; rigd's limit of environments per client counts by it.
	req.Header.Set("Rig-Client", clientName)
	return b.next.RoundTrip(req)
}

// newClient is a gRPC client of rigd's EnvironmentService at addr, sending token on
// every call. One HTTP/2 connection carries the event stream and every unary call.
func newClient(addr, token string) (rigv1connect.EnvironmentServiceClient, *http.Transport) {
	transport := newH2CTransport(addr)
	httpClient := &http.Client{Transport: bearer{token: token, next: transport}}
	client := rigv1connect.NewEnvironmentServiceClient(httpClient, baseURL(addr), connect.WithGRPC())
	return client, transport
}
