//! In place of a screen whose WASM chunk could not be fetched (see [`crate::lazy`]): what
//! happened, and a button that reloads the page, which brings the server's current client.

use leptos::{html, prelude::*};

use super::modal::{close, Modal};
use crate::{
    i18n::{t_string, use_i18n},
    tr,
};

#[component]
pub fn ChunkError(#[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let node = NodeRef::<html::Dialog>::new();
    let reload = move |_| {
        #[cfg(feature = "hydrate")]
        let _ = window().location().reload();
    };
    view! {
        <Modal
            label=move || t_string!(i18n, common.chunk.title).to_string()
            node
            class="confirm-dialog"
            test_id="chunk-error"
            on_close=move |_| on_close.run(())
        >
            <h2>{tr!(i18n, common.chunk.title)}</h2>
            <p role="alert">{tr!(i18n, common.chunk.text)}</p>
            <div class="dialog-actions">
                <button type="button" class="button ghost" on:click=move |_| close(node)>
                    {tr!(i18n, common.chunk.close)}
                </button>
                <button type="button" class="button" autofocus on:click=reload>
                    {tr!(i18n, common.chunk.reload)}
                </button>
            </div>
        </Modal>
    }
}
