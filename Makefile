# Switchboard: the two set-up commands are `make run` and `make test`; both work on a fresh Debian
# machine as root (they install what they need first).
SHELL := /bin/bash
SWIFT ?= swift
BUILD_FLAGS ?= --explicit-target-dependency-import-check error
DATA_DIR ?= ./var
LISTEN ?= tcp://127.0.0.1:5555

.PHONY: deps run build test test-python bench proto proto-check format clean

## deps: system packages the build and tests need (idempotent; skipped when already present).
deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --product switchboard

## run: serve on the embedded default (SQLite in ./var, tcp://127.0.0.1:5555).
run: deps
	$(SWIFT) build $(BUILD_FLAGS) --product switchboard
	$$($(SWIFT) build --show-bin-path)/switchboard serve --listen $(LISTEN) --data-dir $(DATA_DIR)

## test: every test, Swift and the Python example client.
test: deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(SWIFT) test --skip-build --parallel
	$(MAKE) --no-print-directory proto-check
	$(MAKE) --no-print-directory test-python

test-python: deps
	bash examples/python/run-tests.sh

## bench: release build, JSON lines on stdout, each suite in its own process. BENCH="suite ..." picks suites.
bench: deps
	$(SWIFT) build -c release $(BUILD_FLAGS) --product switchboard-bench
	@bin=$$($(SWIFT) build -c release --show-bin-path)/switchboard-bench; \
	for suite in $${BENCH:-$$($$bin --list)}; do $$bin $$suite || exit $$?; done

## proto: regenerate the committed Swift from proto/ (protoc from Debian, plugin from swift-protobuf).
proto: deps
	bash scripts/generate-proto.sh

## proto-check: fail when the committed generated code differs from what proto/ generates.
proto-check: deps
	bash scripts/generate-proto.sh --check

clean:
	rm -rf .build
