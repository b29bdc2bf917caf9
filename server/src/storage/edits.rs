//! Changes to stored messages: edits (keeping the previous texts) and deletions (leaving a
//! tombstone). Each takes the room's next seq inside its transaction, like a new message, so
//! readers catch up on it by seq.

use app::types::{limits, Message, MessageEdit, MessageId, RoomId, UserId};
use sqlx::Row;

use super::{message_from, Result, Storage, StoredMentions, Tx, MESSAGE_COLS, MESSAGE_FROM};

/// A message's new text, as the service rendered it.
#[derive(Debug, Clone, Copy)]
pub struct NewText<'a> {
    pub content: &'a str,
    pub html: Option<&'a str>,
    pub mentions: &'a [UserId],
    pub mentions_room: bool,
    pub search_text: Option<&'a str>,
}

/// What became of a change to an existing message.
#[derive(Debug)]
pub enum Changed {
    /// Committed at the message's new `change_seq`.
    Yes(Message),
    /// Nothing to do (the same text, a reaction already there): the current state.
    No(Message),
    /// Deleted meanwhile (or never there).
    Gone,
}

impl Storage {
    /// Replaces the text of message `id`: the previous text joins its history (the newest
    /// [`limits::EDIT_HISTORY_MAX`] are kept), and members mentioned for the first time get a
    /// mention at this change's seq (ones no longer mentioned lose theirs).
    pub async fn edit_message(&self, room: RoomId, id: MessageId, text: NewText<'_>, now: i64) -> Result<Changed> {
        let mut tx = self.begin().await?;
        // The seq first: on PostgreSQL it locks the room, so the read below is current.
        let seq = self.take_seqs(&mut tx, room, 1).await?;
        let before = match self.message_in(&mut tx, room, id).await? {
            Some(m) if !m.is_deleted() => m,
            _ => {
                tx.rollback().await?;
                return Ok(Changed::Gone);
            }
        };
        if before.content == text.content {
            tx.rollback().await?;
            return Ok(Changed::No(before));
        }
        sqlx::query("INSERT INTO message_edits (room_id, message_id, content, replaced_at) VALUES ($1, $2, $3, $4)")
            .bind(room.0)
            .bind(id.0)
            .bind(&before.content)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM message_edits WHERE message_id = $1 AND id NOT IN \
             (SELECT id FROM message_edits WHERE message_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(id.0)
        .bind(limits::EDIT_HISTORY_MAX as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE messages SET content = $3, html = $4, mentions = $5, edited_at = $6, updated_at = $6, \
             change_seq = $7, search_text = $8 WHERE room_id = $1 AND id = $2",
        )
        .bind(room.0)
        .bind(id.0)
        .bind(text.content)
        .bind(text.html)
        .bind(StoredMentions::to_column(text.mentions, text.mentions_room))
        .bind(now)
        .bind(seq.0)
        .bind(text.search_text)
        .execute(&mut *tx)
        .await?;
        // `@room` mentions everyone still in the room, so its rows all stay (each at the seq
        // that first mentioned its reader: an edit must not make a read mention unread again).
        if !text.mentions_room {
            self.forget_mentions(&mut tx, id, Some(text.mentions)).await?;
        }
        self.record_mentions(&mut tx, (room, id, seq), before.sender_id, text.mentions, text.mentions_room).await?;
        self.notify_room(&mut tx, room, seq, seq).await?;
        let after = self.message_in(&mut tx, room, id).await?;
        tx.commit().await?;
        Ok(after.map_or(Changed::Gone, Changed::Yes))
    }

    /// Deletes message `id`: its text, rendering, history, reactions, mentions and attachment
    /// are removed from storage (the blob goes once nothing references it); a tombstone keeps its place (and its replies' targets) in the timeline.
    pub async fn delete_message(&self, room: RoomId, id: MessageId, now: i64) -> Result<Changed> {
        let mut tx = self.begin().await?;
        let seq = self.take_seqs(&mut tx, room, 1).await?;
        let done = sqlx::query(
            "UPDATE messages SET content = '', html = NULL, mentions = NULL, reply_to = NULL, search_text = NULL, \
             deleted_at = $3, updated_at = $3, change_seq = $4 WHERE room_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(room.0)
        .bind(id.0)
        .bind(now)
        .bind(seq.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let current = self.message_in(&mut tx, room, id).await?;
            tx.rollback().await?;
            return Ok(current.map_or(Changed::Gone, Changed::No));
        }
        for table in ["message_edits", "reactions"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE message_id = $1")).bind(id.0).execute(&mut *tx).await?;
        }
        self.forget_mentions(&mut tx, id, None).await?;
        self.delete_attachment(&mut tx, id).await?;
        self.notify_room(&mut tx, room, seq, seq).await?;
        let after = self.message_in(&mut tx, room, id).await?;
        tx.commit().await?;
        Ok(after.map_or(Changed::Gone, Changed::Yes))
    }

    /// The previous texts of message `id`, newest first.
    pub async fn message_edits(&self, room: RoomId, id: MessageId) -> Result<Vec<MessageEdit>> {
        let rows = sqlx::query(
            "SELECT content, replaced_at FROM message_edits WHERE room_id = $1 AND message_id = $2 ORDER BY id DESC",
        )
        .bind(room.0)
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(MessageEdit { content: r.try_get("content")?, replaced_at: r.try_get("replaced_at")? }))
            .collect()
    }

    /// Removes mention rows of message `id`, all of them or those of users not in `keep`.
    async fn forget_mentions(&self, tx: &mut Tx, id: MessageId, keep: Option<&[UserId]>) -> Result<()> {
        let keep = keep.unwrap_or_default();
        let list: Vec<String> = (0..keep.len()).map(|k| format!("${}", k + 2)).collect();
        let except = if list.is_empty() { String::new() } else { format!("AND user_id NOT IN ({})", list.join(", ")) };
        let sql = format!("DELETE FROM mentions WHERE message_id = $1 {except}");
        let mut query = sqlx::query(&sql).bind(id.0);
        for user in keep {
            query = query.bind(user.0);
        }
        query.execute(&mut **tx).await?;
        Ok(())
    }

    /// Message `id` as the transaction sees it, reactions included.
    pub(crate) async fn message_in(&self, tx: &mut Tx, room: RoomId, id: MessageId) -> Result<Option<Message>> {
        let row = sqlx::query(&format!("SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} WHERE m.room_id = $1 AND m.id = $2"))
            .bind(room.0)
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?;
        let Some(mut message) = row.as_ref().map(message_from).transpose()? else {
            return Ok(None);
        };
        Self::attach_reactions(tx, std::slice::from_mut(&mut message)).await?;
        Ok(Some(message))
    }
}
