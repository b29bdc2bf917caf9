//! Messages: sending (through the [`writer`](super::writer)), history, catch-up by seq, typing.

use std::sync::Arc;

use app::{
    backend::HistoryQuery,
    types::{self, limits, Changes, Message, MessagePage, RoomId, Seq, User},
    AppError,
};
use tokio::sync::oneshot;

use super::{
    access::Access,
    writer::{Submission, Writer},
};
use crate::{bus::Bus, events::Event, hub::ConnId, storage::Storage};

pub struct Messages {
    storage: Arc<Storage>,
    bus: Arc<dyn Bus>,
    access: Arc<Access>,
    pub writer: Writer,
}

/// Everything a client missed in a room, as `join_room` answers it.
#[derive(Debug)]
pub struct CatchUp {
    /// Current states, in seq order.
    pub changes: Vec<Message>,
    /// Caught up to here.
    pub seq: Seq,
    /// Too far behind to replay: reload instead (`changes` is empty).
    pub reset: bool,
}

impl Messages {
    pub fn new(storage: Arc<Storage>, bus: Arc<dyn Bus>, access: Arc<Access>, writer: Writer) -> Self {
        Self { storage, bus, access, writer }
    }

    /// Stores a message (idempotent on the sender's `client_id`); it is persisted before
    /// anyone, the sender included, hears of it.
    pub async fn send(
        &self,
        me: &User,
        origin: Option<ConnId>,
        room: RoomId,
        client_id: &str,
        content: &str,
    ) -> Result<Message, AppError> {
        types::validate_client_id(client_id)?;
        let content = types::validate_message_content(content)?;
        self.access.require_role(me, room).await?;
        let (reply, answer) = oneshot::channel();
        let submission =
            Submission { room, sender: me.clone(), content, client_id: client_id.to_string(), origin, reply };
        self.writer.submit(submission).await?;
        answer.await.map_err(|_| AppError::internal())?
    }

    pub async fn typing(&self, me: &User, room: RoomId, typing: bool) -> Result<(), AppError> {
        self.access.require_role(me, room).await?;
        self.bus.publish(Event::Typing { room, user: me.clone(), typing });
        Ok(())
    }

    pub async fn history(&self, me: &User, room: RoomId, query: HistoryQuery) -> Result<MessagePage, AppError> {
        self.access.require_role(me, room).await?;
        let limit = query.limit.unwrap_or(limits::HISTORY_PAGE_DEFAULT);
        if limit == 0 || limit > limits::HISTORY_PAGE_MAX {
            return Err(AppError::invalid("limit", format!("limit is 1 to {}.", limits::HISTORY_PAGE_MAX)));
        }
        Ok(self.storage.history(room, query.before, query.after, limit).await?)
    }

    /// One page of changes after `since` (`GET /api/rooms/changes`).
    pub async fn changes(&self, me: &User, room: RoomId, since: Seq) -> Result<Changes, AppError> {
        self.access.require_role(me, room).await?;
        let last = self.storage.last_seq(room).await?;
        if since.0 < 0 {
            return Err(AppError::invalid("since", "since is a seq: 0 or more."));
        }
        // Ahead of the room (a restored backup) or too far behind: start over from the top.
        if since > last || last.0 - since.0 > limits::CATCH_UP_MAX {
            return Ok(Changes { room_id: room, changes: Vec::new(), seq: last, has_more: false, reset: true });
        }
        let changes = self.storage.changes_since(room, since, limits::CHANGES_PAGE).await?;
        let has_more = changes.len() == limits::CHANGES_PAGE as usize;
        let seq = match changes.last() {
            Some(m) if has_more => m.change_seq,
            Some(m) => m.change_seq.max(last),
            None => last,
        };
        Ok(Changes { room_id: room, changes, seq, has_more, reset: false })
    }

    /// Everything changed in `room` after `since`, page by page, for a client that is already
    /// subscribed (so nothing committed later can slip between the two). Bounded: a client
    /// more than [`limits::CATCH_UP_MAX`] changes behind is told to reset.
    pub async fn catch_up(&self, me: &User, room: RoomId, since: Seq) -> Result<CatchUp, AppError> {
        let mut cursor = since;
        let mut all = Vec::new();
        loop {
            let page = self.changes(me, room, cursor).await?;
            if page.reset {
                return Ok(CatchUp { changes: Vec::new(), seq: page.seq, reset: true });
            }
            cursor = page.seq;
            all.extend(page.changes);
            if !page.has_more {
                return Ok(CatchUp { changes: all, seq: cursor, reset: false });
            }
        }
    }
}
