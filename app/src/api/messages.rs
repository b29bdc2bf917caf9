//! Messages: history pages, changes after a seq (catch-up), read markers, and sending, editing,
//! deleting and reacting for clients without a WebSocket (the browser uses the socket's frames).

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use crate::{
    types::{Changes, Message, MessageEdit, MessageId, MessagePage, RoomId, Seq},
    AppError,
};

/// `GET /api/rooms/messages?room_id=1&before=<id>&after=<id>&around=<id>&limit=50`: one page of
/// history, oldest first. `before` pages backwards, `after` forwards, `around` centres the page
/// on a message (to jump to it); `limit` is at most 100.
#[server(prefix = "/api", endpoint = "rooms/messages", input = GetUrl)]
pub async fn room_messages(
    room_id: RoomId,
    before: Option<MessageId>,
    after: Option<MessageId>,
    around: Option<MessageId>,
    limit: Option<u32>,
) -> Result<MessagePage, AppError> {
    let me = ssr::me().await?;
    let query = crate::backend::HistoryQuery { before, after, around, limit };
    crate::backend::backend()?.history(&me, room_id, query).await
}

/// `GET /api/rooms/changes?room_id=1&since=<seq>`: the current state of every message changed
/// after `since`, in seq order, a page at a time (ask again from the answer's `seq` while
/// `has_more`); `reset` when the gap is too large to replay. What `join_room` sends over the
/// socket, for clients without one.
#[server(prefix = "/api", endpoint = "rooms/changes", input = GetUrl)]
pub async fn room_changes(room_id: RoomId, since: Seq) -> Result<Changes, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.changes(&me, room_id, since).await
}

/// `POST /api/rooms/read` (JSON `{"room_id": 1, "seq": 42}`): everything up to that seq has
/// been read (the marker only moves forward).
#[server(prefix = "/api", endpoint = "rooms/read", input = Json)]
pub async fn mark_read(room_id: RoomId, seq: Seq) -> Result<(), AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.mark_read(&me, room_id, seq).await
}

/// `POST /api/messages/send` (JSON `{"room_id": 1, "client_id": "c-1", "content": "hi",
/// "reply_to": 42}`): stores a message, once per `client_id`; returns the stored copy.
#[server(prefix = "/api", endpoint = "messages/send", input = Json)]
pub async fn send_message(
    room_id: RoomId,
    client_id: String,
    content: String,
    reply_to: Option<MessageId>,
) -> Result<Message, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.send_message(&me, room_id, &client_id, &content, reply_to).await
}

/// `POST /api/messages/edit` (JSON `{"room_id": 1, "message_id": 42, "content": "fixed"}`):
/// replaces the text of my message within the edit window; returns its new state.
#[server(prefix = "/api", endpoint = "messages/edit", input = Json)]
pub async fn edit_message(room_id: RoomId, message_id: MessageId, content: String) -> Result<Message, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.edit_message(&me, room_id, message_id, &content).await
}

/// `POST /api/messages/delete` (JSON `{"room_id": 1, "message_id": 42}`): deletes a message,
/// leaving a tombstone; returns the tombstone.
#[server(prefix = "/api", endpoint = "messages/delete", input = Json)]
pub async fn delete_message(room_id: RoomId, message_id: MessageId) -> Result<Message, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.delete_message(&me, room_id, message_id).await
}

/// `POST /api/messages/react` (JSON `{"room_id": 1, "message_id": 42, "emoji": "👍", "add":
/// true}`): adds or takes back my reaction; returns the message's new state.
#[server(prefix = "/api", endpoint = "messages/react", input = Json)]
pub async fn react(room_id: RoomId, message_id: MessageId, emoji: String, add: bool) -> Result<Message, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.react(&me, room_id, message_id, &emoji, add).await
}

/// `GET /api/messages/edits?room_id=1&message_id=42`: the previous texts of an edited message,
/// newest first (at most [`crate::types::limits::EDIT_HISTORY_MAX`]).
#[server(prefix = "/api", endpoint = "messages/edits", input = GetUrl)]
pub async fn message_edits(room_id: RoomId, message_id: MessageId) -> Result<Vec<MessageEdit>, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.message_edits(&me, room_id, message_id).await
}
