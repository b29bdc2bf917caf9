//! Reactions: one row per (message, emoji, user); each change takes the room's next seq and
//! moves the message's `change_seq`, so readers catch up on it like on an edit.

use std::collections::HashMap;

use app::types::{limits, Message, MessageId, Reaction, RoomId, UserId, UserRef};
use sqlx::{AnyConnection, Row};

use super::{edits::Changed, Result, Storage};

/// What became of a reaction.
#[derive(Debug)]
pub enum Reacted {
    Done(Box<Changed>),
    /// The message has [`limits::REACTIONS_PER_MESSAGE`] distinct emoji already.
    TooMany,
}

impl Storage {
    /// Adds (`add`) or removes `user`'s `emoji` (canonical) on message `id`. Adding what is
    /// there, or removing what is not, changes nothing and takes no seq.
    pub async fn react(
        &self,
        room: RoomId,
        id: MessageId,
        user: UserId,
        emoji: &str,
        add: bool,
        now: i64,
    ) -> Result<Reacted> {
        let mut tx = self.begin().await?;
        let seq = self.take_seqs(&mut tx, room, 1).await?;
        let live: Option<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE room_id = $1 AND id = $2 AND deleted_at IS NULL")
                .bind(room.0)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
        if live.is_none() {
            tx.rollback().await?;
            return Ok(Reacted::Done(Box::new(Changed::Gone)));
        }
        let changed = if add {
            let (distinct, present): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(DISTINCT emoji), COUNT(CASE WHEN emoji = $2 THEN 1 END) FROM reactions \
                 WHERE message_id = $1",
            )
            .bind(id.0)
            .bind(emoji)
            .fetch_one(&mut *tx)
            .await?;
            if present == 0 && distinct >= limits::REACTIONS_PER_MESSAGE as i64 {
                tx.rollback().await?;
                return Ok(Reacted::TooMany);
            }
            sqlx::query(
                "INSERT INTO reactions (room_id, message_id, emoji, user_id, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (message_id, emoji, user_id) DO NOTHING",
            )
            .bind(room.0)
            .bind(id.0)
            .bind(emoji)
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query("DELETE FROM reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3")
                .bind(id.0)
                .bind(emoji)
                .bind(user.0)
                .execute(&mut *tx)
                .await?
        };
        if changed.rows_affected() == 0 {
            let current = self.message_in(&mut tx, room, id).await?;
            tx.rollback().await?;
            return Ok(Reacted::Done(Box::new(current.map_or(Changed::Gone, Changed::No))));
        }
        sqlx::query("UPDATE messages SET change_seq = $3, updated_at = $4 WHERE room_id = $1 AND id = $2")
            .bind(room.0)
            .bind(id.0)
            .bind(seq.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.notify_room(&mut tx, room, seq, seq).await?;
        let after = self.message_in(&mut tx, room, id).await?;
        tx.commit().await?;
        Ok(Reacted::Done(Box::new(after.map_or(Changed::Gone, Changed::Yes))))
    }

    /// Fills in the reactions of `messages`. Only a message changed since it was created can
    /// have any, so pages of new messages cost no query.
    pub(crate) async fn attach_reactions(conn: &mut AnyConnection, messages: &mut [Message]) -> Result<()> {
        let ids: Vec<i64> = messages
            .iter()
            .filter(|m| m.change_seq > m.seq && !m.is_deleted() && m.system.is_none())
            .map(|m| m.id.0)
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = (1..=ids.len()).map(|k| format!("${k}")).collect();
        let sql = format!(
            "SELECT r.message_id, r.emoji, r.user_id, u.display_name FROM reactions r JOIN users u ON u.id = r.user_id \
             WHERE r.message_id IN ({}) ORDER BY r.message_id, r.created_at, r.user_id",
            list.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(id);
        }
        let mut by_message: HashMap<i64, Vec<Reaction>> = HashMap::new();
        for r in query.fetch_all(&mut *conn).await? {
            let emoji: String = r.try_get("emoji")?;
            let user = UserRef { id: UserId(r.try_get("user_id")?), name: r.try_get("display_name")? };
            let reactions = by_message.entry(r.try_get("message_id")?).or_default();
            match reactions.iter_mut().find(|x| x.emoji == emoji) {
                Some(x) => x.users.push(user),
                None => reactions.push(Reaction { emoji, users: vec![user] }),
            }
        }
        for m in messages.iter_mut() {
            if let Some(reactions) = by_message.remove(&m.id.0) {
                m.reactions = reactions;
            }
        }
        Ok(())
    }

    /// [`Self::attach_reactions`] on a pooled connection, for reads outside a transaction.
    pub(crate) async fn with_reactions(&self, mut messages: Vec<Message>) -> Result<Vec<Message>> {
        if messages.iter().any(|m| m.change_seq > m.seq && !m.is_deleted()) {
            let mut conn = self.pool.acquire().await?;
            Self::attach_reactions(&mut conn, &mut messages).await?;
        }
        Ok(messages)
    }
}
