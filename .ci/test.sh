#!/usr/bin/env bash
# The README's test command: bootstrap if needed, then formatting, lints (server and WASM),
# every cargo test (unit, integration on real servers, storage on SQLite and PostgreSQL),
# the release build, and the Playwright suite in Debian's Chromium. Prints each step's time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CONFAB_ROOT"

start=$(date +%s)
times=()
step_name=""
step() {
  local now
  now=$(date +%s)
  [ -n "$step_name" ] && times+=("$(printf '%5d s  %s' $((now - step_start)) "$step_name")")
  step_name="$*"
  step_start=$now
  [ -n "$step_name" ] && { echo; echo "==> $*"; }
  return 0
}

step "bootstrap (installs only what is missing)"
bash "$CONFAB_ROOT/.ci/bootstrap.sh"

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (server, app with ssr, tests, load generator)"
cargo clippy --workspace --exclude frontend --all-targets --features server/loadgen -- -D warnings
step "clippy (frontend, app with hydrate, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "cargo test"
cargo test --workspace --exclude frontend

step "release build (size-tuned WASM, precompressed site, the server embedding it)"
bash "$CONFAB_ROOT/.ci/build.sh"

step "Playwright end-to-end suite"
(cd end2end && npx playwright test)

step ""
echo
printf '%s\n' "${times[@]}"
echo "==> all green in $(( $(date +%s) - start )) s"
