//! One message: its sender and time when it starts a group, the message it answers, its image
//! or file, its text (the server's sanitized Markdown rendering, or plain text; an
//! attachment's caption), reactions and its actions; the inline editor in its place while it
//! is edited; a note in its place once it was deleted.
//!
//! The row stays in the page while its message changes: each part follows the message as the
//! store holds it now, so a reaction, an edit or a quote brought up to date changes only that
//! part, and focus stays on the control it was on (a toolbar button, a chip, the quote, the
//! "edited" mark: each is updated in place). Focus on an element that a change takes away (a
//! link in text drawn anew, the body of a deleted message) goes to the row.

use leptos::prelude::*;

use super::{
    file_card::FileCard, image_preview::ImagePreview, message_editor::MessageEditor, message_toolbar::MessageToolbar,
    quote_block::QuoteBlock, reaction_bar::ReactionBar,
};
use crate::{
    i18n::{td_string, use_i18n},
    state::store::{use_chat, MessageDialog},
    tr,
    types::{Message, UserId},
};

#[component]
pub fn MessageItem(
    /// The message as the store holds it now (see `message_list::live_message`).
    message: Memo<Message>,
    show_header: bool,
    me: UserId,
) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let language = crate::text::language(i18n);
    let clock = crate::time::use_clock();
    // What never changes about a message.
    let first = message.get_untracked();
    let created = first.created_at;
    let (id, room) = (first.id, first.room_id);
    let mine = first.sender_id == me;
    let header = show_header.then(|| {
        let name = first.sender_name.clone();
        let who = move || if mine { td_string!(language.get(), chat.message.you).to_string() } else { name.clone() };
        view! {
            <div class="meta">
                {who} " · " <time datetime=crate::time::iso(created)>{move || clock.time(created)}</time>
            </div>
        }
    });
    let editing = move || store.editing.with(|e| e.as_ref().is_some_and(|e| e.id == id));
    let highlighted = move || store.highlight.get() == Some(id);
    let time = move || clock.date_time(created);
    let deleted = Memo::new(move |_| message.with(Message::is_deleted));
    let row = NodeRef::<leptos::html::Div>::new();
    let mentions_me = move || message.with(|m| m.mentions_user(me)) && !deleted.get();

    // The attachment never changes, and a deletion takes the whole body: drawn again only then.
    let body = move || {
        if deleted.get() {
            hold_focus(row, "*");
            return view! {
                <div class="bubble deleted" title=time data-testid="tombstone">
                    {tr!(i18n, chat.message.deleted)}
                </div>
            }
            .into_any();
        }
        // A reply stays one; only a reply follows its quote.
        let quote = message.with_untracked(|m| m.reply_to.is_some()).then(|| {
            let quote = Memo::new(move |_| message.with(|m| m.reply_to.clone()));
            move || quote.get().map(|quote| view! { <QuoteBlock quote room /> })
        });
        // What an edit changes, together.
        let text = Memo::new(move |_| message.with(|m| (m.content.clone(), m.html.clone(), m.edited_at)));
        let edited = move || {
            text.with(|t| t.2).map(|at| {
                view! {
                    <button
                        class="edited-mark"
                        type="button"
                        aria-haspopup="dialog"
                        title=move || td_string!(language.get(), chat.message.edited_title, time = clock.date_time(at))
                        data-testid="edited-mark"
                        on:click=move |_| store.dialog.set(Some(MessageDialog::History(room, id)))
                    >
                        {tr!(i18n, chat.message.edited)}
                    </button>
                }
            })
        };
        let attachment = message.with_untracked(|m| m.attachment.clone()).map(|attachment| {
            let file = if attachment.is_image() {
                view! { <ImagePreview room id attachment /> }.into_any()
            } else {
                view! { <FileCard id attachment /> }.into_any()
            };
            view! { <div class="attachment" title=time>{file}</div> }
        });
        let shown = move || {
            hold_focus(row, "[data-testid=message-body]");
            // An attachment without a caption has no text to show.
            let (content, html, _) = text.get();
            (!content.is_empty()).then(|| {
                let text = match html {
                    // Rendered and sanitized by the server (links, code, mentions); never the raw
                    // text.
                    Some(html) => view! { <div class="md" inner_html=html></div> }.into_any(),
                    // Plain text is set as text: nothing in it is interpreted as HTML.
                    None => view! { <div class="text">{content}</div> }.into_any(),
                };
                view! {
                    <div class="bubble" title=time data-testid="message-body">
                        {text}
                    </div>
                }
            })
        };
        let reactions = Memo::new(move |_| message.with(|m| m.reactions.clone()));
        view! {
            {quote}
            {attachment}
            <Show
                when=editing
                fallback=shown
            >
                <MessageEditor message=message.get_untracked() />
            </Show>
            {edited}
            <ReactionBar room message=id reactions me />
            <MessageToolbar message me />
        }
        .into_any()
    };

    view! {
        <div
            class="message"
            class=("mine", mine)
            class=("mentions-me", mentions_me)
            class=("highlight", highlighted)
            data-testid="message"
            data-message-id=id.0
            tabindex="-1"
            node_ref=row
        >
            {header}
            {body}
        </div>
    }
}

/// Before a part of the row (`part`, a selector) is drawn again or taken away: if focus is in
/// it and the element that has it goes (a link in new Markdown, a body that becomes a
/// tombstone), focus goes to the row (see `keep_focus_in_message`).
fn hold_focus(row: NodeRef<leptos::html::Div>, part: &str) {
    let Some(focused) = row.get_untracked().and_then(|row| super::focused_within(&row)) else { return };
    if focused.closest(part).ok().flatten().is_some() {
        super::keep_focus_in_message(&focused);
    }
}
