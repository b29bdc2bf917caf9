//! Attachments and the blobs they name: metadata rows beside their messages, each user's
//! storage use (the quota), and which blobs nothing references any more.

use app::types::{Attachment, MessageId, RoomId, UserId};
use sqlx::Row;

use super::{messages::NewMessage, Result, Storage, Tx};

/// An uploaded file on its way into a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub sha256: String,
    pub name: String,
    pub size: i64,
    pub mime: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumb_mime: Option<String>,
}

impl NewAttachment {
    pub fn shown(&self) -> Attachment {
        Attachment {
            name: self.name.clone(),
            size: self.size,
            mime: self.mime.clone(),
            width: self.width,
            height: self.height,
        }
    }
}

/// What serving a download needs.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub room: RoomId,
    pub sha256: String,
    pub name: String,
    pub mime: String,
    pub thumb_mime: Option<String>,
}

impl Storage {
    /// Records `new`'s attachment (if any) for message `id`, inside its transaction.
    pub(crate) async fn insert_attachment(
        &self,
        tx: &mut Tx,
        new: &NewMessage<'_>,
        id: MessageId,
        now: i64,
    ) -> Result<()> {
        let Some(a) = new.rich.attachment else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO attachments (message_id, room_id, uploader_id, sha256, name, size, mime, width, height, \
             thumb_mime, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.0)
        .bind(new.room.0)
        .bind(new.sender.id.0)
        .bind(&a.sha256)
        .bind(&a.name)
        .bind(a.size)
        .bind(&a.mime)
        .bind(a.width.map(i64::from))
        .bind(a.height.map(i64::from))
        .bind(a.thumb_mime.as_deref())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Bytes of all files `user` has uploaded that are still in a message.
    pub async fn storage_used(&self, user: UserId) -> Result<i64> {
        // PostgreSQL sums BIGINTs as NUMERIC: cast back.
        let used: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments WHERE uploader_id = $1")
                .bind(user.0)
                .fetch_one(&self.pool)
                .await?;
        Ok(used)
    }

    /// Notes that a blob is (about to be) in use.
    pub async fn touch_blob(&self, sha256: &str, size: i64, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO blobs (sha256, size, last_used) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256) DO UPDATE SET last_used = $3",
        )
        .bind(sha256)
        .bind(size)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The attachment of message `id`, if it has one (a deleted message has none).
    pub async fn stored_file(&self, id: MessageId) -> Result<Option<StoredFile>> {
        let row = sqlx::query("SELECT room_id, sha256, name, mime, thumb_mime FROM attachments WHERE message_id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(StoredFile {
                room: RoomId(r.try_get("room_id")?),
                sha256: r.try_get("sha256")?,
                name: r.try_get("name")?,
                mime: r.try_get("mime")?,
                thumb_mime: r.try_get("thumb_mime")?,
            })
        })
        .transpose()
    }

    /// Removes message `id`'s attachment inside its deleting transaction.
    pub(crate) async fn delete_attachment(&self, tx: &mut Tx, id: MessageId) -> Result<()> {
        // Its blob was in use until now, not being placed: collectable at once if nothing
        // else references it (see `unreferenced_blobs`).
        sqlx::query(
            "UPDATE blobs SET last_used = 0 WHERE sha256 IN (SELECT sha256 FROM attachments WHERE message_id = $1)",
        )
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM attachments WHERE message_id = $1").bind(id.0).execute(&mut **tx).await?;
        Ok(())
    }

    /// Blobs no attachment references, last uploaded before `cutoff`. An upload registers its
    /// blob (`touch_blob`) before its message commits; on several nodes sharing the store,
    /// another node's collection must not take it meanwhile, so a blob uploaded since the
    /// cutoff waits for a later collection.
    pub async fn unreferenced_blobs(&self, cutoff: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT b.sha256 FROM blobs b WHERE b.last_used < $1 \
             AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256)",
        )
        .bind(cutoff)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Forgets blob `sha256` if still unreferenced and not uploaded again since `cutoff`;
    /// returns whether it did (then its file can go).
    pub async fn forget_blob(&self, sha256: &str, cutoff: i64) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM blobs WHERE sha256 = $1 AND last_used < $2 \
             AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = $1)",
        )
        .bind(sha256)
        .bind(cutoff)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
