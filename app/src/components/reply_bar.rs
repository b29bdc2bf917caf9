//! "Replying to Alice — …" above the composer while a reply is being written; × (or Escape in
//! the composer) goes back to a plain message.

use leptos::prelude::*;

use crate::{
    state::store::use_chat,
    types::{Quote, RoomId},
};

#[component]
pub fn ReplyBar(room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    // What the target says now, if it is still loaded; else what it said when chosen.
    let target = move || {
        let r = room.get();
        let chosen = store.replying.with(|m| m.get(&r).cloned())?;
        store.timelines.track();
        Some(store.message(r, chosen.id).map(|m| Quote::of(&m)).unwrap_or(chosen))
    };
    move || {
        target().map(|q| {
            let snippet = if q.deleted { "Original message was deleted".to_string() } else { q.content.clone() };
            view! {
                <div class="reply-bar" data-testid="reply-bar">
                    <span class="reply-to">"Replying to " <strong>{q.sender_name.clone()}</strong></span>
                    <span class="reply-snippet">" — " {snippet}</span>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label="Cancel reply"
                        title="Cancel reply (Escape)"
                        on:click=move |_| {
                            store.replying.update(|m| {
                                m.remove(&room.get_untracked());
                            })
                        }
                    >
                        "×"
                    </button>
                </div>
            }
        })
    }
}
