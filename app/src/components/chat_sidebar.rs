//! The room list: unread badges, last message, presence of private peers, and the
//! "New chat" dialog.

use leptos::prelude::*;

use super::{new_chat_dialog::NewChatDialog, room_list::RoomList};
use crate::{
    i18n::{t_string, use_i18n},
    state::store::{use_chat, Connection},
    tr,
    types::RoomSummary,
    AppError,
};

#[component]
pub fn ChatSidebar(rooms: Resource<Result<Vec<RoomSummary>, AppError>>) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let dialog_open = RwSignal::new(false);
    // The store follows the fetched list. An effect, not the render, writes it: writing a
    // signal while the page hydrates can disturb the DOM that is being adopted. For the same
    // reason "loaded" is a signal the effect sets, not the resource read while rendering: the
    // server's page and the hydrating one both start at "Loading chats…".
    let loaded = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    Effect::new(move || match rooms.get() {
        Some(Ok(list)) => {
            store.set_rooms(list);
            loaded.set(true);
            failure.set(None);
        }
        Some(Err(e)) => failure.set(Some(e.to_string())),
        None => {}
    });
    let status = move || match store.connection.get() {
        Connection::Online => t_string!(i18n, rooms.sidebar.connected).to_string(),
        Connection::Connecting => t_string!(i18n, rooms.sidebar.connecting).to_string(),
        Connection::Offline { retry_in_secs } => t_string!(i18n, rooms.sidebar.offline_retrying, secs = retry_in_secs),
        Connection::SessionEnded => t_string!(i18n, rooms.sidebar.logged_out).to_string(),
    };

    view! {
        // Named by its heading: the room's member list is a second `aside`.
        <aside class="sidebar" aria-labelledby="sidebar-heading">
            <div class="sidebar-head">
                <h2 id="sidebar-heading">{tr!(i18n, rooms.sidebar.chats)}</h2>
                <button class="button small" data-testid="new-chat" on:click=move |_| dialog_open.set(true)>
                    {tr!(i18n, rooms.sidebar.new_chat)}
                </button>
            </div>
            <p
                class="connection"
                class=(
                    "offline",
                    move || matches!(store.connection.get(), Connection::Offline { .. } | Connection::SessionEnded),
                )
                data-testid="connection"
            >
                {status}
            </p>
            {move || failure.get().map(|e| view! { <p class="form-error" role="alert" data-testid="rooms-error">{crate::error::localize(&e, i18n.get_locale())}</p> })}
            <Show
                when=move || loaded.get()
                fallback=move || failure.with(Option::is_none).then(|| view! { <p class="loading">{tr!(i18n, rooms.sidebar.loading)}</p> })
            >
                <RoomList />
            </Show>
            <NewChatDialog open=dialog_open add_to=None />
        </aside>
    }
}
