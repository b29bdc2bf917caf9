//! Files: the check a browser makes before sending a file's bytes. Uploads and downloads
//! themselves are plain routes on the server (`POST /api/files`, `GET /api/files/{id}`):
//! they stream, and a server function would buffer.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::ssr;
use crate::{types::RoomId, AppError};

/// `GET /api/files/check?room_id=1&size=123`: whether a file of `size` bytes may be uploaded
/// to the room now (membership, the per-file limit, what is left of my quota), with the
/// refusal the upload itself would get. Asking first spares a browser sending megabytes only
/// to be cut off, which it reports as a network error rather than the reason.
#[server(prefix = "/api", endpoint = "files/check", input = GetUrl)]
pub async fn check_upload(room_id: RoomId, size: u64) -> Result<(), AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.check_upload(&me, room_id, size).await
}
