//! What the chat screen does: start and stop the connection, open a room, page back, send,
//! retry, report reading. Each calls the HTTP API and the socket and records the outcome in
//! the store; components call these rather than the socket.

use leptos::{prelude::*, task::spawn_local};

use super::{
    socket,
    store::{ChatStore, Pending, SendState},
};
use crate::{
    api,
    protocol::ClientFrame,
    types::{limits::HISTORY_PAGE_DEFAULT, RoomId},
};

/// Opens the connection for the chat screen; returns the token for [`disconnect`].
pub fn connect(store: ChatStore) -> u64 {
    socket::connect(store, move |room| spawn_local(load_latest(store, room)))
}

/// Closes the connection opened with this token, unless a newer screen has replaced it.
pub fn disconnect(token: u64) {
    socket::disconnect(token);
}

/// Opens a room: loads its newest page once, then joins it from the page's seq, so every
/// change made meanwhile arrives as catch-up. A room already loaded catches up from the seq
/// it has applied.
pub fn open_room(store: ChatStore, room: RoomId) {
    if store.timelines.with_untracked(|t| t.contains_key(&room)) {
        socket::join(&store, room);
    } else {
        spawn_local(load_latest(store, room));
    }
}

/// Installs the room's newest page as its timeline (on first opening it, or when its gap was
/// too large to replay) and continues from the page's seq.
async fn load_latest(store: ChatStore, room: RoomId) {
    match api::room_messages(room, None, None, Some(HISTORY_PAGE_DEFAULT)).await {
        Ok(page) => {
            store.replace_timeline(room, page);
            socket::join(&store, room);
        }
        Err(e) => store.notice.set(Some(e.to_string())),
    }
}

/// Loads the page before the oldest message held; `done` runs after the merge.
pub fn load_older(store: ChatStore, room: RoomId, loading: RwSignal<bool>, done: impl FnOnce() + 'static) {
    let (more, first) = store
        .timelines
        .with_untracked(|t| t.get(&room).map_or((false, None), |tl| (tl.has_more_before, tl.first_id())));
    let Some(first) = first.filter(|_| more && !loading.get_untracked()) else {
        return;
    };
    loading.set(true);
    spawn_local(async move {
        match api::room_messages(room, Some(first), None, Some(HISTORY_PAGE_DEFAULT)).await {
            Ok(page) => {
                store.timelines.update(|t| {
                    if let Some(tl) = t.get_mut(&room) {
                        tl.merge_older(page.messages, page.has_more);
                    }
                });
                done();
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
        loading.set(false);
    });
}

/// Tells the server (and the reader's other tabs) that the open room has been read up to the
/// seq applied here, when the reader can actually see it and the marker would move forward.
pub fn report_read(store: ChatStore, room: RoomId) {
    #[cfg(feature = "hydrate")]
    if document().visibility_state() != web_sys::VisibilityState::Visible {
        return;
    }
    if let Some(seq) = store.unreported_read(room) {
        if socket::send(&ClientFrame::MarkRead { room_id: room, seq }) {
            store.record_read(room, seq);
        }
    }
}

/// Puts a message in the outbox (shown as "sending…") and sends it if connected; offline, it
/// goes out on reconnect.
pub fn send_message(store: ChatStore, room: RoomId, content: String) {
    let client_id = new_client_id();
    store.pending.update(|p| {
        p.push(Pending {
            client_id: client_id.clone(),
            room_id: room,
            content: content.clone(),
            state: SendState::Sending,
        })
    });
    socket::send(&ClientFrame::SendMessage { room_id: room, client_id, content });
}

/// Sends a failed message again with its original key, so it is stored at most once.
pub fn retry(store: ChatStore, client_id: &str) {
    store.pending.update(|all| {
        if let Some(m) = all.iter_mut().find(|m| m.client_id == client_id) {
            m.state = SendState::Sending;
        }
    });
    socket::flush_outbox(&store);
}

pub fn discard(store: ChatStore, client_id: &str) {
    store.pending.update(|all| all.retain(|m| m.client_id != client_id));
}

/// Announces that the reader started or stopped typing; lost when offline, which is fine.
pub fn send_typing(room: RoomId, typing: bool) {
    socket::send(&ClientFrame::UserTyping { room_id: room, typing });
}

/// A fresh idempotency key for a message.
fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut buf = [0u8; 12];
        if let Ok(crypto) = window().crypto() {
            let _ = crypto.get_random_values_with_u8_array(&mut buf);
        }
        let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
        format!("c-{}-{hex}", js_sys::Date::now() as u64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        format!("c-server-{}", N.fetch_add(1, Ordering::Relaxed))
    }
}
