//! Request extractors: the authenticated caller, looked up once per request from the session
//! cookie or bearer token, and a route's query and path read with the API's JSON errors.

use app::{backend::token_from_headers, types::User, AppError};
use axum::{
    extract::{FromRequestParts, Path, Query},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

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

/// The query string, or a JSON `bad_request` saying what is wrong with it (axum's own answer
/// is plain text, unlike every other error of the API).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(e) => Err(AppError::bad_request(format!("Invalid request: {}", e.body_text())).into()),
        }
    }
}

/// The path's parameters, or a JSON `bad_request` (`/api/files/abc`: not an id).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(e) => Err(AppError::bad_request(format!("Invalid request: {}", e.body_text())).into()),
        }
    }
}
