//! A line Confab wrote in the timeline ("Bob left"): centred and muted, never a bubble.

use leptos::prelude::*;

use super::clock_time;
use crate::types::Message;

#[component]
pub fn SystemLine(message: Message) -> impl IntoView {
    view! {
        <p
            class="system-line"
            data-testid="system-line"
            data-message-id=message.id.0
            title=clock_time(message.created_at)
        >
            {message.preview()}
        </p>
    }
}
