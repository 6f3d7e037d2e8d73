#!/usr/bin/env bash
# Installs moto's server (PyPI `moto[server]`, pinned) for rig's s3 and sqs types: a venv
# in .tools/moto and .tools/bin/moto_server on PATH (scripts/suite-env.sh puts .tools/bin
# there; rigd finds moto_server on PATH or at $RIG_MOTO_SERVER). Idempotent: nothing to
# do once the pinned version is installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=5.2.5
venv="$root/.tools/moto"
bin="$root/.tools/bin"
stamp="$venv/.rig-moto-$version"
mkdir -p "$bin"
if [ ! -f "$stamp" ]; then
  echo "setup: installing moto[server]==$version into $venv (rig's s3 and sqs types)" >&2
  python=${RIG_PYTHON:-python3}
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    # Debian ships ensurepip separately (python3-venv): bootstrap pip from PyPI instead.
    rm -rf "$venv"
    "$python" -m venv --without-pip "$venv"
    "$python" -m pip --version >/dev/null 2>&1 || { echo "setup: $python has neither venv's ensurepip nor pip; install python3-venv" >&2; exit 1; }
    "$python" -m pip --python "$venv/bin/python" install -q pip
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "moto[server]==$version"
  touch "$stamp"
fi
ln -sf ../moto/bin/moto_server "$bin/moto_server"
