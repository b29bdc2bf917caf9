//! The chat service: the rules of Confab on top of [`Storage`] and the [`Hub`].
//!
//! It implements [`ChatBackend`] for the server functions and offers the same operations to
//! the WebSocket transport, so both paths share one authorization check per call: every
//! room operation first asks storage for the caller's role in that room.

use std::{
    net::IpAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use app::{
    backend::{ChatBackend, HistoryQuery, NewSession, SESSION_COOKIE},
    protocol::ServerFrame,
    types::{
        self, limits, Message, MessageId, MessageKind, MessagePage, Role, RoomDetails, RoomId, RoomKind, RoomSummary,
        User, UserId,
    },
    AppError,
};
use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::{
    auth::{self, LoginLimiter},
    error::storage_error,
    hub::{ConnId, Frame, Hub},
    storage::{NewMessage, Storage, StorageError},
};

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub session_ttl: Duration,
    pub secure_cookies: bool,
    /// The least time between two commits of the message writer (see [`write_loop`]).
    pub commit_interval: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            secure_cookies: false,
            commit_interval: Duration::from_millis(DEFAULT_COMMIT_INTERVAL_MS),
        }
    }
}

/// See [`ServiceConfig::commit_interval`].
pub const DEFAULT_COMMIT_INTERVAL_MS: u64 = 0;

pub struct ChatService {
    pub storage: Arc<Storage>,
    pub hub: Arc<Hub>,
    limiter: Arc<LoginLimiter>,
    config: ServiceConfig,
    /// The single writer that stores messages (many per commit) and fans them out in id order.
    writer: mpsc::Sender<Submission>,
    /// What the writer has done, for `/metrics`.
    pub writes: Arc<WriteStats>,
    /// Compared against when a username does not exist, so timing does not reveal which do.
    dummy_hash: String,
    roles: parking_lot::Mutex<std::collections::HashMap<(RoomId, UserId), (Role, std::time::Instant)>>,
}

const ROLE_CACHE_TTL: Duration = Duration::from_secs(10);
/// Messages waiting for the writer before senders wait too (backpressure).
const WRITE_QUEUE: usize = 4096;
/// The most messages stored in one statement.
const MAX_BATCH: usize = 256;

/// Counters of the message writer: messages per commit is how well group commit batches.
#[derive(Debug, Default)]
pub struct WriteStats {
    pub commits: AtomicU64,
    pub messages: AtomicU64,
}

/// A message on its way to storage, and who is waiting for the stored copy.
struct Submission {
    room: RoomId,
    sender: User,
    content: String,
    client_id: String,
    origin: Option<ConnId>,
    reply: oneshot::Sender<Result<Message, AppError>>,
}

/// Group commit: takes every message waiting, stores them in one statement (ids in arrival
/// order), then fans each out and answers its sender. Being the only writer, it also makes
/// delivery order equal id order for every room.
///
/// Commits are at least `interval` apart. A message arriving when the writer has been quiet
/// that long is stored and delivered at once; under load, everything that arrives within an
/// interval shares one commit, and each recipient's connection one write. On loopback TCP a
/// write costs far more than the frames it carries, so this is what bounds the CPU spent per
/// delivery; the price is at most `interval` of added latency, only while busy.
async fn write_loop(
    storage: Arc<Storage>,
    hub: Arc<Hub>,
    stats: Arc<WriteStats>,
    mut queue: mpsc::Receiver<Submission>,
    interval: Duration,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut last_commit: Option<tokio::time::Instant> = None;
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let Some(next) = last_commit.map(|at| at + interval) {
            if next > tokio::time::Instant::now() {
                tokio::time::sleep_until(next).await;
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(s) => batch.push(s),
                        Err(_) => break,
                    }
                }
            }
        }
        last_commit = Some(tokio::time::Instant::now());
        let news: Vec<NewMessage> = batch
            .iter()
            .map(|s: &Submission| NewMessage {
                room: s.room,
                sender: &s.sender,
                kind: MessageKind::Text,
                content: &s.content,
                client_id: Some(&s.client_id),
            })
            .collect();
        let result = storage.insert_messages(&news, now_ms()).await;
        drop(news);
        match result {
            Ok(stored) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.messages.fetch_add(stored.iter().filter(|s| s.created).count() as u64, Ordering::Relaxed);
                for (sub, stored) in batch.drain(..).zip(stored) {
                    let answer = if stored.message.room_id != sub.room {
                        Err(AppError::conflict("client_id", "This client_id was already used for another room."))
                    } else {
                        if stored.created {
                            hub.typing(sub.room, &sub.sender, false);
                            let frame = Frame::new(&ServerFrame::ReceiveMessage { message: stored.message.clone() });
                            hub.broadcast(sub.room, &frame, sub.origin);
                        }
                        Ok(stored.message)
                    };
                    let _ = sub.reply.send(answer);
                }
            }
            Err(e) => {
                let err = storage_error(e);
                for sub in batch.drain(..) {
                    let _ = sub.reply.send(Err(err.clone()));
                }
            }
        }
    }
}

impl ChatService {
    pub async fn new(
        storage: Arc<Storage>,
        hub: Arc<Hub>,
        limiter: Arc<LoginLimiter>,
        config: ServiceConfig,
    ) -> Result<Arc<Self>, AppError> {
        let dummy_hash = auth::hash_password(auth::new_token()).await?;
        let (writer, queue) = mpsc::channel(WRITE_QUEUE);
        let writes = Arc::new(WriteStats::default());
        tokio::spawn(write_loop(storage.clone(), hub.clone(), writes.clone(), queue, config.commit_interval));
        Ok(Arc::new(Self { storage, hub, limiter, config, writer, writes, dummy_hash, roles: Default::default() }))
    }

    /// The caller's role in a room: the authorization check behind every room operation.
    /// Answers are cached briefly, and dropped as soon as this node changes the room's
    /// membership; the TTL bounds how long another node's change can go unseen.
    async fn require_role(&self, me: &User, room: RoomId) -> Result<Role, AppError> {
        let key = (room, me.id);
        if let Some(&(role, at)) = self.roles.lock().get(&key) {
            if at.elapsed() < ROLE_CACHE_TTL {
                return Ok(role);
            }
        }
        let role = self
            .storage
            .role(room, me.id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| AppError::not_found("No such room, or you are not in it."))?;
        self.roles.lock().insert(key, (role, std::time::Instant::now()));
        Ok(role)
    }

    fn forget_roles(&self, room: RoomId) {
        self.roles.lock().retain(|(r, _), _| *r != room);
    }

    async fn summary(&self, me: &User, room: RoomId) -> Result<RoomSummary, AppError> {
        self.storage
            .room_summaries(me.id, Some(room))
            .await
            .map_err(storage_error)?
            .pop()
            .ok_or_else(|| AppError::not_found("No such room, or you are not in it."))
    }

    /// Tells every member's connections that a room changed, so they refetch it.
    async fn announce_room(&self, room: RoomId) -> Result<(), AppError> {
        let members = self.storage.member_ids(room).await.map_err(storage_error)?;
        self.hub.send_to_users(&members, &Frame::new(&ServerFrame::RoomUpdated { room_id: room }));
        Ok(())
    }

    /// Joins a connection to a room: checks membership, subscribes it and returns the messages
    /// after `after` (all of them, page by page, so a reconnect misses nothing).
    pub async fn join_room(
        &self,
        me: &User,
        conn: ConnId,
        room: RoomId,
        after: Option<MessageId>,
    ) -> Result<Vec<Message>, AppError> {
        self.require_role(me, room).await?;
        self.hub.subscribe(conn, room);
        let Some(mut cursor) = after else {
            return Ok(Vec::new());
        };
        let mut missed = Vec::new();
        loop {
            let page = self
                .storage
                .history(room, None, Some(cursor), limits::HISTORY_PAGE_MAX)
                .await
                .map_err(storage_error)?;
            if let Some(last) = page.messages.last() {
                cursor = last.id;
            }
            missed.extend(page.messages);
            // A client this far behind reloads instead; the cap keeps one join bounded.
            if !page.has_more || missed.len() >= 5_000 {
                return Ok(missed);
            }
        }
    }

    /// Stores a message (idempotent on the sender's `client_id`) and fans it out to the room.
    /// The message is persisted before anyone, the sender included, hears of it.
    pub async fn send_message(
        &self,
        me: &User,
        origin: Option<ConnId>,
        room: RoomId,
        client_id: &str,
        content: &str,
    ) -> Result<Message, AppError> {
        types::validate_client_id(client_id)?;
        let content = types::validate_message_content(content)?;
        self.require_role(me, room).await?;
        let (reply, answer) = oneshot::channel();
        let submission =
            Submission { room, sender: me.clone(), content, client_id: client_id.to_string(), origin, reply };
        self.writer.send(submission).await.map_err(|_| AppError::internal())?;
        answer.await.map_err(|_| AppError::internal())?
    }

    pub async fn typing(&self, me: &User, room: RoomId, typing: bool) -> Result<(), AppError> {
        self.require_role(me, room).await?;
        self.hub.typing(room, me, typing);
        Ok(())
    }

    async fn new_session(&self, user: User) -> Result<NewSession, AppError> {
        let token = auth::new_token();
        let now = now_ms();
        let expires = now + self.config.session_ttl.as_millis() as i64;
        self.storage.create_session(&auth::hash_token(&token), user.id, now, expires).await.map_err(storage_error)?;
        Ok(NewSession { user, token })
    }

    /// Deletes expired sessions and forgets idle rate-limit keys; run periodically.
    pub async fn housekeeping(&self) {
        match self.storage.delete_expired_sessions(now_ms()).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
        }
        self.limiter.prune();
        self.roles.lock().retain(|_, (_, at)| at.elapsed() < ROLE_CACHE_TTL);
    }
}

#[async_trait]
impl ChatBackend for ChatService {
    async fn register(&self, username: &str, display_name: &str, password: &str) -> Result<NewSession, AppError> {
        let username = types::normalize_username(username)?;
        let display_name = types::validate_display_name(display_name, &username)?;
        types::validate_password(password)?;
        let hash = auth::hash_password(password.to_string()).await?;
        let user = match self.storage.create_user(&username, &display_name, &hash, now_ms()).await {
            Ok(user) => user,
            Err(StorageError::Conflict) => {
                return Err(AppError::conflict("username", "That username is taken. Please choose another."))
            }
            Err(e) => return Err(storage_error(e)),
        };
        tracing::info!(user = %user.id, username = %user.username, "account created");
        self.new_session(user).await
    }

    async fn login(&self, username: &str, password: &str, ip: Option<IpAddr>) -> Result<NewSession, AppError> {
        let wrong = || AppError::Unauthorized { message: "Wrong username or password.".into() };
        let username = username.trim().to_lowercase();
        if username.is_empty() || username.len() > limits::USERNAME_MAX || password.len() > limits::PASSWORD_MAX {
            return Err(wrong());
        }
        self.limiter.check(&username, ip)?;
        let creds = self.storage.credentials(&username).await.map_err(storage_error)?;
        let hash = creds.as_ref().map_or_else(|| self.dummy_hash.clone(), |c| c.password_hash.clone());
        let ok = auth::verify_password(password.to_string(), hash).await?;
        match creds {
            Some(c) if ok => self.new_session(c.user).await,
            _ => Err(wrong()),
        }
    }

    async fn logout(&self, token: &str) -> Result<(), AppError> {
        self.storage.delete_session(&auth::hash_token(token)).await.map_err(storage_error)
    }

    async fn authenticate(&self, token: &str) -> Result<User, AppError> {
        if token.len() > 128 {
            return Err(AppError::unauthorized());
        }
        self.storage
            .session_user(&auth::hash_token(token), now_ms())
            .await
            .map_err(storage_error)?
            .ok_or_else(AppError::unauthorized)
    }

    fn session_cookie(&self, token: Option<&str>) -> String {
        let secure = if self.config.secure_cookies { "; Secure" } else { "" };
        match token {
            Some(token) => format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                self.config.session_ttl.as_secs()
            ),
            None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
        }
    }

    async fn list_rooms(&self, me: &User) -> Result<Vec<RoomSummary>, AppError> {
        self.storage.room_summaries(me.id, None).await.map_err(storage_error)
    }

    async fn open_private_room(&self, me: &User, other: UserId) -> Result<RoomSummary, AppError> {
        if other == me.id {
            return Err(AppError::invalid("user_id", "Pick someone other than yourself."));
        }
        if self.storage.user(other).await.map_err(storage_error)?.is_none() {
            return Err(AppError::not_found("No such user."));
        }
        let room = self.storage.open_private_room(me.id, other, now_ms()).await.map_err(storage_error)?;
        self.forget_roles(room);
        for user in [me.id, other] {
            self.hub.subscribe_user(user, room);
        }
        self.announce_room(room).await?;
        self.summary(me, room).await
    }

    async fn create_group(&self, me: &User, name: &str, members: &[UserId]) -> Result<RoomSummary, AppError> {
        let name = types::validate_room_name(name)?;
        let mut members: Vec<UserId> = members.iter().copied().filter(|&m| m != me.id).collect();
        members.sort();
        members.dedup();
        if members.len() + 1 > limits::GROUP_MAX_MEMBERS {
            return Err(AppError::invalid(
                "members",
                format!("A group has at most {} members.", limits::GROUP_MAX_MEMBERS),
            ));
        }
        let room = match self.storage.create_group(me.id, &name, &members, now_ms()).await {
            Err(StorageError::NotFound) => {
                return Err(AppError::invalid("members", "One of those people does not exist."))
            }
            other => other.map_err(storage_error)?,
        };
        self.forget_roles(room);
        self.hub.subscribe_user(me.id, room);
        for &m in &members {
            self.hub.subscribe_user(m, room);
        }
        self.announce_room(room).await?;
        self.summary(me, room).await
    }

    async fn room_details(&self, me: &User, room: RoomId) -> Result<RoomDetails, AppError> {
        let my_role = self.require_role(me, room).await?;
        let summary = self.summary(me, room).await?;
        let participants = self.storage.participants(room).await.map_err(storage_error)?;
        Ok(RoomDetails { summary, participants, my_role })
    }

    async fn add_participants(&self, me: &User, room: RoomId, users: &[UserId]) -> Result<RoomDetails, AppError> {
        let role = self.require_role(me, room).await?;
        let kind = self.storage.room(room).await.map_err(storage_error)?.map(|r| r.kind);
        if kind != Some(RoomKind::Group) {
            return Err(AppError::invalid("room_id", "People can only be added to groups."));
        }
        if !role.can_manage() {
            return Err(AppError::forbidden("Only the group's owner or admins can add people."));
        }
        let current = self.storage.member_ids(room).await.map_err(storage_error)?;
        if current.len() + users.len() > limits::GROUP_MAX_MEMBERS {
            return Err(AppError::invalid(
                "user_ids",
                format!("A group has at most {} members.", limits::GROUP_MAX_MEMBERS),
            ));
        }
        let added = match self.storage.add_participants(room, users, now_ms()).await {
            Err(StorageError::NotFound) => {
                return Err(AppError::invalid("user_ids", "One of those people does not exist."))
            }
            other => other.map_err(storage_error)?,
        };
        self.forget_roles(room);
        for &u in &added {
            self.hub.subscribe_user(u, room);
        }
        self.announce_room(room).await?;
        self.room_details(me, room).await
    }

    async fn leave_room(&self, me: &User, room: RoomId) -> Result<(), AppError> {
        self.require_role(me, room).await?;
        self.storage.remove_participant(room, me.id, now_ms()).await.map_err(storage_error)?;
        self.forget_roles(room);
        self.hub.typing(room, me, false);
        self.hub.unsubscribe_user(me.id, room);
        self.hub.send_to_users(&[me.id], &Frame::new(&ServerFrame::RoomRemoved { room_id: room }));
        self.announce_room(room).await
    }

    async fn rename_room(&self, me: &User, room: RoomId, name: &str) -> Result<RoomSummary, AppError> {
        self.require_role(me, room).await?;
        let name = types::validate_room_name(name)?;
        let kind = self.storage.room(room).await.map_err(storage_error)?.map(|r| r.kind);
        if kind != Some(RoomKind::Group) {
            return Err(AppError::invalid("room_id", "Private conversations have no name to change."));
        }
        self.storage.rename_room(room, &name, now_ms()).await.map_err(storage_error)?;
        self.announce_room(room).await?;
        self.summary(me, room).await
    }

    async fn search_users(&self, me: &User, query: &str) -> Result<Vec<User>, AppError> {
        let needle = query.trim().to_lowercase();
        if needle.chars().count() > limits::SEARCH_QUERY_MAX {
            return Err(AppError::invalid("query", "That search is too long."));
        }
        self.storage.search_users(&needle, me.id, 20).await.map_err(storage_error)
    }

    async fn history(&self, me: &User, room: RoomId, query: HistoryQuery) -> Result<MessagePage, AppError> {
        self.require_role(me, room).await?;
        let limit = query.limit.unwrap_or(limits::HISTORY_PAGE_DEFAULT);
        if limit == 0 || limit > limits::HISTORY_PAGE_MAX {
            return Err(AppError::invalid("limit", format!("limit is 1 to {}.", limits::HISTORY_PAGE_MAX)));
        }
        self.storage.history(room, query.before, query.after, limit).await.map_err(storage_error)
    }

    async fn mark_read(&self, me: &User, room: RoomId, message: MessageId) -> Result<(), AppError> {
        self.require_role(me, room).await?;
        if self.storage.mark_read(room, me.id, message, now_ms()).await.map_err(storage_error)? {
            // The user's other tabs update their unread badges.
            self.hub.send_to_users(&[me.id], &Frame::new(&ServerFrame::RoomUpdated { room_id: room }));
        }
        Ok(())
    }
}
