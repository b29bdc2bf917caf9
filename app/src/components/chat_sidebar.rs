//! The room list: unread badges, last message, presence of private peers, and the
//! "New chat" dialog.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{navbar::initial, new_chat_dialog::NewChatDialog};
use crate::{
    state::chat::{use_chat, Connection},
    types::{RoomKind, RoomSummary},
    AppError,
};

#[component]
pub fn ChatSidebar(rooms: Resource<Result<Vec<RoomSummary>, AppError>>) -> impl IntoView {
    let store = use_chat();
    let dialog_open = RwSignal::new(false);
    let status = move || match store.connection.get() {
        Connection::Online => "Connected".to_string(),
        Connection::Connecting => "Connecting…".to_string(),
        Connection::Offline { retry_in_secs } => format!("Offline — retrying in {retry_in_secs} s"),
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
                class=("offline", move || matches!(store.connection.get(), Connection::Offline { .. }))
                data-testid="connection"
            >
                {status}
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading chats…"</p> }>
                {move || {
                    rooms
                        .get()
                        .map(|result| match result {
                            Ok(list) => {
                                store.rooms.set(list);
                                view! { <RoomList /> }.into_any()
                            }
                            Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Transition>
            <NewChatDialog open=dialog_open add_to=None />
        </aside>
    }
}

#[component]
fn RoomList() -> impl IntoView {
    let store = use_chat();
    view! {
        <ul class="room-list" data-testid="room-list">
            <For
                each=move || store.rooms.get()
                key=|s| (s.room.id, s.unread, s.last_message.as_ref().map(|m| m.id), s.title.clone())
                children=move |s| view! { <RoomItem summary=s /> }
            />
        </ul>
        <Show when=move || store.rooms.with(Vec::is_empty)>
            <p class="empty-list">"No conversations yet. Start one with “New chat”."</p>
        </Show>
    }
}

#[component]
fn RoomItem(summary: RoomSummary) -> impl IntoView {
    let store = use_chat();
    let id = summary.room.id;
    let me = store.me_id();
    let peer = summary.peer.as_ref().map(|p| p.id);
    let preview = summary.last_message.as_ref().map(|m| {
        let who = if m.sender_id == me { "You".to_string() } else { m.sender_name.clone() };
        let text: String = m.content.chars().take(80).collect();
        if summary.room.kind == RoomKind::Private && m.sender_id != me {
            text
        } else {
            format!("{who}: {text}")
        }
    });
    let unread = summary.unread;
    view! {
        <li
            class="room-item"
            class=("active", move || store.open_room.get() == Some(id))
            class=("unread", unread > 0)
            data-testid="room-item"
            data-room-id=id.0
        >
            <A href=format!("/chat/{id}")>
                <span class="avatar" aria-hidden="true">
                    {initial(&summary.title)}
                    {peer.map(|p| {
                        view! { <span class="dot" class=("online", move || store.online.with(|o| o.contains(&p)))></span> }
                    })}
                </span>
                <span class="room-text">
                    <span class="room-title">{summary.title.clone()}</span>
                    <span class="room-preview">{preview.unwrap_or_else(|| "No messages yet".to_string())}</span>
                </span>
                {(unread > 0)
                    .then(|| {
                        view! {
                            <span class="badge" data-testid="unread-badge" aria-label=format!("{unread} unread")>
                                {if unread > 99 { "99+".to_string() } else { unread.to_string() }}
                            </span>
                        }
                    })}
            </A>
        </li>
    }
}
