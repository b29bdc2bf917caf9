//! Search queries: substring matches on `messages.search_text` in the searcher's rooms,
//! newest first. The index is the true dialect difference: SQLite narrows terms of 3 or more
//! characters with its FTS5 trigram table and checks every term with `instr`; PostgreSQL
//! checks every term with `LIKE`, which its pg_trgm GIN index serves. Both compare the same
//! text, folded by the server (`service::search::normalize`), so they find the same messages.
//! Without a term an index can narrow (every term shorter than 3 characters, or only a sender
//! or a kind), both read the messages newest first; SQLite a window at a time, and only so
//! many for one page ([`SCAN_WINDOW`], [`SCAN_BUDGET`]). SQLite does the same in one room for
//! a term in over 2,000 messages, which scanning the room finds sooner than the index.

use std::sync::atomic::{AtomicI64, Ordering};

use app::types::{Message, MessageId, MessageKind, RoomId, UserId};
use sqlx::Row;

use super::{
    escape_like, ids::IdGenerator, message_from, Dialect, Result, Storage, StorageError, MESSAGE_COLS, MESSAGE_FROM,
};

/// What to look for; `terms` are folded already (see `service::search::normalize`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub terms: Vec<String>,
    pub room: Option<RoomId>,
    pub from: Option<UserId>,
    /// Unix milliseconds: created at or after, and before.
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub kind: Option<MessageKind>,
    /// Older than this message (keyset pagination).
    pub cursor: Option<MessageId>,
}

/// Matches beyond which a term counts as common (see [`Storage::search`]).
const COMMON_MATCHES: i64 = 2000;

/// The shortest term the trigram indexes can narrow.
const INDEXED_TERM_CHARS: usize = 3;

/// SQLite: messages a search that no index narrows reads per statement, newest first. A short
/// term found in few messages made one statement read every message, holding SQLite's one
/// connection (3.0–4.8 s for a million messages) while the message writer waited; read a
/// window at a time, the writer commits between windows (about 30 ms each at a million).
pub const SCAN_WINDOW: i64 = 10_000;

/// The first window of such a search. A common short term fills a page within the newest few
/// hundred messages, and finding a window's lower bound reads the whole window (1 ms for
/// 10,000). Each next window is four times larger, up to [`SCAN_WINDOW`].
const FIRST_WINDOW: i64 = 250;

/// SQLite: messages such a search reads for one page at most, by default
/// (`--search-read-limit`; about 0.6 s here). Past it, the page ends with what it found and
/// says how far back it read ([`Page::read_back_to`]), and the next page reads on. A term found
/// nowhere would otherwise keep the searcher waiting about 3 s per million messages for an
/// empty answer.
pub const SCAN_BUDGET: i64 = 200_000;

/// A page of matches, each with the room's title as the searcher sees it.
#[derive(Debug, Default)]
pub struct Page {
    pub hits: Vec<(Message, String)>,
    /// Set when the search read its budget of messages without filling the page: it read
    /// every message from this one on, and none before it.
    pub read_back_to: Option<ReadTo>,
}

/// Where a search stopped reading: the oldest message it read, and when that was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadTo {
    pub id: MessageId,
    pub created_at: i64,
}

/// The scan's window and budget: [`SCAN_WINDOW`] and [`SCAN_BUDGET`] unless
/// `--search-read-limit` or a test sets them.
#[derive(Debug)]
pub(super) struct ScanLimits {
    window: AtomicI64,
    budget: AtomicI64,
}

impl Default for ScanLimits {
    fn default() -> Self {
        Self { window: SCAN_WINDOW.into(), budget: SCAN_BUDGET.into() }
    }
}

impl Storage {
    /// Up to `limit` messages matching `filter` in rooms `me` is a member of now, newest
    /// first, each with the room's title as `me` sees it.
    pub async fn search(&self, me: UserId, filter: &Filter, limit: u32) -> Result<Page> {
        // PostgreSQL: one statement, through pg_trgm or not. Without an index it reads a
        // million messages in 150 ms (parallel workers; SQLite takes 3 s), and its readers hold
        // up no writer.
        if self.dialect == Dialect::Postgres {
            return Ok(Page { hits: self.search_by(me, filter, limit, None).await?, read_back_to: None });
        }
        // With an FTS5 match, SQLite walks the index's rowids (message ids) newest first and
        // stops at the limit. In one room, a common term would make it walk every room's
        // matches to find this room's few; then scanning the room newest first is quicker.
        let fts_query = match (fts_query(filter), filter.room) {
            (Some(q), None) => q,
            (Some(q), Some(_)) if !self.common_term(&q).await? => q,
            _ => return self.scan_in_windows(me, filter, limit).await,
        };
        // The index holds messages up to `indexed`; the newest few beyond it are scanned (they
        // are all newer than anything the index finds).
        let indexed = self.indexed_up_to().await?;
        let mut hits = Vec::new();
        if filter.cursor.is_none_or(|c| c.0 > indexed + 1) {
            hits = self.search_by(me, filter, limit, Some(Plan::Newer(indexed))).await?;
        }
        if hits.len() < limit as usize {
            let mut older = filter.clone();
            older.cursor = Some(MessageId(filter.cursor.map_or(indexed + 1, |c| c.0.min(indexed + 1))));
            let rest = limit - hits.len() as u32;
            hits.extend(self.search_by(me, &older, rest, Some(Plan::Index(fts_query))).await?);
        }
        Ok(Page { hits, read_back_to: None })
    }

    /// SQLite, no index to narrow the search: the newest messages (of the room, if the filter
    /// has one) a window at a time, each larger than the last (see [`FIRST_WINDOW`],
    /// [`SCAN_WINDOW`]), until `limit` are found, none are left (between `after` and
    /// `before`, if the filter has them), or the budget is spent (see [`SCAN_BUDGET`]).
    async fn scan_in_windows(&self, me: UserId, filter: &Filter, limit: u32) -> Result<Page> {
        let window = self.scan.window.load(Ordering::Relaxed);
        let budget = self.scan.budget.load(Ordering::Relaxed);
        // SQLite's ids carry their message's time: `created_at` is the later of the id's time
        // and the clock's (`insert_messages`), and an id is never before the clock, so it is the
        // id's time. The messages from `after` on, and before `before`, are an id range.
        let stop = filter.after.map_or(0, IdGenerator::floor);
        let start = filter.before.map(|before| MessageId(IdGenerator::floor(before)));
        let room = if filter.room.is_some() { " AND room_id = $4" } else { "" };
        let bounds = format!(
            "SELECT MIN(id), COUNT(*) FROM (SELECT id FROM messages WHERE id < $1 AND id >= $3{room} \
             ORDER BY id DESC LIMIT $2) AS w"
        );
        // When the oldest message read was written, and whether any older one is left to read.
        let older = format!(
            "SELECT (SELECT created_at FROM messages WHERE id >= $1 ORDER BY id LIMIT 1), \
             EXISTS (SELECT 1 FROM messages WHERE id < $1 AND id >= $2{})",
            room.replace("$4", "$3")
        );
        let mut hits = Vec::new();
        let mut below = match (filter.cursor, start) {
            (Some(cursor), Some(start)) => Some(cursor.min(start)),
            (cursor, start) => cursor.or(start),
        };
        let (mut read, mut size) = (0, FIRST_WINDOW.min(window));
        while hits.len() < limit as usize {
            let query = sqlx::query_as(&bounds).bind(below.map_or(i64::MAX, |c| c.0)).bind(size).bind(stop);
            let (floor, count): (Option<i64>, i64) = in_room(query, filter.room).fetch_one(&self.pool).await?;
            let Some(floor) = floor else { break };
            let within = Filter { cursor: below, ..filter.clone() };
            let rest = limit - hits.len() as u32;
            hits.extend(self.search_by(me, &within, rest, Some(Plan::From(floor))).await?);
            below = Some(MessageId(floor));
            read += count;
            if count < size {
                break;
            }
            if read >= budget && hits.len() < limit as usize {
                let query = sqlx::query_as(&older).bind(floor).bind(stop);
                let (since, more): (Option<i64>, i64) = in_room(query, filter.room).fetch_one(&self.pool).await?;
                let read_back_to =
                    since.filter(|_| more > 0).map(|created_at| ReadTo { id: MessageId(floor), created_at });
                return Ok(Page { hits, read_back_to });
            }
            size = (size * 4).min(window).min((budget - read).max(1));
        }
        Ok(Page { hits, read_back_to: None })
    }

    /// Sets the scan's window and budget (see [`SCAN_WINDOW`], [`SCAN_BUDGET`]; a window no
    /// larger than the budget): `--search-read-limit`, tests that cross them with few
    /// messages, and the benchmark.
    pub fn set_scan(&self, window: i64, budget: i64) {
        self.scan.window.store(window.min(budget).max(1), Ordering::Relaxed);
        self.scan.budget.store(budget.max(1), Ordering::Relaxed);
    }

    async fn search_by(
        &self,
        me: UserId,
        filter: &Filter,
        limit: u32,
        plan: Option<Plan>,
    ) -> Result<Vec<(Message, String)>> {
        let mut binds: Vec<Bind> = vec![Bind::Int(me.0)];
        let param = |b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            format!("${}", binds.len())
        };
        let mut conditions = vec!["m.search_text IS NOT NULL".to_string()];
        let fts = matches!(plan, Some(Plan::Index(_)));
        match plan {
            Some(Plan::Newer(indexed)) => conditions.push(format!("m.id > {}", param(Bind::Int(indexed), &mut binds))),
            Some(Plan::From(floor)) => conditions.push(format!("m.id >= {}", param(Bind::Int(floor), &mut binds))),
            _ => {}
        }
        let (from, order) = if fts {
            (format!("message_search s, {MESSAGE_FROM}"), "s.rowid DESC")
        } else {
            (MESSAGE_FROM.to_string(), "m.id DESC")
        };
        match self.dialect {
            Dialect::Sqlite => {
                if let Some(Plan::Index(q)) = plan {
                    let p = param(Bind::Text(q), &mut binds);
                    conditions.push(format!("message_search MATCH {p} AND m.id = s.rowid"));
                }
                for term in &filter.terms {
                    let p = param(Bind::Text(term.clone()), &mut binds);
                    conditions.push(format!("instr(m.search_text, {p}) > 0"));
                }
            }
            Dialect::Postgres => {
                for term in &filter.terms {
                    let p = param(Bind::Text(format!("%{}%", escape_like(term))), &mut binds);
                    conditions.push(format!("m.search_text LIKE {p} ESCAPE '\\'"));
                }
            }
        }
        if let Some(room) = filter.room {
            conditions.push(format!("m.room_id = {}", param(Bind::Int(room.0), &mut binds)));
        }
        if let Some(user) = filter.from {
            conditions.push(format!("m.sender_id = {}", param(Bind::Int(user.0), &mut binds)));
        }
        if let Some(after) = filter.after {
            conditions.push(format!("m.created_at >= {}", param(Bind::Int(after), &mut binds)));
        }
        if let Some(before) = filter.before {
            conditions.push(format!("m.created_at < {}", param(Bind::Int(before), &mut binds)));
        }
        if let Some(kind) = filter.kind {
            conditions.push(format!("m.kind = {}", param(Bind::Text(kind.as_str().to_string()), &mut binds)));
        }
        if let Some(cursor) = filter.cursor {
            let p = param(Bind::Int(cursor.0), &mut binds);
            conditions.push(if fts { format!("s.rowid < {p}") } else { format!("m.id < {p}") });
        }
        let limit = param(Bind::Int(i64::from(limit)), &mut binds);
        // Without an index to walk, SQLite must still walk messages newest first (and check
        // membership per message) rather than gather every message of every room and sort:
        // CROSS JOIN keeps `messages` the outer loop.
        let member_join = if self.dialect == Dialect::Sqlite && !fts { "CROSS JOIN" } else { "JOIN" };
        let sql = format!(
            "SELECT {MESSAGE_COLS}, COALESCE(r.name, peer.display_name, 'Just you') AS room_title \
             FROM {from} \
             {member_join} participants me ON me.room_id = m.room_id AND me.user_id = $1 \
             JOIN rooms r ON r.id = m.room_id \
             LEFT JOIN participants pp ON r.kind = 'PRIVATE' AND pp.room_id = r.id AND pp.user_id <> $1 \
             LEFT JOIN users peer ON peer.id = pp.user_id \
             WHERE {} ORDER BY {order} LIMIT {limit}",
            conditions.join(" AND ")
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = match b {
                Bind::Int(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut messages = Vec::with_capacity(rows.len());
        let mut titles = Vec::with_capacity(rows.len());
        for r in &rows {
            messages.push(message_from(r)?);
            titles.push(r.try_get::<String, _>("room_title")?);
        }
        for (m, t) in self.with_reactions(messages).await?.into_iter().zip(titles) {
            out.push((m, t));
        }
        Ok(out)
    }

    /// Whether an FTS5 query matches more than a few thousand messages (counted no further).
    async fn common_term(&self, fts_query: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT rowid FROM message_search WHERE message_search MATCH $1 LIMIT $2)",
        )
        .bind(fts_query)
        .bind(COMMON_MATCHES)
        .fetch_one(&self.pool)
        .await?;
        Ok(n >= COMMON_MATCHES)
    }

    /// Messages without a search text get theirs: those from before search existed, and every
    /// message once the folding changes (a migration empties them). `text` computes it from the
    /// content and file name. Returns how many were filled in. Pages by id, so that each page
    /// reads on from the last instead of scanning the table from its start again.
    pub async fn fill_search_text(&self, text: impl Fn(&str, Option<&str>) -> Option<String>) -> Result<u64> {
        let mut filled = 0;
        let mut after = 0_i64;
        loop {
            let rows = sqlx::query(
                "SELECT m.id, m.content, a.name FROM messages m LEFT JOIN attachments a ON a.message_id = m.id \
                 WHERE m.id > $1 AND m.search_text IS NULL AND m.kind <> 'SYSTEM' AND m.deleted_at IS NULL \
                 AND (m.content <> '' OR a.name IS NOT NULL) ORDER BY m.id LIMIT 500",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(filled);
            }
            // One statement a page: a statement per message took 84 s for a million. Only rows
            // still without a search text, still there: with several nodes, another one may
            // have deleted or edited a message since this page was read.
            let values: Vec<String> = (0..rows.len()).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
            let sql = format!(
                "WITH v (id, search_text) AS (VALUES {}) \
                 UPDATE messages SET search_text = (SELECT v.search_text FROM v WHERE v.id = messages.id) \
                 WHERE id IN (SELECT id FROM v) AND search_text IS NULL AND deleted_at IS NULL",
                values.join(", ")
            );
            let mut update = sqlx::query(&sql);
            for r in &rows {
                let id: i64 = r.try_get("id")?;
                after = id;
                let content: String = r.try_get("content")?;
                let name: Option<String> = r.try_get("name")?;
                update = update.bind(id).bind(text(&content, name.as_deref()).unwrap_or_default());
            }
            filled += update.execute(&self.pool).await?.rows_affected();
        }
    }
}

/// How a search reads SQLite: through the FTS5 index (with this query), by scanning the
/// messages newer than the index, or one window of messages from this id up (`None`:
/// PostgreSQL, everything in one statement).
enum Plan {
    Index(String),
    Newer(i64),
    From(i64),
}

/// The FTS5 query for a filter's terms long enough to be indexed: each quoted (quotes
/// doubled), all required.
fn fts_query(filter: &Filter) -> Option<String> {
    let indexed: Vec<String> = filter
        .terms
        .iter()
        .filter(|t| t.chars().count() >= INDEXED_TERM_CHARS)
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    (!indexed.is_empty()).then(|| indexed.join(" "))
}

/// Binds the room to a statement of [`Storage::scan_in_windows`], if the search has one.
fn in_room<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    room: Option<RoomId>,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    match room {
        Some(room) => query.bind(room.0),
        None => query,
    }
}

enum Bind {
    Int(i64),
    Text(String),
}

/// SQLite: most messages the indexer adds in one step. Each step holds SQLite's one write
/// lock, so the writer waits for it: 2,000 at a time took 35 ms (the benchmark's p99 after a
/// burst); 250 take about 4 ms, and a backlog is worked off in several steps.
const INDEX_BATCH: i64 = 250;

/// SQLite: most search entries of removed messages the indexer takes out in one step, about
/// 2 ms (1,000 took 5 ms, and some 30-76 ms).
const UNINDEX_BATCH: i64 = 250;

/// SQLite: index pages merged per step, about 3 ms. Measured when a round merged only once:
/// 25 a step fell behind the retention benchmark's removals (p99 31 ms, one run); 250 entries
/// out and 50 pages a step against 1,000 and 100: p99 10-13 ms against 13-19 (4 runs each).
const MERGE_PAGES: i64 = 50;

impl Storage {
    /// SQLite: one step of keeping the search index: up to [`INDEX_BATCH`] new messages in, up
    /// to [`UNINDEX_BATCH`] removed ones out, about [`MERGE_PAGES`] pages of segments merged.
    /// Returns whether more is waiting.
    ///
    /// Each part is one statement (triggers of migration 0014 do the rest), never a
    /// transaction of several: between two statements this task may wait for the busy core
    /// (4 ms at a time), and a transaction would keep SQLite's one connection from the
    /// message writer all that while.
    pub async fn search_index_step(&self) -> Result<bool> {
        if self.dialect != Dialect::Sqlite {
            return Ok(false);
        }
        let added = self.index_pending().await?;
        let removed = self.unindex_removed().await?;
        let merged = self.merge_search_index(MERGE_PAGES).await?;
        Ok(added as i64 == INDEX_BATCH || removed as i64 == UNINDEX_BATCH || merged)
    }

    /// SQLite: adds up to [`INDEX_BATCH`] messages committed since the last call to the search
    /// index; returns how many it looked at. (PostgreSQL maintains its index itself.)
    pub async fn index_pending(&self) -> Result<u64> {
        if self.dialect != Dialect::Sqlite {
            return Ok(0);
        }
        let (to, n): (Option<i64>, i64) = sqlx::query_as(
            "SELECT MAX(id), COUNT(*) FROM (SELECT id FROM messages \
             WHERE id > (SELECT indexed_up_to FROM search_state WHERE id = 1) ORDER BY id LIMIT $1)",
        )
        .bind(INDEX_BATCH)
        .fetch_one(&self.pool)
        .await?;
        if let Some(to) = to {
            // The trigger indexes the messages the mark passes.
            sqlx::query("UPDATE search_state SET indexed_up_to = $1 WHERE id = 1 AND indexed_up_to < $1")
                .bind(to)
                .execute(&self.pool)
                .await?;
        }
        Ok(n as u64)
    }

    /// SQLite: takes the search entries of up to [`UNINDEX_BATCH`] messages the retention job
    /// removed out of the index (by trigger); returns how many.
    async fn unindex_removed(&self) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM search_removed WHERE id IN (SELECT id FROM search_removed ORDER BY id LIMIT $1)")
                .bind(UNINDEX_BATCH)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    /// SQLite: one bounded step of merging the index's segments (FTS5 writes one per
    /// transaction; see migration 0013): about `pages` pages at most. Returns whether it found
    /// work (FTS5's documented test: the connection's total changes grew by 2 or more). The
    /// three statements go to SQLite as one script, so nothing runs between them.
    async fn merge_search_index(&self, pages: i64) -> Result<bool> {
        let script = format!(
            "SELECT total_changes(); INSERT INTO message_search (message_search, rank) VALUES ('merge', {pages}); \
             SELECT total_changes();"
        );
        let rows = sqlx::raw_sql(&script).fetch_all(&self.pool).await?;
        let changes = |i: usize| -> Result<i64> { Ok(rows.get(i).ok_or(StorageError::NotFound)?.try_get(0)?) };
        Ok(changes(1)? - changes(0)? >= 2)
    }

    /// SQLite: the newest message id in the search index (later ones are scanned).
    async fn indexed_up_to(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT indexed_up_to FROM search_state WHERE id = 1").fetch_one(&self.pool).await?)
    }
}
