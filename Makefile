# scimd — see README.md. `make run` starts a development server; `make test` runs every test
# against a real PostgreSQL (started or installed by deploy/scripts/ensure-postgres.sh).

GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
export SCIMD_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.PHONY: all build run test test-fast lint fuzz bench fmt vet tidy clean help

all: build

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/scimd and bin/scimctl
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

run: build ## start scimd on 127.0.0.1:8080 with a default tenant and a printed dev token
	$(BIN)/scimd --dev-bootstrap $(ARGS)

test: ## run all tests (race detector on) against a real PostgreSQL and SQLite
	@bash deploy/scripts/ensure-postgres.sh
	$(GO) vet ./...
	$(GO) test -count=1 -race -timeout 30m ./...

test-fast: ## run all tests without the race detector
	@bash deploy/scripts/ensure-postgres.sh
	$(GO) test -count=1 -timeout 20m ./...

# staticcheck is pinned and fetched through the module proxy on first use; it is a tool, not a
# dependency of scimd, so it stays out of go.mod.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt check, go mod tidy check, go vet and staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; \
	  done; \
	done

bench: ## run the benchmarks of docs/benchmarks.md (seeds a 1M-user scimd_bench database once)
	@bash deploy/scripts/ensure-postgres.sh
	SCIMD_BENCH=1 $(GO) test -p 1 -count=1 -run '^$$' -bench . -benchtime 3s -timeout 20m -v ./internal/store/postgres ./internal/httpapi

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

vet: ## go vet and a gofmt check
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

tidy:
	$(GO) mod tidy

clean:
	rm -rf $(BIN)
