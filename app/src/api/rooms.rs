//! Rooms: the list, private rooms, groups, membership, names, finding people.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use crate::{
    types::{Mute, NotifyLevel, RoomDetails, RoomId, RoomSummary, User, UserId},
    AppError,
};

/// `GET /api/rooms`: my rooms, most recent activity first, with last message and unread count.
#[server(prefix = "/api", endpoint = "rooms", input = GetUrl)]
pub async fn list_rooms() -> Result<Vec<RoomSummary>, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.list_rooms(&me).await
}

/// `POST /api/rooms/private` (JSON `{"user_id": 2}`): the private room with that user,
/// created on first use; there is only ever one per pair.
#[server(prefix = "/api", endpoint = "rooms/private", input = Json)]
pub async fn open_private_room(user_id: UserId) -> Result<RoomSummary, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.open_private_room(&me, user_id).await
}

/// `POST /api/rooms/group` (JSON `{"name": "Team", "members": [2, 3]}`): a new group owned by
/// the caller.
#[server(prefix = "/api", endpoint = "rooms/group", input = Json)]
pub async fn create_group(name: String, members: Vec<UserId>) -> Result<RoomSummary, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.create_group(&me, &name, &members).await
}

/// `GET /api/rooms/details?room_id=1`: the room and its participants.
#[server(prefix = "/api", endpoint = "rooms/details", input = GetUrl)]
pub async fn get_room_details(room_id: RoomId) -> Result<RoomDetails, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.room_details(&me, room_id).await
}

/// `POST /api/rooms/participants` (JSON `{"room_id": 1, "user_ids": [4]}`): owners and admins
/// add people to a group.
#[server(prefix = "/api", endpoint = "rooms/participants", input = Json)]
pub async fn add_participants(room_id: RoomId, user_ids: Vec<UserId>) -> Result<RoomDetails, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.add_participants(&me, room_id, &user_ids).await
}

/// `POST /api/rooms/leave` (JSON `{"room_id": 1}`).
#[server(prefix = "/api", endpoint = "rooms/leave", input = Json)]
pub async fn leave_room(room_id: RoomId) -> Result<(), AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.leave_room(&me, room_id).await
}

/// `POST /api/rooms/rename` (JSON `{"room_id": 1, "name": "New name"}`): groups only.
#[server(prefix = "/api", endpoint = "rooms/rename", input = Json)]
pub async fn rename_room(room_id: RoomId, name: String) -> Result<RoomSummary, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.rename_room(&me, room_id, &name).await
}

/// `POST /api/rooms/retention` (JSON `{"room_id": 1, "days": 30}`): how many days the group
/// keeps messages (0: forever; `days` absent or null: the server's `--retain-days`). The
/// group's owner only; answers the room's details with the policy now in force.
#[server(prefix = "/api", endpoint = "rooms/retention", input = Json)]
pub async fn set_retention(room_id: RoomId, days: Option<u32>) -> Result<RoomDetails, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.set_retention(&me, room_id, days).await
}

/// `POST /api/rooms/notify` (JSON `{"room_id": 1, "level": "mentions", "mute": "8h"}`): how
/// the room notifies me. `level` is `all`, `mentions` or `nothing` (absent: my default);
/// `mute` is `off`, `1h`, `8h` or `forever` (until unmuted), or absent to keep it as it is.
#[server(prefix = "/api", endpoint = "rooms/notify", input = Json)]
pub async fn set_room_notify(
    room_id: RoomId,
    level: Option<NotifyLevel>,
    mute: Option<Mute>,
) -> Result<RoomSummary, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.set_room_notify(&me, room_id, level, mute).await
}

/// `GET /api/users/search?query=ali`: people whose username or display name contains the query.
#[server(prefix = "/api", endpoint = "users/search", input = GetUrl)]
pub async fn search_users(query: String) -> Result<Vec<User>, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.search_users(&me, &query).await
}
