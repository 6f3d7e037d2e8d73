package rig

import (
	"context"
	"testing"
)

// Up brings an environment up for a test and tears it down in t.Cleanup, recording
// whether the test failed. It fails the test at once (t.Fatal) when the environment
// does not come up, with the failed service, its error and the tail of its stderr.
// The environment is named after the test unless Name says otherwise.
func Up(t testing.TB, services Services, opts ...Option) *Environment {
	t.Helper()
	opts = append([]Option{Name(environmentName(t.Name())), forTest(t.Name())}, opts...)
	// Not t.Context(): it ends before cleanups run, and the environment must outlive it.
	env, err := Start(context.Background(), services, opts...)
	if err != nil {
		t.Fatal(err)
	}
	env.tb = t
	t.Cleanup(func() {
		if err := env.Err(); err != nil {
			t.Errorf("%v", err)
		}
		result, err := env.Destroy(context.Background(), DestroyOptions{TestFailed: t.Failed()})
		if err != nil {
			t.Errorf("%v", err)
			return
		}
		if t.Failed() && result.LogPath != "" {
			t.Logf("rig: log of environment %s: %s", env.ID(), result.LogPath)
		}
		// A failed test explains itself in its output.
		if t.Failed() {
			if diagnosis, err := env.Explain(context.Background()); err == nil {
				t.Logf("rig explain:\n%s", diagnosis)
			}
		}
	})
	return env
}
