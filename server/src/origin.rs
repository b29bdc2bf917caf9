//! Origin checks for WebSocket upgrades and state-changing requests (CSRF defence beside
//! SameSite cookies). Requests without an Origin header come from non-browser clients and pass:
//! browsers always send Origin on cross-origin WebSocket upgrades and POSTs.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, Method, Request},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{error::ApiError, AppState};

pub fn origin_allowed(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if let Some(public) = public_origin {
        return origin.trim_end_matches('/') == public.trim_end_matches('/');
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin.split_once("://").is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && rest == host)
}

/// Refuses cross-origin state changes (anything but GET, HEAD and OPTIONS).
pub async fn check_origin(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !origin_allowed(req.headers(), state.config.public_origin.as_deref()) {
        return ApiError(app::AppError::forbidden("Cross-origin requests are not allowed.")).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_and_originless_pass() {
        assert!(origin_allowed(&headers(None, "chat.local"), None));
        assert!(origin_allowed(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"), None));
        assert!(origin_allowed(&headers(Some("https://chat.example.com"), "x"), Some("https://chat.example.com/")));
    }

    #[test]
    fn foreign_origins_fail() {
        assert!(!origin_allowed(&headers(Some("http://evil.example"), "127.0.0.1:3000"), None));
        assert!(!origin_allowed(&headers(Some("null"), "127.0.0.1:3000"), None));
        assert!(!origin_allowed(&headers(Some("http://127.0.0.1:3000"), "x"), Some("https://chat.example.com")));
    }
}
