//! Accounts: register, log in, tokens, log out, who am I.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use crate::{
    types::{Language, NotifyLevel, Settings, Theme, User},
    AppError,
};

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
    ssr::set_theme_cookie(Theme::default());
    ssr::redirect_form_post(&crate::nav::safe_next(next));
    Ok(session.user)
}

/// `POST /api/login` (form: `username`, `password`, `next`): sets the session cookie and
/// redirects to `next`.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String, next: Option<String>) -> Result<User, AppError> {
    let backend = crate::backend::backend()?;
    let session = backend.login(&username, &password, ssr::client_ip()).await?;
    ssr::set_cookie(&backend.session_cookie(Some(&session.token)));
    // This browser takes the account's theme and language from now on.
    if let Ok(settings) = backend.settings(&session.user).await {
        ssr::set_theme_cookie(settings.theme);
        if settings.language != Language::Auto {
            ssr::set_language_cookie(settings.language);
        }
    }
    ssr::redirect_form_post(&crate::nav::safe_next(next));
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
    match ssr::me().await {
        Ok(user) => Ok(Some(user)),
        Err(AppError::Unauthorized { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `GET /api/settings`: my display name and notification defaults.
#[server(prefix = "/api", endpoint = "settings", input = GetUrl)]
pub async fn get_settings() -> Result<Settings, AppError> {
    let me = ssr::me().await?;
    crate::backend::backend()?.settings(&me).await
}

/// `POST /api/settings/save` (JSON, any of `{"display_name": "Alice", "notify": "mentions",
/// "sound": false, "theme": "dark", "language": "th"}`): saves what is given (an empty display
/// name is my username) and returns all my settings. Sets the theme and language cookies the
/// pages are rendered with.
#[server(prefix = "/api", endpoint = "settings/save", input = Json)]
pub async fn save_settings(
    display_name: Option<String>,
    notify: Option<NotifyLevel>,
    sound: Option<bool>,
    theme: Option<Theme>,
    language: Option<Language>,
) -> Result<Settings, AppError> {
    let me = ssr::me().await?;
    let change = crate::types::SettingsChange { display_name, notify, sound, theme, language };
    let settings = crate::backend::backend()?.update_settings(&me, change).await?;
    ssr::set_theme_cookie(settings.theme);
    if language.is_some() {
        ssr::set_language_cookie(settings.language);
    }
    Ok(settings)
}

/// `POST /api/password` (JSON `{"current_password": "…", "new_password": "…"}`): replaces my
/// password and ends every other session of mine, closing their WebSockets on every node. This
/// session stays.
#[server(prefix = "/api", endpoint = "password", input = Json)]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    let me = ssr::me().await?;
    let token = ssr::token().ok_or_else(AppError::unauthorized)?;
    crate::backend::backend()?.change_password(&me, &token, &current_password, &new_password).await
}
