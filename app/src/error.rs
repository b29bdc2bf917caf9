//! [`AppError`]: the error every server function and WebSocket frame reports.
//!
//! It serializes as `{"code": "...", "message": "...", ...}` so that curl users, the WASM client
//! and the WebSocket protocol all see the same shape. Internal causes never reach it: the server
//! logs them and sends [`AppError::Internal`] with a generic message.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// Malformed request (e.g. a form field missing or of the wrong type).
    #[error("{message}")]
    BadRequest { message: String },
    /// Input that parsed but breaks a rule; `field` names the form field to highlight.
    #[error("{message}")]
    Invalid {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Unauthorized { message: String },
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    Conflict {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    PayloadTooLarge { message: String },
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    /// Something failed on the server; the cause is in the server log, not here.
    #[error("{message}")]
    Internal { message: String },
    /// The request never got an answer (offline, server down, unreadable response).
    #[error("{message}")]
    Network { message: String },
}

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest { message: message.into() }
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: Some(field.to_string()), message: message.into() }
    }
    pub fn unauthorized() -> Self {
        Self::Unauthorized { message: "Please log in.".into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden { message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound { message: message.into() }
    }
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict { field: Some(field.to_string()), message: message.into() }
    }
    pub fn internal() -> Self {
        Self::Internal { message: "Something went wrong on our side. Please try again.".into() }
    }

    /// The HTTP status this error is sent with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::Unauthorized { .. } => 401,
            Self::Forbidden { .. } => 403,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::PayloadTooLarge { .. } => 413,
            Self::Invalid { .. } => 422,
            Self::RateLimited { .. } => 429,
            Self::Internal { .. } => 500,
            Self::Network { .. } => 503,
        }
    }

    /// A stable machine-readable code, as sent in the `code` field.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad_request",
            Self::Invalid { .. } => "invalid",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal { .. } => "internal",
            Self::Network { .. } => "network",
        }
    }

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } | Self::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                Self::bad_request(format!("Invalid request: {m}"))
            }
            // On the server it is the request's body that could not be read: the caller's
            // mistake (an unknown value, say), not the network.
            ServerFnErrorErr::Deserialization(m) if cfg!(feature = "ssr") => {
                Self::bad_request(format!("Invalid request: {m}"))
            }
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) | ServerFnErrorErr::Deserialization(m) => {
                Self::Network { message: format!("Could not reach Confab ({m}). Check your connection.") }
            }
            _ => Self::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_code_tag() {
        let e = AppError::conflict("username", "That username is taken.");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "conflict", "field": "username", "message": "That username is taken."})
        );
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.status_code(), 409);
    }

    #[test]
    fn code_matches_serialized_tag() {
        for e in [
            AppError::bad_request("x"),
            AppError::invalid("f", "x"),
            AppError::unauthorized(),
            AppError::forbidden("x"),
            AppError::not_found("x"),
            AppError::internal(),
            AppError::RateLimited { message: "x".into(), retry_after_secs: 3 },
        ] {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["code"], e.code());
        }
    }
}
