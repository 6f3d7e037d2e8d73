// Package redisx connects github.com/redis/go-redis/v9 to a rig redis endpoint (host and
// port always the endpoint's own, database number and credentials from its REDIS_URL).
// Its own module, so the SDK's go.sum does not carry go-redis.
//
//	rdb, err := redisx.Client(ctx, env.Endpoint("cache"))             // in a test
//	rdb, err := redisx.Client(ctx, rig.MustParseWiring().Egress("cache")) // in a service
package redisx

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/rig-dev/rig/clients/go/rig"
)

// Options are go-redis options for the endpoint, to adjust before redis.NewClient.
func Options(e rig.Endpoint) (opts *redis.Options, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return redis.ParseURL(e.RedisURL())
}

// Client is a go-redis client for the endpoint, pinged once so a wrong endpoint fails here.
func Client(ctx context.Context, e rig.Endpoint) (*redis.Client, error) {
	opts, err := Options(e)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("rig redisx: %s: %w", e.HostPort(), err)
	}
	return c, nil
}
