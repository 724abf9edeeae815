#!/usr/bin/env bash
# Makes sure Node.js and npm are present: the front-end assets (ECharts, the SQL
# editor) are fetched from the npm registry at build time and embedded in the
# binary. Installs Debian's packages when missing; uses sudo when not root.
set -euo pipefail
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-tools: Node.js and npm are missing and this user cannot install packages; install Debian's 'nodejs' and 'npm'" >&2
    exit 1
  fi
fi
echo "== installing Node.js and npm (Debian packages) for the front-end build"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
node --version
