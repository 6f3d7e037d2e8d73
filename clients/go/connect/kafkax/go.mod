module github.com/rig-dev/rig/clients/go/connect/kafkax

go 1.26.0

require (
	github.com/rig-dev/rig/clients/go v0.0.0
	github.com/twmb/franz-go v1.22.3
)

require (
	connectrpc.com/connect v1.19.1 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// Until the SDK is published; a module using this one needs the same replace.
replace github.com/rig-dev/rig/clients/go => ../..
