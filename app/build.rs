//! Compiles the translation catalogues in `locales/` into the typed `i18n` module: a key missing
//! from one language, or an interpolation named differently, fails the build.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::{error::Error, path::PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?).join("i18n");
    let config = Config::new("en")?
        .add_locale("th")?
        .add_namespaces(["common", "auth", "chat", "rooms", "settings", "errors", "time", "admin"])?
        // Values in strings made outside views (`t_string!(i18n, key, name = …)`).
        .parse_options(ParseOptions::new().interpolate_display(true));
    let infos = TranslationsInfos::parse(config)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    infos.generate_i18n_module(out)?;
    Ok(())
}
