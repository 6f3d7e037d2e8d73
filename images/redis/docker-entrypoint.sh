#!/bin/sh
# Entrypoint of rig-test/redis: behaves like the official redis image's entrypoint
# (flags or a .conf as first argument mean redis-server, protected mode off so mapped
# ports work, runs as user redis in /data).
set -eu

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  shift
  mkdir -p /data
  chown redis:redis /data
  cd /data
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- --protected-mode no "$@" ;;
  esac
  exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$@"
fi
exec "$@"
