# Aegis — two set-up commands on a fresh machine: `make run` and `make test`.
# Both install the system packages the XGBoost build needs, then build with cargo.

SHELL := /bin/bash
CARGO ?= cargo
# Builds go outside the clone so a fresh clone (and CI) reuses the compiled XGBoost library.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/aegis-target
# The xgb crate compiles XGBoost from source; pointing this at any directory stops it from
# trying to download a prebuilt library.
export XGBOOST_LIB_DIR ?= /usr/share

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := cmake ninja-build libclang-dev g++ libpq-dev pkg-config
# The test suite checks the alert rules with promtool, which Debian ships in `prometheus`.
TEST_PACKAGES := prometheus

.PHONY: help deps build run test lint bench clean-data

help:
	@echo "make run    install build prerequisites, build, start Aegis on http://127.0.0.1:8080"
	@echo "make test   install build prerequisites, check formatting and lints, run every test"
	@echo "make bench  start a release build on a scratch database and measure it with aegis loadgen"

deps:
	@missing=""; \
	for p in $(APT_PACKAGES) $(EXTRA_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(CARGO) build --release

run: deps
	$(CARGO) run --release -- serve

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: EXTRA_PACKAGES = $(TEST_PACKAGES)
test: deps lint
	$(CARGO) test --workspace

bench: build
	$(CARGO) bench --bench scoring
	./benches/loadgen.sh
	./benches/cluster.sh
