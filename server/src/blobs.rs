//! Where uploaded bytes live: a small content-addressed store (by SHA-256), with the local
//! disk implementation under the data directory. Thumbnails are stored beside their blob as
//! variants. An S3-compatible store can implement the same trait later.

use std::{
    io,
    path::{Path, PathBuf},
};

use async_trait::async_trait;

/// A stored form of a blob: the bytes as uploaded, or a thumbnail made from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    /// Fits 800×600.
    Preview,
    /// A small square.
    Thumb,
}

impl Variant {
    fn suffix(self) -> &'static str {
        match self {
            Self::Original => "",
            Self::Preview => ".preview",
            Self::Thumb => ".thumb",
        }
    }
}

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// A fresh temporary file to stream an upload into (on the same file system as the store,
    /// so keeping it is a rename).
    async fn temp_file(&self) -> io::Result<(PathBuf, tokio::fs::File)>;
    /// Moves a finished temporary file into the store as `sha256`. Keeping content already
    /// stored replaces it with identical bytes, so it is never half-written or missing after.
    async fn keep(&self, temp: &Path, sha256: &str) -> io::Result<()>;
    async fn put_variant(&self, sha256: &str, variant: Variant, bytes: Vec<u8>) -> io::Result<()>;
    /// A local path to serve `sha256` from, if stored.
    async fn locate(&self, sha256: &str, variant: Variant) -> Option<PathBuf>;
    /// Removes a blob and its variants.
    async fn remove(&self, sha256: &str) -> io::Result<()>;
    /// Held while removing blobs; `None` while a backup is copying the store (the files its
    /// snapshot names must all still be there), so removal waits for the next collection.
    fn lock_removals(&self) -> io::Result<Option<std::fs::File>>;
}

/// In the blob store: a backup holds it shared while it copies; removals need it exclusively.
const BACKUP_LOCK: &str = ".backup.lock";
/// In the data directory: every server using it holds it shared (nodes on one host may share
/// one); `restore` needs it exclusively. File locks end with their process, however it ends.
const IN_USE_LOCK: &str = ".in-use.lock";

fn lock_file(path: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)
}

/// Marks `data_dir` as used by a running server for as long as the file is held.
pub fn mark_in_use(data_dir: &Path) -> io::Result<std::fs::File> {
    let file = lock_file(&data_dir.join(IN_USE_LOCK))?;
    file.lock_shared()?;
    Ok(file)
}

/// The file at `path`, locked exclusively; `None` while another holder has it.
fn try_lock_alone(path: &Path) -> io::Result<Option<std::fs::File>> {
    let file = lock_file(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Holds `data_dir` for `restore`; `None` while a server uses it.
pub fn lock_unused(data_dir: &Path) -> io::Result<Option<std::fs::File>> {
    try_lock_alone(&data_dir.join(IN_USE_LOCK))
}

/// Keeps the blob store under `root` from losing files until the file is dropped (waiting for
/// a removal in progress to finish).
pub fn hold_removals(root: &Path) -> io::Result<std::fs::File> {
    std::fs::create_dir_all(root)?;
    let file = lock_file(&root.join(BACKUP_LOCK))?;
    file.lock_shared()?;
    Ok(file)
}

/// A temporary file this old belongs to no upload any more.
const STALE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Blobs on local disk: `<root>/<first two hex digits>/<sha256>[.preview|.thumb]`.
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    /// Opens the store, creating it, and removes temporary files an earlier process left
    /// (uploads cut off by a crash). Only old ones: nodes sharing the directory may be
    /// uploading right now.
    pub fn new(root: PathBuf) -> io::Result<Self> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        let stale = |e: &std::fs::DirEntry| {
            e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age > STALE)
        };
        for entry in std::fs::read_dir(&tmp)?.flatten().filter(stale) {
            let _ = std::fs::remove_file(entry.path());
        }
        Ok(Self { root })
    }

    fn path(&self, sha256: &str, variant: Variant) -> Option<PathBuf> {
        // Only what this server names blobs by: 64 lowercase hex digits.
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| self.root.join(&sha256[..2]).join(format!("{sha256}{}", variant.suffix())))
    }
}

fn bad_name() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a blob name")
}

#[async_trait]
impl BlobStore for LocalBlobs {
    async fn temp_file(&self) -> io::Result<(PathBuf, tokio::fs::File)> {
        let name = format!("upload-{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
        let path = self.root.join("tmp").join(name);
        let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await?;
        Ok((path, file))
    }

    async fn keep(&self, temp: &Path, sha256: &str) -> io::Result<()> {
        let path = self.path(sha256, Variant::Original).ok_or_else(bad_name)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::rename(temp, &path).await
    }

    async fn put_variant(&self, sha256: &str, variant: Variant, bytes: Vec<u8>) -> io::Result<()> {
        let path = self.path(sha256, variant).ok_or_else(bad_name)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Write beside, then rename: a reader never sees half a thumbnail.
        let (temp, _) = self.temp_file().await?;
        tokio::fs::write(&temp, bytes).await?;
        tokio::fs::rename(&temp, &path).await
    }

    async fn locate(&self, sha256: &str, variant: Variant) -> Option<PathBuf> {
        let path = self.path(sha256, variant)?;
        tokio::fs::try_exists(&path).await.ok()?.then_some(path)
    }

    fn lock_removals(&self) -> io::Result<Option<std::fs::File>> {
        try_lock_alone(&self.root.join(BACKUP_LOCK))
    }

    async fn remove(&self, sha256: &str) -> io::Result<()> {
        for variant in [Variant::Original, Variant::Preview, Variant::Thumb] {
            let path = self.path(sha256, variant).ok_or_else(bad_name)?;
            match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary file an upload cut off by a crash left is removed at the next start; one
    /// as fresh as a running upload's is kept.
    #[tokio::test]
    async fn stale_temporary_files_go_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobs::new(dir.path().to_path_buf()).unwrap();
        let (stale, _) = store.temp_file().await.unwrap();
        let (fresh, _) = store.temp_file().await.unwrap();
        let old = std::time::SystemTime::now() - STALE - std::time::Duration::from_secs(60);
        std::fs::File::options().write(true).open(&stale).unwrap().set_modified(old).unwrap();
        LocalBlobs::new(dir.path().to_path_buf()).unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists());
    }

    /// A backup's hold stops removals until it ends; a server's mark stops a restore.
    #[tokio::test]
    async fn holds_exclude_what_they_must() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobs::new(dir.path().join("blobs")).unwrap();
        let removing = store.lock_removals().unwrap();
        assert!(removing.is_some(), "nothing holds the store");
        drop(removing);
        let backup = hold_removals(&dir.path().join("blobs")).unwrap();
        assert!(store.lock_removals().unwrap().is_none(), "a backup is copying");
        drop(backup);
        assert!(store.lock_removals().unwrap().is_some());

        let server = mark_in_use(dir.path()).unwrap();
        let other_node = mark_in_use(dir.path()).unwrap();
        assert!(lock_unused(dir.path()).unwrap().is_none(), "servers are running");
        drop((server, other_node));
        assert!(lock_unused(dir.path()).unwrap().is_some());
    }

    #[tokio::test]
    async fn only_blob_names_map_to_paths() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobs::new(dir.path().to_path_buf()).unwrap();
        assert!(store.path("../../etc/passwd", Variant::Original).is_none());
        assert!(store.path(&"A".repeat(64), Variant::Original).is_none());
        let sha = "ab".repeat(32);
        assert_eq!(store.path(&sha, Variant::Thumb), Some(dir.path().join("ab").join(format!("{sha}.thumb"))));
    }
}
