#!/usr/bin/env bash
# Installs what the build, the tests and the bench need, skipping whatever is already
# there: the wasm32 target, worker-build and wasm-bindgen-cli at exact versions, Debian's
# Chromium, a Java runtime, wrk and Python's venv, the npm packages pinned in
# package-lock.json, and Schemathesis at the versions in tests/contract/requirements.txt.
# Nothing here downloads from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
# wasm-bindgen's CLI must be exactly the version of the crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    step "adding the $component component"
    rustup component add "$component"
  fi
done

if [[ "$(worker-build --version 2>/dev/null || true)" != "$WORKER_BUILD_VERSION" ]]; then
  step "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "=$WORKER_BUILD_VERSION" --force
fi

if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: with it the install fails on a yanked webpki-roots version.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi

# Debian packages: Chromium for the browser tests and Lighthouse, a Java runtime for the
# Nu HTML checker (npm vnu-jar), wrk for `make bench`, Python's venv for Schemathesis. Browser downloads do not work
# here; Debian's do.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v wrk >/dev/null || missing+=(wrk)
# Python 3 with venv, for Schemathesis (the API contract test).
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3 python3-venv)
if (( ${#missing[@]} )); then
  step "installing Debian packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Local secrets for `wrangler dev` (never committed; production uses `wrangler secret put`).
if [[ ! -f .dev.vars ]]; then
  step "writing .dev.vars with fresh local secrets"
  {
    echo "SIGNING_SECRET=\"$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')\""
    echo "ADMIN_TOKEN=\"$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')\""
  } > .dev.vars
fi
# Local development takes payments through the built-in test provider unless .dev.vars
# says otherwise; the shipped wrangler.toml names none, so a deployed shop refuses
# payments until its merchant chooses a provider.
if ! grep -q '^PAYMENT_PROVIDER=' .dev.vars; then
  echo 'PAYMENT_PROVIDER="test"' >> .dev.vars
fi
# Likewise, emails (order confirmations, sign-in links) are only kept in the outbox
# (/admin/outbox) locally; a deployed shop sends none until MAIL_PROVIDER is chosen.
if ! grep -q '^MAIL_PROVIDER=' .dev.vars; then
  echo 'MAIL_PROVIDER="outbox"' >> .dev.vars
fi

# npm ci when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "installing npm packages (wrangler, esbuild, binaryen)"
  npm ci --no-audit --no-fund
fi

# Schemathesis (PyPI) for the API contract test, at the versions pinned in
# tests/contract/requirements.txt, in its own virtualenv under target/.
ST_VENV=target/schemathesis
ST_REQUIREMENTS=tests/contract/requirements.txt
ST_VERSION=$(awk -F'==' '$1 == "schemathesis" { print $2 }' "$ST_REQUIREMENTS")
if [[ "$("$ST_VENV/bin/st" --version 2>/dev/null || true)" != "st, version $ST_VERSION" \
      || ! -f "$ST_VENV/.installed" || "$ST_REQUIREMENTS" -nt "$ST_VENV/.installed" ]]; then
  step "installing Schemathesis $ST_VERSION into $ST_VENV"
  python3 -m venv --clear "$ST_VENV"
  "$ST_VENV/bin/pip" install -q --disable-pip-version-check --no-input -r "$ST_REQUIREMENTS"
  touch "$ST_VENV/.installed"
fi
