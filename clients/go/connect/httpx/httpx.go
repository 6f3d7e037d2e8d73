// Package httpx is rig's HTTP helper for an endpoint: a client bound to an endpoint's
// base URL (for tests and for services calling their egresses) and a server on an
// ingress (for services and func services). Its own module, so the SDK's go.sum does
// not grow with the helpers' dependencies.
//
//	w := rig.MustParseWiring()
//	go httpx.Serve(ctx, w.Ingress(), mux)
//	resp, err := httpx.New(w.Egress("api")).Get(ctx, "/health")
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rig-dev/rig/clients/go/rig"
)

// Client is an http.Client bound to one endpoint: paths are resolved against BaseURL.
type Client struct {
	*http.Client
	// BaseURL is the endpoint's URL, "http://host:port".
	BaseURL string
}

// New is a Client for an http (or grpc, over h2c by the caller) endpoint with a 30 s
// timeout per request; set Client.Timeout to change it.
func New(e rig.Endpoint) *Client {
	return &Client{Client: &http.Client{Timeout: 30 * time.Second}, BaseURL: e.URL()}
}

// URL is BaseURL joined with path ("/health", "health" and "" all work).
func (c *Client) URL(path string) string {
	if path == "" {
		return c.BaseURL
	}
	return c.BaseURL + "/" + strings.TrimPrefix(path, "/")
}

// Get sends a GET for path.
func (c *Client) Get(ctx context.Context, path string) (*http.Response, error) {
	return c.Send(ctx, http.MethodGet, path, "", nil)
}

// Post sends a POST for path with a body.
func (c *Client) Post(ctx context.Context, path, contentType string, body io.Reader) (*http.Response, error) {
	return c.Send(ctx, http.MethodPost, path, contentType, body)
}

// Send sends a request for path; contentType is set when not empty.
func (c *Client) Send(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL(path), body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.Do(req)
}

// GetBody is Get that reads the whole body and fails on a status other than 2xx.
func (c *Client) GetBody(ctx context.Context, path string) (string, error) {
	resp, err := c.Get(ctx, path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return string(body), fmt.Errorf("httpx: GET %s: %s", c.URL(path), resp.Status)
	}
	return string(body), nil
}

// Listen listens on an ingress (its host and port, as rigd allotted them).
func Listen(e rig.Endpoint) (net.Listener, error) {
	return net.Listen("tcp", e.HostPort())
}

// Serve serves h on an ingress until ctx ends, then closes the server; it returns nil
// when ctx ended it and the error otherwise (the port taken, ...).
func Serve(ctx context.Context, e rig.Endpoint, h http.Handler) error {
	ln, err := Listen(e)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
