#!/usr/bin/env bash
# Installs what Confab needs to build and test, and only what is missing (safe to re-run):
# the wasm32 target, the wasm-bindgen CLI matching Cargo.lock, Debian's Chromium and
# PostgreSQL, and the end2end npm packages (which bring wasm-opt, terser and lightningcss) from
# package-lock.json. cargo-leptos, which takes 12–20 minutes to build, only for the
# developers' loop: `bootstrap.sh --watch` (what `serve.sh --watch` runs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CONFAB_ROOT"

say() { echo "[bootstrap] $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "${1:-}" = "--watch" ] && ! cargo leptos --version 2>/dev/null | grep -Eq '0\.3\.1[01]'; then
  say "installing cargo-leptos (about 12 minutes, once)"
  if rustup toolchain list | grep -q '^nightly'; then
    cargo +nightly install cargo-leptos --locked --version =0.3.11 --features no_downloads
  else
    cargo install cargo-leptos --locked --version =0.3.10 --features no_downloads
  fi
fi

wbg="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg\$"; then
  say "installing wasm-bindgen-cli $wbg"
  cargo install wasm-bindgen-cli --version "=$wbg" --force
fi

if ! cargo install --list | grep -q '^wasm_split_cli_support v0.2.3:'; then
  say "installing wasm-split-cli 0.2.3 (splits the WASM into lazily loaded chunks; about a minute)"
  cargo install wasm_split_cli_support --locked --version =0.2.3 --features build-binary
fi

if ! command -v chromium >/dev/null; then
  say "installing Debian's chromium"
  apt_install chromium
fi

if ! command -v initdb >/dev/null || ! command -v pg_ctl >/dev/null; then
  say "installing Debian's PostgreSQL server (for the storage tests)"
  apt_install postgresql
  for d in /usr/lib/postgresql/*/bin; do PATH="$PATH:$d"; done
fi

lock_hash="$(sha256sum end2end/package-lock.json | cut -d' ' -f1)"
if [ "$(cat end2end/node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  say "installing end2end npm packages (npm ci)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > end2end/node_modules/.lock-hash
fi
