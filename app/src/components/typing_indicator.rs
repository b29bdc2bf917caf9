//! "Alice is typing…" under the message list.

use leptos::prelude::*;

use crate::{
    i18n::{t_string, use_i18n},
    state::store::use_chat,
    types::RoomId,
};

#[component]
pub fn TypingIndicator(room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let text = move || {
        let names: Vec<String> = store.typing.with(|t| {
            t.get(&room.get())
                .map(|typists| typists.iter().map(|t| t.user.display_name.clone()).collect())
                .unwrap_or_default()
        });
        match names.as_slice() {
            [] => String::new(),
            [one] => t_string!(i18n, chat.typing.single, name = one),
            [a, b] => t_string!(i18n, chat.typing.pair, first = a, second = b),
            _ => t_string!(i18n, chat.typing.several).to_string(),
        }
    };
    view! { <div class="typing" data-testid="typing" aria-live="polite">{text}</div> }
}
