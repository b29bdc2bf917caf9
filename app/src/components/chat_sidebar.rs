//! The room list: unread badges, last message, presence of private peers, and the
//! "New chat" dialog.

use leptos::prelude::*;

use super::{new_chat_dialog::NewChatDialog, room_list::RoomList};
use crate::{
    state::store::{use_chat, Connection},
    types::RoomSummary,
    AppError,
};

#[component]
pub fn ChatSidebar(rooms: Resource<Result<Vec<RoomSummary>, AppError>>) -> impl IntoView {
    let store = use_chat();
    let dialog_open = RwSignal::new(false);
    // The store follows the fetched list. An effect, not the render, writes it: writing a
    // signal while the page hydrates can disturb the DOM that is being adopted. For the same
    // reason "loaded" is a signal the effect sets, not the resource read while rendering: the
    // server's page and the hydrating one both start at "Loading chats…".
    let loaded = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    Effect::new(move || match rooms.get() {
        Some(Ok(list)) => {
            store.rooms.set(list);
            loaded.set(true);
            failure.set(None);
        }
        Some(Err(e)) => failure.set(Some(e.to_string())),
        None => {}
    });
    let status = move || match store.connection.get() {
        Connection::Online => "Connected".to_string(),
        Connection::Connecting => "Connecting…".to_string(),
        Connection::Offline { retry_in_secs } => format!("Offline — retrying in {retry_in_secs} s"),
        Connection::SessionEnded => "Logged out".to_string(),
    };

    view! {
        <aside class="sidebar">
            <div class="sidebar-head">
                <h2>"Chats"</h2>
                <button class="button small" data-testid="new-chat" on:click=move |_| dialog_open.set(true)>
                    "New chat"
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
            {move || failure.get().map(|e| view! { <p class="form-error" role="alert" data-testid="rooms-error">{e}</p> })}
            <Show
                when=move || loaded.get()
                fallback=move || failure.with(Option::is_none).then(|| view! { <p class="loading">"Loading chats…"</p> })
            >
                <RoomList />
            </Show>
            <NewChatDialog open=dialog_open add_to=None />
        </aside>
    }
}
