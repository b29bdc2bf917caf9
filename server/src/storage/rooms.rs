//! Rooms and their members. Every change of name or membership is a timeline entry (a system
//! line at the room's next seq) and, on PostgreSQL, a notice to the other nodes, both inside
//! the change's transaction.
//!
//! Lock order, the same in every transaction that takes both: the id counter, then rooms (by
//! id). [`Storage::append_system`] takes them in that order, so name and membership changes
//! call it before touching the room's row.

use app::types::{
    Message, MessageId, NotifyLevel, Participant, Role, Room, RoomId, RoomSummary, Seq, SystemEvent, User, UserId,
    UserRef,
};
use sqlx::Row;
use std::collections::HashMap;

use super::{bad_column, is_foreign_key_violation, room_from, user_from, Result, Storage, StorageError, Tx, USER_COLS};

/// Users whose contacts one query looks up (well within both databases' bound parameters).
const CONTACTS_PER_QUERY: usize = 500;

/// What opening a private room did.
#[derive(Debug)]
pub struct OpenedRoom {
    pub room: RoomId,
    /// Whether this call created the room.
    pub created: bool,
    /// Who became a member (both when created; whoever had left, when opened again).
    pub added: Vec<UserId>,
    /// The timeline's line about someone who had left coming back.
    pub line: Option<Message>,
}

impl Storage {
    /// The private room of `me` and `other`, created (with both as members) on first use. Either
    /// of them may have left it since: opening it again brings both back, and the timeline says
    /// so ("Ann added Ben", or "Ann rejoined"), since the other one sees messages resume.
    pub async fn open_private_room(&self, me: &User, other: UserId, now: i64) -> Result<OpenedRoom> {
        let (a, b) = (me.id, other);
        let key = format!("{}:{}", a.0.min(b.0), a.0.max(b.0));
        let mut tx = self.begin().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO rooms (name, kind, private_key, created_at, updated_at) VALUES (NULL, 'PRIVATE', $1, $2, $2) \
             ON CONFLICT (private_key) DO NOTHING RETURNING id",
        )
        .bind(&key)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let room = match inserted {
            Some(id) => RoomId(id),
            None => RoomId(
                sqlx::query_scalar("SELECT id FROM rooms WHERE private_key = $1")
                    .bind(&key)
                    .fetch_one(&mut *tx)
                    .await?,
            ),
        };
        let created = inserted.is_some();
        let mut added = Vec::new();
        for user in [a, b] {
            if add_participant(&mut tx, room, user, Role::Member, now).await? {
                added.push(user);
            }
        }
        let mut line = None;
        if !created && !added.is_empty() {
            let event = if added.contains(&b) {
                let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                    .bind(b.0)
                    .fetch_one(&mut *tx)
                    .await?;
                SystemEvent::MembersAdded { users: vec![UserRef { id: b, name }] }
            } else {
                SystemEvent::MemberReturned
            };
            line = Some(self.append_system(&mut tx, room, me, event, now).await?);
            touch_room(&mut tx, room, now).await?;
        }
        if !added.is_empty() {
            self.notify_meta(&mut tx, room, &added, &[]).await?;
        }
        tx.commit().await?;
        Ok(OpenedRoom { room, created, added, line })
    }

    /// A new group owned by `owner` with `members` (unknown ids are refused as `NotFound`);
    /// its timeline starts with "… created the group".
    pub async fn create_group(
        &self,
        owner: &User,
        name: &str,
        members: &[UserId],
        now: i64,
    ) -> Result<(RoomId, Message)> {
        let mut tx = self.begin().await?;
        let room = RoomId(
            sqlx::query_scalar(
                "INSERT INTO rooms (name, kind, created_at, updated_at) VALUES ($1, 'GROUP', $2, $2) RETURNING id",
            )
            .bind(name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?,
        );
        add_participant(&mut tx, room, owner.id, Role::Owner, now).await?;
        let mut everyone = vec![owner.id];
        for &m in members.iter().filter(|&&m| m != owner.id) {
            add_participant(&mut tx, room, m, Role::Member, now).await?;
            everyone.push(m);
        }
        let line =
            self.append_system(&mut tx, room, owner, SystemEvent::GroupCreated { name: name.to_string() }, now).await?;
        self.notify_meta(&mut tx, room, &everyone, &[]).await?;
        tx.commit().await?;
        Ok((room, line))
    }

    /// Adds members to a room; returns those who were not in it already and the system line
    /// recording it (none when nobody was new).
    pub async fn add_participants(
        &self,
        room: RoomId,
        actor: &User,
        users: &[UserId],
        now: i64,
    ) -> Result<(Vec<UserId>, Option<Message>)> {
        let mut tx = self.begin().await?;
        let mut added = Vec::new();
        for &u in users {
            if add_participant(&mut tx, room, u, Role::Member, now).await? {
                added.push(u);
            }
        }
        if added.is_empty() {
            return Ok((added, None));
        }
        let mut named = Vec::with_capacity(added.len());
        for &u in &added {
            let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(u.0)
                .fetch_one(&mut *tx)
                .await?;
            named.push(UserRef { id: u, name });
        }
        let line = self.append_system(&mut tx, room, actor, SystemEvent::MembersAdded { users: named }, now).await?;
        touch_room(&mut tx, room, now).await?;
        self.notify_meta(&mut tx, room, &added, &[]).await?;
        tx.commit().await?;
        Ok((added, Some(line)))
    }

    /// Removes a member, recording "… left". When the last owner leaves, the longest-standing
    /// remaining member (admins first) becomes owner, so a group is never left unmanageable.
    pub async fn remove_participant(&self, room: RoomId, user: &User, now: i64) -> Result<Vec<Message>> {
        let mut tx = self.begin().await?;
        // Removed first: of two leaves at once, the second finds nothing to remove (it waits
        // for the first on PostgreSQL), so "… left" is written once.
        let role: Option<String> =
            sqlx::query_scalar("DELETE FROM participants WHERE room_id = $1 AND user_id = $2 RETURNING role")
                .bind(room.0)
                .bind(user.id.0)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(role) = role else {
            return Err(StorageError::NotFound);
        };
        let mut lines = vec![self.append_system(&mut tx, room, user, SystemEvent::MemberLeft, now).await?];
        if role == Role::Owner.as_str() {
            let has_owner: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM participants WHERE room_id = $1 AND role = 'owner'")
                    .bind(room.0)
                    .fetch_one(&mut *tx)
                    .await?;
            let heir = sqlx::query(&format!(
                "SELECT {USER_COLS} FROM participants p JOIN users u ON u.id = p.user_id WHERE p.room_id = $1 \
                 ORDER BY p.role = 'admin' DESC, p.joined_at, p.user_id LIMIT 1"
            ))
            .bind(room.0)
            .fetch_optional(&mut *tx)
            .await?;
            if let (0, Some(heir)) = (has_owner, heir) {
                let heir = user_from(&heir)?;
                sqlx::query("UPDATE participants SET role = 'owner' WHERE room_id = $1 AND user_id = $2")
                    .bind(room.0)
                    .bind(heir.id.0)
                    .execute(&mut *tx)
                    .await?;
                let event = SystemEvent::OwnerChanged { user: UserRef { id: heir.id, name: heir.display_name } };
                lines.push(self.append_system(&mut tx, room, user, event, now).await?);
            }
        }
        touch_room(&mut tx, room, now).await?;
        self.notify_meta(&mut tx, room, &[], &[user.id]).await?;
        tx.commit().await?;
        Ok(lines)
    }

    /// Renames a group, recording "… renamed the group to …".
    pub async fn rename_room(&self, room: RoomId, actor: &User, name: &str, now: i64) -> Result<Message> {
        let mut tx = self.begin().await?;
        let line =
            self.append_system(&mut tx, room, actor, SystemEvent::Renamed { name: name.to_string() }, now).await?;
        sqlx::query("UPDATE rooms SET name = $2, updated_at = $3 WHERE id = $1")
            .bind(room.0)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.notify_meta(&mut tx, room, &[], &[]).await?;
        tx.commit().await?;
        Ok(line)
    }

    pub async fn room(&self, room: RoomId) -> Result<Option<Room>> {
        let row = sqlx::query("SELECT id, name, kind, created_at, updated_at FROM rooms WHERE id = $1")
            .bind(room.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(room_from).transpose()
    }

    /// The room's latest seq (0 for a room with no changes yet, or none at all).
    pub async fn last_seq(&self, room: RoomId) -> Result<Seq> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM rooms WHERE id = $1")
            .bind(room.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(Seq(seq.unwrap_or(0)))
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

    /// Everyone who shares at least one room with `user` (themselves included): who hears of
    /// their presence.
    pub async fn contacts(&self, user: UserId) -> Result<Vec<UserId>> {
        Ok(self.contacts_of(&[user]).await?.remove(&user).unwrap_or_default())
    }

    /// [`Storage::contacts`] of several users in one query per [`CONTACTS_PER_QUERY`] users:
    /// after a node starts, every user it serves comes online at once, and one round trip
    /// each kept their contacts waiting (measured: tens of seconds at 100,000 sockets on six
    /// nodes).
    pub async fn contacts_of(&self, users: &[UserId]) -> Result<HashMap<UserId, Vec<UserId>>> {
        let mut contacts: HashMap<UserId, Vec<UserId>> = HashMap::with_capacity(users.len());
        for chunk in users.chunks(CONTACTS_PER_QUERY) {
            let list: Vec<String> = (1..=chunk.len()).map(|k| format!("${k}")).collect();
            let sql = format!(
                "SELECT DISTINCT mine.user_id, other.user_id FROM participants mine \
                 JOIN participants other ON other.room_id = mine.room_id WHERE mine.user_id IN ({})",
                list.join(", ")
            );
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
            for user in chunk {
                query = query.bind(user.0);
            }
            for (user, other) in query.fetch_all(&self.pool).await? {
                contacts.entry(UserId(user)).or_default().push(UserId(other));
            }
        }
        Ok(contacts)
    }

    /// Which of `usernames` are members of `room`, with their ids (for mentions).
    pub async fn members_named(&self, room: RoomId, usernames: &[String]) -> Result<Vec<(String, UserId)>> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (0..usernames.len()).map(|k| format!("${}", k + 2)).collect();
        let sql = format!(
            "SELECT u.username, u.id FROM participants p JOIN users u ON u.id = p.user_id \
             WHERE p.room_id = $1 AND u.username IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql).bind(room.0);
        for name in usernames {
            query = query.bind(name);
        }
        Ok(query.fetch_all(&self.pool).await?.into_iter().map(|(name, id)| (name, UserId(id))).collect())
    }

    pub async fn participants(&self, room: RoomId) -> Result<Vec<Participant>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS}, p.role, p.joined_at, p.last_read_seq FROM participants p \
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
                    last_read_seq: Seq(r.try_get("last_read_seq")?),
                })
            })
            .collect()
    }

    /// A user's rooms with title, last message and unread count, most recent activity first.
    /// `only` narrows the list to one room. Unread: others' messages (not system lines, not
    /// deleted) created after my read marker.
    pub async fn room_summaries(&self, me: UserId, only: Option<RoomId>) -> Result<Vec<RoomSummary>> {
        let rows = sqlx::query(
            "SELECT r.id, r.name, r.kind, r.created_at, r.updated_at, r.last_seq, p.last_read_seq, p.notify, p.muted_until, \
                (SELECT COUNT(*) FROM messages c WHERE c.room_id = r.id AND c.seq > p.last_read_seq \
                    AND c.sender_id <> p.user_id AND c.kind <> 'SYSTEM' AND c.deleted_at IS NULL) AS unread, \
                (SELECT COUNT(*) FROM mentions x WHERE x.user_id = p.user_id AND x.room_id = r.id \
                    AND x.seq > p.last_read_seq) AS unread_mentions, \
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
                Some(id) => self.message(room.id, MessageId(id)).await?,
                None => None,
            };
            let title = match (&room.name, &peer) {
                (Some(name), _) => name.clone(),
                (None, Some(peer)) => peer.display_name.clone(),
                (None, None) => "Just you".to_string(),
            };
            summaries.push(RoomSummary {
                room,
                title,
                peer,
                last_message,
                unread: r.try_get("unread")?,
                unread_mentions: r.try_get("unread_mentions")?,
                last_seq: Seq(r.try_get("last_seq")?),
                last_read_seq: Seq(r.try_get("last_read_seq")?),
                notify: notify_from(r.try_get("notify")?)?,
                muted_until: r.try_get("muted_until")?,
            });
        }
        summaries.sort_by_key(|s| {
            std::cmp::Reverse(
                s.last_message.as_ref().map_or(s.room.updated_at, |m| m.created_at.max(s.room.updated_at)),
            )
        });
        Ok(summaries)
    }

    /// Sets my notification level for a room (`None`: my default) and, when `mute` is given,
    /// its mute (`Some(None)`: unmuted). Returns whether I am in the room.
    pub async fn set_room_notify(
        &self,
        room: RoomId,
        user: UserId,
        level: Option<NotifyLevel>,
        mute: Option<Option<i64>>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE participants SET notify = $1, muted_until = CASE WHEN $2 = 1 THEN $3 ELSE muted_until END \
             WHERE room_id = $4 AND user_id = $5",
        )
        .bind(level.map(NotifyLevel::as_str))
        .bind(i64::from(mute.is_some()))
        .bind(mute.flatten())
        .bind(room.0)
        .bind(user.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Moves the read marker forward (never back, never past the room's last seq). Returns
    /// whether it moved.
    pub async fn mark_read(&self, room: RoomId, user: UserId, seq: Seq, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE participants SET last_read_seq = $3, last_seen_at = $4 \
             WHERE room_id = $1 AND user_id = $2 AND last_read_seq < $3 \
             AND $3 <= (SELECT last_seq FROM rooms WHERE id = $1)",
        )
        .bind(room.0)
        .bind(user.0)
        .bind(seq.0)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

async fn add_participant(tx: &mut Tx, room: RoomId, user: UserId, role: Role, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO participants (room_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (room_id, user_id) DO NOTHING",
    )
    .bind(room.0)
    .bind(user.0)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| if is_foreign_key_violation(&e) { StorageError::NotFound } else { StorageError::Db(e) })?;
    Ok(done.rows_affected() > 0)
}

async fn touch_room(tx: &mut Tx, room: RoomId, now: i64) -> Result<()> {
    sqlx::query("UPDATE rooms SET updated_at = $2 WHERE id = $1").bind(room.0).bind(now).execute(&mut **tx).await?;
    Ok(())
}

/// A stored notification level (`NULL`: the default).
pub(super) fn notify_from(value: Option<String>) -> Result<Option<NotifyLevel>> {
    value.map(|v| NotifyLevel::parse(&v).ok_or_else(|| bad_column("notify", &v).into())).transpose()
}
