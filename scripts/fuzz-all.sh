#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (default 10s): the
# corpus under testdata/fuzz is replayed by plain `go test` too.
#
# Go's fuzzer sometimes reports "context deadline exceeded" when fuzztime runs
# out while a worker is still minimising a new input — a failure of the engine,
# not of the code (no failing input is written). Such a target is run once more;
# a real failure writes its input under testdata/fuzz and fails the run.
set -euo pipefail
fuzztime="${1:-10s}"
status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort -u || true)
  for t in $targets; do
    for attempt in 1 2; do
      echo "== fuzz $pkg $t ($fuzztime)"
      if go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$out"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
        break
      fi
      if [ "$attempt" -eq 1 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
        echo "== $t: the fuzzer timed out while minimising (no failing input); running it again"
        continue
      fi
      status=1
      break
    done
  done
done
exit $status
