package rig

import (
	"os"
	"strings"
	"testing"
)

const wiringJSONSample = `{"ingresses":{"default":{"host":"127.0.0.1","port":4100,"protocol":"http","attributes":{}},
"admin":{"host":"127.0.0.1","port":4101,"protocol":"grpc","attributes":{}}},
"egresses":{"db":{"host":"127.0.0.1","port":5433,"protocol":"tcp","attributes":{"DATABASE_URL":"postgres://u:p@127.0.0.1:5433/app?sslmode=disable"}},
"cache":{"host":"::1","port":6380,"protocol":"unspecified","attributes":{"REDIS_URL":"redis://[::1]:6380/2"}}},
"temp_dir":"/tmp/svc","env_dir":"/tmp/env"}`

func TestParseWiringReadsRigWiring(t *testing.T) {
	t.Setenv("RIG_WIRING", wiringJSONSample)
	t.Setenv("RIG_SERVICE", "api")
	w, err := ParseWiring()
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"ingress url":  {w.Ingress().URL(), "http://127.0.0.1:4100"},
		"admin":        {w.IngressNamed("admin").Protocol, "grpc"},
		"db":           {w.Egress("db").PostgresURL(), "postgres://u:p@127.0.0.1:5433/app?sslmode=disable"},
		"cache proto":  {w.Egress("cache").Protocol, "tcp"},
		"cache host":   {w.Egress("cache").HostPort(), "[::1]:6380"},
		"cache url":    {w.Egress("cache").RedisURL(), "redis://[::1]:6380/2"},
		"dirs":         {w.TempDir + " " + w.EnvDir, "/tmp/svc /tmp/env"},
		"service name": {ServiceName(), "api"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: got %q, want %q", name, c[0], c[1])
		}
	}
}

func TestParseWiringOutsideRig(t *testing.T) {
	t.Setenv("RIG_WIRING", "")
	// t.Setenv cannot unset; an empty value is not JSON, and the unset case is below.
	if _, err := ParseWiring(); err == nil || !strings.Contains(err.Error(), "not wiring JSON") {
		t.Fatalf("empty: %v", err)
	}
	for _, bad := range []string{"nope", "[]", `{"ingresses":{"default":{"port":1}}}`, `{"egresses":3}`} {
		if _, err := ParseWiringJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), "not wiring JSON") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestParseWiringUnset(t *testing.T) {
	t.Setenv("RIG_WIRING", "x")
	unsetenv(t, "RIG_WIRING")
	if _, err := ParseWiring(); err == nil || !strings.Contains(err.Error(), "$RIG_WIRING is not set") {
		t.Fatalf("unset: %v", err)
	}
}

// unsetenv unsets a variable for the test (after t.Setenv, which restores it).
func unsetenv(t *testing.T, name string) {
	t.Helper()
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
