package redisx_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/rig-dev/rig/clients/go/connect/redisx"
	"github.com/rig-dev/rig/clients/go/rig"
)

func image() string {
	if i := os.Getenv("RIG_TEST_REDIS_IMAGE"); i != "" {
		return i
	}
	return "rig-test/redis:7"
}

func TestOptionsKeepTheDatabaseAndUseTheEndpointsAddress(t *testing.T) {
	e := rig.Endpoint{Host: "10.0.0.9", Port: 7000, Attributes: map[string]string{"REDIS_URL": "redis://:pw@redis:6379/3"}}
	opts, err := redisx.Options(e)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Addr != "10.0.0.9:7000" || opts.DB != 3 || opts.Password != "pw" {
		t.Fatalf("got addr %s db %d password %q", opts.Addr, opts.DB, opts.Password)
	}
	if _, err := redisx.Options(rig.Endpoint{Host: "h", Port: 1, Attributes: map[string]string{"REDIS_URL": "::"}}); err == nil || !strings.Contains(err.Error(), "not a URL") {
		t.Fatalf("bad REDIS_URL: %v", err)
	}
}

func TestClientOnRigRedis(t *testing.T) {
	if os.Getenv("RIG_SERVER") == "" {
		t.Skip("no rigd: set RIG_SERVER (scripts/test-clients.sh does)")
	}
	ctx := context.Background()
	env := rig.Up(t, rig.Services{"cache": rig.Redis().Image(image())})
	rdb, err := redisx.Client(ctx, env.Endpoint("cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if err := rdb.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := rdb.Get(ctx, "greeting").Result(); err != nil || got != "hello" {
		t.Fatalf("got %q, %v", got, err)
	}
}
