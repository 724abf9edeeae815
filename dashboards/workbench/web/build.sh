#!/usr/bin/env bash
# Builds the SQL workbench editor bundle: installs the pinned npm packages
# (package-lock.json, integrity-checked by `npm ci`), bundles src/workbench.js
# with esbuild into ../static/workbench.js and copies src/workbench.css. The
# output folder is gitignored and go:embed'ed by dashboards/workbench; without
# this step the page falls back to a plain text box.
#
# Usage: dashboards/workbench/web/build.sh          (idempotent; skips when up to date)
#        PMLENS_WEB_FORCE=1 dashboards/workbench/web/build.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../static"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "dashboards/workbench/web/build.sh: node and npm are required (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi

# The stamp covers everything the bundle is made from.
stamp_now="$(cat "$here/package-lock.json" "$here/src/workbench.js" "$here/src/workbench.css" "$here/build.sh" | sha256sum | cut -c1-16)"
if [[ -z "${PMLENS_WEB_FORCE:-}" && -f "$out/workbench.js" && -f "$out/workbench.css" && -f "$out/STAMP" && "$(cat "$out/STAMP")" == "$stamp_now" ]]; then
  exit 0
fi

cd "$here"
if [[ -n "${PMLENS_WEB_FORCE:-}" || ! -x node_modules/.bin/esbuild || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  # --ignore-scripts: esbuild's binary ships in its @esbuild/<platform> package.
  if ! npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; then
    echo "dashboards/workbench/web/build.sh: 'npm ci' failed: the pinned packages could not be installed from the npm registry" >&2
    exit 1
  fi
fi

mkdir -p "$out"
node_modules/.bin/esbuild src/workbench.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=linked --log-level=warning --outfile="$out/workbench.js.tmp"
mv "$out/workbench.js.tmp" "$out/workbench.js"
if [[ -f "$out/workbench.js.tmp.LEGAL.txt" ]]; then mv "$out/workbench.js.tmp.LEGAL.txt" "$out/workbench.LEGAL.txt"; fi
cp src/workbench.css "$out/workbench.css"
# The bundle's licences (all MIT), served beside it.
for lic in node_modules/@codemirror/*/LICENSE node_modules/@lezer/*/LICENSE node_modules/style-mod/LICENSE node_modules/w3c-keyname/LICENSE node_modules/crelt/LICENSE node_modules/@marijn/*/LICENSE; do
  [[ -f "$lic" ]] || continue
  printf '==> %s <==\n' "${lic#node_modules/}"
  cat "$lic"
  printf '\n'
done > "$out/workbench.LICENSES.txt"
echo "$stamp_now" > "$out/STAMP"
echo "dashboards/workbench/web/build.sh: built dashboards/workbench/static/workbench.js ($(wc -c < "$out/workbench.js") bytes)"
