#!/usr/bin/env bash
# The self-contained rigd (issue 11) starts and works with no Node anywhere on PATH and
# no node_modules beside it: built into a temp dir, run from another one with
# PATH=/nonexistent, it answers health, and brings up and tears down a process
# environment and a node one (with the spec's node) through the Connect JSON API (curl, with the token it wrote). Then the Go
# SDK from an external module (require + replace, as clients/go/README shows) and the
# Python SDK each find it as `rigd` on a PATH that holds no Node, and bring up a
# function service through it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.tools/node/bin:$root/node_modules/.bin:$PATH"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/rigd-binary-test.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

"$root/scripts/build-rigd-binary.sh" "$scratch/bin/rigd"
curl=$(command -v curl)
python=$(python3 -c "import sys; print(sys.executable)")
mkdir -p "$scratch/run"
cd "$scratch/run"
env -i HOME="$scratch" PATH=/nonexistent "$scratch/bin/rigd" --rig-dir "$scratch/rig" --idle 0 >"$scratch/rigd.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$scratch/rig/rigd-"*.addr ] 2>/dev/null && break; sleep 0.1; done
addr=$(cat "$scratch"/rig/rigd-*.addr)
token=$(cat "$scratch"/rig/rigd-*.token)
call() { "$curl" -sS --fail-with-body -H 'content-type: application/json' -H "authorization: Bearer $token" -d "$2" "http://$addr/$1"; }

health=$(call grpc.health.v1.Health/Check '{}')
[ "$health" = '{"status":"SERVING"}' ] || { echo "test-rigd-binary: health said $health" >&2; cat "$scratch/rigd.out" >&2; exit 1; }
# The executable starts node with rigd's flags (its SEA config's execArgv; rigd logs them).
grep -q '"execArgv":\["--max-semi-space-size=32","--min-semi-space-size=32"\]' "$scratch"/rig/rigd-*.log ||
  { echo "test-rigd-binary: rigd did not run with its node flags (--max-semi-space-size=32 --min-semi-space-size=32):" >&2; grep -h '"serving"' "$scratch"/rig/rigd-*.log >&2; exit 1; }
created=$(call rig.v1.EnvironmentService/CreateEnvironment \
  "{\"spec\":{\"name\":\"binary\",\"services\":[{\"name\":\"web\",\"process\":{\"command\":\"$python\",\"args\":[\"-m\",\"http.server\",\"\${PORT}\",\"--bind\",\"127.0.0.1\"]}}]}}")
# up_and_down WHAT: the environment of $created comes up within 15 s, then is destroyed.
up_and_down() {
  local id state=""
  id=$(sed -E 's/.*"environmentId":"([^"]+)".*/\1/' <<<"$created")
  for _ in $(seq 1 150); do
    state=$(call rig.v1.EnvironmentService/GetEnvironment "{\"environmentId\":\"$id\"}" | grep -o '"state":"[A-Z_]*"' | head -1)
    [ "$state" = '"state":"ENVIRONMENT_STATE_UP"' ] && break
    sleep 0.1
  done
  if [ "$state" != '"state":"ENVIRONMENT_STATE_UP"' ]; then
    echo "test-rigd-binary: $1 environment $id never came up ($state):" >&2
    cat "$scratch/rig/logs/$id/rig.log" >&2 || true
    exit 1
  fi
  call rig.v1.EnvironmentService/DestroyEnvironment "{\"environmentId\":\"$id\"}" >/dev/null
  echo "test-rigd-binary: $1 environment $id up and down"
}
up_and_down process
# The node type: the binary has no node of its own to lend, so it runs the client's (the
# spec's PATH), here a TypeScript server through type stripping.
printf '%s\n' 'import { createServer } from "node:http";' 'const port: number = Number(process.env["PORT"]);' \
  'createServer((_q, s) => s.end("ok")).listen(port, "127.0.0.1");' >"$scratch/run/server.ts"
node_dir=$(dirname "$(command -v node)")
created=$(call rig.v1.EnvironmentService/CreateEnvironment \
  "{\"spec\":{\"name\":\"binary-node\",\"dir\":\"$scratch/run\",\"hostEnv\":{\"PATH\":\"$node_dir\"},\"services\":[{\"name\":\"web\",\"node\":{\"script\":\"server.ts\"}}]}}")
up_and_down node
# dockerode is bundled too (it loads on first use): a container environment, when an engine answers.
image=${RIG_TEST_BUSYBOX_IMAGE:-rig-test/busybox:1}
if docker image inspect "$image" >/dev/null 2>&1; then
  created=$(call rig.v1.EnvironmentService/CreateEnvironment \
    "{\"spec\":{\"name\":\"binary-docker\",\"services\":[{\"name\":\"box\",\"noIngress\":true,\"container\":{\"image\":\"$image\",\"cmd\":[\"sleep\",\"60\"]}}]}}")
  up_and_down "container (the bundled dockerode)"
fi
echo "test-rigd-binary: rigd binary with no Node on PATH served health and ran the environments above"
# The binary is its own watchdog (it spawns itself with --rig-watchdog): killed with
# SIGKILL, the services of its environments stop anyway.
marker="$scratch/binary-kill-marker"
created=$(call rig.v1.EnvironmentService/CreateEnvironment \
  "{\"spec\":{\"name\":\"binary-kill\",\"services\":[{\"name\":\"sleeper\",\"noIngress\":true,\"process\":{\"command\":\"$python\",\"args\":[\"-c\",\"import time; time.sleep(600)\",\"$marker\"]}}]}}")
for _ in $(seq 1 150); do pgrep -f -- "$marker" >/dev/null && break; sleep 0.1; done
pgrep -f -- "$marker" >/dev/null || { echo "test-rigd-binary: the sleeper never started" >&2; exit 1; }
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true; pid=""
for _ in $(seq 1 100); do pgrep -f -- "$marker" >/dev/null || break; sleep 0.1; done
if pgrep -f -- "$marker" >/dev/null; then
  echo "test-rigd-binary: the sleeper outlived its rigd killed with SIGKILL: no watchdog" >&2
  pkill -KILL -f -- "$marker" || true
  exit 1
fi
echo "test-rigd-binary: killed with SIGKILL, the binary's watchdog stopped its services"

# The SDKs: a PATH with the binary and the language toolchain only (no node on it).
stop_sdk_rigd() { # the rigd the SDKs started for this RIG_DIR (it idles out otherwise)
  local p
  for p in $(pgrep -f -- "--rig-dir $1" || true); do kill -TERM "$p" 2>/dev/null || true; done
}
go=$(command -v go || true)
if [ -n "$go" ]; then
  mod="$scratch/go-external"
  mkdir -p "$mod"
  cp "$root/test/packaging/go-external/greeting_test.go" "$mod/"
  cat >"$mod/go.mod" <<GOMOD
module example.com/greeting

go 1.24.0

require github.com/rig-dev/rig/clients/go v0.0.0

replace github.com/rig-dev/rig/clients/go => $root/clients/go
GOMOD
  cp "$root/clients/go/go.sum" "$mod/go.sum"
  (cd "$mod" && env -i HOME="$HOME" PATH="$scratch/bin:$(dirname "$go")" RIG_DIR="$scratch/rig-go" \
    GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" GOFLAGS=-mod=mod GOTOOLCHAIN=local \
    "$go" test -count=1 ./...) || { stop_sdk_rigd "$scratch/rig-go"; exit 1; }
  stop_sdk_rigd "$scratch/rig-go"
fi
if [ -x "$root/.tools/venv/bin/python" ]; then
  env -i HOME="$HOME" PATH="$scratch/bin" RIG_DIR="$scratch/rig-py" \
    PYTHONPATH="$root/clients/python/src:$root/clients/python/gen" \
    "$root/.tools/venv/bin/python" "$root/test/packaging/python_binary_check.py" || { stop_sdk_rigd "$scratch/rig-py"; exit 1; }
  stop_sdk_rigd "$scratch/rig-py"
fi
