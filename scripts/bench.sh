#!/usr/bin/env bash
# The benchmarks of SPEC §13 (what `make bench` runs after building): figures are printed,
# never asserted. Builds nothing; expects server/dist from `make build` (tsc -b).
#   environment up/down latency and rigd overhead over spawning by hand (2 ms polls), 50
#   parallel environments with memory figures; rigd RSS over 1,000 environments; proxy overhead (HTTP, gRPC) through a real
#   rigd with recording on, rigd cold start; standalone proxy component figures; pooled Postgres lease
#   time (only when a Docker engine answers); the service catalog's time to ready per type
#   (go, node, s3, sqs, postgres and redis host vs container); Kafka time to ready, warm pool
#   vs cold vs a broker per environment (only when the Kafka jars are installed).
# To change runs or sizes, run one bench directly, e.g.
#   node server/dist/bench/env-up-bench.js --runs 5 --runs-large 3 --parallel 20
set -euo pipefail
source "$(dirname "$0")/suite-env.sh"

step() { printf '\n## %s\n\n' "$*"; }

for bench in env-up-bench rigd-memory-bench lock-bench busy-rigd-bench rigd-proxy-bench proxy-bench postgres-bench catalog-bench cli-bench ui-bench kafka-bench; do
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
if command -v go >/dev/null; then
  # The same figures from the Go SDK, against two floors in the same run: bare calls to
  # rigd and flock(2). rsmap, the issue's baseline, is not served by the Go module proxy here.
  go_bench_dir=$(mktemp -d)
  run "Resource locks from Go: rig vs bare rigd calls vs flock(2) (test/locks/go-bench)" \
    bash -c "cd test/locks/go-bench && go build -o '$go_bench_dir/go-bench' . && '$go_bench_dir/go-bench'"
  rm -rf "$go_bench_dir"
else
  step "Resource locks from Go: skipped, no go on PATH"
fi
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
  run "Three-container environment start: fresh network + containers vs shared with reset vs testcontainers-node (server/dist/bench/container-bench.js)" \
    node server/dist/bench/container-bench.js
else
  step "Pooled Postgres lease time and container environments: skipped, no Docker engine answers (make docker sets one up)"
fi

run "Service catalog: time to ready per type with warm pools and caches; Postgres and Redis host process vs container (server/dist/bench/catalog-bench.js)" \
  node server/dist/bench/catalog-bench.js
if compgen -G "${RIG_KAFKA_LIBS:-$HOME/.rig/cache/kafka-*/libs}/kafka_2.13-*.jar" >/dev/null; then
  run "Kafka time to ready: warm pool, observed, cold, a broker per environment (server/dist/bench/kafka-bench.js)" \
    node server/dist/bench/kafka-bench.js
else
  step "Kafka time to ready: skipped, no Kafka jars (scripts/install-kafka.sh fetches them)"
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nbenchmarks that did not finish: %s\n' "${failed[@]}" >&2
  exit 1
fi
