//! A message's actions, shown over its top corner on hover or when focus is inside it (on a
//! touch screen, tapping the message focuses it): six quick reactions, the full picker, reply,
//! and edit and delete where allowed.
//!
//! It is one stop for Tab (the WAI-ARIA toolbar pattern): the arrow keys, Home and End move
//! along it, and Tab comes back to the button last used. With every button a stop, Tab took
//! 109 presses to cross a room of 15 messages.

use leptos::{prelude::*, wasm_bindgen::JsCast, web_sys};

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
pub fn MessageToolbar(
    /// The message as the store holds it now: the toolbar stays while it changes.
    message: Memo<Message>,
    me: UserId,
) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let language = crate::text::language(i18n);
    let (id, room, mine) = message.with_untracked(|m| (m.id, m.room_id, m.sender_id == me));
    // Which quick reactions are mine. The buttons are written with the state they start with,
    // and one effect keeps them current: two reactive attributes on each of six buttons, in
    // every message of a long room, added 45 ms to a room's hydration (Lighthouse, mobile).
    let pressed = Memo::new(move |_| message.with(|m| QUICK_REACTIONS.map(|emoji| m.reacted(me, emoji))));
    let bar = NodeRef::<leptos::html::Div>::new();
    let first = pressed.get_untracked();
    // The state the buttons show; on its first run the effect usually finds them so already.
    Effect::new(move |shown: Option<[bool; QUICK_REACTIONS.len()]>| {
        let now = pressed.get();
        if now != shown.unwrap_or(first) {
            if let Some(bar) = bar.get_untracked() {
                show_pressed(&bar, now);
            }
        }
        now
    });
    let quick = QUICK_REACTIONS
        .iter()
        .enumerate()
        .map(|(i, &emoji)| {
            view! {
                <button
                    type="button"
                    tabindex=if i == 0 { "0" } else { "-1" }
                    class="tool reaction-tool"
                    class=("on", first[i])
                    aria-label=move || td_string!(language.get(), chat.actions.react_with, emoji)
                    aria-pressed=first[i].to_string()
                    title=move || td_string!(language.get(), chat.actions.react_with, emoji)
                    on:click=move |_| {
                        react(store, room, id, emoji.to_string(), !pressed.get_untracked()[i]);
                    }
                >
                    {emoji}
                </button>
            }
        })
        .collect_view();
    let reply = move |_| {
        let quote = message.with_untracked(Quote::of);
        store.replying.update(|r| {
            r.insert(room, quote);
        });
        focus_composer();
    };
    let edit = move |_| {
        let draft = message.with_untracked(|m| m.content.clone());
        store.editing.set(Some(Editing { room, id, draft }));
    };
    let can_delete = move || mine || store.moderates(room);

    view! {
        <div
            class="toolbar"
            role="toolbar"
            node_ref=bar
            aria-label=move || td_string!(language.get(), chat.actions.label)
            data-testid="message-actions"
            on:keydown=move_along
            on:focusin=keep_stop
        >
            {quick}
            <button
                type="button"
                class="tool"
                aria-label=move || td_string!(language.get(), chat.actions.add_reaction)
                aria-haspopup="dialog"
                title=move || td_string!(language.get(), chat.actions.add_reaction)
                data-testid="add-reaction"
                tabindex="-1"
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
                tabindex="-1"
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
                            tabindex="-1"
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
                    tabindex="-1"
                    on:click=move |_| store.dialog.set(Some(MessageDialog::ConfirmDelete(room, id)))
                >
                    <span aria-hidden="true">"🗑"</span>
                </button>
            </Show>
        </div>
    }
}

/// The quick reaction buttons' pressed state: `on` and `aria-pressed`, in order.
fn show_pressed(bar: &web_sys::Element, pressed: [bool; QUICK_REACTIONS.len()]) {
    let Ok(buttons) = bar.query_selector_all(".reaction-tool") else { return };
    for (i, &on) in pressed.iter().enumerate() {
        if let Some(button) = buttons.item(i as u32).and_then(|b| b.dyn_into::<web_sys::Element>().ok()) {
            let _ = button.class_list().toggle_with_force("on", on);
            let _ = button.set_attribute("aria-pressed", if on { "true" } else { "false" });
        }
    }
}

/// The toolbar's buttons, and which of them has the focus.
fn buttons_of(ev: &web_sys::Event) -> Option<(Vec<web_sys::HtmlElement>, Option<usize>)> {
    let bar = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    let list = bar.query_selector_all("button").ok()?;
    let buttons: Vec<web_sys::HtmlElement> =
        (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok()).collect();
    let active = document().active_element();
    let at = buttons.iter().position(|b| active.as_ref().is_some_and(|a| a == b.unchecked_ref::<web_sys::Element>()));
    Some((buttons, at))
}

/// Arrow keys, Home and End move the focus along the toolbar, wrapping at the ends.
fn move_along(ev: leptos::ev::KeyboardEvent) {
    let key = ev.key();
    if !matches!(key.as_str(), "ArrowRight" | "ArrowLeft" | "Home" | "End") {
        return;
    }
    let Some((buttons, at)) = buttons_of(&ev) else { return };
    let n = buttons.len();
    if n == 0 {
        return;
    }
    let to = match (key.as_str(), at) {
        ("Home", _) | ("ArrowRight", None) => 0,
        ("ArrowRight", Some(i)) => (i + 1) % n,
        ("ArrowLeft", Some(i)) => (i + n - 1) % n,
        _ => n - 1,
    };
    ev.prevent_default();
    let _ = buttons[to].focus();
}

/// The button that has the focus becomes the toolbar's one stop for Tab.
fn keep_stop(ev: leptos::ev::FocusEvent) {
    if let Some((buttons, Some(at))) = buttons_of(&ev) {
        for (i, button) in buttons.iter().enumerate() {
            let _ = button.set_attribute("tabindex", if i == at { "0" } else { "-1" });
        }
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
