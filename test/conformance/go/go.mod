module github.com/rig-dev/rig/test/conformance/go

go 1.24.0

require (
	connectrpc.com/connect v1.19.1
	github.com/rig-dev/rig/clients/go v0.0.0
)

require google.golang.org/protobuf v1.36.12 // indirect

replace github.com/rig-dev/rig/clients/go => ../../../clients/go
