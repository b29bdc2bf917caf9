//! Persistence on SQLite or PostgreSQL through one interface.
//!
//! Queries are written once in the SQL both dialects share (`$n` parameters, `RETURNING`,
//! `ON CONFLICT`) and run on sqlx's `Any` driver; only the migrations differ per dialect
//! (`migrations/sqlite`, `migrations/postgres`), because identity columns and clustered tables
//! are spelled differently. Timestamps are Unix milliseconds; message ids come from
//! [`ids::IdGenerator`].

pub mod ids;

use std::{path::Path, str::FromStr, time::Duration};

use app::types::{
    Message, MessageId, MessageKind, MessagePage, Participant, Role, Room, RoomId, RoomKind, RoomSummary, User, UserId,
};
use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions, AnyRow},
    AnyPool, Executor, Row,
};

use ids::IdGenerator;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A uniqueness rule was broken (e.g. a taken username).
    #[error("already exists")]
    Conflict,
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot prepare the database: {0}")]
    Setup(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// A user row with the password hash, for logging in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// The result of storing a message: the stored copy and whether this call created it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub message: Message,
    pub created: bool,
}

#[derive(Clone, Copy)]
pub struct NewMessage<'a> {
    pub room: RoomId,
    pub sender: &'a User,
    pub kind: MessageKind,
    pub content: &'a str,
    pub client_id: Option<&'a str>,
}

impl NewMessage<'_> {
    /// The message as stored under `id`.
    fn stored(&self, id: i64, created_at: i64) -> Message {
        Message {
            id: MessageId(id),
            room_id: self.room,
            sender_id: self.sender.id,
            sender_name: self.sender.display_name.clone(),
            kind: self.kind,
            content: self.content.to_string(),
            client_id: self.client_id.map(str::to_string),
            created_at,
            edited_at: None,
        }
    }
}

pub struct Storage {
    pool: AnyPool,
    ids: IdGenerator,
    /// SQLite files: the background checkpointer (see [`checkpoint_loop`]).
    checkpointer: Option<tokio::task::JoinHandle<()>>,
}

/// How often the WAL is copied back into an SQLite database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies the WAL into the database file from a connection of its own, once a second.
///
/// SQLite's automatic checkpoint runs on the committing connection every 1,000 pages and
/// ends with an fsync: with one connection that stalled every writer for milliseconds, a
/// few times a second under load (the benchmark's p99). A PASSIVE checkpoint here never
/// blocks the writer; the automatic one stays on, at a larger size, as a safety net.
async fn checkpoint_loop(options: AnyConnectOptions) {
    use sqlx::Connection;
    let mut conn = match sqlx::AnyConnection::connect_with(&options).await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "no background checkpointer; SQLite checkpoints inline");
            return;
        }
    };
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "background checkpoint failed");
        }
    }
}

const USER_COLS: &str = "u.id AS user_id, u.username, u.display_name";
const MESSAGE_COLS: &str = "m.id, m.room_id, m.sender_id, u.display_name AS sender_name, m.kind, m.content, \
                            m.client_id, m.created_at, m.edited_at";

impl Storage {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:` or `postgres://…`), creating the
    /// SQLite file and its directory if needed, and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            return Err(StorageError::Setup(format!(
                "unsupported DATABASE_URL scheme in {url:?}: use sqlite:// or postgres://"
            )));
        };
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let url = match dialect {
            Dialect::Sqlite if !memory => prepare_sqlite_file(url)?,
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        pool = match (dialect, memory) {
            // One connection that never idles out, or the in-memory database vanishes.
            (Dialect::Sqlite, true) => pool.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None),
            // One connection: SQLite has one writer anyway, and a connection's page cache is
            // dropped whenever another connection has written, so several connections taking
            // turns re-read pages all the time (measured: a third more CPU per message).
            (Dialect::Sqlite, false) => pool.max_connections(1),
            (Dialect::Postgres, _) => pool.max_connections(16),
        };
        if dialect == Dialect::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options.clone()).await?;
        match dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let checkpointer = (dialect == Dialect::Sqlite && !memory).then(|| tokio::spawn(checkpoint_loop(options)));
        let storage = Self { pool, ids: IdGenerator::default(), checkpointer };
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM messages").fetch_one(&storage.pool).await?;
        storage.ids.observe(max.unwrap_or(0));
        Ok(storage)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        if let Some(task) = &self.checkpointer {
            task.abort();
        }
        self.pool.close().await;
    }

    /// A trivial query, for health checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // ---- accounts -------------------------------------------------------------------------

    pub async fn create_user(&self, username: &str, display_name: &str, password_hash: &str, now: i64) -> Result<User> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(username)
        .bind(display_name)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(conflict_or_db)?;
        Ok(User { id: UserId(id), username: username.to_string(), display_name: display_name.to_string() })
    }

    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.username = $1"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Credentials { user: user_from(&r)?, password_hash: r.try_get("password_hash")? })).transpose()
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    /// People whose username or display name contains `needle` (already lower-cased).
    pub async fn search_users(&self, needle: &str, exclude: UserId, limit: i64) -> Result<Vec<User>> {
        let pattern = format!("%{}%", escape_like(needle));
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users u \
             WHERE u.id <> $1 AND (u.username LIKE $2 ESCAPE '\\' OR LOWER(u.display_name) LIKE $2 ESCAPE '\\') \
             ORDER BY u.username LIMIT $3"
        ))
        .bind(exclude.0)
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from).collect()
    }

    pub async fn create_session(&self, token_hash: &str, user: UserId, now: i64, expires_at: i64) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user.0)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    // ---- rooms ----------------------------------------------------------------------------

    /// The private room of two users, created (with both as members) on first use.
    pub async fn open_private_room(&self, a: UserId, b: UserId, now: i64) -> Result<RoomId> {
        let key = format!("{}:{}", a.0.min(b.0), a.0.max(b.0));
        let mut tx = self.pool.begin().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO rooms (name, kind, private_key, created_at, updated_at) VALUES (NULL, 'PRIVATE', $1, $2, $2) \
             ON CONFLICT (private_key) DO NOTHING RETURNING id",
        )
        .bind(&key)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let room = match inserted {
            Some(id) => id,
            None => {
                sqlx::query_scalar("SELECT id FROM rooms WHERE private_key = $1").bind(&key).fetch_one(&mut *tx).await?
            }
        };
        for user in [a, b] {
            sqlx::query(
                "INSERT INTO participants (room_id, user_id, role, joined_at) VALUES ($1, $2, 'member', $3) \
                 ON CONFLICT (room_id, user_id) DO NOTHING",
            )
            .bind(room)
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(RoomId(room))
    }

    /// A new group owned by `owner` with `members` (unknown ids are refused as `NotFound`).
    pub async fn create_group(&self, owner: UserId, name: &str, members: &[UserId], now: i64) -> Result<RoomId> {
        let mut tx = self.pool.begin().await?;
        let room: i64 = sqlx::query_scalar(
            "INSERT INTO rooms (name, kind, created_at, updated_at) VALUES ($1, 'GROUP', $2, $2) RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        add_participant(&mut tx, room, owner, Role::Owner, now).await?;
        for &m in members.iter().filter(|&&m| m != owner) {
            add_participant(&mut tx, room, m, Role::Member, now).await?;
        }
        tx.commit().await?;
        Ok(RoomId(room))
    }

    /// Adds members to a room; returns those who were not in it already.
    pub async fn add_participants(&self, room: RoomId, users: &[UserId], now: i64) -> Result<Vec<UserId>> {
        let mut tx = self.pool.begin().await?;
        let mut added = Vec::new();
        for &u in users {
            if add_participant(&mut tx, room.0, u, Role::Member, now).await? {
                added.push(u);
            }
        }
        sqlx::query("UPDATE rooms SET updated_at = $2 WHERE id = $1").bind(room.0).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Removes a member. When an owner leaves, the longest-standing remaining member becomes
    /// owner, so a group is never left unmanageable.
    pub async fn remove_participant(&self, room: RoomId, user: UserId, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM participants WHERE room_id = $1 AND user_id = $2")
                .bind(room.0)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(role) = role else {
            return Err(StorageError::NotFound);
        };
        sqlx::query("DELETE FROM participants WHERE room_id = $1 AND user_id = $2")
            .bind(room.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        if role == Role::Owner.as_str() {
            let has_owner: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM participants WHERE room_id = $1 AND role = 'owner'")
                    .bind(room.0)
                    .fetch_one(&mut *tx)
                    .await?;
            if has_owner == 0 {
                sqlx::query(
                    "UPDATE participants SET role = 'owner' WHERE room_id = $1 AND user_id = \
                     (SELECT user_id FROM participants WHERE room_id = $1 ORDER BY role = 'admin' DESC, joined_at, user_id LIMIT 1)",
                )
                .bind(room.0)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("UPDATE rooms SET updated_at = $2 WHERE id = $1").bind(room.0).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn rename_room(&self, room: RoomId, name: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE rooms SET name = $2, updated_at = $3 WHERE id = $1")
            .bind(room.0)
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn room(&self, room: RoomId) -> Result<Option<Room>> {
        let row = sqlx::query("SELECT id, name, kind, created_at, updated_at FROM rooms WHERE id = $1")
            .bind(room.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(room_from).transpose()
    }

    /// The caller's role in a room, or `None` when not a member: the authorization check.
    pub async fn role(&self, room: RoomId, user: UserId) -> Result<Option<Role>> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM participants WHERE room_id = $1 AND user_id = $2")
                .bind(room.0)
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(role.as_deref().and_then(Role::parse))
    }

    pub async fn room_ids_for_user(&self, user: UserId) -> Result<Vec<RoomId>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT room_id FROM participants WHERE user_id = $1")
            .bind(user.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().map(RoomId).collect())
    }

    pub async fn member_ids(&self, room: RoomId) -> Result<Vec<UserId>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM participants WHERE room_id = $1")
            .bind(room.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    pub async fn participants(&self, room: RoomId) -> Result<Vec<Participant>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS}, p.role, p.joined_at, p.last_read_message_id FROM participants p \
             JOIN users u ON u.id = p.user_id WHERE p.room_id = $1 ORDER BY p.joined_at, u.id"
        ))
        .bind(room.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(Participant {
                    user: user_from(r)?,
                    role: Role::parse(&role).ok_or_else(|| bad_column("role", &role))?,
                    joined_at: r.try_get("joined_at")?,
                    last_read: r.try_get::<Option<i64>, _>("last_read_message_id")?.map(MessageId),
                })
            })
            .collect()
    }

    /// A user's rooms with title, last message and unread count, most recent activity first.
    /// `only` narrows the list to one room.
    pub async fn room_summaries(&self, me: UserId, only: Option<RoomId>) -> Result<Vec<RoomSummary>> {
        let rows = sqlx::query(
            "SELECT r.id, r.name, r.kind, r.created_at, r.updated_at, \
                (SELECT COUNT(*) FROM messages c WHERE c.room_id = r.id \
                    AND c.id > COALESCE(p.last_read_message_id, 0) AND c.sender_id <> p.user_id \
                    AND c.deleted_at IS NULL) AS unread, \
                (SELECT MAX(l.id) FROM messages l WHERE l.room_id = r.id AND l.deleted_at IS NULL) AS last_id, \
                peer.id AS peer_id, peer.username AS peer_username, peer.display_name AS peer_display_name \
             FROM participants p \
             JOIN rooms r ON r.id = p.room_id \
             LEFT JOIN participants pp ON r.kind = 'PRIVATE' AND pp.room_id = r.id AND pp.user_id <> p.user_id \
             LEFT JOIN users peer ON peer.id = pp.user_id \
             WHERE p.user_id = $1 AND ($2 = 0 OR r.id = $2)",
        )
        .bind(me.0)
        .bind(only.map_or(0, |r| r.0))
        .fetch_all(&self.pool)
        .await?;
        let mut summaries = Vec::with_capacity(rows.len());
        for r in &rows {
            let room = room_from(r)?;
            let peer = match r.try_get::<Option<i64>, _>("peer_id")? {
                Some(id) => Some(User {
                    id: UserId(id),
                    username: r.try_get("peer_username")?,
                    display_name: r.try_get("peer_display_name")?,
                }),
                None => None,
            };
            let last_message = match r.try_get::<Option<i64>, _>("last_id")? {
                Some(id) => self.message(RoomId(room.id.0), MessageId(id)).await?,
                None => None,
            };
            let title = match (&room.name, &peer) {
                (Some(name), _) => name.clone(),
                (None, Some(peer)) => peer.display_name.clone(),
                (None, None) => "Just you".to_string(),
            };
            summaries.push(RoomSummary { room, title, peer, last_message, unread: r.try_get("unread")? });
        }
        summaries.sort_by_key(|s| {
            std::cmp::Reverse(
                s.last_message.as_ref().map_or(s.room.updated_at, |m| m.created_at.max(s.room.updated_at)),
            )
        });
        Ok(summaries)
    }

    // ---- messages -------------------------------------------------------------------------

    /// Stores a message exactly once per `(sender, client_id)`: a retry returns the original.
    pub async fn insert_message(&self, new: NewMessage<'_>, now: i64) -> Result<Stored> {
        self.insert_messages(&[new], now).await?.pop().ok_or(StorageError::NotFound)
    }

    /// Stores messages in one statement and one commit (group commit). Rows get ids in batch
    /// order, so their order is the batch's. `ON CONFLICT DO NOTHING` detects a retried
    /// `client_id`; only then is the original read back. Each result says whether this call
    /// created the message.
    pub async fn insert_messages(&self, batch: &[NewMessage<'_>], now: i64) -> Result<Vec<Stored>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let sql = insert_messages_sql(batch.len());
        // A collision on the id itself is only possible between nodes; take new ids then.
        for _ in 0..3 {
            let rows: Vec<(i64, i64)> = batch
                .iter()
                .map(|_| {
                    let id = self.ids.next(now);
                    (id, IdGenerator::millis_of(id).max(now))
                })
                .collect();
            let mut query = sqlx::query_scalar::<_, i64>(&sql);
            for (new, &(id, created_at)) in batch.iter().zip(&rows) {
                query = query
                    .bind(new.room.0)
                    .bind(id)
                    .bind(new.sender.id.0)
                    .bind(new.kind.as_str())
                    .bind(new.content)
                    .bind(new.client_id)
                    .bind(created_at);
            }
            let inserted: std::collections::HashSet<i64> = match query.fetch_all(&self.pool).await {
                Ok(ids) => ids.into_iter().collect(),
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            };
            let mut out = Vec::with_capacity(batch.len());
            for (new, &(id, created_at)) in batch.iter().zip(&rows) {
                if inserted.contains(&id) {
                    out.push(Stored { message: new.stored(id, created_at), created: true });
                } else {
                    let client_id = new.client_id.unwrap_or_default();
                    let existing = self.message_by_client_id(new.sender.id, client_id).await?;
                    out.push(Stored { message: existing.ok_or(StorageError::NotFound)?, created: false });
                }
            }
            return Ok(out);
        }
        Err(StorageError::Conflict)
    }

    async fn message_by_client_id(&self, sender: UserId, client_id: &str) -> Result<Option<Message>> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM messages m JOIN users u ON u.id = m.sender_id \
             WHERE m.sender_id = $1 AND m.client_id = $2"
        ))
        .bind(sender.0)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(message_from).transpose()
    }

    pub async fn message(&self, room: RoomId, id: MessageId) -> Result<Option<Message>> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM messages m JOIN users u ON u.id = m.sender_id \
             WHERE m.room_id = $1 AND m.id = $2"
        ))
        .bind(room.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(message_from).transpose()
    }

    /// One page of a room's history, oldest first. Without `after` it is the newest `limit`
    /// messages below `before`; with only `after`, the oldest `limit` messages above it.
    pub async fn history(
        &self,
        room: RoomId,
        before: Option<MessageId>,
        after: Option<MessageId>,
        limit: u32,
    ) -> Result<MessagePage> {
        let forward = after.is_some() && before.is_none();
        let order = if forward { "ASC" } else { "DESC" };
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM messages m JOIN users u ON u.id = m.sender_id \
             WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3 AND m.deleted_at IS NULL \
             ORDER BY m.id {order} LIMIT $4"
        ))
        .bind(room.0)
        .bind(after.map_or(0, |a| a.0))
        .bind(before.map_or(i64::MAX, |b| b.0))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let has_more = rows.len() > limit as usize;
        let mut messages = rows.iter().take(limit as usize).map(message_from).collect::<Result<Vec<_>>>()?;
        if !forward {
            messages.reverse();
        }
        Ok(MessagePage { messages, has_more })
    }

    /// Moves the read marker forward (never back).
    pub async fn mark_read(&self, room: RoomId, user: UserId, message: MessageId, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE participants SET last_read_message_id = $3, last_seen_at = $4 \
             WHERE room_id = $1 AND user_id = $2 \
             AND (last_read_message_id IS NULL OR last_read_message_id < $3)",
        )
        .bind(room.0)
        .bind(user.0)
        .bind(message.0)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

async fn add_participant(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    room: i64,
    user: UserId,
    role: Role,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO participants (room_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (room_id, user_id) DO NOTHING",
    )
    .bind(room)
    .bind(user.0)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| if is_foreign_key_violation(&e) { StorageError::NotFound } else { StorageError::Db(e) })?;
    Ok(done.rows_affected() > 0)
}

/// `INSERT … VALUES (…), (…) … RETURNING id` for `rows` messages, seven parameters each.
fn insert_messages_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let p = i * 7;
            format!("(${}, ${}, ${}, ${}, ${}, ${}, ${t}, ${t})", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, t = p + 7)
        })
        .collect();
    format!(
        "INSERT INTO messages (room_id, id, sender_id, kind, content, client_id, created_at, updated_at) VALUES {} \
         ON CONFLICT (sender_id, client_id) DO NOTHING RETURNING id",
        values.join(", ")
    )
}

fn prepare_sqlite_file(url: &str) -> Result<String> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or(rest);
    if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StorageError::Setup(format!("cannot create {}: {e}", dir.display())))?;
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

fn conflict_or_db(e: sqlx::Error) -> StorageError {
    if is_unique_violation(&e) {
        StorageError::Conflict
    } else {
        StorageError::Db(e)
    }
}

fn bad_column(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {column} {value:?}").into())
}

fn user_from(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: UserId(r.try_get("user_id")?),
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
    })
}

fn room_from(r: &AnyRow) -> Result<Room> {
    let kind: String = r.try_get("kind")?;
    Ok(Room {
        id: RoomId(r.try_get("id")?),
        name: r.try_get("name")?,
        kind: RoomKind::parse(&kind).ok_or_else(|| bad_column("kind", &kind))?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn message_from(r: &AnyRow) -> Result<Message> {
    let kind: String = r.try_get("kind")?;
    Ok(Message {
        id: MessageId(r.try_get("id")?),
        room_id: RoomId(r.try_get("room_id")?),
        sender_id: UserId(r.try_get("sender_id")?),
        sender_name: r.try_get("sender_name")?,
        kind: MessageKind::parse(&kind).ok_or_else(|| bad_column("kind", &kind))?,
        content: r.try_get("content")?,
        client_id: r.try_get("client_id")?,
        created_at: r.try_get("created_at")?,
        edited_at: r.try_get("edited_at")?,
    })
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Some(task) = &self.checkpointer {
            task.abort();
        }
    }
}
