#!/usr/bin/env bash
# Load test of the dashboards with a real HTTP load tool (wrk): the demo
# portfolio scaled to PROJECTS projects is synced into a scratch warehouse,
# served by the real binary, and each URL is hammered by CLIENTS concurrent
# connections for DURATION. Prints requests/s and latency percentiles per URL.
#
#   scripts/loadtest.sh                 # 300 projects, 50 clients, 15s per URL
#   PROJECTS=12 DURATION=5s scripts/loadtest.sh
#   ANALYSTS=20 scripts/loadtest.sh     # meanwhile 20 analysts query the SQL API
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECTS=${PROJECTS:-300}
CLIENTS=${CLIENTS:-50}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
ANALYSTS=${ANALYSTS:-0}

./scripts/ensure-packages.sh wrk:wrk
make -s build >/dev/null
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
export PMLENS_DATA_DIR=$data PMLENS_DEMO_PROJECTS=$PROJECTS PMLENS_CONFIG=
unset PMLENS_CONFIG

echo "== syncing the demo at $PROJECTS projects"
start=$(date +%s)
./bin/pmlens sync >"$data/sync.out" 2>"$data/sync.log" || { cat "$data/sync.out" "$data/sync.log" >&2; exit 1; }
echo "   synced in $(( $(date +%s) - start ))s"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./bin/pmlens serve --addr "127.0.0.1:$port" >"$data/serve.out" 2>"$data/serve.log" &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$base/readyz" >/dev/null

project=$(./bin/pmlens query --format csv "select project_id from projects order by project_id limit 1" | sed -n 2p)
program=$(./bin/pmlens query --format csv "select program from projects where program is not null order by 1 limit 1" | sed -n 2p)
program_path=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$program")

urls=(
  "/"
  "/program/$program_path"
  "/project/$project"
  "/risks"
  "/data"
  "/api/v1/projects"
  "/api/v1/projects/$project/evm"
  "/api/v1/evm"
  "/api/v1/risks"
  "/api/v1/forecasts"
)
# One request each first: the numbers below are for pages served from the
# per-version cache, which is what every user after the first one gets.
for u in "${urls[@]}"; do curl -fsS -o /dev/null "$base$u"; done

analysts=""
if [ "$ANALYSTS" -gt 0 ]; then
  # The analysts run for the whole dashboard test; their own figures follow it.
  total=$(( ${#urls[@]} * ${DURATION%s} + 10 ))
  wrk -t1 -c"$ANALYSTS" -d"${total}s" --timeout 60s --latency -s scripts/analysts.lua "$base" >"$data/analysts.out" &
  analysts=$!
  sleep 2
fi

printf '\n%-40s %10s %9s %9s %9s\n' "URL ($PROJECTS projects, $CLIENTS clients)" "req/s" "p50" "p99" "errors"
for u in "${urls[@]}"; do
  out=$(wrk -t"$THREADS" -c"$CLIENTS" -d"$DURATION" --latency "$base$u")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}' <<<"$out")
  printf '%-40s %10s %9s %9s %9s\n' "$u" "$rps" "$p50" "$p99" "${errs:-0}"
done
if [ -n "$analysts" ]; then
  wait "$analysts"
  out=$(cat "$data/analysts.out")
  printf '%-40s %10s %9s %9s %9s\n' "POST /api/v1/query ($ANALYSTS analysts)" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}' <<<"$out")"
fi
