//! The inline editor that takes a message's place: Enter saves, Shift+Enter adds a line,
//! Escape cancels. Saving the same text just closes it; emptying it asks to delete instead.

use leptos::{ev::KeyboardEvent, html, prelude::*};

use super::{length_hint::LengthHint, message_toolbar::focus_composer};
use crate::{
    i18n::{t_string, use_i18n},
    state::{
        actions::edit_message,
        store::{use_chat, MessageDialog},
    },
    tr,
    types::{limits, message_chars, validate_message_content, Message},
};

#[component]
pub fn MessageEditor(message: Message) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let (id, room) = (message.id, message.room_id);
    let input = NodeRef::<html::Textarea>::new();
    // The draft survives the row being drawn anew (see `Editing`).
    let draft = store.editing.with_untracked(|e| e.as_ref().filter(|e| e.id == id).map(|e| e.draft.clone()));
    let draft = draft.unwrap_or_else(|| message.content.clone());
    let chars = RwSignal::new(message_chars(&draft));
    Effect::new(move || {
        if let Some(el) = input.get() {
            let _ = el.focus();
            let end = el.value().encode_utf16().count() as u32;
            let _ = el.set_selection_range(end, end);
            fit(input);
        }
    });

    let close = move || {
        store.editing.set(None);
        focus_composer();
    };
    let original = StoredValue::new(message.content.clone());
    let save = move || {
        let Some(el) = input.get_untracked() else { return };
        let raw = el.value();
        if raw.trim().is_empty() {
            store.editing.set(None);
            store.dialog.set(Some(MessageDialog::ConfirmDelete(room, id)));
            return;
        }
        match validate_message_content(&raw) {
            Ok(content) if original.with_value(|o| *o == content) => close(),
            Ok(content) => {
                if edit_message(store, room, id, content) {
                    store.notice.set(None);
                    close();
                }
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
    };
    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" if !ev.shift_key() && !super::composing(&ev) => {
            ev.prevent_default();
            save();
        }
        "Escape" => {
            ev.prevent_default();
            ev.stop_propagation();
            close();
        }
        _ => {}
    };
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        chars.set(message_chars(&value));
        store.editing.update_untracked(|e| {
            if let Some(e) = e.as_mut().filter(|e| e.id == id) {
                e.draft = value;
            }
        });
        fit(input);
    };

    view! {
        <div class="editor" data-testid="message-editor">
            <textarea
                node_ref=input
                aria-label=move || t_string!(i18n, chat.editor.label)
                aria-invalid=move || (chars.get() > limits::MESSAGE_MAX_CHARS).then_some("true")
                prop:value=draft
                on:keydown=on_keydown
                on:input=on_input
            ></textarea>
            <LengthHint chars />
            <div class="editor-actions">
                <span class="muted">{tr!(i18n, chat.editor.hint)}</span>
                <button type="button" class="button small ghost" on:click=move |_| close()>
                    {tr!(i18n, chat.editor.cancel)}
                </button>
                <button type="button" class="button small" data-testid="save-edit" on:click=move |_| save()>
                    {tr!(i18n, chat.editor.save)}
                </button>
            </div>
        </div>
    }
}

/// Grows the textarea with its text (up to the stylesheet's max-height).
fn fit(input: NodeRef<html::Textarea>) {
    if let Some(el) = input.get_untracked() {
        let _ = el.set_attribute("style", "height: auto");
        let _ = el.set_attribute("style", &format!("height: {}px", el.scroll_height() + 2));
    }
}
