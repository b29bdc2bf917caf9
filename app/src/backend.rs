//! The seam between the thin server functions in [`crate::api`] and the server crate.
//!
//! The server injects one `Arc<dyn ChatBackend>` into the Leptos context; server functions read
//! it with [`backend`]. Keeping the trait here (and `ssr`-only) lets `app` stay free of storage,
//! hashing and hub code while the server stays free of Leptos plumbing.

use std::{net::IpAddr, sync::Arc};

use async_trait::async_trait;
use http::{header, HeaderMap};

use crate::{
    types::{
        Changes, Message, MessageEdit, MessageId, MessagePage, MonitorView, Mute, NotifyLevel, RoomDetails, RoomId,
        RoomSummary, SearchQuery, SearchResults, Seq, Settings, SettingsChange, User, UserId,
    },
    AppError,
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "confab_session";

/// A freshly created session: who logged in and the bearer token (shown once, stored hashed).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user: User,
    pub token: String,
}

/// Which slice of a room's history to read (keyset pagination on message ids).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub before: Option<MessageId>,
    pub after: Option<MessageId>,
    /// The page centred on this message (about half before, half after), for jumping to it.
    pub around: Option<MessageId>,
    pub limit: Option<u32>,
}

/// The peer address of the request, put into request extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

#[async_trait]
pub trait ChatBackend: Send + Sync + 'static {
    async fn register(&self, username: &str, display_name: &str, password: &str) -> Result<NewSession, AppError>;
    async fn login(&self, username: &str, password: &str, ip: Option<IpAddr>) -> Result<NewSession, AppError>;
    async fn logout(&self, token: &str) -> Result<(), AppError>;
    /// The user a session token belongs to; `Unauthorized` when unknown or expired.
    async fn authenticate(&self, token: &str) -> Result<User, AppError>;
    /// The `Set-Cookie` value that stores `token`, or clears the cookie when `None`.
    fn session_cookie(&self, token: Option<&str>) -> String;

    async fn settings(&self, me: &User) -> Result<Settings, AppError>;
    async fn update_settings(&self, me: &User, change: SettingsChange) -> Result<Settings, AppError>;
    /// Replaces the password and ends every other session of the user (`token`'s stays).
    async fn change_password(&self, me: &User, token: &str, current: &str, new: &str) -> Result<(), AppError>;

    async fn list_rooms(&self, me: &User) -> Result<Vec<RoomSummary>, AppError>;
    async fn open_private_room(&self, me: &User, other: UserId) -> Result<RoomSummary, AppError>;
    async fn create_group(&self, me: &User, name: &str, members: &[UserId]) -> Result<RoomSummary, AppError>;
    async fn room_details(&self, me: &User, room: RoomId) -> Result<RoomDetails, AppError>;
    async fn add_participants(&self, me: &User, room: RoomId, users: &[UserId]) -> Result<RoomDetails, AppError>;
    async fn leave_room(&self, me: &User, room: RoomId) -> Result<(), AppError>;
    async fn rename_room(&self, me: &User, room: RoomId, name: &str) -> Result<RoomSummary, AppError>;
    async fn set_room_notify(
        &self,
        me: &User,
        room: RoomId,
        level: Option<NotifyLevel>,
        mute: Option<Mute>,
    ) -> Result<RoomSummary, AppError>;
    async fn search_users(&self, me: &User, query: &str) -> Result<Vec<User>, AppError>;
    async fn history(&self, me: &User, room: RoomId, query: HistoryQuery) -> Result<MessagePage, AppError>;
    /// Changes after `since`, one page (see [`Changes`]).
    async fn changes(&self, me: &User, room: RoomId, since: Seq) -> Result<Changes, AppError>;
    async fn mark_read(&self, me: &User, room: RoomId, seq: Seq) -> Result<(), AppError>;
    /// Stores a message (idempotent on `client_id`), as `send_message` does.
    async fn send_message(
        &self,
        me: &User,
        room: RoomId,
        client_id: &str,
        content: &str,
        reply_to: Option<MessageId>,
    ) -> Result<Message, AppError>;
    async fn edit_message(&self, me: &User, room: RoomId, id: MessageId, content: &str) -> Result<Message, AppError>;
    async fn delete_message(&self, me: &User, room: RoomId, id: MessageId) -> Result<Message, AppError>;
    async fn react(&self, me: &User, room: RoomId, id: MessageId, emoji: &str, add: bool) -> Result<Message, AppError>;
    /// The previous texts of an edited message, newest first.
    async fn message_edits(&self, me: &User, room: RoomId, id: MessageId) -> Result<Vec<MessageEdit>, AppError>;
    async fn search(&self, me: &User, query: SearchQuery) -> Result<SearchResults, AppError>;
    /// Whether `me` may upload `size` bytes to `room` now (the upload's own checks, early).
    async fn check_upload(&self, me: &User, room: RoomId, size: u64) -> Result<(), AppError>;
    /// Sets a group's retention in days (0: forever; `None`: the server's); owners only.
    async fn set_retention(&self, me: &User, room: RoomId, days: Option<u32>) -> Result<RoomDetails, AppError>;
    /// Every live node's figures over the last minutes; for instance admins only.
    async fn monitor(&self, me: &User) -> Result<MonitorView, AppError>;
}

/// The backend injected by the server.
pub fn backend() -> Result<Arc<dyn ChatBackend>, AppError> {
    leptos::prelude::use_context::<Arc<dyn ChatBackend>>().ok_or_else(AppError::internal)
}

/// The session token of a request: `Authorization: Bearer …` first, then the session cookie.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(token) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(token.trim().to_string());
    }
    cookie(headers, SESSION_COOKIE).filter(|v| !v.is_empty()).map(str::to_string)
}

/// The value of the request's cookie called `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_wins_over_cookie() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; confab_session=cookie-token; b=2".parse().unwrap());
        assert_eq!(token_from_headers(&h).as_deref(), Some("cookie-token"));
        h.insert(header::AUTHORIZATION, "Bearer bearer-token".parse().unwrap());
        assert_eq!(token_from_headers(&h).as_deref(), Some("bearer-token"));
    }

    #[test]
    fn missing_or_empty_cookie_is_none() {
        let mut h = HeaderMap::new();
        assert_eq!(token_from_headers(&h), None);
        h.insert(header::COOKIE, "confab_session=".parse().unwrap());
        assert_eq!(token_from_headers(&h), None);
    }
}
