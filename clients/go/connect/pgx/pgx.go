// Package pgx connects github.com/jackc/pgx/v5 to a rig postgres endpoint: a pool or a
// connection for the endpoint's postgres URL (host and port always the endpoint's own,
// credentials and database from its DATABASE_URL or PG* attributes). Its own module, so
// the SDK's go.sum does not carry pgx.
//
//	import rigpgx "github.com/rig-dev/rig/clients/go/connect/pgx"
//
//	pool, err := rigpgx.Pool(ctx, env.Endpoint("db"))             // in a test
//	pool, err := rigpgx.Pool(ctx, rig.MustParseWiring().Egress("db")) // in a service
package pgx

import (
	"context"
	"fmt"

	pgxv5 "github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rig-dev/rig/clients/go/rig"
)

// URL is the endpoint's postgres:// URL, or an error when it is not a postgres endpoint.
func URL(e rig.Endpoint) (u string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return e.PostgresURL(), nil
}

// Config is a pool config for the endpoint, to adjust before pgxpool.NewWithConfig.
func Config(e rig.Endpoint) (*pgxpool.Config, error) {
	u, err := URL(e)
	if err != nil {
		return nil, err
	}
	return pgxpool.ParseConfig(u)
}

// Pool is a pgx pool for the endpoint, pinged once so a wrong endpoint fails here.
func Pool(ctx context.Context, e rig.Endpoint) (*pgxpool.Pool, error) {
	cfg, err := Config(e)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("rig pgx: %s: %w", e.HostPort(), err)
	}
	return pool, nil
}

// Connect is a single pgx connection to the endpoint.
func Connect(ctx context.Context, e rig.Endpoint) (*pgxv5.Conn, error) {
	u, err := URL(e)
	if err != nil {
		return nil, err
	}
	return pgxv5.Connect(ctx, u)
}
