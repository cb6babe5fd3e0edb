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
# The test suite checks the alert rules with promtool, which Debian ships in `prometheus`, and
# drives the console in Debian's Chromium through chromedriver.
TEST_PACKAGES := prometheus python3-pip chromium chromium-driver
# The OpenAPI conformance test runs schemathesis against a running Aegis; the notification tests
# deliver e-mail to a real SMTP server (aiosmtpd) they start on loopback.
PYPI_TEST_TOOLS := schemathesis==4.32.5 aiosmtpd==1.4.6

.PHONY: help deps build run test test-tools lint bench dist clean-data

help:
	@echo "make run    install build prerequisites, build, start Aegis on http://127.0.0.1:8080"
	@echo "make test   install build prerequisites, check formatting and lints, run every test"
	@echo "make dist   the release binary and the XGBoost library it needs, in dist/ (copy both anywhere)"
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
	# Without the test suite's `testing` feature, as release builds are compiled.
	$(CARGO) clippy --workspace -- -D warnings

test-tools:
	@python3 -c 'import schemathesis, aiosmtpd' 2>/dev/null || \
		python3 -m pip install --quiet --disable-pip-version-check $(PYPI_TEST_TOOLS) || \
		python3 -m pip install --quiet --disable-pip-version-check --break-system-packages $(PYPI_TEST_TOOLS)

test: EXTRA_PACKAGES = $(TEST_PACKAGES)
test: deps test-tools lint
	$(CARGO) test --workspace

bench: build
	$(CARGO) bench --bench scoring
	./benches/loadgen.sh
	./benches/notify_burst.sh
	./benches/cluster.sh

# A directory people can copy anywhere on a machine with the same OS: the release binary and the
# XGBoost library it links, found through the binary's $ORIGIN rpath.
DIST ?= dist
dist: build
	@mkdir -p $(DIST)
	cp $(CARGO_TARGET_DIR)/release/aegis $(DIST)/
	@lib=$$(ls -t $(CARGO_TARGET_DIR)/release/build/xgboost_lib-sys-*/out/lib/libxgboost.so 2>/dev/null | head -1); \
	test -n "$$lib" || { echo "libxgboost.so not found under $(CARGO_TARGET_DIR)/release/build"; exit 1; }; \
	soname=$$(objdump -p "$$lib" | awk '/SONAME/ {print $$2}'); \
	cp -L "$$lib" "$(DIST)/$${soname:-libxgboost.so}"; \
	echo "$(DIST)/: aegis and $${soname:-libxgboost.so}"
