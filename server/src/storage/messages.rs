//! Messages: group-committed inserts into the change log, history pages, and changes after a
//! seq (catch-up).

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap, HashSet},
};

use app::types::{Message, MessageId, MessageKind, MessagePage, Quote, RoomId, Seq, User, UserId};

use super::{
    files::NewAttachment, ids::IdGenerator, message_from, Dialect, Result, Storage, StorageError, StoredMentions, Tx,
    MESSAGE_COLS, MESSAGE_FROM,
};

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
    pub rich: Rich<'a>,
}

/// What the server derived from a message's text, and what it answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rich<'a> {
    pub html: Option<&'a str>,
    pub mentions: &'a [UserId],
    pub mentions_room: bool,
    pub reply_to: Option<&'a Quote>,
    pub attachment: Option<&'a NewAttachment>,
    /// What search finds it by (see `service::search`).
    pub search_text: Option<&'a str>,
}

impl Rich<'_> {
    /// Whether storing it takes statements besides the insert (and so a transaction).
    fn needs_more_rows(&self) -> bool {
        self.mentions_room || !self.mentions.is_empty() || self.attachment.is_some()
    }

    fn mentions_column(&self) -> Option<String> {
        StoredMentions::to_column(self.mentions, self.mentions_room)
    }
}

impl NewMessage<'_> {
    /// The message as stored under `id` at `seq`.
    fn stored(&self, id: i64, seq: Seq, created_at: i64) -> Message {
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
            deleted_at: None,
            seq,
            change_seq: seq,
            system: None,
            html: self.rich.html.map(str::to_string),
            reply_to: self.rich.reply_to.cloned(),
            mentions: self.rich.mentions.to_vec(),
            mentions_room: self.rich.mentions_room,
            reactions: Vec::new(),
            attachment: self.rich.attachment.map(NewAttachment::shown),
        }
    }

    fn key(&self) -> Option<(UserId, &str)> {
        self.client_id.map(|c| (self.sender.id, c))
    }
}

/// Parameters per row of the multi-row insert.
const INSERT_PARAMS: usize = 12;

impl Storage {
    /// Stores one message exactly once per `(sender, client_id)`: a retry returns the original.
    pub async fn insert_message(&self, new: NewMessage<'_>, now: i64) -> Result<Stored> {
        self.insert_messages(&[new], now).await?.pop().ok_or(StorageError::NotFound)
    }

    /// Stores messages with one commit (group commit): ids in batch order, each room's next
    /// seqs in batch order. Idempotent on `(sender, client_id)`: a repeated key, in the batch
    /// or already stored, returns the original and takes no seq, so a room's seqs have no
    /// holes. Each result says whether this call created the message.
    ///
    /// The two dialects differ in how, because each statement costs SQLite a round trip to
    /// sqlx's worker thread (measured: four statements instead of one cost 80 µs more per
    /// message) while PostgreSQL needs the room's row lock to order several nodes' commits.
    pub async fn insert_messages(&self, batch: &[NewMessage<'_>], now: i64) -> Result<Vec<Stored>> {
        match self.dialect {
            Dialect::Sqlite => self.insert_in_one_statement(batch, now).await,
            Dialect::Postgres => self.insert_in_a_transaction(batch, now).await,
        }
    }

    /// SQLite: one autocommit statement takes each room's seqs from `rooms.last_seq` (a window
    /// function numbers the batch's new rows per room), skips keys already stored, and a
    /// trigger moves `last_seq` on. One connection serializes the statements, so seq order is
    /// commit order.
    async fn insert_in_one_statement(&self, batch: &[NewMessage<'_>], now: i64) -> Result<Vec<Stored>> {
        let (first_of, fresh) = new_entries(batch, &HashSet::new());
        let mut created: HashMap<usize, (i64, Seq, i64)> = HashMap::with_capacity(fresh.len());
        if !fresh.is_empty() {
            let first_id = self.ids.next_block(now, fresh.len() as i64);
            let sql = insert_numbered_sql(fresh.len());
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
            let mut ids = HashMap::with_capacity(fresh.len());
            for (k, &i) in fresh.iter().enumerate() {
                let id = first_id + k as i64;
                ids.insert(id, i);
                let new = &batch[i];
                query = query
                    .bind(k as i64)
                    .bind(new.room.0)
                    .bind(id)
                    .bind(new.sender.id.0)
                    .bind(new.kind.as_str())
                    .bind(new.content)
                    .bind(new.client_id)
                    .bind(IdGenerator::millis_of(id).max(now))
                    .bind(new.rich.html)
                    .bind(new.rich.mentions_column())
                    .bind(new.rich.reply_to.map(|q| q.id.0))
                    .bind(new.rich.search_text);
            }
            // Mentions and attachments need more statements, in the same transaction; most
            // batches have none and stay one autocommit statement.
            let rows = if fresh.iter().any(|&i| batch[i].rich.needs_more_rows()) {
                let mut tx = self.begin().await?;
                let rows = query.fetch_all(&mut *tx).await?;
                for &(id, seq) in &rows {
                    if let Some(&i) = ids.get(&id) {
                        self.insert_mentions(&mut tx, &batch[i], MessageId(id), Seq(seq)).await?;
                        self.insert_attachment(&mut tx, &batch[i], MessageId(id), now).await?;
                    }
                }
                tx.commit().await?;
                rows
            } else {
                query.fetch_all(&self.pool).await?
            };
            for (id, seq) in rows {
                if let Some(&i) = ids.get(&id) {
                    created.insert(i, (id, Seq(seq), IdGenerator::millis_of(id).max(now)));
                }
            }
        }
        self.results(batch, &first_of, &created).await
    }

    /// PostgreSQL: one transaction takes the ids (the counter row), each room's seqs (its row,
    /// locked until the commit), inserts the rows and sends one notice per room.
    async fn insert_in_a_transaction(&self, batch: &[NewMessage<'_>], now: i64) -> Result<Vec<Stored>> {
        let mut known: HashSet<(UserId, String)> = HashSet::new();
        // Retries are rare: the first attempt assumes none. If the insert skips a row, the
        // transaction is rolled back and done again knowing which keys are taken.
        for _ in 0..3 {
            match self.try_insert(batch, &known, now).await? {
                Ok(stored) => return Ok(stored),
                Err(taken) => known.extend(taken),
            }
        }
        Err(StorageError::Conflict)
    }

    /// One attempt: `Ok(Err(keys))` when some `client_id`s turned out to be taken already.
    async fn try_insert(
        &self,
        batch: &[NewMessage<'_>],
        known: &HashSet<(UserId, String)>,
        now: i64,
    ) -> Result<std::result::Result<Vec<Stored>, Vec<(UserId, String)>>> {
        let (first_of, fresh) = new_entries(batch, known);
        let mut tx = self.begin().await?;
        let mut rows: HashMap<usize, (i64, Seq, i64)> = HashMap::with_capacity(fresh.len());
        if !fresh.is_empty() {
            let first_id = self.take_ids(&mut tx, fresh.len(), now).await?;
            // Rooms in id order (the lock order), each taking its seqs in one statement.
            let mut per_room: BTreeMap<RoomId, Vec<usize>> = BTreeMap::new();
            for &i in &fresh {
                per_room.entry(batch[i].room).or_default().push(i);
            }
            let mut seq_of = HashMap::with_capacity(fresh.len());
            for (&room, entries) in &per_room {
                let first = self.take_seqs(&mut tx, room, entries.len()).await?;
                for (k, &i) in entries.iter().enumerate() {
                    seq_of.insert(i, Seq(first.0 + k as i64));
                }
                self.notify_room(&mut tx, room, first, Seq(first.0 + entries.len() as i64 - 1)).await?;
            }
            for (k, &i) in fresh.iter().enumerate() {
                let id = first_id + k as i64;
                rows.insert(i, (id, seq_of[&i], IdGenerator::millis_of(id).max(now)));
            }
            let sql = insert_messages_sql(fresh.len());
            let mut query = sqlx::query_scalar::<_, i64>(&sql);
            for &i in &fresh {
                let (id, seq, created_at) = rows[&i];
                let new = &batch[i];
                query = query
                    .bind(new.room.0)
                    .bind(id)
                    .bind(seq.0)
                    .bind(new.sender.id.0)
                    .bind(new.kind.as_str())
                    .bind(new.content)
                    .bind(new.client_id)
                    .bind(created_at)
                    .bind(new.rich.html)
                    .bind(new.rich.mentions_column())
                    .bind(new.rich.reply_to.map(|q| q.id.0))
                    .bind(new.rich.search_text);
            }
            let inserted: HashSet<i64> = query.fetch_all(&mut *tx).await?.into_iter().collect();
            if inserted.len() < fresh.len() {
                let taken = fresh
                    .iter()
                    .filter(|i| !inserted.contains(&rows[i].0))
                    .filter_map(|&i| batch[i].key().map(|(u, c)| (u, c.to_string())))
                    .collect();
                tx.rollback().await?;
                return Ok(Err(taken));
            }
            for &i in &fresh {
                let (id, seq, _) = rows[&i];
                self.insert_mentions(&mut tx, &batch[i], MessageId(id), seq).await?;
                self.insert_attachment(&mut tx, &batch[i], MessageId(id), now).await?;
            }
        }
        tx.commit().await?;
        Ok(Ok(self.results(batch, &first_of, &rows).await?))
    }

    /// Each entry's result: created (`created` has its id, seq and time), a repeat of an
    /// earlier entry in the batch, or of a message stored before.
    async fn results(
        &self,
        batch: &[NewMessage<'_>],
        first_of: &HashMap<(UserId, &str), usize>,
        created: &HashMap<usize, (i64, Seq, i64)>,
    ) -> Result<Vec<Stored>> {
        let mut out: Vec<Stored> = Vec::with_capacity(batch.len());
        for (i, new) in batch.iter().enumerate() {
            if let Some(&(id, seq, created_at)) = created.get(&i) {
                out.push(Stored { message: new.stored(id, seq, created_at), created: true });
                continue;
            }
            let original = match new.key().and_then(|k| first_of.get(&k)).filter(|&&j| j < i) {
                Some(&j) => Some(out[j].message.clone()),
                None => self.message_by_client_id(new.sender.id, new.client_id.unwrap_or_default()).await?,
            };
            out.push(Stored { message: original.ok_or(StorageError::NotFound)?, created: false });
        }
        Ok(out)
    }

    /// Records who `new` mentions (everyone else in the room for `@room`) at `seq`, so their
    /// unread-mention counts include it.
    pub(crate) async fn insert_mentions(
        &self,
        tx: &mut Tx,
        new: &NewMessage<'_>,
        id: MessageId,
        seq: Seq,
    ) -> Result<()> {
        self.record_mentions(tx, (new.room, id, seq), new.sender.id, new.rich.mentions, new.rich.mentions_room).await
    }

    /// Adds mention rows of message `id` for `users` (or, with `everyone`, all members but the
    /// sender) at `seq`; someone already mentioned by the message keeps their earlier row.
    pub(crate) async fn record_mentions(
        &self,
        tx: &mut Tx,
        (room, id, seq): (RoomId, MessageId, Seq),
        sender: UserId,
        users: &[UserId],
        everyone: bool,
    ) -> Result<()> {
        if users.is_empty() && !everyone {
            return Ok(());
        }
        let list: Vec<String> = (0..users.len()).map(|k| format!("${}", k + 5)).collect();
        let only =
            if everyone || list.is_empty() { String::new() } else { format!("AND p.user_id IN ({})", list.join(", ")) };
        let sql = format!(
            "INSERT INTO mentions (user_id, room_id, message_id, seq) \
             SELECT p.user_id, p.room_id, $2, $3 FROM participants p \
             WHERE p.room_id = $1 AND p.user_id <> $4 {only} \
             ON CONFLICT (user_id, room_id, message_id) DO NOTHING"
        );
        let mut query = sqlx::query(&sql).bind(room.0).bind(id.0).bind(seq.0).bind(sender.0);
        for user in users {
            query = query.bind(user.0);
        }
        query.execute(&mut **tx).await?;
        Ok(())
    }

    pub async fn message_by_client_id(&self, sender: UserId, client_id: &str) -> Result<Option<Message>> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} \
             WHERE m.sender_id = $1 AND m.client_id = $2"
        ))
        .bind(sender.0)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        let message = row.as_ref().map(message_from).transpose()?;
        Ok(self.with_reactions(message.into_iter().collect()).await?.pop())
    }

    pub async fn message(&self, room: RoomId, id: MessageId) -> Result<Option<Message>> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} \
             WHERE m.room_id = $1 AND m.id = $2"
        ))
        .bind(room.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        let message = row.as_ref().map(message_from).transpose()?;
        Ok(self.with_reactions(message.into_iter().collect()).await?.pop())
    }

    /// One page of a room's timeline (tombstones and system lines included, so everything
    /// keeps its place), oldest first. Without `after` it is the newest `limit` messages below
    /// `before`; with only `after`, the oldest `limit` messages above it. The page's `seq` is
    /// read first: whatever changes after it reaches the reader by catch-up.
    pub async fn history(
        &self,
        room: RoomId,
        before: Option<MessageId>,
        after: Option<MessageId>,
        limit: u32,
    ) -> Result<MessagePage> {
        let seq = self.last_seq(room).await?;
        let forward = after.is_some() && before.is_none();
        let order = if forward { "ASC" } else { "DESC" };
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} \
             WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3 ORDER BY m.id {order} LIMIT $4"
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
        let messages = self.with_reactions(messages).await?;
        Ok(MessagePage { messages, has_more, has_more_after: false, seq })
    }

    /// The page centred on message `id`: it and up to `limit / 2` older messages, then newer
    /// ones to fill `limit`. `has_more` says older messages remain, `has_more_after` newer.
    pub async fn history_around(&self, room: RoomId, id: MessageId, limit: u32) -> Result<MessagePage> {
        let older = self.history(room, Some(MessageId(id.0 + 1)), None, (limit / 2 + 1).min(limit)).await?;
        let newer = self.history(room, None, Some(id), limit - older.messages.len() as u32).await?;
        let mut messages = older.messages;
        messages.extend(newer.messages);
        Ok(MessagePage { messages, has_more: older.has_more, has_more_after: newer.has_more, seq: older.seq })
    }

    /// The current state of up to `limit` messages whose latest change is after `since`, in
    /// seq order. A message changed twice appears once, at its latest seq.
    pub async fn changes_since(&self, room: RoomId, since: Seq, limit: u32) -> Result<Vec<Message>> {
        // Two index ranges: messages created after `since` and never changed (by seq), and
        // messages changed after `since` (the partial index holds only changed ones).
        let rows = sqlx::query(&format!(
            "SELECT * FROM ( \
               SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} \
               WHERE m.room_id = $1 AND m.seq > $2 AND m.change_seq = m.seq \
               UNION ALL \
               SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} \
               WHERE m.room_id = $1 AND m.change_seq > $2 AND m.change_seq > m.seq \
             ) c ORDER BY c.change_seq LIMIT $3"
        ))
        .bind(room.0)
        .bind(since.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let messages = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
        self.with_reactions(messages).await
    }
}

/// Which entries are new: the first of each key not `known` to be stored already. Returns
/// where each key first appears and the new entries' positions.
fn new_entries<'a>(
    batch: &'a [NewMessage<'_>],
    known: &HashSet<(UserId, String)>,
) -> (HashMap<(UserId, &'a str), usize>, Vec<usize>) {
    let mut first_of: HashMap<(UserId, &str), usize> = HashMap::new();
    let mut fresh = Vec::with_capacity(batch.len());
    for (i, new) in batch.iter().enumerate() {
        let is_new = match new.key() {
            Some(key) if known.contains(&(key.0, key.1.to_string())) => false,
            Some(key) => *first_of.entry(key).or_insert(i) == i,
            None => true,
        };
        if is_new {
            fresh.push(i);
        }
    }
    (first_of, fresh)
}

/// SQLite's one-statement insert for `rows` messages (twelve parameters each: position, room,
/// id, sender, kind, content, client id, time, html, mentions, reply, search text): each new row's seq is its room's last seq
/// plus its rank among the batch's new rows in that room; rows whose key is stored already
/// are skipped. Returns `(id, seq)` of the rows inserted.
///
/// A lone message, what most commits carry below a few thousand messages a second, needs no
/// ranking and gets a statement without the window function and its sorts: measured on SQLite
/// alone, 5–10 µs less per insert (about a seventh of it). It has no use for `$1`, the position.
fn insert_numbered_sql(rows: usize) -> Cow<'static, str> {
    if rows == 1 {
        return Cow::Borrowed(
            "INSERT INTO messages (room_id, id, seq, change_seq, sender_id, kind, content, client_id, created_at, \
             updated_at, html, mentions, reply_to, search_text) \
             SELECT r.id, $3, r.last_seq + 1, r.last_seq + 1, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12 \
             FROM rooms r WHERE r.id = $2 AND ($7 IS NULL OR NOT EXISTS \
               (SELECT 1 FROM messages m WHERE m.sender_id = $4 AND m.client_id = $7)) \
             RETURNING id, seq",
        );
    }
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let p = i * INSERT_PARAMS;
            let n: Vec<String> = (1..=INSERT_PARAMS).map(|k| format!("${}", p + k)).collect();
            format!("({})", n.join(", "))
        })
        .collect();
    format!(
        "WITH v (ord, room_id, id, sender_id, kind, content, client_id, created_at, html, mentions, reply_to, \
         search_text) AS (VALUES {}) \
         INSERT INTO messages (room_id, id, seq, change_seq, sender_id, kind, content, client_id, created_at, \
         updated_at, html, mentions, reply_to, search_text) \
         SELECT room_id, id, seq, seq, sender_id, kind, content, client_id, created_at, created_at, html, mentions, \
         reply_to, search_text FROM ( \
           SELECT v.*, r.last_seq + ROW_NUMBER() OVER (PARTITION BY v.room_id ORDER BY v.ord) AS seq \
           FROM v JOIN rooms r ON r.id = v.room_id \
           WHERE v.client_id IS NULL OR NOT EXISTS \
             (SELECT 1 FROM messages m WHERE m.sender_id = v.sender_id AND m.client_id = v.client_id) \
         ) ORDER BY ord RETURNING id, seq",
        values.join(", ")
    )
    .into()
}

/// `INSERT … VALUES (…), (…) … RETURNING id` for `rows` messages.
fn insert_messages_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let p = i * INSERT_PARAMS;
            format!(
                "(${}, ${}, ${s}, ${s}, ${}, ${}, ${}, ${}, ${t}, ${t}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 9,
                p + 10,
                p + 11,
                p + 12,
                s = p + 3,
                t = p + 8
            )
        })
        .collect();
    format!(
        "INSERT INTO messages (room_id, id, seq, change_seq, sender_id, kind, content, client_id, created_at, \
         updated_at, html, mentions, reply_to, search_text) VALUES {} ON CONFLICT (sender_id, client_id) DO NOTHING RETURNING id",
        values.join(", ")
    )
}
