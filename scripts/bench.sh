#!/usr/bin/env bash
# The benchmarks of SPEC §13 (what `make bench` runs after building): figures are printed,
# never asserted. Builds nothing; expects server/dist from `make build` (tsc -b).
#   environment up/down latency and rigd overhead over spawning by hand (2 ms polls), 50
#   parallel environments with memory figures; rigd RSS over 1,000 environments; proxy overhead (HTTP, gRPC) through a real
#   rigd with recording on, rigd cold start; standalone proxy component figures; pooled Postgres lease
#   time (only when a Docker engine answers).
# To change runs or sizes, run one bench directly, e.g.
#   node server/dist/bench/env-up-bench.js --runs 5 --runs-large 3 --parallel 20
set -euo pipefail
source "$(dirname "$0")/suite-env.sh"

step() { printf '\n## %s\n\n' "$*"; }

for bench in env-up-bench rigd-memory-bench lock-bench busy-rigd-bench rigd-proxy-bench proxy-bench postgres-bench cli-bench ui-bench; do
  if [ ! -f "server/dist/bench/$bench.js" ]; then
    echo "server/dist/bench/$bench.js is missing: run make build (tsc -b server) first" >&2
    exit 1
  fi
done

run "Environment up and down: rigd vs by hand (server/dist/bench/env-up-bench.js)" \
  node server/dist/bench/env-up-bench.js
run "rigd memory over 1,000 environment lifetimes (server/dist/bench/rigd-memory-bench.js)" \
  node server/dist/bench/rigd-memory-bench.js
run "Resource locks: uncontended acquire + release, 8 processes contending (server/dist/bench/lock-bench.js)" \
  node server/dist/bench/lock-bench.js
run "Another client's call latency while a 1,000-service environment starts and stops (server/dist/bench/busy-rigd-bench.js)" \
  node server/dist/bench/busy-rigd-bench.js
run "Proxy overhead through a real rigd, recording on: direct vs recording proxy vs bare TCP hop; rigd cold start (server/dist/bench/rigd-proxy-bench.js)" \
  node server/dist/bench/rigd-proxy-bench.js
run "Proxy component figures: standalone proxies whose event sink only counts (server/dist/bench/proxy-bench.js)" \
  node server/dist/bench/proxy-bench.js
run "rig CLI time to first line over 1,000 recorded runs (server/dist/bench/cli-bench.js)" \
  node server/dist/bench/cli-bench.js
if [ -x /usr/bin/chromium ]; then
  run "Dashboard in chromium: environment.up to drawn, a busy environment followed, a 100,000-event run replayed (server/dist/bench/ui-bench.js)" \
    node server/dist/bench/ui-bench.js
else
  step "Dashboard: skipped, no /usr/bin/chromium (scripts/setup.sh installs it as root)"
fi
if docker info >/dev/null 2>&1; then
  run "Pooled Postgres lease time vs testcontainers (server/dist/bench/postgres-bench.js)" \
    node server/dist/bench/postgres-bench.js
else
  step "Pooled Postgres lease time: skipped, no Docker engine answers (make docker sets one up)"
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nbenchmarks that did not finish: %s\n' "${failed[@]}" >&2
  exit 1
fi
