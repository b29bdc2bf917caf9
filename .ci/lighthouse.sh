#!/usr/bin/env bash
# Lighthouse (mobile, simulated throttling: its defaults) on the release binary over a fresh
# SQLite database, in Debian's Chromium. A measurement, not a test: prints the scores recorded
# in the README. Lighthouse itself (12.2.3; 13 needs Node 22) is installed on first use into
# the build cache, outside the test command's path.
#   bash .ci/lighthouse.sh          # /login
#   bash .ci/lighthouse.sh room     # a private room with 200 messages, logged in
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
tools="${XDG_CACHE_HOME:-$HOME/.cache}/confab/lighthouse"
[ -x "$tools/node_modules/.bin/lighthouse" ] || npm i -E --prefix "$tools" lighthouse@12.2.3 >/dev/null
serve_fresh "${CONFAB_LIGHTHOUSE_PORT:-3610}"

if [ "${1:-}" = room ]; then
  register() {
    curl -s -D - -o /dev/null -X POST "$base/api/register" -d username="$1" -d password='correct horse battery' |
      sed -n 's/^[Ss]et-[Cc]ookie: confab_session=\([^;]*\).*/\1/p'
  }
  alice="$(register lhalice)" bob="$(register lhbob)"
  bob_id="$(curl -s -H "Authorization: Bearer $bob" "$base/api/me" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
  room="$(curl -s -H "Authorization: Bearer $alice" -H 'content-type: application/json' -d "{\"user_id\": $bob_id}" \
    "$base/api/rooms/private" | python3 -c 'import json, sys; print(json.load(sys.stdin)["room"]["id"])')"
  for i in $(seq 200); do
    who="$alice"; [ $((i % 2)) = 0 ] && who="$bob"
    curl -s -o /dev/null -H "Authorization: Bearer $who" -H 'content-type: application/json' "$base/api/messages/send" \
      -d "{\"room_id\": $room, \"client_id\": \"lh-$i\", \"content\": \"Message $i: วันนี้ประชุมตอนบ่ายสามโมง, the **meeting** moved to 3pm\"}"
  done
  # Beside its node_modules: ES modules resolve imports from where the file is.
  cp "$CONFAB_ROOT/.ci/lighthouse-room.mjs" "$tools/room.mjs"
  node "$tools/room.mjs" "$base" lhalice "$room"
  exit 0
fi

flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"
"$tools/node_modules/.bin/lighthouse" "$base${1:-/login}" --chrome-path=/usr/bin/chromium \
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
