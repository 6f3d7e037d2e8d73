#!/usr/bin/env bash
# Fails when the committed generated code is not exactly what `buf generate` produces.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
buf generate
if [ -n "$(git status --porcelain -- server/src/gen clients/ts/src/gen clients/go/gen clients/python/gen)" ]; then
  echo "generated code is stale: run 'make generate' and commit the result" >&2
  git status --porcelain -- server/src/gen clients/ts/src/gen clients/go/gen clients/python/gen >&2
  exit 1
fi
