#!/usr/bin/env bash
# Installs the host's Postgres and Redis (Debian's postgresql and redis-server), which
# rigd runs as child processes when no Docker engine answers or a service asks for
# `runtime: host` (issue 15). Idempotent and quiet once done: installs only what is
# missing, only as root; otherwise says what to install and carries on (rig still works
# with Docker). The packages' own system services are not needed and are not started.
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1; }
have_redis() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }

missing=()
have_postgres || missing+=(postgresql)
have_redis || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: no ${missing[*]} on this host; rig needs Docker for postgres/redis services until you install them (apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "setup: installing ${missing[*]} (host runtime of the postgres and redis pools)" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d: the packages must not start their own cluster/daemon (rigd runs its own).
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap 'if [ -n "$created_policy" ]; then rm -f "$policy"; fi' EXIT
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
