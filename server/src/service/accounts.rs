//! Accounts: registration, login (rate-limited, timing-safe), sessions and their end on every
//! node.

use std::{net::IpAddr, sync::Arc, time::Duration};

use app::{
    backend::{NewSession, SESSION_COOKIE},
    types::{self, limits, Settings, SettingsChange, User},
    AppError,
};

use super::now_ms;
use crate::{
    auth::{self, LoginLimiter},
    bus::Bus,
    events::Event,
    storage::{Storage, StorageError},
};

pub struct Accounts {
    storage: Arc<Storage>,
    bus: Arc<dyn Bus>,
    limiter: Arc<LoginLimiter>,
    session_ttl: Duration,
    secure_cookies: bool,
    /// Compared against when a username does not exist, so timing does not reveal which do.
    dummy_hash: String,
}

impl Accounts {
    pub async fn new(
        storage: Arc<Storage>,
        bus: Arc<dyn Bus>,
        limiter: Arc<LoginLimiter>,
        session_ttl: Duration,
        secure_cookies: bool,
    ) -> Result<Self, AppError> {
        let dummy_hash = auth::hash_password(auth::new_token()).await?;
        Ok(Self { storage, bus, limiter, session_ttl, secure_cookies, dummy_hash })
    }

    pub async fn register(&self, username: &str, display_name: &str, password: &str) -> Result<NewSession, AppError> {
        // Every field is checked, so the form can say all that is wrong at once: a taken
        // username too. It is looked up only to go with other problems; alone, the insert
        // below finds it (and settles a race for it).
        let taken = || AppError::conflict("username", "That username is taken. Please choose another.");
        let username = types::normalize_username(username);
        let display_name = types::validate_display_name(display_name, username.as_deref().unwrap_or_default());
        let password_ok = types::validate_password(password);
        let username_taken = match &username {
            Ok(name) if display_name.is_err() || password_ok.is_err() => {
                self.storage.credentials(name).await?.is_some()
            }
            _ => false,
        };
        let (username, display_name) = match (username, display_name, password_ok) {
            (Ok(username), Ok(display_name), Ok(())) if !username_taken => (username, display_name),
            (username, display_name, password_ok) => {
                let name_error = username.err().or_else(|| username_taken.then(taken));
                let (display_error, password_error) = (display_name.err(), password_ok.err());
                // A broken rule leads (422); a taken name follows it, or is the answer alone (409).
                let errors = if matches!(name_error, Some(AppError::Conflict { .. })) {
                    [display_error, password_error, name_error]
                } else {
                    [name_error, display_error, password_error]
                };
                return Err(AppError::together(errors).unwrap_or_else(AppError::internal));
            }
        };
        let hash = auth::hash_password(password.to_string()).await?;
        let user = match self.storage.create_user(&username, &display_name, &hash, now_ms()).await {
            Ok(user) => user,
            Err(StorageError::Conflict) => return Err(taken()),
            Err(e) => return Err(e.into()),
        };
        tracing::info!(user = %user.id, username = %user.username, "account created");
        self.new_session(user).await
    }

    pub async fn login(&self, username: &str, password: &str, ip: Option<IpAddr>) -> Result<NewSession, AppError> {
        let wrong = || AppError::Unauthorized { message: "Wrong username or password.".into() };
        let username = username.trim().to_lowercase();
        if username.is_empty() || username.len() > limits::USERNAME_MAX || password.len() > limits::PASSWORD_MAX {
            return Err(wrong());
        }
        self.limiter.check(&username, ip)?;
        let creds = self.storage.credentials(&username).await?;
        let hash = creds.as_ref().map_or_else(|| self.dummy_hash.clone(), |c| c.password_hash.clone());
        let ok = auth::verify_password(password.to_string(), hash).await?;
        match creds {
            Some(c) if ok => self.new_session(c.user).await,
            _ => Err(wrong()),
        }
    }

    /// Ends the session, and closes its WebSockets on every node.
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        let token_hash = auth::hash_token(token);
        if let Some(user) = self.storage.delete_session(&token_hash).await? {
            self.bus.publish(Event::SessionsEnded { user, token_hash: Some(token_hash) });
        }
        Ok(())
    }

    pub async fn authenticate(&self, token: &str) -> Result<User, AppError> {
        if token.len() > 128 {
            return Err(AppError::unauthorized());
        }
        self.storage.session_user(&auth::hash_token(token), now_ms()).await?.ok_or_else(AppError::unauthorized)
    }

    pub fn session_cookie(&self, token: Option<&str>) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        match token {
            Some(token) => format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                self.session_ttl.as_secs()
            ),
            None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
        }
    }

    pub async fn settings(&self, me: &User) -> Result<Settings, AppError> {
        self.storage.settings(me.id).await?.ok_or_else(AppError::unauthorized)
    }

    /// Saves what `change` names of my display name (empty: my username), notification
    /// defaults and theme; the rest stays.
    pub async fn update_settings(&self, me: &User, change: SettingsChange) -> Result<Settings, AppError> {
        let mut settings = self.settings(me).await?;
        let old_name = settings.user.display_name.clone();
        if let Some(name) = change.display_name {
            settings.user.display_name = types::validate_display_name(&name, &me.username)?;
        }
        settings.notify = change.notify.unwrap_or(settings.notify);
        settings.sound = change.sound.unwrap_or(settings.sound);
        settings.theme = change.theme.unwrap_or(settings.theme);
        settings.language = change.language.unwrap_or(settings.language);
        self.storage.update_settings(&settings).await?;
        if settings.user.display_name != old_name {
            self.bus.publish(Event::ProfileChanged { user: me.id });
        }
        Ok(settings)
    }

    /// Replaces my password after checking the current one, and ends every other session of
    /// mine, closing their sockets on every node. The session `token` (the one asking) stays.
    pub async fn change_password(&self, me: &User, token: &str, current: &str, new: &str) -> Result<(), AppError> {
        if current.len() > limits::PASSWORD_MAX {
            return Err(AppError::invalid("current_password", "That is not your current password."));
        }
        // Guessing the current password is limited like logging in, in a budget of its own
        // (no username contains ':'), so a change does not use up the next logins.
        self.limiter.check(&format!("password-change:{}", me.username), None)?;
        let hash = self.storage.password_hash(me.id).await?.ok_or_else(AppError::unauthorized)?;
        if !auth::verify_password(current.to_string(), hash).await? {
            return Err(AppError::invalid("current_password", "That is not your current password."));
        }
        types::validate_password(new).map_err(|e| e.about("new_password"))?;
        let new_hash = auth::hash_password(new.to_string()).await?;
        let ended = self.storage.change_password(me.id, &new_hash, Some(&auth::hash_token(token))).await?;
        tracing::info!(user = %me.id, sessions_ended = ended.len(), "password changed");
        for token_hash in ended {
            self.bus.publish(Event::SessionsEnded { user: me.id, token_hash: Some(token_hash) });
        }
        Ok(())
    }

    pub async fn search_users(&self, me: &User, query: &str) -> Result<Vec<User>, AppError> {
        let needle = query.trim().to_lowercase();
        if needle.chars().count() > limits::SEARCH_QUERY_MAX {
            return Err(AppError::invalid("query", "That search is too long."));
        }
        Ok(self.storage.search_users(&needle, me.id, 20).await?)
    }

    async fn new_session(&self, user: User) -> Result<NewSession, AppError> {
        let token = auth::new_token();
        let now = now_ms();
        let expires = now + self.session_ttl.as_millis() as i64;
        self.storage.create_session(&auth::hash_token(&token), user.id, now, expires).await?;
        Ok(NewSession { user, token })
    }

    /// Deletes expired sessions and forgets idle rate-limit keys; run periodically.
    pub async fn housekeeping(&self) {
        match self.storage.delete_expired_sessions(now_ms()).await {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
        }
        self.limiter.prune();
    }
}
