//! Confab's shared application crate.
//!
//! Everything that both the server (`ssr`) and the browser (`hydrate`) need lives here:
//!
//! - [`types`]: the wire types (ids, users, rooms, messages) and input limits;
//! - [`protocol`]: the WebSocket frames exchanged on `/ws`;
//! - [`error`]: [`AppError`], the one error type that crosses server functions;
//! - [`api`]: thin `#[server]` functions with fixed endpoint paths, reaching server code only
//!   through the [`backend::ChatBackend`] trait read from context;
//! - [`state`]: client state (the session, the store, actions, the WebSocket handle);
//! - [`nav`]: safe redirects; [`text`]: translated texts in views;
//! - [`components`] and [`pages`]: the UI, one component per file.

#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod error;
pub mod lazy;
pub mod nav;
pub mod pages;
pub mod protocol;
pub mod state;
pub mod text;
pub mod time;
pub mod types;

// The generated `i18n` module: `Locale`, `use_i18n`, `t!`, `td_string!` over app/locales
// (`tr!`, in `text`, for most texts in views).
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub use error::AppError;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The skip link, once hydrated: the router would take `#main` for a navigation, so focus goes
/// to the page's `<main>` by hand (without JavaScript the browser does it).
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    #[cfg(feature = "hydrate")]
    if let Some(main) = document().get_element_by_id("main") {
        use wasm_bindgen::JsCast;
        if let Ok(main) = main.dyn_into::<web_sys::HtmlElement>() {
            let _ = main.focus();
        }
    }
}

/// Loads the client (the JS, then the WASM it fetches alongside, then hydration) once the
/// server's page has been painted. Leptos' `HydrationScripts` preloads both from the `<head>`,
/// where on a slow link the WASM (several times the page) competes with the stylesheet for
/// the first paint, and the history the server rendered (a room's largest paint) waits for
/// both. A tab opened in the background, which paints nothing, starts at once.
#[component]
fn Hydrate(options: LeptosOptions) -> impl IntoView {
    // `.cargo/config.toml` names the output, so the WASM is `<name>.wasm` (not `_bg`).
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    let script = format!(
        "const go=()=>{{const wasm=fetch(\"{pkg}.wasm\");\
         import(\"{pkg}.js\").then(m=>m.default({{module_or_path:wasm}}).then(()=>m.hydrate()))}};\
         if(document.visibilityState===\"hidden\")go();else requestAnimationFrame(()=>setTimeout(go))"
    );
    view! { <script type="module">{script}</script> }
}

/// The HTML document the server renders around [`App`].
/// It is rendered in the theme the request's cookie names, so no page paints in the other one
/// first.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let theme = api::ssr::theme();
    #[cfg(not(feature = "ssr"))]
    let theme = types::Theme::default();
    // The language is resolved as the i18n context will resolve it (the cookie, then
    // `Accept-Language`), and the browser's context starts from this `lang`.
    let locale = leptos_i18n::locale::resolve_locale_with_options::<i18n::Locale>(i18n_options());
    view! {
        <!DOCTYPE html>
        <html lang=locale.to_string() data-theme=theme.as_str()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content=theme.color_scheme() />
                <meta name="description" content=i18n::td_string!(locale, common.meta_description) />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <Hydrate options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The language cookie as the i18n context reads and writes it: for the whole site, a year.
fn i18n_options() -> leptos_i18n::context::I18nContextOptions<'static, i18n::Locale> {
    leptos_i18n::context::I18nContextOptions::<i18n::Locale>::default()
        .cookie_name(types::LANG_COOKIE)
        .cookie_options(cookie_options())
}

fn cookie_options() -> leptos_i18n::context::CookieOptions<i18n::Locale> {
    leptos_i18n::context::CookieOptions::default()
        .path("/")
        .max_age(365_i64 * 24 * 3_600_000)
        .same_site(leptos_use::SameSite::Lax)
}

/// The application: the language, session state, the navbar and the routes.
#[component]
pub fn App() -> impl IntoView {
    view! {
        // `lang` is the shell's (rendered with the page); a switch in the browser updates it.
        <i18n::I18nContextProvider
            cookie_name=types::LANG_COOKIE
            cookie_options=cookie_options()
            set_lang_attr_on_html=false
            set_dir_attr_on_html=false
        >
            <Screens />
        </i18n::I18nContextProvider>
    }
}

#[component]
fn Screens() -> impl IntoView {
    provide_meta_context();
    state::session::provide_session();
    let i18n = i18n::use_i18n();
    text::provide_language(i18n);
    time::provide_clock(i18n);
    // The document's language follows a switch made in this tab.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let lang = i18n.get_locale().to_string();
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("lang", &lang);
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/confab.css" />
        <Title formatter=|t: String| if t.is_empty() { "Confab".to_string() } else { format!("{t} · Confab") } />
        <Router>
            // The first stop for the keyboard: past the navbar, straight to the page.
            <a class="skip-link" href="#main" on:click=skip_to_main>
                {tr!(i18n, common.skip_to_content)}
            </a>
            <components::navbar::Navbar />
            <main class="main" id="main" tabindex="-1">
                // Async SSR: the session is known before the first byte, so guards can redirect.
                <Routes fallback=|| view! { <pages::not_found::NotFound /> }>
                    <Route path=path!("/") view=pages::home::Home ssr=SsrMode::Async />
                    <Route path=path!("/login") view=pages::login::Login ssr=SsrMode::Async />
                    <Route path=path!("/register") view=pages::register::Register ssr=SsrMode::Async />
                    <Route path=path!("/settings") view=pages::settings::SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=pages::admin::AdminPage ssr=SsrMode::Async />
                    // One route for `/chat` and every room: the chat screen stays while the room changes.
                    <Route path=path!("/chat/:room_id?") view=pages::chat::ChatPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
