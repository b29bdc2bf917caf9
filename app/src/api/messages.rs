//! Messages: history pages, changes after a seq (catch-up), read markers.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use crate::{
    types::{Changes, MessageId, MessagePage, RoomId, Seq},
    AppError,
};

/// `GET /api/rooms/messages?room_id=1&before=<id>&after=<id>&limit=50`: one page of history,
/// oldest first. `before` pages backwards, `after` forwards; `limit` is at most 100.
#[server(prefix = "/api", endpoint = "rooms/messages", input = GetUrl)]
pub async fn room_messages(
    room_id: RoomId,
    before: Option<MessageId>,
    after: Option<MessageId>,
    limit: Option<u32>,
) -> Result<MessagePage, AppError> {
    let me = ssr::me().await?;
    let query = crate::backend::HistoryQuery { before, after, limit };
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
