#!/usr/bin/env bash
# Installs what the test suite needs beyond Go: Debian's headless Chromium for the
# browser tests. Idempotent; uses sudo when not root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-test-deps: Chromium is missing and this user cannot install packages; install Debian's 'chromium' package" >&2
    exit 1
  fi
fi
echo "== installing chromium (Debian package) for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
