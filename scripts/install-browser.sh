#!/usr/bin/env bash
# Installs Debian's chromium, which the dashboard's browser test drives with playwright-core
# (server/src/ui/dashboard.spec.ts; no browser is ever downloaded by npm). Idempotent and
# quiet once done: installs only when missing, only as root; otherwise says what to install
# and carries on (the test then fails under scripts/test.sh, which requires the browser).
set -euo pipefail

[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: no /usr/bin/chromium; the dashboard's browser test needs it (apt-get install chromium)" >&2
  exit 0
fi
echo "setup: installing chromium (the dashboard's browser test)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
