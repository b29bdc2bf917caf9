#!/usr/bin/env bash
# A long room in Chromium, on the release binary over a fresh SQLite database: how the page
# behaves while the whole history loads by scrolling up, while it is read back top to bottom,
# and when a message arrives with all of it in the page. A measurement, not a test: prints the
# figures recorded in the README.
#   bash .ci/scroll.sh [MESSAGES]     # 5,000 by default
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
port="${CONFAB_SCROLL_PORT:-3620}"
base="http://127.0.0.1:$port"
dir="$(mktemp -d)"
(cd "$dir" && CONFAB_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$dir/confab.db" CONFAB_DATA_DIR="$dir/data" \
  RUST_LOG=warn exec "$CARGO_TARGET_DIR/release/server" >/dev/null 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
node "$CONFAB_ROOT/end2end/scripts/scroll.mjs" "$base" "${1:-5000}"
