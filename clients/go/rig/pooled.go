package rig

import (
	"os"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// imageOr is the builder's image, else the caller's environment variable: a test run
// with RIG_POSTGRES_IMAGE=... gets that image even from a rigd started earlier with
// other settings. Empty leaves the choice to rigd's own default.
func imageOr(image, envVar string) string {
	if image != "" {
		return image
	}
	return os.Getenv(envVar)
}

// PostgresService is a database of its own on a Postgres server shared by the
// environments of one rigd. Its endpoint carries PGHOST, PGPORT, PGUSER, PGPASSWORD and
// PGDATABASE attributes.
type PostgresService struct {
	serviceBase[*PostgresService]
	image string
}

// Postgres declares a postgres service on the image named by RIG_POSTGRES_IMAGE in
// the test process, else rigd's default.
func Postgres() *PostgresService {
	p := &PostgresService{}
	p.self = p
	return p
}

// Image selects the Postgres image (one pooled server per image).
func (p *PostgresService) Image(image string) *PostgresService {
	p.image = image
	return p
}

// InitSQL runs statements against the service's database once it is ready.
func (p *PostgresService) InitSQL(statements ...string) *PostgresService {
	p.init = append(p.init, hookDef{sql: append([]string{}, statements...)})
	return p
}

// InitExec runs a command inside the Postgres container once it is ready.
func (p *PostgresService) InitExec(command ...string) *PostgresService {
	p.init = append(p.init, hookDef{exec: append([]string{}, command...)})
	return p
}

func (p *PostgresService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s, err := p.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	s.Config = &rigv1.Service_Postgres{Postgres: &rigv1.PostgresConfig{Image: imageOr(p.image, "RIG_POSTGRES_IMAGE")}}
	return s, nil
}

// RedisService is a database number of its own on a Redis server shared by the
// environments of one rigd, flushed when released. Its endpoint carries REDIS_URL.
type RedisService struct {
	serviceBase[*RedisService]
	image string
}

// Redis declares a redis service on the image named by RIG_REDIS_IMAGE in the test
// process, else rigd's default.
func Redis() *RedisService {
	r := &RedisService{}
	r.self = r
	return r
}

// Image selects the Redis image (one pooled server per image).
func (r *RedisService) Image(image string) *RedisService {
	r.image = image
	return r
}

func (r *RedisService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s, err := r.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	s.Config = &rigv1.Service_Redis{Redis: &rigv1.RedisConfig{Image: imageOr(r.image, "RIG_REDIS_IMAGE")}}
	return s, nil
}
