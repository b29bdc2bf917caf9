//! Server-side error handling: causes are logged here, clients only ever see an [`AppError`].

use app::AppError;
use axum::{
    body::Body,
    http::{header, HeaderValue, Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};

use crate::storage::StorageError;

/// Maps a storage failure to what the client may know, logging the cause: the one place
/// where storage errors become client errors (`?` uses it through the `From` below).
pub fn storage_error(e: StorageError) -> AppError {
    match e {
        StorageError::Conflict => AppError::Conflict { field: None, message: "That already exists.".into() },
        StorageError::NotFound => AppError::not_found("Not found."),
        other => {
            tracing::error!(error = %other, "storage failure");
            AppError::internal()
        }
    }
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        storage_error(e)
    }
}

/// An [`AppError`] as a plain axum response (for handlers that are not server functions).
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(&self.0)).into_response();
        if let AppError::RateLimited { retry_after_secs, .. } = self.0 {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        res
    }
}

/// Server functions answer every error with 500; this restores the status the error's `code`
/// stands for (and `Retry-After` for rate limits), so curl users and browsers see 401, 409, 422…
pub async fn server_fn_status(req: Request<Body>, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::RateLimited { retry_after_secs, .. } = err {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
