# The front door of the storefront.
#   make dev    set up what is missing, build, publish the sample catalog to local KV,
#               and serve the shop on http://127.0.0.1:$(PORT)
#   make test   set up, build once, then run every test (unit, integration, browser, deploy)
#   make lighthouse   Lighthouse scores (median of RUNS, default 3) for four page types
#   make bench  loads on the release worker: req/s, latency, CPU per request, sizes,
#               budgets; writes bench/results.json, bench/SUMMARY.md, bench/latency.svg

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PORT ?= 8787
STATE_DIR ?= .wrangler/state
CATALOG ?= catalog

export PATH := $(HOME)/.cargo/bin:$(PATH)
export WRANGLER_SEND_METRICS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false

# Crates built for the host; the worker and the islands bundle only build for wasm32.
HOST_CRATES := --workspace --exclude storefront-worker --exclude storefront-islands

.PHONY: dev test setup build seed lint lighthouse bench clean

setup:
	@bash scripts/setup.sh

# Builds public/pkg/ (islands) and worker/build/ (each skipped when unchanged).
build: setup
	@bash scripts/build.sh

# Publishes the catalog folder into the local KV under $(STATE_DIR).
seed: setup
	cargo run -q -p storefront-cli -- catalog publish $(CATALOG) --local --persist-to $(STATE_DIR)

dev: build seed
	npx --no-install wrangler dev --ip 127.0.0.1 --port $(PORT) --persist-to $(STATE_DIR)

lint: setup
	cargo fmt --all -- --check
	cargo clippy $(HOST_CRATES) --all-targets --features storefront-app/ssr -- -D warnings
	cargo clippy -p storefront-worker --target wasm32-unknown-unknown --release -- -D warnings
	cargo clippy -p storefront-islands --target wasm32-unknown-unknown --release --target-dir target/islands -- -D warnings

# The worker's own unit tests on the host (its pure parts and the architecture
# invariants), the host crates' unit and property tests, then the integration tests, which start their own
# `wrangler dev` against the worker built above (STOREFRONT_PREBUILT skips rebuilding).
test: build lint
	cargo test -p storefront-worker --lib
	STOREFRONT_PREBUILT=1 cargo test --no-fail-fast $(HOST_CRATES) --features storefront-app/ssr

lighthouse: build
	scripts/with-shop.sh node scripts/lighthouse.mjs

# BENCH_SCALE=sample skips the generated 1k and 100k catalogs.
bench: build
	STOREFRONT_PREBUILT=1 cargo run -q --profile fast -p storefront-bench

clean:
	rm -rf target worker/build public/pkg .wrangler test-artifacts
