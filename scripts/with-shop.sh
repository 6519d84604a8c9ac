#!/usr/bin/env bash
# Runs a command against a fresh local shop: publishes the sample catalog (or
# $CATALOG) into a temporary state directory, starts `wrangler dev` on a free port,
# waits until it answers, runs the command with SHOP_URL set, and stops the shop.
#   scripts/with-shop.sh node scripts/lighthouse.mjs
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false STOREFRONT_PREBUILT=1
state=$(mktemp -d /tmp/storefront-shop-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
inspector=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cargo run -q --profile fast -p storefront-cli -- catalog publish "${CATALOG:-catalog}" --local --persist-to "$state" >&2
setsid npx --no-install wrangler dev --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
  --persist-to "$state" --var PAYMENT_PROVIDER:test --var MAIL_PROVIDER:outbox --show-interactive-dev-session=false > "$state/wrangler.log" 2>&1 &
pgid=$!
stop() { kill -s INT -- "-$pgid" 2>/dev/null || true; sleep 1; kill -s KILL -- "-$pgid" 2>/dev/null || true; rm -rf "$state"; }
trap stop EXIT
for _ in $(seq 1 240); do
  curl -s -o /dev/null "http://127.0.0.1:$port/robots.txt" && break
  sleep 0.5
done
export SHOP_URL="http://127.0.0.1:$port"
"$@"
