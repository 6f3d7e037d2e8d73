#!/usr/bin/env bash
# The Python SDK as a user installs it (issue 11): a wheel built with `python -m build`
# from a copy of clients/python, installed into a fresh venv in a temp dir outside the
# repository, and a pytest there (test/packaging/python-wheel, no conftest.py) whose
# rig_up fixture comes from the wheel's pytest11 entry point and brings up two process
# services that read their wiring with rig.wiring.from_env(). rigd comes from $RIG_RIGD:
# the given one, else build/rigd (make rigd-binary), else server/dist/main.js.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python="$root/.tools/venv/bin/python"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/rig-python-wheel.XXXXXX")
cleanup() {
  local p
  for p in $(pgrep -f -- "--rig-dir $scratch/rig" || true); do kill -TERM "$p" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

rigd=${RIG_RIGD:-}
[ -n "$rigd" ] || { [ -x "$root/build/rigd" ] && rigd="$root/build/rigd"; } || rigd="$root/server/dist/main.js"

# Build from a copy, so the checkout gets no build/ or *.egg-info.
mkdir -p "$scratch/src"
cp -r "$root/clients/python/pyproject.toml" "$root/clients/python/README.md" "$root/clients/python/src" "$root/clients/python/gen" "$scratch/src/"
"$python" -m build --wheel --no-isolation --outdir "$scratch/dist" "$scratch/src" >"$scratch/build.out" 2>&1 \
  || { cat "$scratch/build.out" >&2; exit 1; }
wheel=$(ls "$scratch"/dist/rig_client-*.whl)
echo "test-python-wheel: built $(basename "$wheel")"

# A fresh venv (no pip of its own needed: the tools venv's pip installs into it).
"$python" -m venv --without-pip "$scratch/venv"
# The dev requirements pin the versions; pip's constraints take no extras, so drop them.
sed 's/\[[^]]*\]//' "$root/clients/python/requirements-dev.txt" >"$scratch/constraints.txt"
"$python" -m pip --python "$scratch/venv/bin/python" install --quiet --disable-pip-version-check \
  -c "$scratch/constraints.txt" "$wheel" pytest
mkdir -p "$scratch/project"
cp "$root/test/packaging/python-wheel/"*.py "$scratch/project/"
cd "$scratch/project"
node_dir=$(dirname "$(command -v node 2>/dev/null || echo "$root/.tools/node/bin/node")")
env -i HOME="$scratch" PATH="$scratch/venv/bin:$node_dir:/usr/bin:/bin" RIG_DIR="$scratch/rig" RIG_RIGD="$rigd" \
  "$scratch/venv/bin/python" -m pytest -q -p no:cacheprovider
echo "test-python-wheel: wheel installed outside the repository ran rig_up with rigd $rigd"
