# 抽查助手 — build, test and run. Works on a fresh Debian machine as root with
# Go installed in /usr/local/go.

SHELL := /bin/bash

# Go may be installed but not on PATH (for example under sudo or in CI).
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := /usr/local/go/bin:$(PATH)
endif

GO       ?= go
FUZZTIME ?= 30s
# make test fuzzes every target this long after the unit tests (CI).
FUZZTIME_CI ?= 1s

.PHONY: all deps test run build bench fuzz

all: test

# deps installs redis-server (the bot manages its own Redis; tests start
# private ones) when it is missing. Installing needs root.
deps:
	@command -v $(GO) >/dev/null || { echo "Go is not installed (expected /usr/local/go/bin/go): see https://go.dev/doc/install" >&2; exit 1; }
	@if ! command -v redis-server >/dev/null; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "redis-server is missing. Install it as root:" >&2; \
	    echo "  apt-get update && apt-get install -y redis-server" >&2; \
	    exit 1; \
	  fi; \
	  echo "Installing redis-server (Debian package)..."; \
	  policy=/usr/sbin/policy-rc.d; made=; \
	  if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' > $$policy && chmod +x $$policy && made=1; fi; \
	  trap '[ -n "$$made" ] && rm -f $$policy' EXIT; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update && apt-get install -y redis-server; \
	fi
	@command -v redis-server >/dev/null

# Tests start their own redis-server on free ports in temp dirs; nothing here
# touches 127.0.0.1:6379.
test: deps
	$(GO) vet ./...
	$(GO) test -timeout 20m ./...
	GO=$(GO) FUZZTIME=$(FUZZTIME_CI) scripts/fuzz-short.sh

run: deps
	$(GO) run . serve

build:
	$(GO) build -o choucha .

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz runs every fuzz target (scripts/fuzz-short.sh -l lists them) for
# FUZZTIME each.
fuzz: deps
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz-short.sh
