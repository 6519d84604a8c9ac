#!/usr/bin/env bash
# Builds the worker (worker/build/index.js + wasm) with worker-build, without any
# download: wasm-bindgen, wasm-opt and esbuild come from cargo/npm installs.
#
# Skips all work when no input changed since the last build (wrangler runs this
# command on every start, twice with wrangler 4.86), and entirely when
# STOREFRONT_PREBUILT=1 and a build exists (the test harness builds once, up front).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=worker/build/index.js
stamp=worker/build/.inputs-stamp

if [[ -n "${STOREFRONT_PREBUILT:-}" && -f $out ]]; then
  exit 0
fi

inputs() {
  find shared/src app/src worker/src -type f -name '*.rs' -print0 | sort -z | xargs -0 sha1sum
  sha1sum Cargo.toml Cargo.lock shared/Cargo.toml app/Cargo.toml worker/Cargo.toml scripts/build-worker.sh
}
current=$(inputs | sha1sum | cut -d' ' -f1)
if [[ -f $out && -f $stamp && "$(cat "$stamp")" == "$current" ]]; then
  echo "worker build is up to date"
  exit 0
fi

export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
for tool in "$WASM_BINDGEN_BIN" "$WASM_OPT_BIN" "$ESBUILD_BIN"; do
  [[ -x $tool ]] || { echo "missing build tool: $tool (run 'make setup')" >&2; exit 1; }
done

(cd worker && worker-build --release)

# worker-build's wasm-opt pass keeps the name section; a second -Oz pass drops it
# (~200 KB) at the price of function names in panic traces.
wasm=$(ls worker/build/*.wasm | head -n 1)
"$WASM_OPT_BIN" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers "$wasm" -o "$wasm.tmp"
mv "$wasm.tmp" "$wasm"

echo "$current" > "$stamp"
