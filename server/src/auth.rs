//! Passwords, session tokens and login rate limits.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes) on
//!   tokio's blocking pool, so a burst of logins never stalls the async workers, one per core
//!   at a time, so it never takes more than a few hashes' memory either.
//! - Session tokens are 256 random bits, handed out base64url-encoded and stored only as their
//!   SHA-256, so a leaked database does not leak sessions.
//! - Login attempts are limited per username and per client IP (governor's GCRA), counting every
//!   attempt, so neither password guessing on one account nor spraying across accounts scales.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, LazyLock},
    time::Duration,
};

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, Quota, RateLimiter};
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use app::AppError;

/// Password hashes computed at once: one per core. Each takes 19 MiB and a core for tens of
/// milliseconds, so a burst of registrations or logins (which no login limit stops before
/// the hash) waits its turn instead of taking the memory of hundreds at once on tokio's
/// blocking pool.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// Runs password work on the blocking pool, at most one per core.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let _turn = HASHING.acquire().await.map_err(|e| internal("password hashing stopped", e))?;
    tokio::task::spawn_blocking(work).await.map_err(|e| internal("password hashing task failed", e))
}

/// Hashes a password with argon2id off the async runtime.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    hashing(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await?
    .map_err(|e| internal("password hashing failed", e))
}

/// Verifies a password against a stored PHC string off the async runtime.
pub async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    hashing(move || {
        PasswordHash::new(&hash).map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await?
    .map_err(|e| internal("stored password hash is unreadable", e))
}

/// A fresh session token: 32 random bytes, base64url without padding (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores for a token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "{what}");
    AppError::internal()
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Login attempt limits: a burst, then one more attempt per `period`.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_user_burst: u32,
    pub per_user_period: Duration,
    pub per_ip_burst: u32,
    pub per_ip_period: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_user_burst: 5,
            per_user_period: Duration::from_secs(30),
            per_ip_burst: 30,
            per_ip_period: Duration::from_secs(2),
        }
    }
}

pub struct LoginLimiter {
    by_user: Keyed<String>,
    by_ip: Keyed<IpAddr>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Arc<Self> {
        let quota = |burst: u32, period: Duration| {
            Quota::with_period(period)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
        };
        Arc::new(Self {
            by_user: RateLimiter::keyed(quota(limits.per_user_burst, limits.per_user_period)),
            by_ip: RateLimiter::keyed(quota(limits.per_ip_burst, limits.per_ip_period)),
        })
    }

    /// Counts one login attempt; `RateLimited` (with a retry delay) when over either limit.
    pub fn check(&self, username: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let clock = governor::clock::DefaultClock::default();
        let wait = |e: governor::NotUntil<governor::clock::QuantaInstant>| {
            use governor::clock::Clock;
            e.wait_time_from(clock.now()).as_secs().max(1)
        };
        if let Some(ip) = ip {
            if let Err(e) = self.by_ip.check_key(&ip) {
                return Err(limited(wait(e)));
            }
        }
        if let Err(e) = self.by_user.check_key(&username.to_string()) {
            return Err(limited(wait(e)));
        }
        Ok(())
    }

    /// Forgets idle keys, so the maps do not grow without bound.
    pub fn prune(&self) {
        self.by_user.retain_recent();
        self.by_ip.retain_recent();
    }
}

fn limited(retry_after_secs: u64) -> AppError {
    AppError::RateLimited {
        message: format!("Too many login attempts. Try again in {retry_after_secs} s."),
        retry_after_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let a = hash_password("correct horse".into()).await.unwrap();
        let b = hash_password("correct horse".into()).await.unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), a.clone()).await.unwrap());
        assert!(!verify_password("wrong horse".into(), a).await.unwrap());
    }

    /// However many ask at once, no more hashes run than there are cores.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_one_hash_per_core_runs_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..cores * 4)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(hashing(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert!((1..=cores).contains(&most.load(Ordering::SeqCst)), "{} at once", most.load(Ordering::SeqCst));
    }

    #[test]
    fn tokens_are_256_bits_and_stored_hashed() {
        let t = new_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap().len(), 32);
        assert_ne!(new_token(), t);
        let h = hash_token(&t);
        assert_eq!(h.len(), 64);
        assert_eq!(h, hash_token(&t));
    }

    #[test]
    fn limiter_blocks_after_burst_per_user_and_per_ip() {
        let l = LoginLimiter::new(LoginLimits {
            per_user_burst: 2,
            per_user_period: Duration::from_secs(60),
            per_ip_burst: 3,
            per_ip_period: Duration::from_secs(60),
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(l.check("alice", Some(ip)).is_ok());
        assert!(l.check("alice", Some(ip)).is_ok());
        let err = l.check("alice", Some(ip)).unwrap_err();
        assert!(matches!(err, AppError::RateLimited { retry_after_secs, .. } if retry_after_secs >= 1));
        // the IP had 3 attempts: the next one, for another user, is refused too
        assert!(l.check("bob", Some(ip)).is_err());
        // another IP for another user is fine
        assert!(l.check("carol", Some("10.0.0.2".parse().unwrap())).is_ok());
    }
}
