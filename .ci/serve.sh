#!/usr/bin/env bash
# The README's run command: bootstrap if needed, then serve Confab on http://127.0.0.1:3000
# with an embedded SQLite database under ./data/. `--release` serves an optimized build;
# the default is `cargo leptos watch`, which rebuilds and reloads on every change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$CONFAB_ROOT/.ci/bootstrap.sh"
cd "$CONFAB_ROOT"
mkdir -p data
if [ "${1:-}" = "--release" ]; then
  exec cargo leptos serve --release
else
  exec cargo leptos watch
fi
