# rig developer entry points. Every target works on a fresh machine after `make setup`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
ROOT := $(CURDIR)
export PATH := $(ROOT)/.tools/node/bin:$(ROOT)/.tools/bin:$(ROOT)/node_modules/.bin:$(PATH)
export GOBIN := $(ROOT)/.tools/bin

.PHONY: setup generate check-generated lint build test demo bench clean

## setup: Node >= 22 (Node 24 from npm when the machine's is older), npm deps, grpcurl.
setup:
	./scripts/setup.sh

## generate: regenerate every client and server stub from proto/ with buf.
generate:
	buf generate

## check-generated: fail when committed generated code differs from `buf generate`.
check-generated:
	./scripts/check-generated.sh

## lint: buf lint on the protos and a strict type check of every package.
lint:
	buf lint
	tsc -b server clients/ts

build:
	tsc -b server clients/ts

## test: every test suite against real rigd processes.
test: build
	./scripts/test.sh

## demo: bring up an example environment, print its endpoints and events, tear it down.
demo: build
	node server/dist/demo/demo.js

## bench: environment-up latency and rigd overhead (figures printed, never asserted).
bench: build
	node server/dist/bench/bench.js

clean:
	rm -rf server/dist clients/ts/dist
