//! Toasts about messages in other rooms: each opens its room; a polite live region announces
//! them to screen readers.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::state::{
    alerts::{dismiss, heading},
    store::use_chat,
};

#[component]
pub fn Toasts() -> impl IntoView {
    let store = use_chat();
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || store.toasts.get() key=|t| t.id let:toast>
                {
                    let id = toast.id;
                    let title = heading(&toast.alert);
                    let mention = toast.alert.message.mentions_user(store.me_id());
                    view! {
                        <div class="toast" class=("mention", mention) data-testid="toast">
                            <A href=format!("/chat/{}", toast.alert.room) on:click=move |_| dismiss(store, id)>
                                <strong class="toast-title">{title}</strong>
                                <span class="toast-text">{toast.alert.message.preview()}</span>
                            </A>
                            <button
                                class="icon-button toast-close"
                                aria-label="Dismiss"
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
