# The two commands of pmlens:
#   make run   — build and serve the demo portfolio on http://127.0.0.1:8080
#   make test  — install what the tests need, then vet and run every test
# Everything else here is a step of those two.

GO        ?= go
BIN       ?= bin/pmlens
FUZZTIME  ?= 8s
export GOFLAGS ?= -mod=mod

.PHONY: run test build tools assets test-deps vet unit race fuzz bench loadtest clean

run: build
	./$(BIN) serve

build: tools assets
	$(GO) build -o $(BIN) ./cmd/pmlens

# Front-end assets come from the npm registry at build time, pinned by
# package-lock.json, and are embedded into the binary: nothing loads from a CDN.
assets:
	@for s in dashboards/web/build.sh dashboards/workbench/web/build.sh; do \
		if [ -x "$$s" ]; then echo "== $$s"; "$$s" || exit 1; fi; \
	done

# Node.js and npm fetch the pinned front-end packages (installed from Debian's
# packages when missing).
tools:
	@./scripts/ensure-packages.sh node:nodejs npm:npm

# Headless Chromium (Debian's package) for the browser tests.
test-deps:
	@./scripts/ensure-packages.sh chromium:chromium

test: tools assets test-deps vet unit race fuzz

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 20m ./...

# The concurrent code again under the race detector: the scheduler, the
# warehouse and sandbox, sign-in, ingest and the Jira connector's concurrent
# fetches, and the dashboards' shared cache (-short: without the browser).
race:
	$(GO) test -count=1 -race -timeout 20m ./scheduler/ ./warehouse/... ./auth/ ./ingest/ ./connectors/jira/...
	$(GO) test -count=1 -race -short -timeout 20m ./dashboards/...

# Every fuzz target, briefly.
fuzz:
	@./scripts/fuzz-all.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# The dashboards under wrk at the demo scaled to 300 projects (PROJECTS=N to change).
loadtest:
	@./scripts/loadtest.sh

clean:
	rm -rf bin test-artifacts
