//! Retention's storage: each room's policy, and removing a room's oldest messages in small
//! batches (with their reactions, mentions, edits, attachments and search entries).

use app::types::{RoomId, Seq};

use super::{Dialect, Result, Storage};

/// A room whose history is trimmed, and from how many days back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trimmed {
    pub room: RoomId,
    pub days: u32,
}

impl Storage {
    /// A room's own policy (`None`: the server's) and how far its history has been removed.
    pub async fn retention_of(&self, room: RoomId) -> Result<(Option<u32>, Seq)> {
        let row: Option<(Option<i64>, i64)> = sqlx::query_as("SELECT retain_days, purged_seq FROM rooms WHERE id = $1")
            .bind(room.0)
            .fetch_optional(&self.pool)
            .await?;
        let (days, purged) = row.unwrap_or((None, 0));
        Ok((days.map(|d| d.clamp(0, i64::from(u32::MAX)) as u32), Seq(purged)))
    }

    /// Sets a room's own policy; other nodes hear of it as a change of the room (with the
    /// commit, as for a rename).
    pub async fn set_retention(&self, room: RoomId, days: Option<u32>) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE rooms SET retain_days = $1 WHERE id = $2")
            .bind(days.map(i64::from))
            .bind(room.0)
            .execute(&mut *tx)
            .await?;
        self.notify_meta(&mut tx, room, &[], &[]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every room that keeps messages for a limited time, given the server's default
    /// (0: forever).
    pub async fn trimmed_rooms(&self, default_days: u32) -> Result<Vec<Trimmed>> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, COALESCE(retain_days, $1) FROM rooms WHERE COALESCE(retain_days, $1) > 0")
                .bind(i64::from(default_days))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(room, days)| Trimmed { room: RoomId(room), days: days.clamp(1, i64::from(u32::MAX)) as u32 })
            .collect())
    }

    /// Removes up to `batch` of the room's oldest messages created before `cutoff` in one
    /// statement; returns the seq the room's history is now removed up to, or `None` when
    /// nothing was old enough. Messages go in seq order, stopping at the first one that is too
    /// new, so what remains is always a suffix of the room's history. Triggers (migrations
    /// sqlite/0014, postgres/0013) take the attachments and SQLite's search entries with them
    /// and move the room's `purged_seq`: one statement never holds SQLite's one connection
    /// while this task waits for the CPU between statements.
    ///
    /// On PostgreSQL the room's row is locked first, as every other change to a room takes it
    /// (the lock order in [`super::rooms`]): the trigger's update of `purged_seq` would
    /// otherwise wait for the room while holding the batch's rows, which a reaction or an
    /// edit holding the room may be waiting for, a deadlock.
    pub async fn purge_batch(&self, room: RoomId, cutoff: i64, batch: u32) -> Result<Option<Seq>> {
        let purge = sqlx::query_scalar::<_, i64>(
            "WITH head AS (SELECT seq, created_at FROM messages WHERE room_id = $1 ORDER BY seq LIMIT $2) \
             DELETE FROM messages WHERE room_id = $1 AND seq <= (SELECT MAX(seq) FROM head \
             WHERE seq < COALESCE((SELECT MIN(seq) FROM head WHERE created_at >= $3), $4)) RETURNING seq",
        )
        .bind(room.0)
        .bind(i64::from(batch))
        .bind(cutoff)
        .bind(i64::MAX);
        let removed = match self.dialect {
            Dialect::Sqlite => purge.fetch_all(&self.pool).await?,
            Dialect::Postgres => {
                let mut tx = self.begin().await?;
                sqlx::query("SELECT id FROM rooms WHERE id = $1 FOR NO KEY UPDATE")
                    .bind(room.0)
                    .execute(&mut *tx)
                    .await?;
                let removed = purge.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                removed
            }
        };
        Ok(removed.into_iter().max().map(Seq))
    }
}
