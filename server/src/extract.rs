//! Request extractors: the authenticated caller, looked up once per request from the session
//! cookie or bearer token.

use app::{backend::token_from_headers, types::User, AppError};
use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{auth, error::ApiError, AppState};

/// The caller, authenticated; a handler taking it answers 401 to everyone else.
pub struct AuthUser {
    pub user: User,
    /// The session's stored form, so ending the session can find its sockets.
    pub token_hash: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token_from_headers(&parts.headers).ok_or_else(AppError::unauthorized)?;
        let user = state.service.accounts.authenticate(&token).await?;
        Ok(Self { user, token_hash: auth::hash_token(&token) })
    }
}
