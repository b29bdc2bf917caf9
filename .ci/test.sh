#!/usr/bin/env bash
# The README's test command: bootstrap if needed, then formatting, lints (server and WASM),
# every cargo test (unit, integration on real servers, storage on SQLite and PostgreSQL),
# the release build, and the Playwright suite in Debian's Chromium.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$CONFAB_ROOT/.ci/bootstrap.sh"
cd "$CONFAB_ROOT"

step() { echo; echo "==> $*"; }
start=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (server, app with ssr, tests, load generator)"
cargo clippy --workspace --exclude frontend --all-targets --features server/loadgen -- -D warnings
step "clippy (frontend, app with hydrate, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "cargo test"
cargo test --workspace --exclude frontend

step "release build (server + size-tuned WASM, precompressed)"
cargo leptos build --release --precompress

step "Playwright end-to-end suite"
(cd end2end && npx playwright test)

echo
echo "==> all green in $(( $(date +%s) - start )) s"
