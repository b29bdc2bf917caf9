//! Messages: sending (through the [`writer`](super::writer)), history, catch-up by seq, typing,
//! and what a message's text becomes (Markdown, mentions, the quote of what it answers).
//! Changes to sent messages live in [`edits`](super::edits) and [`reactions`](super::reactions).

use std::{collections::HashMap, sync::Arc, time::Duration};

use app::{
    backend::HistoryQuery,
    types::{self, limits, Changes, Message, MessageId, MessagePage, Quote, Role, RoomId, RoomKind, Seq, User, UserId},
    AppError,
};
use tokio::sync::oneshot;

use super::{
    access::Access,
    markdown, search,
    writer::{Submission, Writer},
};
use crate::{
    bus::Bus,
    events::Event,
    hub::ConnId,
    metrics,
    storage::{files::NewAttachment, Storage},
};

pub struct Messages {
    pub(super) storage: Arc<Storage>,
    pub(super) bus: Arc<dyn Bus>,
    pub(super) access: Arc<Access>,
    pub writer: Writer,
    /// How long after sending a message may be edited (`None`: always).
    pub(super) edit_window: Option<Duration>,
}

/// A message's text as stored: the source and what the server derived from it.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub content: String,
    pub html: Option<String>,
    pub mentions: Vec<UserId>,
    pub mentions_room: bool,
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
    /// The retention job removed the room's messages up to here.
    pub purged_up_to: Seq,
}

impl Messages {
    pub fn new(
        storage: Arc<Storage>,
        bus: Arc<dyn Bus>,
        access: Arc<Access>,
        writer: Writer,
        edit_window: Duration,
    ) -> Self {
        Self { storage, bus, access, writer, edit_window: (!edit_window.is_zero()).then_some(edit_window) }
    }

    /// Renders `content` for `room`: mentions resolve to its members; `@room` is refused to
    /// plain members of a group (it notifies everyone).
    pub(super) async fn compose(&self, room: RoomId, role: Role, content: String) -> Result<Draft, AppError> {
        let (names, room_mentioned) = markdown::mentioned_names(&content);
        if room_mentioned && role == Role::Member && self.is_group(room).await? {
            return Err(AppError::forbidden("Only owners and admins can notify the whole group with @room."));
        }
        let members: HashMap<String, UserId> = self.storage.members_named(room, &names).await?.into_iter().collect();
        let rendered = markdown::render(&content, &members);
        Ok(Draft { content, html: rendered.html, mentions: rendered.mentions, mentions_room: rendered.mentions_room })
    }

    pub(super) async fn is_group(&self, room: RoomId) -> Result<bool, AppError> {
        let room = self.storage.room(room).await?.ok_or_else(|| AppError::not_found("No such room."))?;
        Ok(room.kind == RoomKind::Group)
    }

    /// A member's view of message `id` in `room` (`NotFound` when it is not there).
    pub(super) async fn find(&self, room: RoomId, id: MessageId) -> Result<Message, AppError> {
        self.storage.message(room, id).await?.ok_or_else(|| AppError::not_found("No such message in this room."))
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
        reply_to: Option<MessageId>,
    ) -> Result<Message, AppError> {
        types::validate_client_id(client_id)?;
        let content = types::validate_message_content(content)?;
        let role = self.access.require_role(me, room).await?;
        let reply_to = match reply_to {
            Some(id) => {
                let target = self.find(room, id).await?;
                if target.is_deleted() || target.system.is_some() {
                    return Err(AppError::invalid("reply_to", "That message can't be replied to: it was deleted."));
                }
                Some(Quote::of(&target))
            }
            None => None,
        };
        let draft = self.compose(room, role, content).await?;
        self.submit(me, origin, room, client_id, draft, reply_to, None).await
    }

    /// An upload's caption (may be empty), checked and rendered as any message's text is. The
    /// upload checks it before reading the file, so a refused caption leaves no file behind.
    pub async fn caption(&self, me: &User, room: RoomId, caption: &str) -> Result<Draft, AppError> {
        let caption = caption.trim();
        if caption.chars().count() > limits::CAPTION_MAX_CHARS {
            return Err(AppError::invalid(
                "caption",
                format!("Captions are at most {} characters.", limits::CAPTION_MAX_CHARS),
            ));
        }
        let role = self.access.require_role(me, room).await?;
        self.compose(room, role, caption.to_string()).await
    }

    /// Stores an `IMAGE` or `FILE` message for an upload already in the blob store, with its
    /// [`caption`](Self::caption). Idempotent on `client_id` like any message.
    pub async fn send_attachment(
        &self,
        me: &User,
        room: RoomId,
        client_id: &str,
        caption: Draft,
        attachment: NewAttachment,
    ) -> Result<Message, AppError> {
        types::validate_client_id(client_id)?;
        self.access.require_role(me, room).await?;
        self.submit(me, None, room, client_id, caption, None, Some(attachment)).await
    }

    /// The message `client_id` of mine already stored, if any (a retried upload).
    pub async fn sent_before(&self, me: &User, client_id: &str) -> Result<Option<Message>, AppError> {
        Ok(self.storage.message_by_client_id(me.id, client_id).await?)
    }

    #[allow(clippy::too_many_arguments)]
    async fn submit(
        &self,
        me: &User,
        origin: Option<ConnId>,
        room: RoomId,
        client_id: &str,
        draft: Draft,
        reply_to: Option<Quote>,
        attachment: Option<NewAttachment>,
    ) -> Result<Message, AppError> {
        let (reply, answer) = oneshot::channel();
        let search_text = search::search_text(&draft.content, attachment.as_ref().map(|a| a.name.as_str()));
        let submission = Submission {
            room,
            sender: me.clone(),
            draft,
            reply_to,
            attachment,
            search_text,
            client_id: client_id.to_string(),
            origin,
            reply,
        };
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
        if let Some(around) = query.around {
            return Ok(self.storage.history_around(room, around, limit).await?);
        }
        Ok(metrics::timed("history", self.storage.history(room, query.before, query.after, limit)).await?)
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
            let purged_up_to = self.storage.retention_of(room).await?.1;
            return Ok(Changes {
                room_id: room,
                changes: Vec::new(),
                seq: last,
                has_more: false,
                reset: true,
                purged_up_to,
            });
        }
        let changes =
            metrics::timed("changes_since", self.storage.changes_since(room, since, limits::CHANGES_PAGE)).await?;
        let has_more = changes.len() == limits::CHANGES_PAGE as usize;
        let seq = match changes.last() {
            Some(m) if has_more => m.change_seq,
            Some(m) => m.change_seq.max(last),
            None => last,
        };
        let purged_up_to = self.storage.retention_of(room).await?.1;
        Ok(Changes { room_id: room, changes, seq, has_more, reset: false, purged_up_to })
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
                return Ok(CatchUp {
                    changes: Vec::new(),
                    seq: page.seq,
                    reset: true,
                    purged_up_to: page.purged_up_to,
                });
            }
            cursor = page.seq;
            all.extend(page.changes);
            if !page.has_more {
                return Ok(CatchUp { changes: all, seq: cursor, reset: false, purged_up_to: page.purged_up_to });
            }
        }
    }
}
