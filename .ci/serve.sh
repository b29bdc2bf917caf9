#!/usr/bin/env bash
# The README's run command: bootstrap if needed, build the optimized server (the site embedded
# in it) and serve Confab on http://127.0.0.1:3000 with an embedded SQLite database under
# ./data/. `--watch` runs the developers' loop instead: `cargo leptos watch --split`, which rebuilds
# and reloads on every change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$CONFAB_ROOT/.ci/bootstrap.sh" "$@"
cd "$CONFAB_ROOT"
mkdir -p data
if [ "${1:-}" = "--watch" ]; then
  # `--split`: the lazily loaded screens' chunks (see `.ci/build.sh`); without it their imports
  # would point at a file that does not exist.
  exec cargo leptos watch --split
fi
bash "$CONFAB_ROOT/.ci/build.sh"
exec "$CARGO_TARGET_DIR/release/server"
