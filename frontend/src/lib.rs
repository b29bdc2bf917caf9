//! The browser entry point: hydrates the server-rendered page. Everything else lives in `app`.

#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets end-to-end tests wait until event handlers are attached.
    let _ = js_sys::Reflect::set(&js_sys::global(), &"__confab_hydrated".into(), &true.into());
}
