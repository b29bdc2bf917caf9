//! A message's actions, shown over its top corner on hover or when focus is inside it (on a
//! touch screen, tapping the message focuses it): six quick reactions, the full picker, reply,
//! and edit and delete where allowed.

use leptos::prelude::*;

use crate::{
    i18n::{td_string, use_i18n},
    state::{
        actions::react,
        store::{use_chat, Editing, MessageDialog},
    },
    types::{Message, Quote, UserId},
};

/// The reactions one click away, as Slack and most chats offer them.
pub const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

#[component]
pub fn MessageToolbar(message: Message, me: UserId) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let language = crate::text::language(i18n);
    let (id, room) = (message.id, message.room_id);
    let mine = message.sender_id == me;
    let quick = QUICK_REACTIONS
        .iter()
        .map(|&emoji| {
            let reacted = message.reacted(me, emoji);
            view! {
                <button
                    type="button"
                    class="tool reaction-tool"
                    class=("on", reacted)
                    aria-label=move || td_string!(language.get(), chat.actions.react_with, emoji)
                    aria-pressed=reacted.to_string()
                    title=move || td_string!(language.get(), chat.actions.react_with, emoji)
                    on:click=move |_| {
                        react(store, room, id, emoji.to_string(), !reacted);
                    }
                >
                    {emoji}
                </button>
            }
        })
        .collect_view();
    let quote = Quote::of(&message);
    let reply = move |_| {
        store.replying.update(|r| {
            r.insert(room, quote.clone());
        });
        focus_composer();
    };
    let content = message.content.clone();
    let edit = move |_| store.editing.set(Some(Editing { room, id, draft: content.clone() }));
    let can_delete = move || mine || store.moderates(room);

    view! {
        <div class="toolbar" role="group" aria-label=move || td_string!(language.get(), chat.actions.label) data-testid="message-actions">
            {quick}
            <button
                type="button"
                class="tool"
                aria-label=move || td_string!(language.get(), chat.actions.add_reaction)
                aria-haspopup="dialog"
                title=move || td_string!(language.get(), chat.actions.add_reaction)
                data-testid="add-reaction"
                on:click=move |_| store.dialog.set(Some(MessageDialog::Picker(room, id)))
            >
                <span aria-hidden="true">"☺+"</span>
            </button>
            <button
                type="button"
                class="tool"
                aria-label=move || td_string!(language.get(), chat.actions.reply)
                title=move || td_string!(language.get(), chat.actions.reply)
                data-testid="reply"
                on:click=reply
            >
                <span aria-hidden="true">"↩"</span>
            </button>
            {mine
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="tool"
                            aria-label=move || td_string!(language.get(), chat.actions.edit)
                            title=move || td_string!(language.get(), chat.actions.edit)
                            data-testid="edit"
                            on:click=edit
                        >
                            <span aria-hidden="true">"✎"</span>
                        </button>
                    }
                })}
            <Show when=can_delete>
                <button
                    type="button"
                    class="tool danger"
                    aria-label=move || td_string!(language.get(), chat.actions.delete)
                    aria-haspopup="dialog"
                    title=move || td_string!(language.get(), chat.actions.delete)
                    data-testid="delete"
                    on:click=move |_| store.dialog.set(Some(MessageDialog::ConfirmDelete(room, id)))
                >
                    <span aria-hidden="true">"🗑"</span>
                </button>
            </Show>
        </div>
    }
}

/// Puts the caret in the composer (after choosing to reply, or leaving the editor).
pub fn focus_composer() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = document()
            .query_selector("[data-testid=message-input]")
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
}
