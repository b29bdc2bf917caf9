//! One message: its sender and time when it starts a group, and its text (as text, never HTML),
//! or a note in its place once it was deleted.

use leptos::prelude::*;

use super::clock_time;
use crate::types::{Message, UserId};

#[component]
pub fn MessageItem(message: Message, show_header: bool, me: UserId) -> impl IntoView {
    let mine = message.sender_id == me;
    let header = show_header.then(|| {
        let who = if mine { "You".to_string() } else { message.sender_name.clone() };
        view! { <div class="meta">{who} " · " {clock_time(message.created_at)}</div> }
    });
    let deleted = message.deleted_at.is_some();
    view! {
        <div class="message" class=("mine", mine) data-testid="message" data-message-id=message.id.0>
            {header}
            // Text is rendered as text: the browser escapes it, nothing is interpreted as HTML.
            <div class="bubble" class=("deleted", deleted) title=clock_time(message.created_at)>
                {if deleted { "This message was deleted".to_string() } else { message.content }}
            </div>
        </div>
    }
}
