//! The HTTP API: thin `#[server]` functions with fixed paths under `/api`, one module per
//! domain ([`accounts`], [`admin`], [`files`], [`rooms`], [`messages`], [`search`]).
//!
//! Each one authenticates the caller ([`ssr::me`]), calls the
//! [`ChatBackend`](crate::backend::ChatBackend) and returns its result; nothing else. The server turns an error's `code` into the HTTP
//! status. Account endpoints take form-encoded bodies so that plain HTML forms work without JavaScript;
//! chat endpoints take JSON; reads are `GET` with query strings. The README lists every
//! endpoint with a curl example.

pub mod accounts;
pub mod admin;
pub mod files;
pub mod messages;
pub mod rooms;
pub mod search;

pub use accounts::*;
pub use admin::*;
pub use files::*;
pub use messages::*;
pub use rooms::*;
pub use search::*;

/// Server-side helpers shared by the endpoints.
#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use http::{header, request::Parts, HeaderValue};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use crate::{
        backend::{backend, cookie, token_from_headers, ClientIp},
        types::{Language, Theme, User, LANG_COOKIE, THEME_COOKIE},
        AppError,
    };

    pub fn parts() -> Result<Parts, AppError> {
        use_context::<Parts>().ok_or_else(AppError::internal)
    }

    pub fn token() -> Option<String> {
        parts().ok().and_then(|p| token_from_headers(&p.headers))
    }

    pub fn client_ip() -> Option<std::net::IpAddr> {
        parts().ok().and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0))
    }

    /// The authenticated caller (the session cookie or bearer token), or `Unauthorized`.
    pub async fn me() -> Result<User, AppError> {
        let token = token().ok_or_else(AppError::unauthorized)?;
        backend()?.authenticate(&token).await
    }

    pub fn set_cookie(value: &str) {
        if let (Some(res), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(value)) {
            res.append_header(header::SET_COOKIE, value);
        }
    }

    /// Remembers the theme in this browser, for the server to render pages in (a year).
    pub fn set_theme_cookie(theme: Theme) {
        set_cookie(&format!("{}={}; Path=/; Max-Age=31536000; SameSite=Lax", THEME_COOKIE, theme.as_str()));
    }

    /// Pins this browser's UI language to the account's choice; `Auto` forgets the pin, so the
    /// browser's `Accept-Language` decides again.
    pub fn set_language_cookie(language: Language) {
        match language.locale() {
            Some(locale) => set_cookie(&format!("{LANG_COOKIE}={locale}; Path=/; Max-Age=31536000; SameSite=Lax")),
            None => set_cookie(&format!("{LANG_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax")),
        }
    }

    /// A cookie of this request, if it has a value.
    pub fn request_cookie(name: &str) -> Option<String> {
        let parts = parts().ok()?;
        cookie(&parts.headers, name).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// The theme this request's cookie names (the system's when none).
    pub fn theme() -> Theme {
        let Ok(parts) = parts() else { return Theme::default() };
        cookie(&parts.headers, THEME_COOKIE).and_then(Theme::parse).unwrap_or_default()
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
