#!/usr/bin/env bash
# Docker's registry (the distribution project's `registry`, built with go install from
# the Go module proxy: there is no registry image to pull here) into .tools/bin, for the
# test that pulls an image through a real registry (server/src/docker/pull-progress-e2e.spec.ts).
# Idempotent: does nothing when the pinned version is there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=v3.1.2
bin="$root/.tools/bin/registry"
stamp="$root/.tools/.registry-$version"
if [ -x "$bin" ] && [ -f "$stamp" ]; then exit 0; fi
mkdir -p "$root/.tools/bin"
echo "install-registry: go install github.com/distribution/distribution/v3/cmd/registry@$version"
GOBIN="$root/.tools/bin" go install "github.com/distribution/distribution/v3/cmd/registry@$version"
touch "$stamp"
