#!/usr/bin/env bash
# Builds the Docker images the test suite uses, offline (there is no registry here): a
# static busybox imported from an empty root, and Debian (debootstrap) with Debian's
# PostgreSQL and Redis behind the official images' env contracts. Idempotent: an image that
# `docker image inspect` finds is skipped.
#
#   rig-test/busybox:1    static busybox (sh, httpd, nc, ...) imported from an empty root
#   rig-test/postgres:16  Debian's PostgreSQL with the official image's env contract
#                         (POSTGRES_USER/PASSWORD/DB), pg_isready and psql on PATH
#   rig-test/redis:7      Debian's redis-server with redis-cli, official entrypoint contract
#
# Postgres and Redis share one debootstrap root (imported once as a base image, so the
# ~600 MB layer is stored once); the root is cached as a tarball so CI can reuse it.
#
# Env:
#   RIG_TEST_BUSYBOX_IMAGE, RIG_TEST_POSTGRES_IMAGE, RIG_TEST_REDIS_IMAGE
#       image names the suite uses; when one is set to something other than the
#       rig-test default (e.g. postgres:16-alpine), it is not built here.
#   RIG_TEST_IMAGE_CACHE  dir for the cached Debian root (default ~/.cache/rig-test-images)
#   RIG_TEST_DEBIAN_MIRROR  debootstrap mirror (default http://deb.debian.org/debian)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="${RIG_TEST_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rig-test-images}"
mirror="${RIG_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm

busybox_default=rig-test/busybox:1
postgres_default=rig-test/postgres:16
redis_default=rig-test/redis:7
base_image=rig-test/debian-pg-redis:$suite

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The hash of a recipe dir under images/; built images carry it as label rig.recipe, so
# an image built from an older recipe is rebuilt.
recipe_hash() { (cd "$root/images/$1" && find . -type f | sort | xargs sha256sum | sha256sum | cut -c1-16); }

# wanted NAME DEFAULT [RECIPE]: build NAME only when the suite uses our default for it
# and it is absent (or built from another version of RECIPE).
wanted() {
  local name=$1 default=$2 recipe=${3:-}
  if [ "$name" != "$default" ]; then
    echo "build-test-images: $name is user-provided; not building it"
    return 1
  fi
  if have_image "$name"; then
    if [ -z "$recipe" ] ||
      [ "$(docker image inspect -f '{{ index .Config.Labels "rig.recipe" }}' "$name")" = "$(recipe_hash "$recipe")" ]; then
      echo "build-test-images: $name present"
      return 1
    fi
    echo "build-test-images: $name was built from an older recipe; rebuilding"
  fi
  return 0
}

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "build-test-images: building $1 needs root (debootstrap/apt)" >&2
    exit 1
  fi
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

build_busybox() {
  local name=$1
  need_root "$name"
  # The image has no libc: the busybox must be the static build (ldd fails on static binaries).
  if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1 || ! /bin/busybox --list | grep -qx httpd; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
  fi
  local rootfs="$scratch/busybox"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/www" "$rootfs/root"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/bin' -c 'CMD ["sh"]' -m "rig test busybox" - "$name" >/dev/null
  echo "build-test-images: built $name"
}

# The Debian root with postgresql and redis-server, as a cached tarball.
debian_rootfs_tar() {
  local tarball="$cache/debian-$suite-pg-redis.tar"
  if [ -s "$tarball" ]; then
    echo "$tarball"
    return
  fi
  need_root "$base_image"
  command -v debootstrap >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  mkdir -p "$cache"
  local rootfs="$scratch/debian"
  echo "build-test-images: debootstrap $suite (postgresql, redis-server); about a minute" >&2
  debootstrap --variant=minbase --include=postgresql,redis-server "$suite" "$rootfs" "$mirror" \
    >"$scratch/debootstrap.log" 2>&1 || {
    tail -n 30 "$scratch/debootstrap.log" >&2
    exit 1
  }
  # The package's default cluster and apt caches are dead weight in an image.
  rm -rf "$rootfs"/var/lib/postgresql/* "$rootfs"/etc/postgresql/*/main \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
  tar -C "$rootfs" -c . >"$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  echo "$tarball"
}

build_base() {
  have_image "$base_image" && return
  local tarball pgbin
  tarball=$(debian_rootfs_tar)
  # Put the versioned server binaries (initdb, pg_ctl, postgres) on PATH.
  pgbin=$(tar -tf "$tarball" | sed -n 's#^\./usr/lib/postgresql/\([0-9]*\)/bin/postgres$#/usr/lib/postgresql/\1/bin#p' | head -n1)
  if [ -z "$pgbin" ]; then
    echo "build-test-images: no postgres binary in $tarball (delete it to rebuild)" >&2
    exit 1
  fi
  docker import \
    -c "ENV PATH=$pgbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    -c 'ENV LANG=C.UTF-8' -m "rig test debian root" - "$base_image" <"$tarball" >/dev/null
  echo "build-test-images: imported $base_image"
}

# docker build from the local base; the classic builder needs no registry and no buildx.
build_from_base() {
  local name=$1 recipe=$2 old
  build_base
  old=$(docker image inspect -f '{{ .Id }}' "$name" 2>/dev/null || true)
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$base_image" --label "rig.recipe=$(recipe_hash "$recipe")" \
    -t "$name" "$root/images/$recipe" >/dev/null 2>"$scratch/build.log" || {
    cat "$scratch/build.log" >&2
    exit 1
  }
  # The replaced build would linger as a dangling image; drop it unless a container uses it.
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{ .Id }}' "$name")" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
  echo "build-test-images: built $name"
}

if wanted "${RIG_TEST_BUSYBOX_IMAGE:-$busybox_default}" "$busybox_default"; then
  build_busybox "$busybox_default"
fi
if wanted "${RIG_TEST_POSTGRES_IMAGE:-$postgres_default}" "$postgres_default" postgres; then
  build_from_base "$postgres_default" postgres
fi
if wanted "${RIG_TEST_REDIS_IMAGE:-$redis_default}" "$redis_default" redis; then
  build_from_base "$redis_default" redis
fi
