#!/usr/bin/env bash
# Installs the pinned front-end dependencies from the npm registry (package-lock.json,
# integrity-checked by `npm ci`) and copies the files pmlens embeds into
# dashboards/static/vendor/. That folder is gitignored and go:embed'ed, so this script
# must run before `go build`, `go vet` or `go test` of anything importing dashboards:
# without it the Go build stops at the embed line of dashboards/assets.go.
#
# Usage: dashboards/web/build.sh          (from anywhere; idempotent and fast when done)
#        PMLENS_WEB_FORCE=1 dashboards/web/build.sh   (reinstall)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$here/../static/vendor"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "dashboards/web/build.sh: node and npm are required to fetch ECharts (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi

pinned="$(node -p "require('$here/package.json').dependencies.echarts")"
stamp="$vendor/VERSIONS"
want="echarts $pinned"

if [[ -z "${PMLENS_WEB_FORCE:-}" && -f "$vendor/echarts.min.js" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

cd "$here"
if ! npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; then
  echo "dashboards/web/build.sh: 'npm ci' failed: ECharts $pinned could not be installed from the npm registry" >&2
  exit 1
fi

installed="$(node -p "require('$here/node_modules/echarts/package.json').version")"
if [[ "$installed" != "$pinned" ]]; then
  echo "dashboards/web/build.sh: installed echarts $installed but package.json pins $pinned; fix package-lock.json" >&2
  exit 1
fi

mkdir -p "$vendor"
cp "$here/node_modules/echarts/dist/echarts.min.js" "$vendor/echarts.min.js.tmp"
mv "$vendor/echarts.min.js.tmp" "$vendor/echarts.min.js"
cp "$here/node_modules/echarts/LICENSE" "$vendor/echarts.LICENSE.txt"
echo "$want" > "$stamp"
echo "dashboards/web/build.sh: vendored echarts $pinned into dashboards/static/vendor/"
