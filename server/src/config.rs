//! Configuration from the command line and environment (`confab --help` lists it all).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;

const MIB: u64 = 1024 * 1024;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "confab",
    version,
    about = "Confab: self-hosted real-time team chat",
    long_about = "Confab: self-hosted real-time team chat.\n\nThe web client is embedded in this \
                  binary: it runs from any directory, needing only its database and data \
                  directory. Without a command it serves; `backup` and `restore` copy a SQLite \
                  database and its files; `admin` grants the monitor at /admin."
)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on [default: LEPTOS_SITE_ADDR, else 127.0.0.1:3000]
    #[arg(long, env = "CONFAB_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Database: sqlite://path/to/file.db (created on first run), sqlite::memory:, or
    /// postgres://user:pass@host:port/db
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/confab.db")]
    pub database_url: String,

    /// Directory for the data Confab keeps besides the database (created on start)
    #[arg(long, env = "CONFAB_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Log filter, in tracing's EnvFilter syntax (e.g. "info,server=debug")
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// Public origin of the site (e.g. https://chat.example.com). Browsers' Origin headers on
    /// WebSocket upgrades and form posts must match it; when unset they must match the Host.
    #[arg(long, env = "CONFAB_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,

    /// Mark the session cookie Secure (set this when serving over HTTPS)
    #[arg(long, env = "CONFAB_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Session lifetime in days
    #[arg(long, env = "CONFAB_SESSION_DAYS", default_value_t = 30)]
    pub session_days: u64,

    /// Login attempts allowed per username before throttling
    #[arg(long, env = "CONFAB_LOGIN_BURST_PER_USER", default_value_t = 5)]
    pub login_burst_per_user: u32,

    /// Login attempts allowed per client IP before throttling
    #[arg(long, env = "CONFAB_LOGIN_BURST_PER_IP", default_value_t = 30)]
    pub login_burst_per_ip: u32,

    /// Frames queued per WebSocket before the client counts as too slow and is disconnected
    #[arg(long, env = "CONFAB_WS_QUEUE", default_value_t = 1024)]
    pub ws_queue: usize,

    /// Least milliseconds between two message commits. Under load, messages arriving within
    /// this window share one commit and one write per recipient (less CPU per delivery, up to
    /// this much added latency); a message arriving when the server is quiet goes out at once.
    #[arg(long, env = "CONFAB_COMMIT_INTERVAL_MS", default_value_t = crate::service::DEFAULT_COMMIT_INTERVAL_MS)]
    pub commit_interval_ms: u64,

    /// Minutes after sending during which people may edit their messages; 0 allows editing at
    /// any time (deleting is always allowed)
    #[arg(long, env = "CONFAB_EDIT_WINDOW_MINS", default_value_t = app::types::limits::EDIT_WINDOW_DEFAULT_MINS)]
    pub edit_window_mins: u64,

    /// Largest file one upload may carry, in MiB
    #[arg(long, env = "CONFAB_UPLOAD_MAX_MIB", default_value_t = app::types::limits::UPLOAD_MAX_BYTES_DEFAULT / MIB)]
    pub upload_max_mib: u64,

    /// Storage each user may fill with uploads, in MiB (files in deleted messages do not count)
    #[arg(long, env = "CONFAB_QUOTA_MIB", default_value_t = app::types::limits::QUOTA_BYTES_DEFAULT / MIB)]
    pub quota_mib: u64,

    /// This server's name among several sharing one PostgreSQL database (in logs and
    /// cross-node notices). Must differ per node [default: the host name and process id]
    #[arg(long, env = "CONFAB_NODE_ID")]
    pub node_id: Option<String>,

    /// WebSockets this process accepts at once; more are refused with 503 (clients retry,
    /// and a load balancer can send them to another node). Each is an open file: the server
    /// raises its open-file limit to the most it is allowed, and lowers this to fit (with a
    /// warning) if that is still too few
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS", default_value_t = 100_000)]
    pub max_connections: usize,

    /// Days messages are kept before a background job removes them, with their files,
    /// reactions and search entries (0: forever). A group's owner may set the group's own
    /// policy instead
    #[arg(long, env = "CONFAB_RETAIN_DAYS", default_value_t = 0)]
    pub retain_days: u32,

    /// SQLite: messages a search reads for one page when it scans them rather than use the
    /// index (every word shorter than 3 characters, only a sender or a kind, or in one room a
    /// word in over 2,000 messages). Past that, the page shows what
    /// it found and how far back it searched, and the next page reads on; about 3 µs a message
    /// here. (PostgreSQL reads to the end: 0.15 µs a message, holding up no writer)
    #[arg(
        long,
        env = "CONFAB_SEARCH_READ_LIMIT",
        default_value_t = crate::storage::search::SCAN_BUDGET,
        value_parser = clap::value_parser!(i64).range(1..)
    )]
    pub search_read_limit: i64,

    /// Proxies (IPs or CIDR ranges, comma-separated) whose X-Forwarded-For is believed. A
    /// request from one of them is attributed to the right-most address in that header that is
    /// not itself a trusted proxy; every other request to its peer address. Unset: the header
    /// is ignored
    #[arg(long, env = "CONFAB_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<crate::proxy::IpRange>,
}

/// What to do instead of serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Copy the SQLite database (a consistent snapshot, while the server runs) and the
    /// uploaded files into a new directory
    Backup {
        /// The directory to create (it must not hold a backup already)
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup in place of the database and add its files (stop the server first)
    Restore {
        /// A directory made by `backup`
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database (it is kept beside, renamed)
        #[arg(long)]
        force: bool,
    },
    /// Grant or revoke instance admin rights (the monitor at /admin); the first account has
    /// them. Applies at once, running servers included
    Admin {
        /// The account to make an admin
        #[arg(long, conflicts_with = "revoke", required_unless_present = "revoke")]
        grant: Option<String>,
        /// The account to take admin rights from
        #[arg(long)]
        revoke: Option<String>,
    },
}

impl Config {
    /// Defaults for tests and embedding: an explicit database, everything else default.
    pub fn for_database(url: &str) -> Self {
        let mut c = Self::parse_from(["confab"]);
        c.database_url = url.to_string();
        c
    }

    /// `--node-id`, or the host name and process id.
    pub fn node_id(&self) -> String {
        self.node_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "confab".to_string());
            format!("{host}-{}", std::process::id())
        })
    }

    pub fn file_limits(&self) -> crate::service::files::FileLimits {
        crate::service::files::FileLimits {
            max_bytes: self.upload_max_mib.saturating_mul(MIB),
            quota_bytes: self.quota_mib.saturating_mul(MIB),
        }
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_days.max(1) * 24 * 3600)
    }

    /// Lowers `max_connections` to what `open_files` (the process's limit) leaves after
    /// [`FILES_KEPT_FREE`], so that a client past it gets the cap's clean 503 rather than a
    /// failed `accept`. Returns the configured value when it had to be lowered.
    pub fn fit_connections_to(&mut self, open_files: u64) -> Option<usize> {
        let fits =
            usize::try_from(open_files.saturating_sub(FILES_KEPT_FREE.min(open_files / 2))).unwrap_or(usize::MAX);
        (self.max_connections > fits).then(|| std::mem::replace(&mut self.max_connections, fits))
    }
}

/// Open files left for everything but WebSockets: the database's files and connections, plain
/// HTTP connections, uploads and downloads in progress (half the limit when it is small).
const FILES_KEPT_FREE: u64 = 512;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_fits_the_open_file_limit() {
        let mut config = Config::for_database("sqlite::memory:");
        assert_eq!(config.max_connections, 100_000);
        assert_eq!(config.fit_connections_to(1_048_576), None, "room enough: unchanged");
        assert_eq!(config.max_connections, 100_000);
        assert_eq!(config.fit_connections_to(20_000), Some(100_000));
        assert_eq!(config.max_connections, 19_488);
        // A small limit keeps half for the rest.
        assert_eq!(config.fit_connections_to(1_024), Some(19_488));
        assert_eq!(config.max_connections, 512);
        assert_eq!(config.fit_connections_to(100), Some(512));
        assert_eq!(config.max_connections, 50);
    }
}
