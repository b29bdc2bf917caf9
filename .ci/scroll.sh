#!/usr/bin/env bash
# A long room in Chromium, on the release binary over a fresh SQLite database: how the page
# behaves while the reader scrolls up to the room's first message, while they read it all back
# down to the live end, and when a message arrives after that. A measurement, not a test: prints the
# figures recorded in the README.
#   bash .ci/scroll.sh [MESSAGES]     # 5,000 by default
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
serve_fresh "${CONFAB_SCROLL_PORT:-3620}"
node "$CONFAB_ROOT/end2end/scripts/scroll.mjs" "$base" "${1:-5000}"
