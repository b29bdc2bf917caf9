//! A modal dialog on the native `<dialog>`: the browser traps focus in it, closes it on
//! Escape and gives focus back to where it was. It opens when mounted; its owner unmounts it
//! on `on_close`, which every way of closing ends in (Escape, a button calling [`close`]).

use leptos::{html, prelude::*};

#[component]
pub fn Modal(
    /// The dialog's accessible name.
    #[prop(into)]
    label: String,
    #[prop(into)] on_close: Callback<()>,
    /// Lets buttons inside close it with [`close`].
    node: NodeRef<html::Dialog>,
    #[prop(optional, into)] class: String,
    #[prop(optional)] test_id: &'static str,
    children: Children,
) -> impl IntoView {
    Effect::new(move || {
        if let Some(d) = node.get() {
            if !d.open() {
                let _ = d.show_modal();
            }
        }
    });
    view! {
        <dialog
            node_ref=node
            class=format!("dialog {class}")
            role="dialog"
            aria-modal="true"
            aria-label=label
            data-testid=test_id
            on:close=move |_| on_close.run(())
        >
            {children()}
        </dialog>
    }
}

/// Closes the dialog the way Escape does, so focus goes back and `on_close` runs.
pub fn close(node: NodeRef<html::Dialog>) {
    if let Some(d) = node.get_untracked() {
        d.close();
    }
}
