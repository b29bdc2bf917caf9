#!/usr/bin/env bash
# The optimized build, without cargo-leptos: step for step what `cargo leptos build --release
# --precompress` does for this workspace (see `[[workspace.metadata.leptos]]`), with tools the
# bootstrap installs in seconds (wasm-bindgen-cli, and wasm-opt, terser and lightningcss from
# end2end's package-lock.json) instead of cargo-leptos' own 12–20 minute build. It leaves the
# site in `target/site` and the self-contained server, the site embedded, in
# `$CARGO_TARGET_DIR/release/server`. `cargo leptos watch` remains the developers' loop.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CONFAB_ROOT"
site=target/site
pkg="$site/pkg"
name=confab # LEPTOS_OUTPUT_NAME in .cargo/config.toml: the server's pages load /pkg/confab.wasm

echo "[build] the client (wasm32, wasm-release profile)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
rm -rf "$site"
mkdir -p "$pkg"
# Rarely used screens (the `#[wasm_split]` functions in `app`, see app/src/lazy.rs) go to
# chunks of their own, loaded on first use through `__wasm_split.js` (what `cargo leptos build
# --split` does); the rest, `$name.wasm`, is what a page loads.
wasm-split-cli --target web --out-name "$name" \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm" "$pkg"
wasm-bindgen --target=web --keep-lld-exports --out-name="$name" --out-dir="$pkg" "$pkg/$name.wasm"
mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
for wasm in "$pkg"/*.wasm; do
  # (The split modules' name sections have a subsection wasm-opt does not know; it says so for
  # each and drops it with the other names.)
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$wasm" -o "$wasm" \
    2> >(grep -v "unknown name subsection" >&2)
done
terser "$pkg/__wasm_split.js" --module --compress --mangle --output "$pkg/__wasm_split.js"
terser "$pkg/$name.js" --module --compress --mangle --output "$pkg/$name.js"

echo "[build] the style and the assets"
lightningcss --minify --bundle --targets defaults style/main.css --output-file "$pkg/$name.css"
cp -r public/. "$site/"
node .ci/precompress.mjs "$site"

# The server last: its build embeds the finished site (server/build.rs).
echo "[build] the server (release, the site embedded)"
cargo build --release -p server --bin server
