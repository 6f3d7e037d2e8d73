#!/usr/bin/env bash
# One-time setup on a fresh machine: Node >= 22, npm dependencies, grpcurl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/ensure-node.sh
export PATH="$root/.tools/node/bin:$root/.tools/bin:$PATH"
export GOBIN="$root/.tools/bin"
npm ci --no-audit --no-fund
if ! command -v grpcurl >/dev/null 2>&1; then
  echo "installing grpcurl with go install" >&2
  go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest
fi
