#!/usr/bin/env bash
# Makes a Docker engine reachable for the test suite (SPEC §5, issue 4 CI).
#
# Idempotent: installs Debian's docker.io only when no engine answers and no dockerd
# binary exists, starts dockerd only when it is not running, and waits until
# `docker info` answers. The daemon's output goes to $RIG_DOCKERD_LOG.
#
# Env:
#   RIG_DOCKERD_LOG      dockerd log file (default /var/log/rig-dockerd.log)
#   RIG_DOCKER_WAIT_SECS how long to wait for the engine (default 60)
set -euo pipefail

log_file="${RIG_DOCKERD_LOG:-/var/log/rig-dockerd.log}"
wait_secs="${RIG_DOCKER_WAIT_SECS:-60}"

engine_up() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_up; then
  echo "install-docker: engine already reachable"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-docker: no Docker engine and not root; install docker.io yourself" >&2
    exit 1
  fi
  echo "install-docker: installing docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

# Start the daemon only when none is running: a second dockerd would fight for the socket.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-docker: dockerd is not running and starting it needs root" >&2
    exit 1
  fi
  echo "install-docker: starting dockerd (log: $log_file)"
  mkdir -p "$(dirname "$log_file")"
  # setsid detaches it from this script's process group so CI job cleanup does not kill it.
  setsid dockerd >>"$log_file" 2>&1 </dev/null &
fi

for _ in $(seq 1 "$((wait_secs * 4))"); do
  if engine_up; then
    echo "install-docker: engine ready"
    exit 0
  fi
  sleep 0.25
done
echo "install-docker: engine not ready after ${wait_secs}s; last log lines:" >&2
tail -n 20 "$log_file" >&2 || true
exit 1
