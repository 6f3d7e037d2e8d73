#!/usr/bin/env bash
# The import rules of server/src (server/.dependency-cruiser.cjs): no folder imports a
# folder above it, no import cycles, no test code in production code.
#   scripts/check-layers.sh            check the tree
#   scripts/check-layers.sh --bites    prove the rules bite: a copy of the tree with a
#                                      services/ -> orchestrator/ import and a cycle must fail
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.tools/node/bin:$root/node_modules/.bin:$PATH"

cruise() { (cd "$1" && depcruise --config server/.dependency-cruiser.cjs --output-type err server/src); }

if [ "${1:-}" != "--bites" ]; then
  cruise "$root"
  exit 0
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/rig-layers.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/server"
cp -r "$root/server/src" "$root/server/tsconfig.json" "$root/server/.dependency-cruiser.cjs" "$scratch/server/"
cp "$root/tsconfig.base.json" "$scratch/"
ln -s "$root/node_modules" "$scratch/node_modules"

expect_violation() {
  local what=$1 rule=$2 out
  if out=$(cruise "$scratch" 2>&1); then
    echo "check-layers: $what was not reported" >&2
    exit 1
  fi
  if ! grep -q "$rule" <<<"$out"; then
    echo "check-layers: $what failed without naming rule $rule:" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "check-layers: $what is refused ($rule)"
}

cruise "$scratch" >/dev/null
echo 'import "../orchestrator/validate.js";' >>"$scratch/server/src/services/client.ts"
expect_violation "services/ importing orchestrator/" "layers:services"
cp "$root/server/src/services/client.ts" "$scratch/server/src/services/client.ts"

printf 'import { b } from "./cycle-b.js";\nexport const a = (): number => b() + 1;\n' >"$scratch/server/src/services/cycle-a.ts"
printf 'import { a } from "./cycle-a.js";\nexport const b = (): number => a() - 1;\n' >"$scratch/server/src/services/cycle-b.ts"
expect_violation "an import cycle" "no-circular"
