//! The message a reply answers, above the reply: who wrote it and how it starts now (replies
//! are kept current by the store), or that it was deleted. A click brings it into view.

use leptos::prelude::*;

use crate::{
    i18n::{td_string, use_i18n},
    state::{actions::jump_to, store::use_chat},
    tr,
    types::{Quote, RoomId},
};

#[component]
pub fn QuoteBlock(quote: Quote, room: RoomId) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let language = crate::text::language(i18n);
    let target = quote.id;
    view! {
        <button
            type="button"
            class="quote"
            class=("deleted", quote.deleted)
            title=move || td_string!(language.get(), chat.reply.show_original)
            data-testid="reply-quote"
            data-target-id=target.0
            on:click=move |_| jump_to(store, room, target)
        >
            <span class="sr-only">{tr!(i18n, chat.reply.in_reply_to)}</span>
            {if quote.deleted {
                view! { <span class="quote-text">{tr!(i18n, chat.reply.original_deleted)}</span> }.into_any()
            } else {
                view! {
                    <span class="quote-author">{quote.sender_name.clone()}</span>
                    <span class="sr-only">": "</span>
                    <span class="quote-text">{quote.content.clone()}</span>
                }
                    .into_any()
            }}
        </button>
    }
}
