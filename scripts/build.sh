#!/usr/bin/env bash
# Builds everything the worker serves, without any download (wasm-bindgen, wasm-opt
# and esbuild come from the cargo and npm installs of scripts/setup.sh):
#   1. the islands bundle: public/pkg/storefront_islands.{js,wasm} (browser, hydrate)
#   2. the worker: worker/build/index.js + wasm (server, ssr)
#
# Each step is skipped when none of its inputs changed (wrangler runs this command on
# every start, twice with wrangler 4.86). With STOREFRONT_PREBUILT=1 and existing
# outputs nothing runs at all (the test harness builds once, up front).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
worker_out=worker/build/index.js
islands_out=public/pkg/storefront_islands_bg.wasm

if [[ -n "${STOREFRONT_PREBUILT:-}" && -f $worker_out && -f $islands_out ]]; then
  exit 0
fi

export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
for tool in "$WASM_BINDGEN_BIN" "$WASM_OPT_BIN" "$ESBUILD_BIN"; do
  [[ -x $tool ]] || { echo "missing build tool: $tool (run 'make setup')" >&2; exit 1; }
done
wasm_features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)

# A hash of the files a step depends on (the sources, and the files they include, such
# as worker/src/openapi.json).
inputs_hash() {
  { find "$@" -type f \( -name '*.rs' -o -name Cargo.toml -o -name '*.json' \) ! -path '*/build/*' -print0 \
      | sort -z | xargs -0 sha1sum
    sha1sum Cargo.toml Cargo.lock scripts/build.sh; } | sha1sum | cut -d' ' -f1
}

# 1. Islands: a separate target dir, so the two wasm builds never evict each other.
islands_stamp=target/islands/.inputs-stamp
islands_hash=$(inputs_hash shared app islands)
if [[ -f $islands_out && -f $islands_stamp && "$(cat "$islands_stamp")" == "$islands_hash" ]]; then
  echo "islands bundle is up to date"
else
  cargo build -p storefront-islands --target wasm32-unknown-unknown --release --target-dir target/islands
  "$WASM_BINDGEN_BIN" --target web --no-typescript --out-dir public/pkg --out-name storefront_islands \
    target/islands/wasm32-unknown-unknown/release/storefront_islands.wasm
  "$WASM_OPT_BIN" -Oz "${wasm_features[@]}" --strip-debug --strip-producers "$islands_out" -o "$islands_out.tmp"
  mv "$islands_out.tmp" "$islands_out"
  echo "$islands_hash" > "$islands_stamp"
fi

# 2. The worker.
worker_stamp=worker/build/.inputs-stamp
worker_hash=$(inputs_hash shared app worker)
if [[ -f $worker_out && -f $worker_stamp && "$(cat "$worker_stamp")" == "$worker_hash" ]]; then
  echo "worker build is up to date"
else
  # Leptos' component type erasure, for the worker only: each component returns a
  # type-erased view, so a page does not monomorphize one deep view type of its own
  # (measured: 3.67 → 2.37 MB raw, 1,335 → 841 KB gzip). Its own target dir, so the
  # flag never invalidates the other wasm builds (clippy, the islands, which grow with it).
  (cd worker && CARGO_TARGET_DIR="$root/target/worker" RUSTFLAGS="--cfg erase_components" worker-build --release)
  # worker-build's wasm-opt pass keeps the name section; a second -Oz pass drops it
  # (~200 KB) at the price of function names in panic traces.
  wasm=$(ls worker/build/*.wasm | head -n 1)
  "$WASM_OPT_BIN" -Oz "${wasm_features[@]}" --strip-debug --strip-producers "$wasm" -o "$wasm.tmp"
  mv "$wasm.tmp" "$wasm"
  echo "$worker_hash" > "$worker_stamp"
fi
