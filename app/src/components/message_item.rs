//! One message: its sender and time when it starts a group, and its text (as text, never HTML).

use leptos::prelude::*;

use super::clock_time;
use crate::types::Message;

#[component]
pub fn MessageItem(message: Message, mine: bool, show_header: bool, me: crate::types::UserId) -> impl IntoView {
    let mine = mine || message.sender_id == me;
    let header = show_header.then(|| {
        let who = if mine { "You".to_string() } else { message.sender_name.clone() };
        view! { <div class="meta">{who} " · " {clock_time(message.created_at)}</div> }
    });
    view! {
        <div class="message" class=("mine", mine) data-testid="message" data-message-id=message.id.0>
            {header}
            // Text is rendered as text: the browser escapes it, nothing is interpreted as HTML.
            <div class="bubble" title=clock_time(message.created_at)>{message.content}</div>
        </div>
    }
}
