package rig

import (
	"strings"
	"testing"
)

func TestPostgresURLBuildsFromPGAttributesOnTheEndpointAddress(t *testing.T) {
	ep := Endpoint{Host: "127.0.0.1", Port: 40001, Protocol: "tcp", Attributes: map[string]string{
		"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "rig", "PGPASSWORD": "p@ss", "PGDATABASE": "orders_1",
	}}
	if got, want := ep.PostgresURL(), "postgres://rig:p%40ss@127.0.0.1:40001/orders_1"; got != want {
		t.Fatalf("PostgresURL() = %q, want %q", got, want)
	}
}

func TestPostgresURLWithoutPasswordOnIPv6(t *testing.T) {
	ep := Endpoint{Host: "::1", Port: 5432, Attributes: map[string]string{"PGUSER": "postgres", "PGDATABASE": "a/b c"}}
	if got, want := ep.PostgresURL(), "postgres://postgres@[::1]:5432/a%2Fb%20c"; got != want {
		t.Fatalf("PostgresURL() = %q, want %q", got, want)
	}
}

func TestPostgresURLPrefersDatabaseURLRehostedToTheEndpoint(t *testing.T) {
	ep := Endpoint{Host: "127.0.0.1", Port: 40001, Attributes: map[string]string{
		"PGUSER":       "ignored",
		"PGDATABASE":   "ignored",
		"DATABASE_URL": "postgres://rig:secret@127.0.0.1:5432/orders_1?sslmode=disable",
	}}
	if got, want := ep.PostgresURL(), "postgres://rig:secret@127.0.0.1:40001/orders_1?sslmode=disable"; got != want {
		t.Fatalf("PostgresURL() = %q, want %q", got, want)
	}
}

func TestPostgresURLPanicsWithoutPostgresAttributes(t *testing.T) {
	ep := Endpoint{Host: "127.0.0.1", Port: 40001, Attributes: map[string]string{"PGUSER": "rig", "PGPASSWORD": "secret"}}
	msg := recoverMessage(func() { ep.PostgresURL() })
	if !strings.Contains(msg, "neither DATABASE_URL nor PGUSER and PGDATABASE") || !strings.Contains(msg, "127.0.0.1:40001") {
		t.Fatalf("panic = %q, want it to name the missing attributes and the endpoint", msg)
	}
	if strings.Contains(msg, "secret") {
		t.Fatalf("panic %q leaks PGPASSWORD", msg)
	}
}

func TestRedisURLKeepsThePublishedDatabaseOnTheEndpointAddress(t *testing.T) {
	ep := Endpoint{Host: "127.0.0.1", Port: 40002, Attributes: map[string]string{"REDIS_URL": "redis://:pw@127.0.0.1:6379/7"}}
	if got, want := ep.RedisURL(), "redis://:pw@127.0.0.1:40002/7"; got != want {
		t.Fatalf("RedisURL() = %q, want %q", got, want)
	}
}

func TestRedisURLFallsBackToHostPort(t *testing.T) {
	ep := Endpoint{Host: "127.0.0.1", Port: 40002}
	if got, want := ep.RedisURL(), "redis://127.0.0.1:40002"; got != want {
		t.Fatalf("RedisURL() = %q, want %q", got, want)
	}
}

func TestRedisURLPanicsOnAPublishedValueThatIsNotAURL(t *testing.T) {
	ep := Endpoint{Host: "127.0.0.1", Port: 40002, Attributes: map[string]string{"REDIS_URL": "127.0.0.1:6379"}}
	if msg := recoverMessage(func() { ep.RedisURL() }); !strings.Contains(msg, "REDIS_URL") {
		t.Fatalf("panic = %q, want it to name REDIS_URL", msg)
	}
}

// recoverMessage runs fn and returns what it panicked with, or "" when it did not panic.
func recoverMessage(fn func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	fn()
	return ""
}
