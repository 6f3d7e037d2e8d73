#!/usr/bin/env bash
# rig from outside its repository (issue 11): `npm pack` @rig/server and @rig/client
# (prepack builds them), install both tarballs into a scratch project in a temp dir with
# no workspace around it, and run a node:test test there that brings up a process
# service (the SDK finds rigd through Node's module resolution of @rig/server) and uses
# the `rig` CLI the server package installs; then the same under a real vitest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.tools/node/bin:$root/node_modules/.bin:$PATH"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/rig-packages.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

cd "$root"
npm pack --silent --pack-destination "$scratch" -w server -w clients/ts >/dev/null
server_tgz=$(ls "$scratch"/rig-server-*.tgz)
client_tgz=$(ls "$scratch"/rig-client-*.tgz)
for tgz in "$server_tgz" "$client_tgz"; do
  listing=$(tar -tzf "$tgz")
  for must in package/package.json package/README.md package/LICENSE; do
    grep -qx "$must" <<<"$listing" || { echo "test-packages: $tgz lacks $must" >&2; exit 1; }
  done
  if grep -E '\.spec\.|/testing/fixtures|/testdata/|\.tsbuildinfo' <<<"$listing" | grep -v 'dist/testing/isolated-rig-dir' >&2; then
    echo "test-packages: $tgz ships test code (above)" >&2
    exit 1
  fi
  grep -q '^package/dist/gen/rig/v1/event_pb.js$' <<<"$listing" || { echo "test-packages: $tgz lacks the generated code" >&2; exit 1; }
done
echo "test-packages: $(basename "$server_tgz") $(du -h "$server_tgz" | cut -f1), $(basename "$client_tgz") $(du -h "$client_tgz" | cut -f1)"

project="$scratch/project"
mkdir -p "$project"
cp test/packaging/scratch.spec.mjs test/packaging/scratch-vitest.test.mjs "$project/"
cd "$project"
printf '{ "name": "scratch", "private": true, "type": "module" }\n' >package.json
vitest_version=$(node -p 'require(process.argv[1]).version' "$root/node_modules/vitest/package.json")
npm install --silent --no-audit --no-fund --prefer-offline "$server_tgz" "$client_tgz" "vitest@$vitest_version"
# No checkout above this project and no rigd on PATH: only module resolution can find rigd.
env -u RIG_RIGD -u RIG_SERVER -u RIG_TOKEN PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" \
  node --test --test-timeout=120000 scratch.spec.mjs
env -u RIG_RIGD -u RIG_SERVER -u RIG_TOKEN PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" \
  npx --no-install vitest run --reporter=verbose scratch-vitest.test.mjs
