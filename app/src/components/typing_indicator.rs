//! "Alice is typing…" under the message list.

use leptos::prelude::*;

use crate::{state::store::use_chat, types::RoomId};

#[component]
pub fn TypingIndicator(room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    let text = move || {
        let names: Vec<String> = store.typing.with(|t| {
            t.get(&room.get()).map(|users| users.iter().map(|u| u.display_name.clone()).collect()).unwrap_or_default()
        });
        match names.as_slice() {
            [] => String::new(),
            [one] => format!("{one} is typing…"),
            [a, b] => format!("{a} and {b} are typing…"),
            _ => "Several people are typing…".to_string(),
        }
    };
    view! { <div class="typing" data-testid="typing" aria-live="polite">{text}</div> }
}
