#!/usr/bin/env bash
# Installs the Temporal CLI whose `server start-dev` rig's temporal type pools: built with
# `go install` from the Go module proxy into .tools/bin (on PATH through
# scripts/suite-env.sh), at the version rigd pins (DEFAULT_TEMPORAL_CLI_VERSION in
# server/src/artifacts/temporal-cli.ts). Without it rigd builds the same into
# RIG_DIR/cache/go on first use. Idempotent: nothing to do once that version is there.
# Cold, the build takes several minutes (Temporal's server is large); Go's build cache
# makes a rebuild quick.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=v1.5.1
bin="$root/.tools/bin"
if [ -x "$bin/temporal" ] && go version -m "$bin/temporal" 2>/dev/null | grep -qE "^\s+mod\s+github.com/temporalio/cli\s+$version\s"; then
  exit 0
fi
echo "setup: building the Temporal CLI $version with go install (rig's temporal type; minutes the first time)" >&2
mkdir -p "$bin"
GOBIN="$bin" GOFLAGS="${GOFLAGS:-} -modcacherw" go install "github.com/temporalio/cli/cmd/temporal@$version"
