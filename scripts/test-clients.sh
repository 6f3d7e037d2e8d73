#!/usr/bin/env bash
# Checks and tests the Go and Python clients and runs the conformance scenario
# (test/conformance/README.md) in TypeScript, Go and Python against ONE real rigd that
# this script starts in a temp RIG_DIR and stops at the end. Needs `make setup`
# (scripts/setup-clients.sh) and a built server (`make build`).
#
#   go vet + gofmt     clients/go, clients/go/connect/* (own modules), test/conformance/go
#   mypy (strict)      clients/python, test/conformance/python
#   tsc --noEmit       test/conformance/ts
#   go test, pytest    the SDKs' own tests, then the conformance scenario in each language
#   python wheel       scripts/test-python-wheel.sh (built, installed in a fresh venv, pytest)
#   locks              test/locks: 6 processes (2 TS, 2 Go, 2 Python) on one resource
#
# Env: RIG_SERVER  use this running rigd instead of starting one (with RIG_TOKEN, its token).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.tools/node/bin:$root/.tools/bin:$root/node_modules/.bin:$PATH"
export GOFLAGS="${GOFLAGS:-} -count=1"
python="$root/.tools/venv/bin/python"
node="$root/.tools/node/bin/node"

step() { printf '\n== %s\n' "$*"; }

if [ ! -x "$python" ] || ! command -v protoc-gen-go >/dev/null; then
  echo "test-clients: run scripts/setup-clients.sh (make setup) first" >&2
  exit 1
fi
if [ ! -f "$root/server/dist/main.js" ] || [ ! -f "$root/clients/ts/dist/index.js" ]; then
  echo "test-clients: build the server and the TS SDK first (make build)" >&2
  exit 1
fi

step "static checks"
(cd "$root/clients/go" && go vet ./... && test -z "$(gofmt -l .)" || { gofmt -l .; exit 1; })
(cd "$root/test/conformance/go" && go vet ./... && test -z "$(gofmt -l .)" || { gofmt -l .; exit 1; })
for m in "$root"/clients/go/connect/*/; do (cd "$m" && go vet ./... && test -z "$(gofmt -l .)" || { gofmt -l .; exit 1; }); done
(cd "$root/test/locks/go" && go vet ./... && test -z "$(gofmt -l .)" || { gofmt -l .; exit 1; })
(cd "$root/test/locks/go-bench" && go vet ./... && test -z "$(gofmt -l .)" || { gofmt -l .; exit 1; })
(cd "$root/clients/python" && "$python" -m mypy)
(cd "$root/test/conformance/python" && "$python" -m mypy)
(cd "$root/test/locks/python" && "$python" -m mypy)
(cd "$root" && tsc -p test/conformance/ts && tsc -p test/locks/ts)

# One rigd for every language, owned by this script.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/rig-test-clients.XXXXXX")
rigd_pid=""
cleanup() {
  if [ -n "$rigd_pid" ]; then
    kill "$rigd_pid" 2>/dev/null || true
    wait "$rigd_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
if [ -z "${RIG_SERVER:-}" ]; then
  step "starting rigd"
  "$node" "$root/server/dist/main.js" --rig-dir "$scratch/rig" --addr-file "$scratch/rigd.addr" --idle 0 \
    >"$scratch/rigd.out" 2>&1 &
  rigd_pid=$!
  for _ in $(seq 1 600); do
    [ -s "$scratch/rigd.addr" ] && break
    kill -0 "$rigd_pid" 2>/dev/null || { cat "$scratch/rigd.out" >&2; exit 1; }
    sleep 0.05
  done
  [ -s "$scratch/rigd.addr" ] || { echo "rigd did not start" >&2; cat "$scratch/rigd.out" >&2; exit 1; }
  export RIG_SERVER=$(tr -d '[:space:]' <"$scratch/rigd.addr")
  # rigd writes its token (0600) beside the addr file, before it; RIG_SERVER needs it.
  export RIG_TOKEN=$(tr -d '[:space:]' <"$scratch/rigd.token")
  echo "rigd at $RIG_SERVER (rig dir $scratch/rig)"
fi
# Tests that start their own rigd (find-or-start) do it in temp dirs, never in ~/.rig.
export RIG_DIR="$scratch/rig"

step "Go SDK"
(cd "$root/clients/go" && go test -timeout 5m ./...)
step "Go connect helpers (httpx, pgx, redisx, kafkax: own modules, against rig's postgres, redis and kafka)"
for m in "$root"/clients/go/connect/*/; do (cd "$m" && go test -timeout 5m ./...); done
step "Python SDK"
(cd "$root/clients/python" && "$python" -m pytest -q)
step "Python wheel: python -m build, fresh venv outside the repo, pytest11 plugin, RIG_RIGD"
"$root/scripts/test-python-wheel.sh"

step "conformance: TypeScript"
(cd "$root" && node --test --test-timeout=120000 test/conformance/ts/conformance.spec.ts)
step "conformance: Go"
(cd "$root/test/conformance/go" && go test -timeout 5m -v ./... | grep -E '^(=== RUN|--- |PASS|FAIL|ok)')
step "conformance: Python"
(cd "$root/test/conformance/python" && "$python" -m pytest -q)

step "locks: 6 processes in TypeScript, Go and Python on one resource"
(cd "$root" && LOCKS_PYTHON="$python" node --test --test-timeout=240000 test/locks/ts/three-languages.spec.ts)

step "nothing left behind"
RIG_SERVER="$RIG_SERVER" RIG_TOKEN="$RIG_TOKEN" "$python" - "$root" <<'EOF'
import os
import sys

import grpc

sys.path[:0] = [f"{sys.argv[1]}/clients/python/src", f"{sys.argv[1]}/clients/python/gen"]
from rig.v1 import environment_service_pb2 as api  # noqa: E402
from rig.v1 import environment_service_pb2_grpc as api_grpc  # noqa: E402

with grpc.insecure_channel(os.environ["RIG_SERVER"]) as channel:
    live = api_grpc.EnvironmentServiceStub(channel).ListEnvironments(
        api.ListEnvironmentsRequest(), timeout=10, metadata=[("authorization", f"Bearer {os.environ['RIG_TOKEN']}")]
    ).environments
if live:
    sys.exit("environments left running: " + ", ".join(f"{e.id} ({e.state})" for e in live))
print("no environment left running")
EOF
