#!/usr/bin/env bash
# Set-up on a fresh machine, idempotent and quick when already done: Node >= 22 (Node 24
# from the npm registry when the machine's is older), npm dependencies, grpcurl, and the
# Go/Python client toolchains (scripts/setup-clients.sh), and the host's Postgres and Redis
# for rig's no-Docker runtime (scripts/install-host-servers.sh), and Debian's chromium for
# the dashboard's browser test (scripts/install-browser.sh). The servers of the rest of the
# catalog (moto, the Temporal CLI, Kafka's jars) are `make catalog`'s, which `make test`
# and `make bench` run: `make demo` needs none of them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/ensure-node.sh
export PATH="$root/.tools/node/bin:$root/.tools/bin:$root/node_modules/.bin:$PATH"
export GOBIN="$root/.tools/bin"
stamp=node_modules/.rig-setup-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  # `npm ci`: exactly the lock, and the lock is never rewritten (a newcomer's tree stays
  # clean). The lock lists every platform's optional buf package; npm installs only ours.
  npm ci --no-audit --no-fund
  touch "$stamp"
fi
if ! command -v grpcurl >/dev/null 2>&1; then
  echo "setup: installing grpcurl with go install" >&2
  go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3
fi
./scripts/install-host-servers.sh
./scripts/install-browser.sh
if [ -x scripts/setup-clients.sh ]; then
  clients_stamp=.tools/.clients-setup-stamp
  if [ ! -f "$clients_stamp" ] || [ scripts/setup-clients.sh -nt "$clients_stamp" ] || [ clients/python/requirements-dev.txt -nt "$clients_stamp" ]; then
    ./scripts/setup-clients.sh
    touch "$clients_stamp"
  fi
fi
