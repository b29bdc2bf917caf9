//! The file routes, transport only: `POST /api/files` streams an upload's body into
//! [`Files`](crate::service::files::Files) (a server function would buffer it whole), and
//! `GET /api/files/{id}[/preview|/thumb]` serves a member the bytes with safe headers, ranges
//! and revalidation.

use app::{
    types::{self, Message, MessageId, RoomId},
    AppError,
};
use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, Request, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::{
    blobs::Variant,
    error::ApiError,
    extract::{ApiPath, ApiQuery, AuthUser},
    service::files::{content_disposition, served_type, Download},
    AppState,
};

#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    pub room_id: RoomId,
    /// Makes a retried upload return the first one's message instead of a second message.
    pub client_id: String,
    /// The file's name as the uploader had it (display only).
    pub name: String,
    #[serde(default)]
    pub caption: String,
}

/// `POST /api/files?room_id=1&client_id=u-1&name=photo.jpg&caption=…` with the file as the
/// raw body: stores it and posts it to the room as an `IMAGE` or `FILE` message, which it
/// returns. Too large (per file, or for the uploader's quota) is refused with 413 from the
/// declared length, before the body is read, and again while streaming if the length lied.
pub async fn upload(
    State(state): State<AppState>,
    AuthUser { user, .. }: AuthUser,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Message>, ApiError> {
    let service = &state.service;
    types::validate_client_id(&q.client_id)?;
    service.access.require_role(&user, q.room_id).await?;
    if let Some(sent) = service.messages.sent_before(&user, &q.client_id).await? {
        if sent.room_id != q.room_id {
            return Err(AppError::conflict("client_id", "This client_id was already used for another room.").into());
        }
        return Ok(Json(sent));
    }
    let caption = service.messages.caption(&user, q.room_id, &q.caption).await?;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let admission = service.files.admit(&user, q.room_id, declared).await?;
    let received = service.files.receive(&q.name, body.into_data_stream(), admission.allowed).await?;
    let message =
        service.messages.send_attachment(&user, q.room_id, &q.client_id, caption, received.attachment.clone()).await?;
    Ok(Json(message))
}

/// `GET /api/files/{id}`: the file of message `id`, for members of its room.
pub async fn download(
    State(state): State<AppState>,
    AuthUser { user, .. }: AuthUser,
    ApiPath(id): ApiPath<MessageId>,
    req: Request<Body>,
) -> Result<Response, ApiError> {
    let file = state.service.files.open(&user, id, Variant::Original).await?;
    Ok(serve(file, Variant::Original, req).await)
}

/// `GET /api/files/{id}/preview` (fits 800×600) and `/thumb` (a small square), for images.
pub async fn download_variant(
    State(state): State<AppState>,
    AuthUser { user, .. }: AuthUser,
    ApiPath((id, variant)): ApiPath<(MessageId, String)>,
    req: Request<Body>,
) -> Result<Response, ApiError> {
    let variant = match variant.as_str() {
        "preview" => Variant::Preview,
        "thumb" => Variant::Thumb,
        _ => return Err(AppError::not_found("No such file.").into()),
    };
    let file = state.service.files.open(&user, id, variant).await?;
    Ok(serve(file, variant, req).await)
}

/// The bytes with headers that keep a browser from running them: the sniffed type with
/// `nosniff`, `attachment` for everything but the four image types, a sandboxing CSP. Ranges
/// (resumed downloads) and `If-None-Match` (content never changes under an id) are honoured;
/// caching is private to the member's browser.
async fn serve(download: Download, variant: Variant, req: Request<Body>) -> Response {
    let suffix = match variant {
        Variant::Original => "",
        Variant::Preview => "-p",
        Variant::Thumb => "-t",
    };
    let etag = format!("\"{}{suffix}\"", &download.file.sha256[..32]);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match ServeFile::new(&download.path).oneshot(req).await {
            Ok(r) => r.map(Body::new),
            Err(e) => {
                tracing::error!(error = %e, "cannot serve a file");
                return ApiError(AppError::internal()).into_response();
            }
        }
    };
    let h = response.headers_mut();
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    h.insert(header::CONTENT_TYPE, value(served_type(&download.mime)));
    h.insert(header::CONTENT_DISPOSITION, value(&content_disposition(&download.file.name, &download.mime)));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
    h.insert(header::ETAG, value(&etag));
    h.remove(header::LAST_MODIFIED);
    response
}
