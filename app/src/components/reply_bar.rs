//! "Replying to Alice — …" above the composer while a reply is being written; × (or Escape in
//! the composer) goes back to a plain message.

use leptos::prelude::*;

use crate::{
    i18n::{t, t_string, use_i18n},
    state::store::use_chat,
    tr,
    types::{Quote, RoomId},
};

#[component]
pub fn ReplyBar(room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    // What the target says now, if it is still loaded; else what it said when chosen.
    let target = move || {
        let r = room.get();
        let chosen = store.replying.with(|m| m.get(&r).cloned())?;
        store.timelines.track();
        Some(store.message(r, chosen.id).map(|m| Quote::of(&m)).unwrap_or(chosen))
    };
    move || {
        target().map(|q| {
            let snippet = if q.deleted {
                tr!(i18n, chat.reply.original_deleted).into_any()
            } else {
                q.content.clone().into_any()
            };
            let name = q.sender_name.clone();
            view! {
                <div class="reply-bar" data-testid="reply-bar">
                    <span class="reply-to">
                        {t!(i18n, chat.reply.replying_to, name = move || name.clone(), <b> = <strong />)}
                    </span>
                    <span class="reply-snippet">" — " {snippet}</span>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label=move || t_string!(i18n, chat.reply.cancel)
                        title=move || t_string!(i18n, chat.reply.cancel_hint)
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
