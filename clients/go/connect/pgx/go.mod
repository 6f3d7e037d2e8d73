module github.com/rig-dev/rig/clients/go/connect/pgx

go 1.25.0

require (
	github.com/jackc/pgx/v5 v5.13.0
	github.com/rig-dev/rig/clients/go v0.0.0
)

require (
	connectrpc.com/connect v1.19.1 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// Until the SDK is published; a module using this one needs the same replace.
replace github.com/rig-dev/rig/clients/go => ../..
