//! Toasts about messages in other rooms: each opens its room; a polite live region announces
//! them to screen readers.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    i18n::{t_string, use_i18n},
    state::{
        alerts::{dismiss, heading},
        store::use_chat,
    },
};

#[component]
pub fn Toasts() -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || store.toasts.get() key=|t| t.id let:toast>
                {
                    let id = toast.id;
                    let alert = toast.alert.clone();
                    let title = move || heading(i18n.get_locale(), &alert);
                    let message = toast.alert.message.clone();
                    let text = move || message.preview(i18n.get_locale());
                    let mention = toast.alert.message.mentions_user(store.me_id());
                    view! {
                        <div class="toast" class=("mention", mention) data-testid="toast">
                            <A href=format!("/chat/{}", toast.alert.room) on:click=move |_| dismiss(store, id)>
                                <strong class="toast-title">{title}</strong>
                                <span class="toast-text">{text}</span>
                            </A>
                            <button
                                class="icon-button toast-close"
                                aria-label=move || t_string!(i18n, common.toasts.dismiss)
                                on:click=move |_| dismiss(store, id)
                            >
                                "×"
                            </button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}
