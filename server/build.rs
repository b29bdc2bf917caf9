//! Points the embedded site ([`site`](src/site.rs)) at the site's output directory.
//!
//! Release builds embed whatever that directory holds when the server is compiled;
//! `.ci/build.sh` (like `cargo leptos build --release --precompress`) builds and precompresses
//! the site before the server, so its release binary carries the client it was built with.
//! Debug builds read the directory at run time, so `cargo leptos watch` serves each rebuild
//! without recompiling the server.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LEPTOS_SITE_ROOT");
    // Two clones building into one target directory (`.ci/env.sh` keeps it outside the clone)
    // share this script's last output, path included: without this, a build in one clone went
    // on embedding the other clone's site, however often this one's changed. The scripts set
    // `CONFAB_ROOT` to the clone they run in.
    println!("cargo:rerun-if-env-changed=CONFAB_ROOT");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let workspace = manifest.parent().map(PathBuf::from).unwrap_or_default();
    let root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let site = workspace.join(root);
    // The embedding macro needs the directory to exist; an empty one gives a binary that says
    // it has no client (see `site::has_client`) rather than a build error.
    if let Err(e) = std::fs::create_dir_all(&site) {
        println!("cargo:warning=cannot create {}: {e}", site.display());
    }
    // A directory here makes cargo rerun this script (and rebuild the server) when anything in
    // it changes, files added or removed included.
    println!("cargo:rerun-if-changed={}", site.display());
    println!("cargo:rustc-env=CONFAB_SITE_DIR={}", site.display());
}
