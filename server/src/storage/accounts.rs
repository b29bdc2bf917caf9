//! Accounts and sessions: users, password hashes, hashed session tokens.

use app::types::{Language, NotifyLevel, Settings, Theme, User, UserId};
use sqlx::Row;

use super::{bad_column, conflict_or_db, escape_like, user_from, Result, Storage, USER_COLS};

/// A user row with the password hash, for logging in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

impl Storage {
    pub async fn create_user(&self, username: &str, display_name: &str, password_hash: &str, now: i64) -> Result<User> {
        let id: i64 = sqlx::query_scalar(
            // The first account administers the instance.
            "INSERT INTO users (username, display_name, password_hash, created_at, is_admin) \
             VALUES ($1, $2, $3, $4, NOT EXISTS (SELECT 1 FROM users)) RETURNING id",
        )
        .bind(username)
        .bind(display_name)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(conflict_or_db)?;
        Ok(User { id: UserId(id), username: username.to_string(), display_name: display_name.to_string() })
    }

    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.username = $1"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Credentials { user: user_from(&r)?, password_hash: r.try_get("password_hash")? })).transpose()
    }

    pub async fn password_hash(&self, user: UserId) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        Ok(self.credentials(username).await?.map(|c| c.user))
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    /// People whose username or display name contains `needle` (already lower-cased).
    pub async fn search_users(&self, needle: &str, exclude: UserId, limit: i64) -> Result<Vec<User>> {
        let pattern = format!("%{}%", escape_like(needle));
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users u \
             WHERE u.id <> $1 AND (u.username LIKE $2 ESCAPE '\\' OR LOWER(u.display_name) LIKE $2 ESCAPE '\\') \
             ORDER BY u.username LIMIT $3"
        ))
        .bind(exclude.0)
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from).collect()
    }

    pub async fn create_session(&self, token_hash: &str, user: UserId, now: i64, expires_at: i64) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user.0)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    /// Ends a session; returns whose it was (`None` if it did not exist).
    pub async fn delete_session(&self, token_hash: &str) -> Result<Option<UserId>> {
        let user: Option<i64> = sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(user.map(UserId))
    }

    pub async fn settings(&self, user: UserId) -> Result<Option<Settings>> {
        // The sound flag as an integer: SQLite stores booleans as integers, PostgreSQL does not.
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, u.notify, u.theme, u.language, CAST(CASE WHEN u.sound THEN 1 ELSE 0 END AS BIGINT) AS sound, \
             CAST(CASE WHEN u.is_admin THEN 1 ELSE 0 END AS BIGINT) AS admin FROM users u WHERE u.id = $1"
        ))
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let notify: String = r.try_get("notify")?;
        let theme: String = r.try_get("theme")?;
        let language: String = r.try_get("language")?;
        Ok(Some(Settings {
            user: user_from(&r)?,
            notify: NotifyLevel::parse(&notify).ok_or_else(|| bad_column("notify", &notify))?,
            sound: r.try_get::<i64, _>("sound")? != 0,
            theme: Theme::parse(&theme).ok_or_else(|| bad_column("theme", &theme))?,
            language: Language::parse(&language).ok_or_else(|| bad_column("language", &language))?,
            admin: r.try_get::<i64, _>("admin")? != 0,
        }))
    }

    /// Whether `user` administers the instance (read on every admin request: a revocation
    /// applies at once, on every node).
    pub async fn is_admin(&self, user: UserId) -> Result<bool> {
        let admin: Option<i64> =
            sqlx::query_scalar("SELECT CAST(CASE WHEN is_admin THEN 1 ELSE 0 END AS BIGINT) FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(admin == Some(1))
    }

    /// Grants or revokes admin rights by username; false when there is no such account.
    pub async fn set_admin(&self, username: &str, admin: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET is_admin = ($1 = 1) WHERE username = $2")
            .bind(i64::from(admin))
            .bind(username.to_lowercase())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn update_settings(&self, settings: &Settings) -> Result<()> {
        sqlx::query("UPDATE users SET display_name = $1, notify = $2, sound = ($3 = 1), theme = $4, language = $5 WHERE id = $6")
            .bind(&settings.user.display_name)
            .bind(settings.notify.as_str())
            .bind(i64::from(settings.sound))
            .bind(settings.theme.as_str())
            .bind(settings.language.as_str())
            .bind(settings.user.id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces a password and ends every session of the user but `keep`, in one transaction.
    /// Returns the ended sessions' token hashes.
    pub async fn change_password(&self, user: UserId, password_hash: &str, keep: Option<&str>) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        let ended: Vec<String> =
            sqlx::query_scalar("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2 RETURNING token_hash")
                .bind(user.0)
                .bind(keep.unwrap_or(""))
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(ended)
    }

    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
