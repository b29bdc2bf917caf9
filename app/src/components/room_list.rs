//! The list of rooms in the sidebar, most recent first, kept live by the chat store.

use leptos::prelude::*;

use super::room_item::RoomItem;
use crate::{i18n::use_i18n, state::store::use_chat, tr};

#[component]
pub fn RoomList() -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    view! {
        <ul class="room-list" data-testid="room-list">
            <For
                each=move || store.rooms.get()
                key=|s| {
                    (
                        (s.room.id, s.unread, s.unread_mentions),
                        s.last_message.as_ref().map(|m| (m.id, m.change_seq)),
                        s.title.clone(),
                        (s.notify, s.muted_until),
                    )
                }
                children=move |s| view! { <RoomItem summary=s /> }
            />
        </ul>
        <Show when=move || store.rooms.with(Vec::is_empty)>
            <p class="empty-list">{tr!(i18n, rooms.sidebar.empty)}</p>
        </Show>
    }
}
