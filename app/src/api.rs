//! The HTTP API: thin `#[server]` functions with fixed paths under `/api`.
//!
//! Each one authenticates the caller, calls the [`ChatBackend`](crate::backend::ChatBackend) and
//! returns its result; nothing else. The server turns an error's `code` into the HTTP status.
//! Account endpoints take form-encoded bodies so that plain HTML forms work without JavaScript;
//! chat endpoints take JSON; reads are `GET` with query strings. The README lists every
//! endpoint with a curl example.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

use crate::{
    types::{MessageId, MessagePage, RoomDetails, RoomId, RoomSummary, User, UserId},
    AppError,
};

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::backend::{backend, token_from_headers, ClientIp};
    use http::{header, request::Parts, HeaderValue};
    use leptos_axum::ResponseOptions;

    pub fn parts() -> Result<Parts, AppError> {
        use_context::<Parts>().ok_or_else(AppError::internal)
    }

    pub fn token() -> Option<String> {
        parts().ok().and_then(|p| token_from_headers(&p.headers))
    }

    pub fn client_ip() -> Option<std::net::IpAddr> {
        parts().ok().and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0))
    }

    pub async fn current_user() -> Result<User, AppError> {
        let token = token().ok_or_else(AppError::unauthorized)?;
        backend()?.authenticate(&token).await
    }

    pub fn set_cookie(value: &str) {
        if let (Some(res), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(value)) {
            res.append_header(header::SET_COOKIE, value);
        }
    }

    /// A plain HTML form (no JavaScript) is redirected by the server; the hydrated app
    /// navigates by itself once it has recorded the new session.
    pub fn redirect_form_post(path: &str) {
        let html = parts().ok().is_some_and(|p| {
            p.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
        });
        if html {
            leptos_axum::redirect(path);
        }
    }
}

/// `POST /api/register` (form: `username`, `display_name`, `password`, `next`): creates the
/// account, logs it in (session cookie) and redirects to `next` (default `/chat`).
#[server(prefix = "/api", endpoint = "register")]
pub async fn register(
    username: String,
    display_name: Option<String>,
    password: String,
    next: Option<String>,
) -> Result<User, AppError> {
    let backend = crate::backend::backend()?;
    let session = backend.register(&username, display_name.as_deref().unwrap_or(""), &password).await?;
    ssr::set_cookie(&backend.session_cookie(Some(&session.token)));
    ssr::redirect_form_post(&crate::state::session::safe_next(next));
    Ok(session.user)
}

/// `POST /api/login` (form: `username`, `password`, `next`): sets the session cookie and
/// redirects to `next`.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String, next: Option<String>) -> Result<User, AppError> {
    let backend = crate::backend::backend()?;
    let session = backend.login(&username, &password, ssr::client_ip()).await?;
    ssr::set_cookie(&backend.session_cookie(Some(&session.token)));
    ssr::redirect_form_post(&crate::state::session::safe_next(next));
    Ok(session.user)
}

/// `POST /api/token` (form: `username`, `password`): for non-browser clients. Returns a bearer
/// token to send as `Authorization: Bearer <token>`; no cookie, no redirect.
#[server(prefix = "/api", endpoint = "token")]
pub async fn create_token(username: String, password: String) -> Result<String, AppError> {
    let session = crate::backend::backend()?.login(&username, &password, ssr::client_ip()).await?;
    Ok(session.token)
}

/// `POST /api/logout`: ends the session (server-side too) and clears the cookie.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let backend = crate::backend::backend()?;
    if let Some(token) = ssr::token() {
        backend.logout(&token).await?;
    }
    ssr::set_cookie(&backend.session_cookie(None));
    ssr::redirect_form_post("/login");
    Ok(())
}

/// `GET /api/me`: the logged-in user, or `null`.
#[server(prefix = "/api", endpoint = "me", input = GetUrl)]
pub async fn me() -> Result<Option<User>, AppError> {
    match ssr::current_user().await {
        Ok(user) => Ok(Some(user)),
        Err(AppError::Unauthorized { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `GET /api/rooms`: my rooms, most recent activity first, with last message and unread count.
#[server(prefix = "/api", endpoint = "rooms", input = GetUrl)]
pub async fn list_rooms() -> Result<Vec<RoomSummary>, AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.list_rooms(&me).await
}

/// `POST /api/rooms/private` (JSON `{"user_id": 2}`): the private room with that user,
/// created on first use; there is only ever one per pair.
#[server(prefix = "/api", endpoint = "rooms/private", input = Json)]
pub async fn open_private_room(user_id: UserId) -> Result<RoomSummary, AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.open_private_room(&me, user_id).await
}

/// `POST /api/rooms/group` (JSON `{"name": "Team", "members": [2, 3]}`): a new group owned by
/// the caller.
#[server(prefix = "/api", endpoint = "rooms/group", input = Json)]
pub async fn create_group(name: String, members: Vec<UserId>) -> Result<RoomSummary, AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.create_group(&me, &name, &members).await
}

/// `GET /api/rooms/details?room_id=1`: the room and its participants.
#[server(prefix = "/api", endpoint = "rooms/details", input = GetUrl)]
pub async fn get_room_details(room_id: RoomId) -> Result<RoomDetails, AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.room_details(&me, room_id).await
}

/// `POST /api/rooms/participants` (JSON `{"room_id": 1, "user_ids": [4]}`): owners and admins
/// add people to a group.
#[server(prefix = "/api", endpoint = "rooms/participants", input = Json)]
pub async fn add_participants(room_id: RoomId, user_ids: Vec<UserId>) -> Result<RoomDetails, AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.add_participants(&me, room_id, &user_ids).await
}

/// `POST /api/rooms/leave` (JSON `{"room_id": 1}`).
#[server(prefix = "/api", endpoint = "rooms/leave", input = Json)]
pub async fn leave_room(room_id: RoomId) -> Result<(), AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.leave_room(&me, room_id).await
}

/// `POST /api/rooms/rename` (JSON `{"room_id": 1, "name": "New name"}`): groups only.
#[server(prefix = "/api", endpoint = "rooms/rename", input = Json)]
pub async fn rename_room(room_id: RoomId, name: String) -> Result<RoomSummary, AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.rename_room(&me, room_id, &name).await
}

/// `GET /api/users/search?query=ali`: people whose username or display name contains the query.
#[server(prefix = "/api", endpoint = "users/search", input = GetUrl)]
pub async fn search_users(query: String) -> Result<Vec<User>, AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.search_users(&me, &query).await
}

/// `GET /api/rooms/messages?room_id=1&before=<id>&after=<id>&limit=50`: one page of history,
/// oldest first. `before` pages backwards, `after` forwards; `limit` is at most 100.
#[server(prefix = "/api", endpoint = "rooms/messages", input = GetUrl)]
pub async fn room_messages(
    room_id: RoomId,
    before: Option<MessageId>,
    after: Option<MessageId>,
    limit: Option<u32>,
) -> Result<MessagePage, AppError> {
    let me = ssr::current_user().await?;
    let query = crate::backend::HistoryQuery { before, after, limit };
    crate::backend::backend()?.history(&me, room_id, query).await
}

/// `POST /api/rooms/read` (JSON `{"room_id": 1, "message_id": 123}`): everything up to that
/// message has been read.
#[server(prefix = "/api", endpoint = "rooms/read", input = Json)]
pub async fn mark_read(room_id: RoomId, message_id: MessageId) -> Result<(), AppError> {
    let me = ssr::current_user().await?;
    crate::backend::backend()?.mark_read(&me, room_id, message_id).await
}
