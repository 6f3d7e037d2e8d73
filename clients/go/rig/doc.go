// Package rig brings up test environments from Go tests through rigd, the rig daemon.
//
// A test declares the services it needs and how they depend on each other; rigd builds,
// starts, wires, health-checks and tears them down:
//
//	env := rig.Up(t, rig.Services{
//		"db":  rig.Postgres(),
//		"api": rig.Process("./api").Egress("db"),
//	})
//	resp, err := http.Get(env.Endpoint("api").URL() + "/health")
//
// Hooks and func services are Go closures. rigd asks for them through the callback
// protocol (SPEC §8): the SDK keeps the environment's event stream open, runs the
// closure named by each callback.request and answers with PostEvent. The protobuf
// messages and the Connect client it uses are generated from proto/rig/v1 into
// github.com/rig-dev/rig/clients/go/gen/rig/v1.
//
// rigd is found or started the same way by every SDK: RIG_SERVER names an address;
// otherwise the version-specific addr file in RIG_DIR is read and probed, and when
// nothing answers rigd is spawned under an exclusive lock (see [FindOrStartRigd]).
package rig
