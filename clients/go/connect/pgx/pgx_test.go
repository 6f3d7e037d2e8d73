package pgx_test

import (
	"context"
	"os"
	"strings"
	"testing"

	rigpgx "github.com/rig-dev/rig/clients/go/connect/pgx"
	"github.com/rig-dev/rig/clients/go/rig"
)

func image() string {
	if i := os.Getenv("RIG_TEST_POSTGRES_IMAGE"); i != "" {
		return i
	}
	return "rig-test/postgres:16"
}

func TestNotAPostgresEndpointIsAnError(t *testing.T) {
	_, err := rigpgx.Pool(context.Background(), rig.Endpoint{Host: "127.0.0.1", Port: 1, Protocol: "http"})
	if err == nil || !strings.Contains(err.Error(), "is it a postgres service?") {
		t.Fatalf("got %v", err)
	}
}

// A pool and a connection on the postgres a rig environment gives, with a table made
// by the service's init SQL.
func TestPoolAndConnOnRigPostgres(t *testing.T) {
	if os.Getenv("RIG_SERVER") == "" {
		t.Skip("no rigd: set RIG_SERVER (scripts/test-clients.sh does)")
	}
	ctx := context.Background()
	env := rig.Up(t, rig.Services{"db": rig.Postgres().Image(image()).InitSQL("CREATE TABLE greetings (word text); INSERT INTO greetings VALUES ('hello')")})
	pool, err := rigpgx.Pool(ctx, env.Endpoint("db"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var word string
	if err := pool.QueryRow(ctx, "SELECT word FROM greetings").Scan(&word); err != nil || word != "hello" {
		t.Fatalf("pool: %q, %v", word, err)
	}
	conn, err := rigpgx.Connect(ctx, env.Endpoint("db"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM greetings").Scan(&n); err != nil || n != 1 {
		t.Fatalf("conn: %d, %v", n, err)
	}
}
