//! Persistence on SQLite or PostgreSQL through one interface, one module per domain
//! ([`accounts`], [`rooms`], [`messages`]); this module owns the connection, the change log's
//! shared steps and the row mappers.
//!
//! Queries are written once in the SQL both dialects share (`$n` parameters, `RETURNING`,
//! `ON CONFLICT`) and run on sqlx's `Any` driver. What truly differs per dialect: the
//! migrations (`migrations/sqlite`, `migrations/postgres`), where message ids come from (see
//! [`Storage::take_ids`]) and PostgreSQL's `NOTIFY` inside each committing transaction.
//!
//! The change log: every change to what a room shows runs in a transaction that first takes
//! the room's next seqs ([`Storage::take_seqs`], an `UPDATE … RETURNING` that row-locks the
//! room until the commit), so seq order is commit order with any number of writers.
//! Timestamps are Unix milliseconds.

pub mod accounts;
pub mod edits;
pub mod files;
pub mod ids;
pub mod messages;
pub mod reactions;
pub mod retention;
pub mod rooms;
pub mod search;

use std::{path::PathBuf, str::FromStr, time::Duration};

use app::types::{
    Attachment, Message, MessageId, MessageKind, Quote, Room, RoomId, RoomKind, Seq, SystemEvent, User, UserId,
};
use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions, AnyRow},
    AnyPool, Executor, Row,
};

use crate::{bus::CHANNEL, events::NodeId};
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
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

pub struct Storage {
    pool: AnyPool,
    dialect: Dialect,
    /// SQLite only: one process owns the file, so ids come from memory (see [`Self::take_ids`]).
    ids: IdGenerator,
    /// PostgreSQL: this node's name in the notices sent inside transactions.
    node: NodeId,
    /// SQLite files: the background checkpointer (see [`checkpoint_loop`]).
    checkpointer: Option<tokio::task::JoinHandle<()>>,
    /// How a search that no index narrows reads messages (see `search::SCAN_WINDOW`).
    scan: search::ScanLimits,
}

/// How often the WAL is copied back into an SQLite database file. A checkpoint's cost grows
/// with the frames appended since the last one, and it lands on the one core the writer and
/// the fan-out share: in the fan-out benchmark (about 6,000 frames a second) a checkpoint once
/// a second stalled deliveries for a few milliseconds each time, and that stall was most of
/// p99 (2.7–3.5 ms; 1.8 ms with no checkpoints at all). Ten small ones a second keep each
/// stall short (README, Performance). Every 5 s was far worse (p99 10 ms).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// The WAL's length, in pages, from which the writer's own connection finishes a checkpoint.
const FINISH_AT_PAGES: i64 = 300;

/// Copies the WAL into the database file from a connection of its own, ten times a second,
/// and keeps the WAL short.
///
/// SQLite's automatic checkpoint runs on the committing connection and ends with an fsync:
/// with one connection that stalled the writer (the benchmark's p99). A PASSIVE checkpoint
/// from another connection never blocks the writer, but SQLite starts the WAL over only when
/// a write transaction begins with every page already copied, which under steady load almost
/// never happens (the writer commits while this loop copies). The WAL then grew to the
/// automatic checkpoint's 10,000 pages (40 MB), and the writer ran that one itself. So once
/// the WAL is [`FINISH_AT_PAGES`] long, the writer's own connection (the pool's) copies the
/// pages appended during this loop's pass, a few milliseconds, and its next commit starts the
/// WAL over. Over 60 s of the fan-out benchmark: p99 4.8–5.0 ms, against 6.6–6.8 without it.
async fn checkpoint_loop(options: AnyConnectOptions, pool: AnyPool) {
    use sqlx::Connection;
    let mut conn = match sqlx::AnyConnection::connect_with(&options).await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "no background checkpointer; SQLite checkpoints inline");
            return;
        }
    };
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    // On a disk whose fsync is slower than the interval, the next pass waits its turn rather
    // than following at once to catch up.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // (busy, pages in the WAL, pages copied into the database)
        let (_, log, _): (i64, i64, i64) =
            match sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut conn).await {
                Ok(row) => row,
                Err(e) => {
                    tracing::warn!(error = %e, "background checkpoint failed");
                    continue;
                }
            };
        if log >= FINISH_AT_PAGES {
            let started = std::time::Instant::now();
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await {
                Ok((_, log, copied)) => {
                    tracing::debug!(log, copied, took = ?started.elapsed(), "checkpoint finished on the writer's connection")
                }
                Err(e) => tracing::warn!(error = %e, "finishing a checkpoint failed"),
            }
        }
    }
}

const USER_COLS: &str = "u.id AS user_id, u.username, u.display_name";
const MESSAGE_COLS: &str = "m.id, m.room_id, m.seq, m.change_seq, m.sender_id, u.display_name AS sender_name, m.kind, \
                            m.content, m.client_id, m.created_at, m.edited_at, m.deleted_at, m.html, m.mentions, \
                            m.reply_to, q.sender_id AS q_sender_id, qu.display_name AS q_sender_name, \
                            COALESCE(NULLIF(SUBSTR(q.content, 1, 201), ''), qa.name) AS q_content, q.html AS q_html, \
                            q.deleted_at AS q_deleted_at, \
                            a.name AS a_name, a.size AS a_size, a.mime AS a_mime, a.width AS a_width, \
                            a.height AS a_height";
/// Messages with their senders, attachments and, for replies, the replied-to message as it is
/// now (an uncaptioned file is quoted by its name).
const MESSAGE_FROM: &str = "messages m JOIN users u ON u.id = m.sender_id \
                            LEFT JOIN messages q ON q.room_id = m.room_id AND q.id = m.reply_to \
                            LEFT JOIN users qu ON qu.id = q.sender_id \
                            LEFT JOIN attachments qa ON qa.message_id = q.id \
                            LEFT JOIN attachments a ON a.message_id = m.id";

impl Storage {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:` or `postgres://…`), creating the
    /// SQLite file and its directory if needed, and applies pending migrations. `node` names
    /// this process in cross-node notices.
    pub async fn connect(url: &str, node: NodeId) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = dialect_of(url).ok_or_else(|| {
            StorageError::Setup(format!("unsupported DATABASE_URL scheme in {url:?}: use sqlite:// or postgres://"))
        })?;
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let url = match dialect {
            Dialect::Sqlite if !memory => prepare_sqlite_file(url)?,
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        pool = match (dialect, memory) {
            // One connection that never idles out, or the in-memory database vanishes.
            (Dialect::Sqlite, true) => pool
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .test_before_acquire(false),
            // One connection: SQLite has one writer anyway, and a connection's page cache is
            // dropped whenever another connection has written, so several connections taking
            // turns re-read pages all the time (measured: a third more CPU per message).
            // No ping before each use either: sqlx's default costs every statement a second
            // round trip to the connection's worker thread, and a file does not drop a
            // connection the way a network does.
            (Dialect::Sqlite, false) => pool.max_connections(1).test_before_acquire(false),
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
        check_search_support(&pool, dialect).await?;
        match dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let checkpointer =
            (dialect == Dialect::Sqlite && !memory).then(|| tokio::spawn(checkpoint_loop(options, pool.clone())));
        let scan = search::ScanLimits::default();
        let storage = Self { pool, dialect, ids: IdGenerator::default(), node, checkpointer, scan };
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM messages").fetch_one(&storage.pool).await?;
        storage.ids.observe(max.unwrap_or(0));
        Ok(storage)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub async fn close(&self) {
        if let Some(task) = &self.checkpointer {
            task.abort();
        }
        self.pool.close().await;
    }

    /// The database's size on disk (SQLite: its pages; PostgreSQL: `pg_database_size`).
    pub async fn database_bytes(&self) -> Result<u64> {
        let sql = match self.dialect {
            Dialect::Sqlite => "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            Dialect::Postgres => "SELECT pg_database_size(current_database())",
        };
        let bytes: i64 = sqlx::query_scalar(sql).fetch_one(&self.pool).await?;
        Ok(bytes.max(0) as u64)
    }

    /// A trivial query, for health checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx> {
        Ok(self.pool.begin().await?)
    }

    // ---- the change log's shared steps ------------------------------------------------------

    /// Takes `n` message ids inside `tx`; returns the first (the rest follow it). Ids are
    /// time-sortable (see [`ids`]) and taken in commit order:
    ///
    /// - PostgreSQL, any number of nodes: one counter row, raised to at least the clock's
    ///   floor. Its row lock is held until the commit, so no two nodes' ids interleave and no
    ///   clock skew can order a later commit's id before an earlier one's.
    /// - SQLite: one process owns the file and its single connection serializes transactions,
    ///   so an in-memory generator seeded from the largest stored id does the same for free.
    pub async fn take_ids(&self, tx: &mut Tx, n: usize, now: i64) -> Result<i64> {
        let n = n as i64;
        match self.dialect {
            Dialect::Sqlite => Ok(self.ids.next_block(now, n)),
            Dialect::Postgres => {
                let floor = IdGenerator::floor(now) + n - 1;
                let last: i64 = sqlx::query_scalar(
                    "UPDATE id_counter SET last_id = CASE WHEN last_id + $1 > $2 THEN last_id + $1 ELSE $2 END \
                     WHERE id = 1 RETURNING last_id",
                )
                .bind(n)
                .bind(floor)
                .fetch_one(&mut **tx)
                .await?;
                Ok(last - n + 1)
            }
        }
    }

    /// Takes the room's next `n` seqs inside `tx`; returns the first. The row stays locked
    /// until the commit, which is what makes seq order commit order.
    pub async fn take_seqs(&self, tx: &mut Tx, room: RoomId, n: usize) -> Result<Seq> {
        let last: Option<i64> =
            sqlx::query_scalar("UPDATE rooms SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq")
                .bind(room.0)
                .bind(n as i64)
                .fetch_optional(&mut **tx)
                .await?;
        Ok(Seq(last.ok_or(StorageError::NotFound)? - n as i64 + 1))
    }

    /// PostgreSQL: tells the other nodes, inside the committing transaction, that the room
    /// changed (seqs `first..=last`). The notice is delivered exactly when the commit succeeds.
    pub async fn notify_room(&self, tx: &mut Tx, room: RoomId, first: Seq, last: Seq) -> Result<()> {
        let event = crate::events::Event::Room(crate::events::RoomChange {
            room,
            first_seq: first,
            last_seq: last,
            messages: Vec::new(),
        });
        self.notify(tx, &event).await
    }

    /// PostgreSQL: as [`Self::notify_room`], for a change of name or membership.
    pub async fn notify_meta(&self, tx: &mut Tx, room: RoomId, added: &[UserId], removed: &[UserId]) -> Result<()> {
        let event = crate::events::Event::RoomMeta { room, added: added.to_vec(), removed: removed.to_vec() };
        self.notify(tx, &event).await
    }

    async fn notify(&self, tx: &mut Tx, event: &crate::events::Event) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(event.notice(&self.node).to_json())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Writes a system line ("Bob left") into the room's timeline inside `tx`, at the room's
    /// next seq.
    pub async fn append_system(
        &self,
        tx: &mut Tx,
        room: RoomId,
        actor: &User,
        event: SystemEvent,
        now: i64,
    ) -> Result<Message> {
        let id = self.take_ids(tx, 1, now).await?;
        let seq = self.take_seqs(tx, room, 1).await?;
        let content = serde_json::to_string(&event).map_err(|e| StorageError::Setup(e.to_string()))?;
        let created_at = IdGenerator::millis_of(id).max(now);
        sqlx::query(
            "INSERT INTO messages (room_id, id, seq, change_seq, sender_id, kind, content, created_at, updated_at) \
             VALUES ($1, $2, $3, $3, $4, 'SYSTEM', $5, $6, $6)",
        )
        .bind(room.0)
        .bind(id)
        .bind(seq.0)
        .bind(actor.id.0)
        .bind(&content)
        .bind(created_at)
        .execute(&mut **tx)
        .await?;
        self.notify_room(tx, room, seq, seq).await?;
        Ok(Message {
            id: MessageId(id),
            room_id: room,
            sender_id: actor.id,
            sender_name: actor.display_name.clone(),
            kind: MessageKind::System,
            content: event.describe(&actor.display_name),
            client_id: None,
            created_at,
            edited_at: None,
            deleted_at: None,
            seq,
            change_seq: seq,
            system: Some(event),
            ..Message::default()
        })
    }
}

/// Search needs SQLite 3.43 (FTS5 trigram tables whose rows can be deleted); the bundled one
/// is newer, a system SQLite may not be. PostgreSQL's pg_trgm indexes Thai (and other
/// non-ASCII letters) only when the database's character type is UTF-8.
async fn check_search_support(pool: &AnyPool, dialect: Dialect) -> Result<()> {
    match dialect {
        Dialect::Sqlite => {
            let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(pool).await?;
            let parts: Vec<u32> = version.split('.').filter_map(|p| p.parse().ok()).collect();
            if parts.as_slice() < [3, 43].as_slice() {
                return Err(StorageError::Setup(format!(
                    "search needs SQLite 3.43 or newer (FTS5 trigram tables), but this build links SQLite {version}"
                )));
            }
        }
        Dialect::Postgres => {
            let ctype: String = sqlx::query_scalar("SHOW lc_ctype").fetch_one(pool).await?;
            let lower = ctype.to_ascii_lowercase();
            if !(lower.contains("utf-8") || lower.contains("utf8")) {
                tracing::warn!(
                    lc_ctype = %ctype,
                    "this database's LC_CTYPE is not UTF-8: pg_trgm cannot index Thai and other non-ASCII text, \
                     so searching it scans instead of using the index (create the database with a UTF-8 locale, \
                     e.g. --locale=C.UTF-8)"
                );
            }
        }
    }
    Ok(())
}

pub fn dialect_of(url: &str) -> Option<Dialect> {
    if url.starts_with("sqlite:") {
        Some(Dialect::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Some(Dialect::Postgres)
    } else {
        None
    }
}

/// The file of a `sqlite:` URL (`None` for another database or an in-memory one).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if dialect_of(url) != Some(Dialect::Sqlite) || url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    Some(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
}

fn prepare_sqlite_file(url: &str) -> Result<String> {
    let path = sqlite_path(url).unwrap_or_default();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
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
    let kind = MessageKind::parse(&kind).ok_or_else(|| bad_column("kind", &kind))?;
    let sender_name: String = r.try_get("sender_name")?;
    let mut content: String = r.try_get("content")?;
    let system = match kind {
        MessageKind::System => {
            let event: SystemEvent = serde_json::from_str(&content).map_err(|_| bad_column("system line", &content))?;
            content = event.describe(&sender_name);
            Some(event)
        }
        _ => None,
    };
    let mentions = match r.try_get::<Option<String>, _>("mentions")? {
        Some(json) => serde_json::from_str(&json).map_err(|_| bad_column("mentions", &json))?,
        None => StoredMentions::default(),
    };
    let reply_to = match (r.try_get::<Option<i64>, _>("reply_to")?, r.try_get::<Option<i64>, _>("q_sender_id")?) {
        (Some(id), Some(sender)) => {
            let deleted = r.try_get::<Option<i64>, _>("q_deleted_at")?.is_some();
            let text: Option<String> = r.try_get("q_content")?;
            let html: Option<String> = r.try_get("q_html")?;
            Some(Quote {
                id: MessageId(id),
                sender_id: UserId(sender),
                sender_name: r.try_get("q_sender_name")?,
                content: Quote::content_of(deleted, html.as_deref(), &text.unwrap_or_default()),
                deleted,
            })
        }
        _ => None,
    };
    let attachment = match r.try_get::<Option<String>, _>("a_name")? {
        Some(name) => Some(Attachment {
            name,
            size: r.try_get("a_size")?,
            mime: r.try_get("a_mime")?,
            width: r.try_get::<Option<i64>, _>("a_width")?.map(|w| w as u32),
            height: r.try_get::<Option<i64>, _>("a_height")?.map(|h| h as u32),
        }),
        None => None,
    };
    Ok(Message {
        id: MessageId(r.try_get("id")?),
        room_id: RoomId(r.try_get("room_id")?),
        sender_id: UserId(r.try_get("sender_id")?),
        sender_name,
        kind,
        content,
        client_id: r.try_get("client_id")?,
        created_at: r.try_get("created_at")?,
        edited_at: r.try_get("edited_at")?,
        deleted_at: r.try_get("deleted_at")?,
        seq: Seq(r.try_get("seq")?),
        change_seq: Seq(r.try_get("change_seq")?),
        system,
        html: r.try_get("html")?,
        reply_to,
        mentions: mentions.users,
        mentions_room: mentions.room,
        reactions: Vec::new(),
        attachment,
    })
}

/// The `mentions` column: who a message's text mentions (JSON, absent when nobody).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StoredMentions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub room: bool,
}

impl StoredMentions {
    /// The column's value: `None` when nobody is mentioned.
    pub fn to_column(users: &[UserId], room: bool) -> Option<String> {
        (room || !users.is_empty()).then(|| serde_json::json!({"users": users, "room": room}).to_string())
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Some(task) = &self.checkpointer {
            task.abort();
        }
    }
}
