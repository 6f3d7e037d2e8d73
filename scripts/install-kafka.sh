#!/usr/bin/env bash
# Fetches the Apache Kafka broker (kafka_2.13 and its runtime dependencies, pinned by
# scripts/kafka-broker-pom.xml) from Maven Central into ~/.rig/cache/kafka-<version>/libs,
# where rigd's kafka pool looks for it (or into $RIG_KAFKA_LIBS). Needs Java 17+ and
# Maven: installs Debian's openjdk-17-jre-headless and maven when missing and root.
# Idempotent: does nothing once the jars are there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pom="$root/scripts/kafka-broker-pom.xml"
version=$(sed -n 's#.*<artifactId>kafka_2.13</artifactId><version>\([^<]*\)</version>.*#\1#p' "$pom")
libs=${RIG_KAFKA_LIBS:-$HOME/.rig/cache/kafka-$version/libs}
[ -f "$libs/kafka_2.13-$version.jar" ] && exit 0

java_ok() { command -v java >/dev/null 2>&1 && java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; }
missing=()
java_ok || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: kafka services need ${missing[*]} (apt-get install ${missing[*]}); skipping the Kafka jars" >&2
    exit 0
  fi
  echo "setup: installing ${missing[*]} (the kafka service type's broker)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: fetching Apache Kafka $version jars into $libs" >&2
mkdir -p "$(dirname "$libs")"
chmod 700 "$HOME/.rig" 2>/dev/null || true
tmp=$(mktemp -d "$(dirname "$libs")/.libs-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$pom" "$tmp/pom.xml"
mvn -q -B -Dstyle.color=never -f "$tmp/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs"
# Atomic: a half-fetched dir is never taken for an install.
rm -rf "$libs"
mv "$tmp/libs" "$libs"
