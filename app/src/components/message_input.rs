//! The composer: Enter sends, Shift+Enter adds a line. Sent text joins the outbox at once
//! (shown as "sending…"), and typing is announced at most every few seconds. `@` opens the
//! member autocomplete; Up in an empty composer edits my last message; a reply being written
//! shows above it, and Escape drops it.
//!
//! Files join the tray above it from the attach button, a paste, or a drop on the room (see
//! `chat_room`); sending sends each as its own message, the text as the first one's caption.
//! Uploads answer no message, so while replying the text goes as the reply and the files
//! follow uncaptioned.

use leptos::{
    ev::{ClipboardEvent, KeyboardEvent},
    html,
    prelude::*,
};

use super::{
    attach_tray::AttachTray,
    length_hint::LengthHint,
    mention_menu::{self, byte_to_utf16, insert_mention, mention_at, utf16_to_byte, MentionMenu, Suggestion},
    reply_bar::ReplyBar,
};
use crate::{
    i18n::{t_string, use_i18n},
    state::{
        actions::{send_attached, send_message, send_typing},
        drafts,
        store::{use_chat, Editing},
    },
    tr,
    types::{limits, message_chars, validate_message_content, RoomId},
};

#[component]
pub fn MessageInput(room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let chars = Memo::new(move |_| text.with(|t| message_chars(t)));
    let input = NodeRef::<html::Textarea>::new();
    let picker = NodeRef::<html::Input>::new();
    let has_files = Memo::new(move |_| {
        let r = room.get();
        store.attached.with(|a| a.iter().any(|f| f.room == r))
    });
    // When "typing" was last announced (ms), 0 when not typing.
    let typing_since = StoredValue::new(0f64);
    // The `@word` being typed: where its `@` is (bytes) and the word; None when the menu is
    // closed (also after Escape, until the caret moves to another word).
    let mention = RwSignal::new(None::<(usize, String)>);
    let dismissed = StoredValue::new(None::<usize>);
    let active = RwSignal::new(0usize);
    let suggestions = Memo::new(move |_| {
        let Some((_, word)) = mention.get() else { return Vec::new() };
        let r = room.get();
        mention_menu::suggestions(&store.members(r), store.me_id(), &word, store.moderates(r))
    });
    let menu_open = move || suggestions.with(|s| !s.is_empty());

    // Also runs on blur, which the browser sends when the composer leaves the page (another
    // screen), after this component and its state are gone: hence the `try_`s.
    let stop_typing = move || {
        if typing_since.try_get_value().is_some_and(|since| since > 0.0) {
            typing_since.try_set_value(0.0);
            if let Some(room) = room.try_get_untracked() {
                send_typing(room, false);
            }
        }
    };

    let send = move || {
        let raw = text.get_untracked();
        let files = has_files.get_untracked();
        let content = if raw.trim().is_empty() {
            if !files {
                return;
            }
            None
        } else {
            match validate_message_content(&raw) {
                Ok(content) => Some(content),
                Err(e) => {
                    store.notice.set(Some(e.to_string()));
                    return;
                }
            }
        };
        let r = room.get_untracked();
        let reply_to = store.replying.with_untracked(|m| m.get(&r).map(|q| q.id));
        // The text is its own message unless it captions files; uploads answer no message,
        // so a reply's text is its own message even then.
        let caption = match content {
            Some(content) if !files || reply_to.is_some() => {
                send_message(store, r, content, reply_to);
                if reply_to.is_some() {
                    store.replying.update(|m| {
                        m.remove(&r);
                    });
                }
                String::new()
            }
            caption => caption.unwrap_or_default(),
        };
        if files {
            send_attached(store, r, caption);
        }
        text.set(String::new());
        drafts::save(store.me_id(), r, "");
        mention.set(None);
        typing_since.set_value(0.0);
        store.at_bottom.set(true);
        store.notice.set(None);
    };

    // Files pasted (a screenshot, files copied in the file manager) join the tray; text pastes
    // as usual.
    let on_paste = move |ev: ClipboardEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(files) = ev.clipboard_data().and_then(|d| d.files()).filter(|f| f.length() > 0) {
            ev.prevent_default();
            crate::state::actions::attach(store, room.get_untracked(), files);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_picked = move |_| {
        let Some(el) = picker.get_untracked() else { return };
        #[cfg(feature = "hydrate")]
        if let Some(files) = el.files() {
            crate::state::actions::attach(store, room.get_untracked(), files);
        }
        // Choosing the same file again must still count as a change.
        el.set_value("");
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };

    // Follows the caret: the menu is open while it ends an `@word`.
    let track_caret = move || {
        let Some(el) = input.get_untracked() else { return };
        let value = el.value();
        let caret = el.selection_start().ok().flatten().map_or(value.len(), |c| utf16_to_byte(&value, c as usize));
        let found = mention_at(&value, caret).map(|(at, word)| (at, word.to_string()));
        if found.as_ref().map(|(at, _)| *at) != dismissed.get_value() {
            dismissed.set_value(None);
        }
        let found = found.filter(|(at, _)| dismissed.get_value() != Some(*at));
        if found.as_ref().map(|(at, _)| *at) != mention.with_untracked(|m| m.as_ref().map(|(at, _)| *at)) {
            active.set(0);
        }
        if found != mention.get_untracked() {
            mention.set(found);
        }
    };

    let pick = move |s: Suggestion| {
        let Some(el) = input.get_untracked() else { return };
        let Some((at, _)) = mention.get_untracked() else { return };
        let value = el.value();
        let caret = el.selection_start().ok().flatten().map_or(value.len(), |c| utf16_to_byte(&value, c as usize));
        let (new_text, new_caret) = insert_mention(&value, at, caret.max(at), &s.handle);
        el.set_value(&new_text);
        let units = byte_to_utf16(&new_text, new_caret) as u32;
        let _ = el.set_selection_range(units, units);
        // Setting the value fires no `input` event: the draft is kept here.
        drafts::save(store.me_id(), room.get_untracked(), &new_text);
        text.set(new_text);
        mention.set(None);
        let _ = el.focus();
    };

    let on_keydown = move |ev: KeyboardEvent| {
        if super::composing(&ev) {
            return;
        }
        let key = ev.key();
        if menu_open() {
            let count = suggestions.with_untracked(Vec::len);
            match key.as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    active.update(|a| *a = (*a + 1) % count);
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    active.update(|a| *a = (*a + count - 1) % count);
                    return;
                }
                "Enter" | "Tab" if !ev.shift_key() => {
                    ev.prevent_default();
                    let chosen = suggestions.with_untracked(|s| s.get(active.get_untracked().min(count - 1)).cloned());
                    if let Some(s) = chosen {
                        pick(s);
                    }
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    dismissed.set_value(mention.with_untracked(|m| m.as_ref().map(|(at, _)| *at)));
                    mention.set(None);
                    return;
                }
                _ => {}
            }
        }
        match key.as_str() {
            "Enter" if !ev.shift_key() => {
                ev.prevent_default();
                send();
            }
            "Escape" => {
                let r = room.get_untracked();
                if store.replying.with_untracked(|m| m.contains_key(&r)) {
                    ev.prevent_default();
                    store.replying.update(|m| {
                        m.remove(&r);
                    });
                }
            }
            // Up in an empty composer edits my last message, as in Slack.
            "ArrowUp" if text.with_untracked(String::is_empty) => {
                let r = room.get_untracked();
                if let Some(m) = store.last_editable(r) {
                    ev.prevent_default();
                    store.editing.set(Some(Editing { room: r, id: m.id, draft: m.content }));
                }
            }
            _ => {}
        }
    };
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        let empty = value.trim().is_empty();
        drafts::save(store.me_id(), room.get_untracked(), &value);
        text.set(value);
        track_caret();
        if empty {
            stop_typing();
        }
        #[cfg(feature = "hydrate")]
        if !empty {
            let now = js_sys::Date::now();
            if now - typing_since.get_value() > crate::protocol::TYPING_REFRESH_MS as f64 {
                typing_since.set_value(now);
                send_typing(room.get_untracked(), true);
            }
        }
    };
    // Opening a room brings back its draft; switching rooms leaves the typing state behind.
    Effect::new(move |prev: Option<RoomId>| {
        let r = room.get();
        if prev != Some(r) {
            if typing_since.get_value() > 0.0 {
                typing_since.set_value(0.0);
                if let Some(p) = prev {
                    send_typing(p, false);
                }
            }
            text.set(drafts::load(store.me_id(), r));
            mention.set(None);
        }
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
        r
    });

    // The composer grows with its text, up to the height its style allows (about eight lines).
    Effect::new(move || {
        let value = text.get();
        #[cfg(feature = "hydrate")]
        if let Some(el) = input.get() {
            // This may run before the `prop:value` binding has written the text (just after a
            // send, say): measured then, an emptied composer would keep its old height.
            if el.value() != value {
                el.set_value(&value);
            }
            let style = web_sys::HtmlElement::style(&el);
            let _ = style.set_property("height", "auto");
            let _ = style.set_property("height", &format!("{}px", el.scroll_height() + 2));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = value;
    });

    view! {
        {move || store.notice.get().map(|n| view! { <p class="composer-error" role="alert" data-testid="notice">{crate::error::localize(&n, i18n.get_locale())}</p> })}
        <ReplyBar room />
        <AttachTray room />
        <LengthHint chars />
        <form
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <Show when=menu_open>
                <MentionMenu suggestions active on_pick=pick />
            </Show>
            <button
                type="button"
                class="icon-button attach-button"
                aria-label=move || t_string!(i18n, chat.composer.attach)
                title=move || t_string!(i18n, chat.composer.attach_hint)
                data-testid="attach"
                on:click=move |_| {
                    if let Some(el) = picker.get_untracked() {
                        el.click();
                    }
                }
            >
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                    <path
                        d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.9-8.9a3.7 3.7 0 0 1 5.2 5.2l-8.9 8.9a1.8 1.8 0 0 1-2.6-2.6l8.2-8.2"
                        fill="none"
                        stroke="currentColor"
                        stroke-width="1.7"
                        stroke-linecap="round"
                        stroke-linejoin="round"
                    />
                </svg>
            </button>
            <input type="file" multiple hidden node_ref=picker data-testid="file-input" on:change=on_picked />
            <textarea
                node_ref=input
                rows=1
                placeholder=move || {
                    if has_files.get() {
                        t_string!(i18n, chat.composer.caption_placeholder)
                    } else {
                        t_string!(i18n, chat.composer.placeholder)
                    }
                }
                aria-label=move || t_string!(i18n, chat.composer.label)
                // A text box that offers a list (a `textarea` takes no combobox role): the
                // list it controls exists only while open, the option picked is the active one.
                aria-autocomplete="list"
                aria-haspopup="listbox"
                aria-controls=move || menu_open().then_some(mention_menu::LISTBOX_ID)
                aria-activedescendant=move || menu_open().then(|| mention_menu::option_id(active.get()))
                data-testid="message-input"
                aria-invalid=move || (chars.get() > limits::MESSAGE_MAX_CHARS).then_some("true")
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                on:paste=on_paste
                on:click=move |_| track_caret()
                on:keyup=move |ev: KeyboardEvent| {
                    if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                        track_caret();
                    }
                }
                on:blur=move |_| {
                    stop_typing();
                    mention.try_set(None);
                }
            ></textarea>
            // Pressing it leaves focus in the text: a phone's keyboard stays up between messages.
            <button
                type="submit"
                class="button"
                data-testid="send"
                on:mousedown=|ev: leptos::ev::MouseEvent| ev.prevent_default()
            >
                {tr!(i18n, chat.composer.send)}
            </button>
        </form>
    }
}
