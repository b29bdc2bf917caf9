//! One message: its sender and time when it starts a group, the message it answers, its image
//! or file, its text (the server's sanitized Markdown rendering, or plain text; an
//! attachment's caption), reactions and its actions; the inline editor in its place while it
//! is edited; a note in its place once it was deleted.

use leptos::{prelude::*, wasm_bindgen::JsCast, web_sys};

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
pub fn MessageItem(message: Message, show_header: bool, me: UserId) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let language = crate::text::language(i18n);
    let clock = crate::time::use_clock();
    let created = message.created_at;
    let (id, room) = (message.id, message.room_id);
    let mine = message.sender_id == me;
    let deleted = message.is_deleted();
    let header = show_header.then(|| {
        let name = message.sender_name.clone();
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
    // Only a row drawn again while focus was in this message looks for it, once it is in the
    // page: a room's rows on first load have nothing to do (and no effect to create).
    if store.focus_in_message.with_value(|last| last.as_ref().is_some_and(|(at, _)| *at == id)) {
        Effect::new(move || take_focus_back(store.focus_in_message.get_value(), id));
    }

    let body = if deleted {
        view! {
            <div class="bubble deleted" title=time data-testid="tombstone">
                {tr!(i18n, chat.message.deleted)}
            </div>
        }
        .into_any()
    } else {
        let quote = message.reply_to.clone().map(|quote| view! { <QuoteBlock quote room /> });
        let edited = message.edited_at.map(|at| {
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
        });
        let attachment = message.attachment.clone().map(|attachment| {
            let file = if attachment.is_image() {
                view! { <ImagePreview room id attachment /> }.into_any()
            } else {
                view! { <FileCard id attachment /> }.into_any()
            };
            view! { <div class="attachment" title=time>{file}</div> }
        });
        // An attachment without a caption has no text to show.
        let has_text = !message.content.is_empty();
        let editor_message = message.clone();
        let (content, html) = (message.content.clone(), message.html.clone());
        let text = move || match html.clone() {
            // Rendered and sanitized by the server (links, code, mentions); never the raw text.
            Some(html) => view! { <div class="md" inner_html=html></div> }.into_any(),
            // Plain text is set as text: nothing in it is interpreted as HTML.
            None => view! { <div class="text">{content.clone()}</div> }.into_any(),
        };
        let reactions = message.reactions.clone();
        let toolbar_message = message.clone();
        view! {
            {quote}
            {attachment}
            <Show
                when=editing
                fallback=move || {
                    has_text
                        .then(|| {
                            view! {
                                <div class="bubble" title=time data-testid="message-body">
                                    {text.clone()}
                                </div>
                            }
                        })
                }
            >
                <MessageEditor message=editor_message.clone() />
            </Show>
            {edited}
            <ReactionBar room message=id reactions me />
            <MessageToolbar message=toolbar_message me />
        }
        .into_any()
    };

    view! {
        <div
            class="message"
            class=("mine", mine)
            class=("mentions-me", message.mentions_user(me) && !deleted)
            class=("highlight", highlighted)
            data-testid="message"
            data-message-id=id.0
            tabindex="-1"
            on:focusin=move |ev| {
                let row = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                let focused = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                if let (Some(row), Some(focused)) = (row, focused) {
                    store.focus_in_message.set_value(Some((id, place_within(&row, &focused))));
                }
            }
            // Focus left for somewhere else (another control, a click on nothing): there is
            // nothing to give back. Looked at once the change that moved focus is done: a row
            // taken out of the page (redrawn) keeps the record for the row replacing it.
            on:focusout=move |ev| {
                let Some(row) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
                    return;
                };
                let to = ev.related_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
                if row.contains(to.as_ref()) {
                    return;
                }
                request_animation_frame(move || {
                    let focus_inside = document().active_element().is_some_and(|a| row.contains(Some(&a)));
                    if row.is_connected() && !focus_inside {
                        store.focus_in_message.update_value(|last| {
                            if last.as_ref().is_some_and(|(at, _)| *at == id) {
                                *last = None;
                            }
                        });
                    }
                });
            }
        >
            {header}
            {body}
        </div>
    }
}

/// Where `focused` is in `row`, to find it again in a new rendering of the row: a reaction
/// chip by its emoji (`emoji:👍`), a toolbar button by its place (`tool:3`), another control by
/// its test id (`id:edited-mark`); empty for the row itself.
fn place_within(row: &web_sys::Element, focused: &web_sys::Element) -> String {
    if let Some(emoji) = focused.get_attribute("data-emoji") {
        return format!("emoji:{emoji}");
    }
    let bar = focused.closest(".toolbar").ok().flatten().filter(|b| row.contains(Some(b)));
    if let Some(place) = bar.and_then(|bar| elements(&bar, "button").iter().position(|b| b == focused)) {
        return format!("tool:{place}");
    }
    focused.get_attribute("data-testid").map(|t| format!("id:{t}")).unwrap_or_default()
}

/// The control at `place` (see [`place_within`]) in `row`, if it is still there.
fn find_place(row: &web_sys::Element, place: &str) -> Option<web_sys::HtmlElement> {
    let found = if let Some(emoji) = place.strip_prefix("emoji:") {
        elements(row, ".reactions [data-emoji]")
            .into_iter()
            .find(|c| c.get_attribute("data-emoji").as_deref() == Some(emoji))
    } else if let Some(n) = place.strip_prefix("tool:").and_then(|n| n.parse::<usize>().ok()) {
        row.query_selector(".toolbar").ok().flatten().and_then(|bar| elements(&bar, "button").into_iter().nth(n))
    } else {
        let id = place.strip_prefix("id:")?;
        elements(row, "[data-testid]").into_iter().find(|c| c.get_attribute("data-testid").as_deref() == Some(id))
    };
    found?.dyn_into::<web_sys::HtmlElement>().ok()
}

fn elements(within: &web_sys::Element, selector: &str) -> Vec<web_sys::Element> {
    let Ok(list) = within.query_selector_all(selector) else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<web_sys::Element>().ok()).collect()
}

/// Focus goes back into this row when it was last inside this message, and fell to the page
/// because the row it was in was replaced by this one (focus that left for elsewhere cleared
/// the record); a control that is gone (the last of a reaction, taken back) leaves it on the
/// row.
fn take_focus_back(last: Option<(crate::types::MessageId, String)>, id: crate::types::MessageId) {
    let Some((_, place)) = last.filter(|(at, _)| *at == id) else { return };
    let lost = super::focus_fell_to_page();
    let selector = format!("[data-testid=\"message-list\"] [data-message-id=\"{}\"]", id.0);
    let row =
        document().query_selector(&selector).ok().flatten().and_then(|r| r.dyn_into::<web_sys::HtmlElement>().ok());
    let Some(row) = row.filter(|_| lost) else { return };
    let _ = match find_place(&row, &place) {
        Some(control) => control.focus(),
        None => row.focus(),
    };
}
