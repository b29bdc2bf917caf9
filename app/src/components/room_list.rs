//! The list of rooms in the sidebar, most recent first, kept live by the chat store.

use leptos::prelude::*;

use super::room_item::RoomItem;
use crate::{
    i18n::use_i18n,
    state::store::{now_ms, use_chat},
    tr,
};

#[component]
pub fn RoomList() -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    // A mute that runs out ends here when it does (the room's badge, the title's count), not
    // at the room's next message.
    Effect::new(move || {
        let now = now_ms();
        let Some(end) = store.next_mute_end(now) else { return };
        // A second late, so the mute has surely ended; a browser's timer holds about 24 days.
        let wait = std::time::Duration::from_millis((end - now + 1_000).clamp(0, i64::from(i32::MAX)) as u64);
        if let Ok(timer) = set_timeout_with_handle(move || store.expire_mutes(now_ms()), wait) {
            on_cleanup(move || timer.clear());
        }
    });
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
