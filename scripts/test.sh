#!/usr/bin/env bash
# The whole test suite (what `make test` and CI run): generated-code freshness, buf lint,
# then every package's tests against real rigd processes, real child processes, a real
# Docker engine with locally built images, and the Go/Python/TS conformance scenario.
# Ends with a leak check: no rig-labelled container or network and no test rigd may remain.
set -euo pipefail
source "$(dirname "$0")/suite-env.sh"
# Tests that find-or-start rigd the way users do (conformance, SDK defaults) share this
# RIG_DIR instead of ~/.rig; the rigd they start is stopped at the end.
suite_rig_dir=$(mktemp -d "${TMPDIR:-/tmp}/rig-suite.XXXXXX")
export RIG_DIR="$suite_rig_dir"
stop_suite_rigd() {
  pkill -TERM -f -- "--rig-dir $suite_rig_dir" 2>/dev/null || true
  for _ in $(seq 1 50); do pgrep -f -- "--rig-dir $suite_rig_dir" >/dev/null || break; sleep 0.1; done
  pkill -KILL -f -- "--rig-dir $suite_rig_dir" 2>/dev/null || true
  rm -rf "$suite_rig_dir"
}
trap stop_suite_rigd EXIT

step() { printf '\n== %s\n' "$*"; }
# The dashboard's browser test (server/src/ui/dashboard.spec.ts, in the server suite) must
# run here, not skip: scripts/setup.sh installs Debian's chromium.
export RIG_REQUIRE_BROWSER=1
# Likewise the pull through a real registry (server/src/docker/pull-progress-e2e.spec.ts):
# `make docker` builds the registry.
export RIG_REQUIRE_REGISTRY=1

run "generated code is what buf generate produces" ./scripts/check-generated.sh
run "buf lint" buf lint
run "import rules of server/src hold, and bite" bash -c './scripts/check-layers.sh && ./scripts/check-layers.sh --bites'
run "dashboard bundle type-checks and builds" node server/ui/build-ui.mjs
run "server (rigd, orchestrator, services, proxies, docker, the dashboard in chromium)" \
  node --test --test-concurrency=2 --test-timeout=600000 'server/dist/**/*.spec.js'
# The server suite, the packages and the other clients run rigd as `make build` leaves it:
# the one-file bundle (server/dist/rigd.cjs). The TS SDK and the examples run the modules
# of server/dist, as a developer's rigd does after `tsc -b` (rigd/bundle-choice.ts).
run "TypeScript SDK (rigd from its modules)" env RIG_RIGD_MODULES=1 node --test --test-concurrency=2 --test-timeout=600000 'clients/ts/dist/**/*.spec.js'
run "examples (rigd from its modules)" env RIG_RIGD_MODULES=1 node --test --test-concurrency=1 --test-timeout=600000 'examples/dist/**/*.spec.js'
run "npm packages from outside the repository (pack, install in a scratch project, node:test)" ./scripts/test-packages.sh
run "self-contained rigd: built, started with no Node on PATH, runs an environment" ./scripts/test-rigd-binary.sh
if [ -x scripts/test-clients.sh ]; then
  run "Go and Python clients, conformance in every language" ./scripts/test-clients.sh
fi

step "leak check"
stop_suite_rigd
leaked=$(docker ps -aq --filter label=rig.rigd 2>/dev/null || true)
if [ -n "$leaked" ]; then
  echo "rig-labelled containers left behind:" >&2
  docker ps -a --filter label=rig.rigd >&2
  failed+=("leak check")
fi
leaked_networks=$(docker network ls -q --filter label=rig.rigd 2>/dev/null || true)
if [ -n "$leaked_networks" ]; then
  echo "rig-labelled networks left behind:" >&2
  docker network ls --filter label=rig.rigd >&2
  failed+=("leak check (networks)")
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nFAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
printf '\nall suites passed\n'
