module github.com/rig-dev/rig/clients/go/connect/httpx

go 1.24.0

require github.com/rig-dev/rig/clients/go v0.0.0

require (
	connectrpc.com/connect v1.19.1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// Until the SDK is published; a module using this one needs the same replace.
replace github.com/rig-dev/rig/clients/go => ../..
