//! The composer: Enter sends, Shift+Enter adds a line. Sent text joins the outbox at once
//! (shown as "sending…"), and typing is announced at most every few seconds.

use leptos::{ev::KeyboardEvent, html, prelude::*};

use crate::{
    state::{
        actions::{send_message, send_typing},
        store::use_chat,
    },
    types::{limits, validate_message_content, RoomId},
};

#[component]
pub fn MessageInput(room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    let text = RwSignal::new(String::new());
    let input = NodeRef::<html::Textarea>::new();
    // When "typing" was last announced (ms), 0 when not typing.
    let typing_since = StoredValue::new(0f64);

    let stop_typing = move || {
        if typing_since.get_value() > 0.0 {
            typing_since.set_value(0.0);
            send_typing(room.get_untracked(), false);
        }
    };

    let send = move || {
        let raw = text.get_untracked();
        if raw.trim().is_empty() {
            return;
        }
        match validate_message_content(&raw) {
            Ok(content) => {
                send_message(store, room.get_untracked(), content);
                text.set(String::new());
                typing_since.set_value(0.0);
                store.at_bottom.set(true);
                store.notice.set(None);
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
    };

    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        let empty = value.trim().is_empty();
        text.set(value);
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
    // Switching rooms: the draft and the typing state stay behind.
    Effect::new(move |prev: Option<RoomId>| {
        let r = room.get();
        if prev.is_some_and(|p| p != r) {
            if typing_since.get_value() > 0.0 {
                typing_since.set_value(0.0);
                if let Some(p) = prev {
                    send_typing(p, false);
                }
            }
            text.set(String::new());
        }
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
        r
    });

    view! {
        {move || store.notice.get().map(|n| view! { <p class="composer-error" role="alert">{n}</p> })}
        <form
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <textarea
                node_ref=input
                rows=1
                placeholder="Message…"
                aria-label="Message"
                data-testid="message-input"
                maxlength=limits::MESSAGE_MAX_CHARS
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                on:blur=move |_| stop_typing()
            ></textarea>
            <button type="submit" class="button" data-testid="send">"Send"</button>
        </form>
    }
}
