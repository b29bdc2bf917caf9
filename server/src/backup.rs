//! `confab backup --to DIR` and `confab restore --from DIR`, for a server on SQLite.
//!
//! A backup is a directory: `confab.db`, a consistent snapshot of the database taken with
//! `VACUUM INTO` (one read transaction, so it may run beside a running server: writers go
//! on, and the snapshot holds exactly what was committed when it began), and `blobs/`, the
//! uploaded files. Blobs are copied after the snapshot and are content-addressed and written
//! before the message that names them commits, and the backup holds off their removal from
//! before the snapshot until the copy ends, so every file the snapshot refers to is there.
//! PostgreSQL is backed up with its own tools (`pg_dump`), plus the blobs directory.

use std::{
    io,
    path::{Path, PathBuf},
    str::FromStr,
};

use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};

use crate::{config::Config, storage::sqlite_path};

/// The database's file name inside a backup.
pub const DATABASE_FILE: &str = "confab.db";
const BLOBS_DIR: &str = "blobs";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup and restore handle SQLite databases; for PostgreSQL use pg_dump and pg_restore (see the README)")]
    NotSqlite,
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What a backup or a restore holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub messages: i64,
    pub blobs: u64,
    pub bytes: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} messages, {} files ({} bytes of files)", self.messages, self.blobs, self.bytes)
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

/// Snapshots the configured database and copies its blobs into `to` (created; it must not
/// already hold a backup).
pub async fn backup(config: &Config, to: &Path) -> Result<Summary, BackupError> {
    let database = sqlite_path(&config.database_url).ok_or(BackupError::NotSqlite)?;
    if !database.exists() {
        return Err(BackupError::Refused(format!("there is no database at {}", database.display())));
    }
    std::fs::create_dir_all(to).map_err(io_at(to))?;
    let snapshot = to.join(DATABASE_FILE);
    if snapshot.exists() {
        return Err(BackupError::Refused(format!("{} already holds a backup", to.display())));
    }
    let blobs_dir = config.data_dir.join(BLOBS_DIR);
    let _hold = crate::blobs::hold_removals(&blobs_dir).map_err(io_at(&blobs_dir))?;
    let mut conn = open(&database).await?;
    sqlx::query("VACUUM INTO ?").bind(snapshot.to_string_lossy().into_owned()).execute(&mut conn).await?;
    conn.close().await?;
    let (blobs, bytes) = copy_blobs(&blobs_dir, &to.join(BLOBS_DIR))?;
    Ok(Summary { messages: count_messages(&snapshot).await?, blobs, bytes })
}

/// Puts the backup in `from` in place of the configured database and adds its blobs. The
/// server must be stopped (it is refused while a server on this host uses the data
/// directory). An existing database is only replaced with `force`, and is then kept beside it
/// as `<name>.before-restore-<unix time>`.
pub async fn restore(config: &Config, from: &Path, force: bool) -> Result<Summary, BackupError> {
    let database = sqlite_path(&config.database_url).ok_or(BackupError::NotSqlite)?;
    let snapshot = from.join(DATABASE_FILE);
    if !snapshot.is_file() {
        return Err(BackupError::Refused(format!("{} holds no {DATABASE_FILE}", from.display())));
    }
    // No server uses a data directory that does not exist yet.
    let dir = &config.data_dir;
    let _unused = match dir.exists().then(|| crate::blobs::lock_unused(dir)).transpose().map_err(io_at(dir))? {
        Some(None) => {
            return Err(BackupError::Refused(format!("a server is running on {}; stop it first", dir.display())))
        }
        held => held.flatten(),
    };
    let check: String = {
        let mut conn = open(&snapshot).await?;
        let check = sqlx::query_scalar("PRAGMA quick_check").fetch_one(&mut conn).await?;
        conn.close().await?;
        check
    };
    if check != "ok" {
        return Err(BackupError::Refused(format!("{} is damaged: {check}", snapshot.display())));
    }
    if database.exists() {
        if !force {
            return Err(BackupError::Refused(format!(
                "{} exists; stop the server and pass --force to replace it (it is kept beside the restored one)",
                database.display()
            )));
        }
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", database.display()));
            if file.exists() {
                let aside = PathBuf::from(format!("{}.before-restore-{stamp}{suffix}", database.display()));
                std::fs::rename(&file, &aside).map_err(io_at(&file))?;
            }
        }
    }
    if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_at(dir))?;
    }
    // Copied under a temporary name and renamed, so a cut-off restore leaves no half file.
    let partial = PathBuf::from(format!("{}.restoring", database.display()));
    std::fs::copy(&snapshot, &partial).map_err(io_at(&partial))?;
    std::fs::rename(&partial, &database).map_err(io_at(&database))?;
    let (blobs, bytes) = copy_blobs(&from.join(BLOBS_DIR), &config.data_dir.join(BLOBS_DIR))?;
    Ok(Summary { messages: count_messages(&database).await?, blobs, bytes })
}

async fn open(file: &Path) -> Result<sqlx::SqliteConnection, BackupError> {
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(file)
        .busy_timeout(std::time::Duration::from_secs(30))
        .disable_statement_logging();
    Ok(options.connect().await?)
}

async fn count_messages(file: &Path) -> Result<i64, BackupError> {
    let mut conn = open(file).await?;
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM messages").fetch_one(&mut conn).await?;
    conn.close().await?;
    Ok(n)
}

/// Copies the blob store's files (not its in-progress uploads) that `to` lacks; blobs are
/// named by their content, so one already there is the same file.
fn copy_blobs(from: &Path, to: &Path) -> Result<(u64, u64), BackupError> {
    let (mut files, mut bytes) = (0, 0);
    let Ok(shards) = std::fs::read_dir(from) else {
        return Ok((0, 0));
    };
    for shard in shards.flatten() {
        let name = shard.file_name();
        if name == "tmp" || !shard.path().is_dir() {
            continue;
        }
        let target = to.join(&name);
        std::fs::create_dir_all(&target).map_err(io_at(&target))?;
        for blob in std::fs::read_dir(shard.path()).map_err(io_at(&shard.path()))?.flatten() {
            let dest = target.join(blob.file_name());
            if !dest.exists() {
                // Under another name until complete: a cut-off copy is not taken for the blob.
                let partial = target.join(format!("{}.partial", blob.file_name().to_string_lossy()));
                bytes += std::fs::copy(blob.path(), &partial).map_err(io_at(&partial))?;
                std::fs::rename(&partial, &dest).map_err(io_at(&dest))?;
            }
            files += 1;
        }
    }
    Ok((files, bytes))
}
