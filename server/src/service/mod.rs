//! The domain: Confab's rules, one module per domain ([`accounts`], [`rooms`], [`messages`],
//! [`edits`], [`reactions`], [`files`], [`search`],
//! with the message [`writer`] on its own and [`access`] shared), over [`Storage`].
//!
//! Domain code never calls the hub: after each commit it publishes typed events to the
//! [`Bus`], and every node's [`relay`](crate::relay) turns them into frames. [`ChatService`]
//! composes the domains, serves the Leptos server functions through [`ChatBackend`], and
//! offers the same operations to the WebSocket transport, so both share one authorization
//! check per call.

pub mod access;
pub mod accounts;
pub mod edits;
pub mod emoji;
pub mod files;
pub mod markdown;
pub mod messages;
pub mod reactions;
pub mod retention;
pub mod rooms;
pub mod search;
pub mod writer;

use std::{net::IpAddr, path::PathBuf, sync::Arc, time::Duration};

use app::{
    backend::{ChatBackend, HistoryQuery, NewSession},
    types::{
        Changes, Message, MessageEdit, MessageId, MessagePage, MonitorView, Mute, NotifyLevel, RoomDetails, RoomId,
        RoomSummary, SearchQuery, SearchResults, Seq, Settings, SettingsChange, User, UserId,
    },
    AppError,
};
use async_trait::async_trait;

use crate::{auth::LoginLimiter, bus::Bus, events::NodeId, hub::Hub, storage::Storage};
use access::Access;
use accounts::Accounts;
use files::{FileLimits, Files};
use messages::Messages;
use rooms::Rooms;
use writer::Writer;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub session_ttl: Duration,
    pub secure_cookies: bool,
    /// The least time between two commits of the message writer (see [`writer`]).
    pub commit_interval: Duration,
    /// How long after sending a message may be edited; zero: always.
    pub edit_window: Duration,
    pub files: FileLimits,
    /// Where the local blob store keeps uploads.
    pub blobs_dir: PathBuf,
    /// How many days messages are kept unless a group sets its own policy; 0: forever.
    pub retain_days: u32,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            secure_cookies: false,
            commit_interval: Duration::from_millis(DEFAULT_COMMIT_INTERVAL_MS),
            edit_window: Duration::from_secs(app::types::limits::EDIT_WINDOW_DEFAULT_MINS * 60),
            files: FileLimits {
                max_bytes: app::types::limits::UPLOAD_MAX_BYTES_DEFAULT,
                quota_bytes: app::types::limits::QUOTA_BYTES_DEFAULT,
            },
            blobs_dir: PathBuf::from("data/blobs"),
            retain_days: 0,
        }
    }
}

/// See [`ServiceConfig::commit_interval`].
pub const DEFAULT_COMMIT_INTERVAL_MS: u64 = 0;

pub struct ChatService {
    pub node: NodeId,
    pub storage: Arc<Storage>,
    /// This node's connections; the transport registers sockets here, the relay fills them.
    pub hub: Arc<Hub>,
    pub bus: Arc<dyn Bus>,
    pub access: Arc<Access>,
    pub accounts: Accounts,
    pub rooms: Rooms,
    pub messages: Messages,
    pub files: Arc<Files>,
    pub search: search::Search,
    /// Every live node's figures, for the admin page.
    pub monitor: Arc<crate::monitor::Monitor>,
    pub retention: Arc<retention::Retention>,
}

impl ChatService {
    pub async fn new(
        node: NodeId,
        storage: Arc<Storage>,
        hub: Arc<Hub>,
        bus: Arc<dyn Bus>,
        access: Arc<Access>,
        limiter: Arc<LoginLimiter>,
        config: ServiceConfig,
    ) -> Result<Arc<Self>, AppError> {
        let accounts =
            Accounts::new(storage.clone(), bus.clone(), limiter, config.session_ttl, config.secure_cookies).await?;
        let rooms = Rooms::new(storage.clone(), bus.clone(), access.clone());
        let writer = Writer::start(storage.clone(), bus.clone(), config.commit_interval);
        let messages = Messages::new(storage.clone(), bus.clone(), access.clone(), writer, config.edit_window);
        let blobs = crate::blobs::LocalBlobs::new(config.blobs_dir.clone()).map_err(|e| {
            tracing::error!(error = %e, dir = %config.blobs_dir.display(), "cannot prepare the blob store");
            AppError::internal()
        })?;
        let files = Arc::new(Files::new(storage.clone(), access.clone(), Arc::new(blobs), config.files));
        search::catch_up(&storage).await?;
        let search = search::Search::new(storage.clone(), access.clone());
        tokio::spawn(search::index_loop(Arc::downgrade(&storage)));
        let monitor = Arc::default();
        let retention = Arc::new(retention::Retention::new(
            storage.clone(),
            bus.clone(),
            access.clone(),
            files.clone(),
            config.retain_days,
        ));
        tokio::spawn(retention::retention_loop(Arc::downgrade(&retention)));
        let service = Arc::new(Self {
            node,
            storage,
            hub,
            bus,
            access,
            accounts,
            rooms,
            messages,
            files,
            search,
            monitor,
            retention,
        });
        tokio::spawn(crate::monitor::sample_loop(Arc::downgrade(&service)));
        Ok(service)
    }

    /// Who of the people `user` shares a room with is online anywhere (themselves included):
    /// the `hello` frame's list, whose cost grows with a user's contacts, not with everyone
    /// online.
    pub async fn online_contacts(&self, user: UserId) -> Result<Vec<UserId>, AppError> {
        let mut online: Vec<UserId> =
            self.storage.contacts(user).await?.into_iter().filter(|&u| u == user || self.hub.is_online(u)).collect();
        if !online.contains(&user) {
            online.push(user);
        }
        Ok(online)
    }

    /// Deletes expired sessions, forgets idle rate-limit keys and removes unreferenced blobs;
    /// run periodically.
    pub async fn housekeeping(&self) {
        self.accounts.housekeeping().await;
        self.files.collect_garbage().await;
    }

    /// Deletes a message (see [`Messages::delete`]); a file it carried leaves the disk once
    /// nothing references its content.
    pub async fn delete_message(&self, me: &User, room: RoomId, id: MessageId) -> Result<Message, AppError> {
        let deleted = self.messages.delete(me, room, id).await?;
        if matches!(deleted.kind, app::types::MessageKind::Image | app::types::MessageKind::File) {
            let files = self.files.clone();
            tokio::spawn(async move { files.collect_garbage().await });
        }
        Ok(deleted)
    }
}

#[async_trait]
impl ChatBackend for ChatService {
    async fn register(&self, username: &str, display_name: &str, password: &str) -> Result<NewSession, AppError> {
        self.accounts.register(username, display_name, password).await
    }

    async fn login(&self, username: &str, password: &str, ip: Option<IpAddr>) -> Result<NewSession, AppError> {
        self.accounts.login(username, password, ip).await
    }

    async fn logout(&self, token: &str) -> Result<(), AppError> {
        self.accounts.logout(token).await
    }

    async fn authenticate(&self, token: &str) -> Result<User, AppError> {
        self.accounts.authenticate(token).await
    }

    fn session_cookie(&self, token: Option<&str>) -> String {
        self.accounts.session_cookie(token)
    }

    async fn list_rooms(&self, me: &User) -> Result<Vec<RoomSummary>, AppError> {
        self.rooms.list(me).await
    }

    async fn open_private_room(&self, me: &User, other: UserId) -> Result<RoomSummary, AppError> {
        self.rooms.open_private(me, other).await
    }

    async fn create_group(&self, me: &User, name: &str, members: &[UserId]) -> Result<RoomSummary, AppError> {
        self.rooms.create_group(me, name, members).await
    }

    async fn room_details(&self, me: &User, room: RoomId) -> Result<RoomDetails, AppError> {
        let mut details = self.rooms.details(me, room).await?;
        details.retention = self.retention.of(room).await?;
        Ok(details)
    }

    async fn set_retention(&self, me: &User, room: RoomId, days: Option<u32>) -> Result<RoomDetails, AppError> {
        self.retention.set(me, room, days).await?;
        self.room_details(me, room).await
    }

    async fn add_participants(&self, me: &User, room: RoomId, users: &[UserId]) -> Result<RoomDetails, AppError> {
        self.rooms.add_participants(me, room, users).await
    }

    async fn leave_room(&self, me: &User, room: RoomId) -> Result<(), AppError> {
        self.rooms.leave(me, room).await
    }

    async fn rename_room(&self, me: &User, room: RoomId, name: &str) -> Result<RoomSummary, AppError> {
        self.rooms.rename(me, room, name).await
    }

    async fn set_room_notify(
        &self,
        me: &User,
        room: RoomId,
        level: Option<NotifyLevel>,
        mute: Option<Mute>,
    ) -> Result<RoomSummary, AppError> {
        self.rooms.set_notify(me, room, level, mute).await
    }

    async fn settings(&self, me: &User) -> Result<Settings, AppError> {
        self.accounts.settings(me).await
    }

    async fn update_settings(&self, me: &User, change: SettingsChange) -> Result<Settings, AppError> {
        self.accounts.update_settings(me, change).await
    }

    async fn change_password(&self, me: &User, token: &str, current: &str, new: &str) -> Result<(), AppError> {
        self.accounts.change_password(me, token, current, new).await
    }

    async fn search_users(&self, me: &User, query: &str) -> Result<Vec<User>, AppError> {
        self.accounts.search_users(me, query).await
    }

    async fn history(&self, me: &User, room: RoomId, query: HistoryQuery) -> Result<MessagePage, AppError> {
        self.messages.history(me, room, query).await
    }

    async fn changes(&self, me: &User, room: RoomId, since: Seq) -> Result<Changes, AppError> {
        self.messages.changes(me, room, since).await
    }

    async fn mark_read(&self, me: &User, room: RoomId, seq: Seq) -> Result<(), AppError> {
        self.rooms.mark_read(me, room, seq).await
    }

    async fn send_message(
        &self,
        me: &User,
        room: RoomId,
        client_id: &str,
        content: &str,
        reply_to: Option<MessageId>,
    ) -> Result<Message, AppError> {
        self.messages.send(me, None, room, client_id, content, reply_to).await
    }

    async fn edit_message(&self, me: &User, room: RoomId, id: MessageId, content: &str) -> Result<Message, AppError> {
        self.messages.edit(me, room, id, content).await
    }

    async fn delete_message(&self, me: &User, room: RoomId, id: MessageId) -> Result<Message, AppError> {
        ChatService::delete_message(self, me, room, id).await
    }

    async fn react(&self, me: &User, room: RoomId, id: MessageId, emoji: &str, add: bool) -> Result<Message, AppError> {
        self.messages.react(me, room, id, emoji, add).await
    }

    async fn message_edits(&self, me: &User, room: RoomId, id: MessageId) -> Result<Vec<MessageEdit>, AppError> {
        self.messages.edits(me, room, id).await
    }

    async fn search(&self, me: &User, query: SearchQuery) -> Result<SearchResults, AppError> {
        self.search.search(me, &query).await
    }

    async fn check_upload(&self, me: &User, room: RoomId, size: u64) -> Result<(), AppError> {
        self.files.admit(me, room, Some(size)).await.map(|_| ())
    }

    async fn monitor(&self, me: &User) -> Result<MonitorView, AppError> {
        if !self.storage.is_admin(me.id).await? {
            return Err(AppError::forbidden("Only instance admins can see the monitor."));
        }
        Ok(self.monitor.view(now_ms()))
    }
}
