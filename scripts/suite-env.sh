# Sourced by scripts/test.sh and scripts/bench.sh: the tools on PATH, the locally built
# test images (no registry here), and a `run NAME CMD...` that records failures in
# `failed` and keeps going. The sourcing script defines `step` (how a heading looks).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$root/.tools/node/bin:$root/.tools/bin:$root/node_modules/.bin:$PATH"
export RIG_TEST_BUSYBOX_IMAGE="${RIG_TEST_BUSYBOX_IMAGE:-rig-test/busybox:1}"
export RIG_TEST_POSTGRES_IMAGE="${RIG_TEST_POSTGRES_IMAGE:-rig-test/postgres:16}"
export RIG_TEST_REDIS_IMAGE="${RIG_TEST_REDIS_IMAGE:-rig-test/redis:7}"
# Default images of rigds started here: the locally built ones.
export RIG_POSTGRES_IMAGE="${RIG_POSTGRES_IMAGE:-$RIG_TEST_POSTGRES_IMAGE}"
export RIG_REDIS_IMAGE="${RIG_REDIS_IMAGE:-$RIG_TEST_REDIS_IMAGE}"
# The Python the suites spec runs pytest suites with (the venv of scripts/setup-clients.sh).
export RIG_TEST_PYTHON="${RIG_TEST_PYTHON:-$root/.tools/venv/bin/python}"
# testcontainers must not try to pull its reaper image.
export TESTCONTAINERS_RYUK_DISABLED=true

failed=()
run() {
  local name=$1
  shift
  step "$name"
  if ! "$@"; then failed+=("$name"); fi
}
