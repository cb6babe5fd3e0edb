# Aegis — two set-up commands on a fresh machine: `make run` and `make test`.
# Both install the system packages the build needs (XGBoost, GDAL and PROJ), then build with cargo.

SHELL := /bin/bash
CARGO ?= cargo
# Builds go outside the clone so a fresh clone (and CI) reuses what was compiled before.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/aegis-target

# XGBoost: by default the library the XGBoost project publishes in its `xgboost-cpu` wheel on
# PyPI (3.4.1 implements the 3.4 C API the `xgb` bindings are generated from), fetched once,
# checked against its pinned hash and unpacked beside the target directory. `make XGBOOST=source
# …` compiles XGBoost from source instead (about 8 minutes on 2 cores), which is also the choice
# on a platform the wheel does not cover (it is built for x86-64 Linux with glibc 2.28 or later).
XGBOOST_VERSION := 3.4.1
XGBOOST_WHEEL := xgboost_cpu-$(XGBOOST_VERSION)-py3-none-manylinux_2_28_x86_64.whl
XGBOOST_WHEEL_SHA256 := 1f16331f5c6beb2b40fbd4bf2834333062d93c9eb38b76186a5c206841dc1809
XGBOOST_CACHE ?= $(HOME)/.cache/aegis-xgboost
XGBOOST ?= $(shell [ "$$(uname -sm)" = "Linux x86_64" ] && \
	printf '2.28\n%s\n' "$$(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2)" | sort -V -C && \
	echo wheel || echo source)
ifeq ($(XGBOOST),wheel)
# Beside the build, so `cargo clean` starts from nothing; `cargo test` and `cargo run` find it
# on the library path (an installed binary finds it beside itself: `make dist`).
export XGBOOST_LIB_DIR := $(CARGO_TARGET_DIR)/xgboost-$(XGBOOST_VERSION)/lib
export LD_LIBRARY_PATH := $(XGBOOST_LIB_DIR)$(if $(LD_LIBRARY_PATH),:$(LD_LIBRARY_PATH))
CARGO_FEATURES :=
XGBOOST_PACKAGES := patchelf unzip
else ifeq ($(XGBOOST),source)
# Any existing directory: it only stops the bindings from trying to download a library.
export XGBOOST_LIB_DIR := /usr/share
CARGO_FEATURES := --features aegis/xgboost-source
XGBOOST_PACKAGES := cmake ninja-build
else
$(error XGBOOST must be wheel or source, not $(XGBOOST))
endif

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libclang-dev g++ libpq-dev pkg-config libgdal-dev $(XGBOOST_PACKAGES)
# The test suite checks the alert rules with promtool, which Debian ships in `prometheus`, and
# drives the console in Debian's Chromium through chromedriver.
# Layer files for the screening tests are written with GDAL's own ogr2ogr (`gdal-bin`).
TEST_PACKAGES := prometheus python3-pip chromium chromium-driver gdal-bin
# The OpenAPI conformance test runs schemathesis against a running Aegis; the notification tests
# deliver e-mail to a real SMTP server (aiosmtpd) they start on loopback.
PYPI_TEST_TOOLS := schemathesis==4.32.5 aiosmtpd==1.4.6

.PHONY: help deps xgboost build run test test-tools lint bench dist clean-data

help:
	@echo "make run    install build prerequisites, build (dev profile; PROFILE=release), start Aegis on http://127.0.0.1:8080"
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
ifeq ($(XGBOOST),wheel)
	@$(MAKE) --no-print-directory xgboost
endif

# The wheel's library finds its bundled OpenMP runtime through `$$ORIGIN/../../xgboost_cpu.libs`;
# both go in one directory and the library looks beside itself, so the pair can be copied anywhere.
xgboost: $(XGBOOST_LIB_DIR)/libxgboost.so
$(XGBOOST_LIB_DIR)/libxgboost.so:
	@mkdir -p $(XGBOOST_CACHE) $(XGBOOST_LIB_DIR)
	@test -f $(XGBOOST_CACHE)/$(XGBOOST_WHEEL) || \
		python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
			--python-version 3.12 --platform manylinux_2_28_x86_64 \
			--dest $(XGBOOST_CACHE) xgboost-cpu==$(XGBOOST_VERSION)
	@echo "$(XGBOOST_WHEEL_SHA256)  $(XGBOOST_CACHE)/$(XGBOOST_WHEEL)" | sha256sum --check --quiet || \
		{ rm -f $(XGBOOST_CACHE)/$(XGBOOST_WHEEL); echo "the XGBoost wheel does not match its pinned hash"; exit 1; }
	@rm -rf $(XGBOOST_LIB_DIR).tmp && mkdir -p $(XGBOOST_LIB_DIR).tmp
	@unzip -q -j $(XGBOOST_CACHE)/$(XGBOOST_WHEEL) 'xgboost/lib/libxgboost.so' 'xgboost_cpu.libs/*' -d $(XGBOOST_LIB_DIR).tmp
	@patchelf --set-rpath '$$ORIGIN' $(XGBOOST_LIB_DIR).tmp/libxgboost.so
	@ln -s libxgboost.so $(XGBOOST_LIB_DIR).tmp/$$(objdump -p $(XGBOOST_LIB_DIR).tmp/libxgboost.so | awk '/SONAME/ {print $$2}')
	@mv $(XGBOOST_LIB_DIR).tmp/* $(XGBOOST_LIB_DIR)/ && rmdir $(XGBOOST_LIB_DIR).tmp
	@echo "XGBoost $(XGBOOST_VERSION) from PyPI's xgboost-cpu wheel: $(XGBOOST_LIB_DIR)"

build: deps
	$(CARGO) build --release $(CARGO_FEATURES)

# `make run` builds the dev profile, the one `make test` builds too (they share all but a few
# dozen crates), so the first start on a new machine comes minutes sooner than an optimized
# build would; `make run PROFILE=release` is that build (what `make dist` ships and `make bench`
# measures).
PROFILE ?= dev
run: deps
	$(CARGO) run --profile $(PROFILE) $(CARGO_FEATURES) -- serve

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets $(CARGO_FEATURES) -- -D warnings
	# Again without the test suite's features (`testing`, `test-support`), as release builds
	# are compiled: only the crates that have such features; the domain crate has none, and
	# its lints were all checked above.
	$(CARGO) clippy -p aegis -p aegis-actors $(CARGO_FEATURES) -- -D warnings

test-tools:
	@python3 -c 'import schemathesis, aiosmtpd' 2>/dev/null || \
		python3 -m pip install --quiet --disable-pip-version-check $(PYPI_TEST_TOOLS) || \
		python3 -m pip install --quiet --disable-pip-version-check --break-system-packages $(PYPI_TEST_TOOLS)

test: EXTRA_PACKAGES = $(TEST_PACKAGES)
test: deps test-tools lint
	$(CARGO) test --workspace $(CARGO_FEATURES)

bench: build
	$(CARGO) bench --bench scoring $(CARGO_FEATURES)
	$(CARGO) bench --bench screening $(CARGO_FEATURES)
	$(CARGO) bench --bench formats $(CARGO_FEATURES)
	AEGIS_CARGO_FEATURES="$(CARGO_FEATURES)" ./benches/loadgen.sh
	AEGIS_CARGO_FEATURES="$(CARGO_FEATURES)" ./benches/notify_burst.sh
	AEGIS_CARGO_FEATURES="$(CARGO_FEATURES)" ./benches/cluster.sh
	AEGIS_CARGO_FEATURES="$(CARGO_FEATURES)" ./benches/attack.sh
	AEGIS_CARGO_FEATURES="$(CARGO_FEATURES)" ./benches/screening.sh
	AEGIS_CARGO_FEATURES="$(CARGO_FEATURES)" ./benches/reports.sh

# A directory people can copy anywhere on a machine with the same OS: the release binary and the
# XGBoost library it links (with the OpenMP runtime the wheel bundles), each under its soname,
# found through the binary's $ORIGIN rpath.
DIST ?= dist
dist: build
	@mkdir -p $(DIST)
	cp $(CARGO_TARGET_DIR)/release/aegis $(DIST)/
	@if [ "$(XGBOOST)" = wheel ]; then dir=$(XGBOOST_LIB_DIR); else \
		dir=$$(dirname "$$(ls -t $(CARGO_TARGET_DIR)/release/build/xgboost_lib-sys-*/out/lib/libxgboost.so 2>/dev/null | head -1)"); fi; \
	test -f "$$dir/libxgboost.so" || { echo "libxgboost.so not found (XGBOOST=$(XGBOOST))"; exit 1; }; \
	for lib in "$$dir"/*.so*; do \
		[ -L "$$lib" ] && continue; \
		soname=$$(objdump -p "$$lib" | awk '/SONAME/ {print $$2}'); \
		cp -L "$$lib" "$(DIST)/$${soname:-$$(basename $$lib)}"; \
		echo "$(DIST)/$${soname:-$$(basename $$lib)}"; \
	done
