#!/usr/bin/env bash
# Installs Debian packages for commands the build or the tests need, only when a
# command is missing. Arguments are COMMAND:PACKAGE pairs, e.g.
#   scripts/ensure-packages.sh node:nodejs npm:npm chromium:chromium
# Uses sudo when not root; idempotent and silent when everything is present.
set -euo pipefail
missing=()
for pair in "$@"; do
  cmd="${pair%%:*}" pkg="${pair#*:}"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "ensure-packages: missing ${missing[*]} and this user cannot install packages; install these Debian packages" >&2
    exit 1
  fi
fi
echo "== installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
