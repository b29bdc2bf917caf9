#!/usr/bin/env bash
# Lighthouse (mobile, simulated throttling: its defaults) on the release binary's /login, over a
# fresh SQLite database, in Debian's Chromium. A measurement, not a test: prints the scores
# recorded in the README. Lighthouse itself (12.2.3; 13 needs Node 22) is installed on first
# use into the build cache, outside the test command's path.
#   bash .ci/lighthouse.sh [PATH]      # default /login
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
tools="${XDG_CACHE_HOME:-$HOME/.cache}/confab/lighthouse"
[ -x "$tools/node_modules/.bin/lighthouse" ] || npm i -E --prefix "$tools" lighthouse@12.2.3 >/dev/null
page="${1:-/login}"
port="${CONFAB_LIGHTHOUSE_PORT:-3610}"
dir="$(mktemp -d)"
(cd "$dir" && CONFAB_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$dir/confab.db" CONFAB_DATA_DIR="$dir/data" \
  RUST_LOG=warn "$CARGO_TARGET_DIR/release/server" >/dev/null 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"
"$tools/node_modules/.bin/lighthouse" "http://127.0.0.1:$port$page" --chrome-path=/usr/bin/chromium \
  --chrome-flags="$flags" --only-categories=performance,accessibility,best-practices,seo \
  --output=json --output-path="$dir/report.json" --quiet
python3 - "$dir/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a = r["audits"]
scores = ", ".join(f"{k} {round(v['score'] * 100)}" for k, v in r["categories"].items() if v["score"] is not None)
print(f"{r['finalDisplayedUrl']}: {scores}")
for audit in ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "speed-index", "cumulative-layout-shift"]:
    print(f"  {a[audit]['title']}: {a[audit]['displayValue']}")
PY
