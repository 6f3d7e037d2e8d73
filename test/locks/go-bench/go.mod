module github.com/rig-dev/rig/test/locks/go-bench

go 1.24.0

require github.com/rig-dev/rig/clients/go v0.0.0

require (
	connectrpc.com/connect v1.19.1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/rig-dev/rig/clients/go => ../../../clients/go
