module github.com/rig-dev/rig/clients/go/connect/redisx

go 1.26.0

require (
	github.com/redis/go-redis/v9 v9.23.0
	github.com/rig-dev/rig/clients/go v0.0.0
)

require (
	connectrpc.com/connect v1.19.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// Until the SDK is published; a module using this one needs the same replace.
replace github.com/rig-dev/rig/clients/go => ../..
