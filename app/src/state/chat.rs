//! The chat store: everything the chat screen shows, as signals, and how each server frame
//! changes it. The WebSocket stream ([`super::socket`]) feeds frames in; components read.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use super::timeline::Timeline;
use crate::{
    protocol::ServerFrame,
    types::{Message, MessageId, RoomId, RoomSummary, User, UserId},
};

/// The state of the WebSocket, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    /// Disconnected; the next attempt is in this many seconds.
    Offline {
        retry_in_secs: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SendState {
    Sending,
    Failed(String),
}

/// A message typed but not yet acknowledged: the outbox, resent on reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: String,
    pub room_id: RoomId,
    pub content: String,
    pub state: SendState,
}

#[derive(Clone, Copy)]
pub struct ChatStore {
    pub me: StoredValue<User>,
    pub rooms: RwSignal<Vec<RoomSummary>>,
    /// Bumped when the room list or a room's details must be fetched again.
    pub rooms_version: RwSignal<u64>,
    pub timelines: RwSignal<HashMap<RoomId, Timeline>>,
    pub pending: RwSignal<Vec<Pending>>,
    pub online: RwSignal<HashSet<UserId>>,
    pub typing: RwSignal<HashMap<RoomId, Vec<User>>>,
    pub connection: RwSignal<Connection>,
    /// The room on screen, if any.
    pub open_room: RwSignal<Option<RoomId>>,
    /// Whether the reader is looking at the newest message of the open room.
    pub at_bottom: RwSignal<bool>,
    /// The last error that belongs to no message (shown above the composer).
    pub notice: RwSignal<Option<String>>,
    /// The read marker last sent per room, so it is sent once per change.
    pub read_sent: RwSignal<HashMap<RoomId, MessageId>>,
}

impl ChatStore {
    pub fn new(me: User) -> Self {
        Self {
            me: StoredValue::new(me),
            rooms: RwSignal::new(Vec::new()),
            rooms_version: RwSignal::new(0),
            timelines: RwSignal::new(HashMap::new()),
            pending: RwSignal::new(Vec::new()),
            online: RwSignal::new(HashSet::new()),
            typing: RwSignal::new(HashMap::new()),
            connection: RwSignal::new(Connection::Connecting),
            open_room: RwSignal::new(None),
            at_bottom: RwSignal::new(true),
            notice: RwSignal::new(None),
            read_sent: RwSignal::new(HashMap::new()),
        }
    }

    pub fn me_id(&self) -> UserId {
        self.me.with_value(|u| u.id)
    }

    pub fn refresh_rooms(&self) {
        self.rooms_version.update(|v| *v += 1);
    }

    /// Applies one frame from the server.
    pub fn apply(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::Hello { online, .. } => self.online.set(online.into_iter().collect()),
            ServerFrame::ReceiveMessage { message } => self.add_message(message),
            ServerFrame::MessageAck { client_id, message } => {
                self.pending.update(|p| p.retain(|m| m.client_id != client_id));
                self.add_message(message);
            }
            ServerFrame::UserTyping { room_id, user, typing } => {
                if user.id == self.me_id() {
                    return;
                }
                self.typing.update(|t| {
                    let list = t.entry(room_id).or_default();
                    list.retain(|u| u.id != user.id);
                    if typing {
                        list.push(user);
                    }
                });
            }
            ServerFrame::UserOnline { user_id, online } => self.online.update(|o| {
                if online {
                    o.insert(user_id);
                } else {
                    o.remove(&user_id);
                }
            }),
            ServerFrame::RoomUpdated { .. } => self.refresh_rooms(),
            ServerFrame::RoomRemoved { room_id } => {
                self.rooms.update(|r| r.retain(|s| s.room.id != room_id));
                self.timelines.update(|t| {
                    t.remove(&room_id);
                });
            }
            ServerFrame::Error { code, message, client_id } => match client_id {
                Some(id) => self.pending.update(|p| {
                    if let Some(m) = p.iter_mut().find(|m| m.client_id == id) {
                        m.state = SendState::Failed(message.clone());
                    }
                }),
                None if code != "not_found" || self.open_room.get_untracked().is_some() => {
                    self.notice.set(Some(message))
                }
                None => {}
            },
            ServerFrame::Joined { .. } | ServerFrame::Pong => {}
        }
    }

    /// A new or catch-up message: into its timeline (if loaded) and the room list.
    pub fn add_message(&self, message: Message) {
        let room = message.room_id;
        let mine = message.sender_id == self.me_id();
        let mut new = true;
        self.timelines.update(|t| {
            if let Some(tl) = t.get_mut(&room).filter(|tl| tl.loaded) {
                new = tl.upsert(message.clone());
            }
        });
        // Someone who sent a message has stopped typing.
        self.typing.update(|t| {
            if let Some(list) = t.get_mut(&room) {
                list.retain(|u| u.id != message.sender_id);
            }
        });
        if !new {
            return;
        }
        let reading = self.open_room.get_untracked() == Some(room) && self.at_bottom.get_untracked();
        let mut known = false;
        self.rooms.update(|rooms| {
            if let Some(i) = rooms.iter().position(|s| s.room.id == room) {
                known = true;
                let mut summary = rooms.remove(i);
                let newer = summary.last_message.as_ref().is_none_or(|m| m.id < message.id);
                if newer {
                    summary.last_message = Some(message.clone());
                }
                if !mine && !reading && summary.last_message.as_ref().is_some_and(|m| m.id == message.id) {
                    summary.unread += 1;
                }
                rooms.insert(0, summary);
            }
        });
        if !known {
            self.refresh_rooms();
        }
    }

    /// Messages of a room on screen: confirmed ones in id order.
    pub fn messages(&self, room: RoomId) -> Vec<Message> {
        self.timelines.with(|t| t.get(&room).map(|tl| tl.messages.clone()).unwrap_or_default())
    }

    pub fn pending_in(&self, room: RoomId) -> Vec<Pending> {
        self.pending.with(|p| p.iter().filter(|m| m.room_id == room).cloned().collect())
    }

    /// The newest message of a room not yet reported as read, if any.
    pub fn unreported_read(&self, room: RoomId) -> Option<MessageId> {
        let last = self.timelines.with_untracked(|t| t.get(&room).and_then(|tl| tl.last_id()))?;
        let reported = self.read_sent.with_untracked(|r| r.get(&room).copied());
        (reported < Some(last)).then_some(last)
    }

    /// Records a reported read marker and clears the room's badge.
    pub fn record_read(&self, room: RoomId, up_to: MessageId) {
        self.read_sent.update(|r| {
            r.insert(room, up_to);
        });
        self.rooms.update(|rooms| {
            if let Some(s) = rooms.iter_mut().find(|s| s.room.id == room) {
                s.unread = 0;
            }
        });
    }

    pub fn total_unread(&self) -> i64 {
        self.rooms.with(|r| r.iter().map(|s| s.unread).sum())
    }
}

/// A fresh idempotency key for a message.
pub fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut buf = [0u8; 12];
        if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
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

pub fn use_chat() -> ChatStore {
    expect_context::<ChatStore>()
}

/// Opens a room: loads its newest page once, then joins it over the socket from the newest id
/// held, so anything sent meanwhile arrives as catch-up.
pub fn open_room(store: ChatStore, room: RoomId) {
    let loaded = store.timelines.with_untracked(|t| t.get(&room).is_some_and(|tl| tl.loaded));
    if loaded {
        super::socket::join(&store, room);
        return;
    }
    leptos::task::spawn_local(async move {
        let page = crate::api::room_messages(room, None, None, Some(crate::types::limits::HISTORY_PAGE_DEFAULT)).await;
        match page {
            Ok(page) => {
                store.timelines.update(|t| {
                    let tl = t.entry(room).or_default();
                    tl.merge(page.messages);
                    tl.has_more_before = page.has_more;
                    tl.loaded = true;
                });
                super::socket::join(&store, room);
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
    });
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
    leptos::task::spawn_local(async move {
        let limit = Some(crate::types::limits::HISTORY_PAGE_DEFAULT);
        match crate::api::room_messages(room, Some(first), None, limit).await {
            Ok(page) => {
                store.timelines.update(|t| {
                    if let Some(tl) = t.get_mut(&room) {
                        tl.merge(page.messages);
                        tl.has_more_before = page.has_more;
                    }
                });
                done();
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
        loading.set(false);
    });
}

/// Tells the server (and the user's other tabs) that the open room has been read to the end,
/// when the reader can actually see it.
pub fn report_read(store: ChatStore, room: RoomId) {
    #[cfg(feature = "hydrate")]
    {
        let visible = leptos::prelude::document().visibility_state() == web_sys::VisibilityState::Visible;
        if !visible {
            return;
        }
    }
    if let Some(up_to) = store.unreported_read(room) {
        if super::socket::send(&crate::protocol::ClientFrame::MarkRead { room_id: room, message_id: up_to }) {
            store.record_read(room, up_to);
        }
    }
}
