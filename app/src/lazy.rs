//! Rarely used screens load as WASM chunks of their own: the settings and admin pages (see
//! [`LazyPage`]), the emoji picker, the lightbox, and the edit-history, retention and new-chat
//! dialogs. Each is a function marked `#[wasm_split(…, fallible)]`; `.ci/build.sh`
//! (`wasm-split-cli`) moves the code only it reaches into a chunk, and its first call fetches
//! that chunk. On the server the function is simply called. A split function runs inside a
//! `Suspend`, which tracks what its future reads: it builds a view and reads no signal itself.
//!
//! A chunk that cannot be fetched (the connection dropped, or the server was updated and this
//! page's chunks are gone) is an error shown in place of the screen, with a way to reload:
//! never a panic, and a later try fetches again.

use std::future::Future;

use leptos::prelude::*;
pub use leptos::wasm_split::{wasm_split, SplitLoaderError};

use crate::{components::chunk_error::ChunkError, i18n::use_i18n, tr};

/// What a split function returns: its view, once its chunk is loaded.
pub type Loaded = Result<AnyView, SplitLoaderError>;

/// The view a split function returns, or [`ChunkError`] in its place; `on_close` is what
/// closing the error does (the same as closing the screen it stands for).
pub async fn view_or_error(load: impl Future<Output = Loaded>, on_close: Callback<()>) -> AnyView {
    match load.await {
        Ok(view) => view,
        Err(_) => view! { <ChunkError on_close /> }.into_any(),
    }
}

/// A page whose view is a chunk of its own (settings, admin). The server, and the browser while
/// it hydrates, render "Loading…" in its place: code that arrives after the page could not
/// hydrate what the server had rendered before it. The view mounts once the page is live.
#[component]
pub fn LazyPage<F, Fut>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Loaded> + Send + 'static,
{
    let i18n = use_i18n();
    // Effects run in the browser only, after hydration.
    let live = RwSignal::new(false);
    Effect::new(move || live.set(true));
    view! {
        <Show when=move || live.get() fallback=move || view! { <p class="loading">{tr!(i18n, common.loading)}</p> }>
            {move || Suspend::new(view_or_error(load(), Callback::new(|()| ())))}
        </Show>
    }
}
