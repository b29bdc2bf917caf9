//! Images and files: the rules for uploads (who, how large, how much in all), what an upload
//! is (sniffed from its bytes, never from its name or declared type), thumbnails made off the
//! async runtime, who may download, and removing blobs nothing references.

use std::{
    collections::HashMap,
    io::Cursor,
    path::{Path, PathBuf},
    sync::Arc,
};

use app::{
    types::{human_size, limits, Attachment, MessageId, User, UserId},
    AppError,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use image::{DynamicImage, ImageDecoder, ImageReader};
use sha2::{Digest, Sha256};
use tokio::{
    io::AsyncWriteExt,
    sync::{Mutex, Semaphore},
};

use super::{access::Access, now_ms};
use crate::{
    blobs::{BlobStore, Variant},
    storage::{
        files::{NewAttachment, StoredFile},
        Storage,
    },
};

/// Size rules, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct FileLimits {
    pub max_bytes: u64,
    pub quota_bytes: u64,
}

/// Preview box and thumbnail side, in pixels.
const PREVIEW: (u32, u32) = (800, 600);
const THUMB: u32 = 160;
/// Images decoded at once: each can take ~160 MB (40 megapixels × 4 bytes).
const DECODES_AT_ONCE: usize = 2;
/// How much of the start of an upload sniffing looks at.
const SNIFF_BYTES: usize = 8192;
/// How long a blob just uploaded is left alone while unreferenced: far longer than an upload
/// takes from registering its blob to committing its message. It is what protects one node's
/// upload from another node's collection (`placing` is per process); a blob whose message is
/// deleted is marked as not being placed, and goes at once.
const PLACING_GRACE_MS: i64 = 10 * 60 * 1000;

pub struct Files {
    storage: Arc<Storage>,
    access: Arc<Access>,
    blobs: Arc<dyn BlobStore>,
    pub limits: FileLimits,
    decoders: Semaphore,
    /// Blobs uploads are placing right now, with how many uploads place each: garbage
    /// collection leaves them alone. Taken under `collecting`.
    placing: parking_lot::Mutex<HashMap<String, usize>>,
    /// Held while collecting and while an upload registers its blob, so a blob is never
    /// removed between an upload finding it and its message referencing it.
    collecting: Mutex<()>,
    /// Bytes of uploads in progress per uploader, counted against the quota with what is
    /// stored, so uploads in parallel cannot each see the same room left.
    reserved: parking_lot::Mutex<HashMap<UserId, u64>>,
    /// Admits one upload at a time: a quota's check and its reservation are one step.
    admitting: Mutex<()>,
    /// One collection at a time here: the blob store's lock is for other processes (a backup),
    /// and a second collection finding it taken would give up.
    collection: Mutex<()>,
}

/// An upload let in: how many bytes its body may have, reserved against the uploader's quota
/// until it is dropped (once its message is stored, or it failed).
pub struct Admission<'a> {
    pub allowed: u64,
    user: UserId,
    bytes: u64,
    files: &'a Files,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        let mut reserved = self.files.reserved.lock();
        if let Some(n) = reserved.get_mut(&self.user) {
            *n = n.saturating_sub(self.bytes);
            if *n == 0 {
                reserved.remove(&self.user);
            }
        }
    }
}

/// An upload, received and stored, until its message references it.
pub struct Received<'a> {
    pub attachment: NewAttachment,
    files: &'a Files,
}

impl Drop for Received<'_> {
    fn drop(&mut self) {
        let mut placing = self.files.placing.lock();
        if let Some(n) = placing.get_mut(&self.attachment.sha256) {
            *n -= 1;
            if *n == 0 {
                placing.remove(&self.attachment.sha256);
            }
        }
    }
}

/// A download, authorized.
pub struct Download {
    pub file: StoredFile,
    pub path: PathBuf,
    /// The type of what `path` holds (a thumbnail's may differ from the original's).
    pub mime: String,
}

impl Files {
    pub fn new(storage: Arc<Storage>, access: Arc<Access>, blobs: Arc<dyn BlobStore>, limits: FileLimits) -> Self {
        Self {
            storage,
            access,
            blobs,
            limits,
            decoders: Semaphore::new(DECODES_AT_ONCE),
            placing: parking_lot::Mutex::default(),
            collecting: Mutex::new(()),
            reserved: parking_lot::Mutex::default(),
            admitting: Mutex::new(()),
            collection: Mutex::new(()),
        }
    }

    /// Checks what can be checked before reading the body: membership, the declared length
    /// against the per-file limit and the uploader's quota (less their uploads in progress).
    /// The admission says how many bytes the body may have (the stream is cut there) and
    /// reserves them, the declared length or else all it may have, while it is held.
    pub async fn admit(
        &self,
        me: &User,
        room: app::types::RoomId,
        declared: Option<u64>,
    ) -> Result<Admission<'_>, AppError> {
        self.access.require_role(me, room).await?;
        let _one_at_a_time = self.admitting.lock().await;
        // Read before what is stored: an upload finishing in between is then counted twice,
        // never not at all.
        let pending = self.reserved.lock().get(&me.id).copied().unwrap_or(0);
        let used = self.storage.storage_used(me.id).await?.max(0) as u64;
        let left = self.limits.quota_bytes.saturating_sub(used).saturating_sub(pending);
        let allowed = self.limits.max_bytes.min(left);
        if let Some(len) = declared {
            self.check_size(len, left)?;
        }
        if left == 0 {
            return Err(self.over_quota());
        }
        let bytes = declared.unwrap_or(allowed);
        *self.reserved.lock().entry(me.id).or_default() += bytes;
        Ok(Admission { allowed, user: me.id, bytes, files: self })
    }

    fn check_size(&self, len: u64, left: u64) -> Result<(), AppError> {
        if len > self.limits.max_bytes {
            return Err(self.too_large());
        }
        if len > left {
            return Err(self.over_quota());
        }
        Ok(())
    }

    fn too_large(&self) -> AppError {
        AppError::PayloadTooLarge {
            message: format!("Files can be at most {}.", human_size(self.limits.max_bytes as i64)),
        }
    }

    fn over_quota(&self) -> AppError {
        AppError::PayloadTooLarge {
            message: format!(
                "This would go over your storage quota of {}. Delete some files to make room.",
                human_size(self.limits.quota_bytes as i64)
            ),
        }
    }

    /// Streams `body` into the blob store (at most `allowed` bytes), sniffs its type, and for
    /// images checks the size and makes thumbnails. Nothing is left behind on failure.
    pub async fn receive<S, E>(&self, name: &str, body: S, allowed: u64) -> Result<Received<'_>, AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let (temp, file) = self.blobs.temp_file().await.map_err(io_error)?;
        let result = self.stream_into(file, body, allowed).await;
        let (sha256, size, head) = match result {
            Ok(done) => done,
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(e);
            }
        };
        let mime = sniff(&head);
        let name = safe_name(name);
        // Registered before anything of it is placed, thumbnails included, so a collection
        // running now cannot remove it before the message references it.
        {
            let _collecting = self.collecting.lock().await;
            *self.placing.lock().entry(sha256.clone()).or_default() += 1;
        }
        let attachment =
            NewAttachment { sha256, name, size: size as i64, mime, width: None, height: None, thumb_mime: None };
        let mut received = Received { attachment, files: self };
        if received.attachment.shown().is_image() {
            if let Err(e) = self.place_thumbnails(&temp, &mut received.attachment).await {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(e);
            }
        }
        let a = &received.attachment;
        self.storage.touch_blob(&a.sha256, a.size, now_ms()).await?;
        self.blobs.keep(&temp, &a.sha256).await.map_err(io_error)?;
        Ok(received)
    }

    async fn stream_into<S, E>(
        &self,
        mut file: tokio::fs::File,
        mut body: S,
        allowed: u64,
    ) -> Result<(String, u64, Vec<u8>), AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut hash = Sha256::new();
        let mut size = 0u64;
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| AppError::bad_request(format!("The upload was interrupted: {e}")))?;
            size += chunk.len() as u64;
            // `allowed` is the smaller of the two limits: say which one this is.
            if size > allowed {
                return Err(if size > self.limits.max_bytes { self.too_large() } else { self.over_quota() });
            }
            if head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            hash.update(&chunk);
            file.write_all(&chunk).await.map_err(io_error)?;
        }
        if size == 0 {
            return Err(AppError::invalid("file", "The file is empty."));
        }
        file.sync_all().await.map_err(io_error)?;
        let sha256 = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok((sha256, size, head))
    }

    /// Makes an image's preview and thumbnail and stores them beside its blob.
    async fn place_thumbnails(&self, temp: &Path, attachment: &mut NewAttachment) -> Result<(), AppError> {
        let made = self.thumbnails(temp).await?;
        attachment.width = Some(made.width);
        attachment.height = Some(made.height);
        attachment.thumb_mime = Some(made.mime.to_string());
        for (variant, bytes) in [(Variant::Preview, made.preview), (Variant::Thumb, made.thumb)] {
            self.blobs.put_variant(&attachment.sha256, variant, bytes).await.map_err(io_error)?;
        }
        Ok(())
    }

    async fn thumbnails(&self, path: &Path) -> Result<Thumbnails, AppError> {
        let _permit = self.decoders.acquire().await.map_err(|_| AppError::internal())?;
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || make_thumbnails(&path)).await.map_err(|_| AppError::internal())?
    }

    /// The file of message `id` (or one of its thumbnails) for a member of its room.
    pub async fn open(&self, me: &User, id: MessageId, variant: Variant) -> Result<Download, AppError> {
        let missing = || AppError::not_found("No such file, or you are not in its room.");
        let file = self.storage.stored_file(id).await?.ok_or_else(missing)?;
        self.access.require_role(me, file.room).await.map_err(|_| missing())?;
        let mime = match variant {
            Variant::Original => file.mime.clone(),
            _ => file.thumb_mime.clone().ok_or_else(missing)?,
        };
        let path = self.blobs.locate(&file.sha256, variant).await.ok_or_else(missing)?;
        Ok(Download { file, path, mime })
    }

    /// Removes blobs no message references (after a deletion, and at start-up). A blob an
    /// upload is placing right now, on this node or another, is left alone, and nothing goes
    /// while a backup copies.
    pub async fn collect_garbage(&self) {
        let _one_at_a_time = self.collection.lock().await;
        let _removing = match self.blobs.lock_removals() {
            Ok(Some(lock)) => lock,
            Ok(None) => return tracing::info!("a backup is copying the files: unreferenced ones go next time"),
            Err(e) => return tracing::warn!(error = %e, "cannot lock the blob store"),
        };
        let cutoff = now_ms() - PLACING_GRACE_MS;
        let shas = match self.storage.unreferenced_blobs(cutoff).await {
            Ok(shas) => shas,
            Err(e) => return tracing::warn!(error = %e, "cannot list unreferenced blobs"),
        };
        for sha in shas {
            let _collecting = self.collecting.lock().await;
            if self.placing.lock().contains_key(&sha) {
                continue;
            }
            match self.storage.forget_blob(&sha, cutoff).await {
                Ok(true) => {
                    if let Err(e) = self.blobs.remove(&sha).await {
                        tracing::warn!(error = %e, %sha, "cannot remove blob");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, %sha, "cannot forget blob"),
            }
        }
    }
}

fn io_error(e: std::io::Error) -> AppError {
    tracing::error!(error = %e, "file storage failure");
    AppError::internal()
}

/// The type of an upload, from its first bytes. Only JPEG, PNG, GIF and WebP are images;
/// whatever else is recognised keeps its type (as a download), the rest is a byte stream.
pub fn sniff(head: &[u8]) -> String {
    match infer::get(head) {
        Some(t) => t.mime_type().to_string(),
        None => "application/octet-stream".to_string(),
    }
}

/// The `Content-Type` a download is served with: its sniffed type, except that anything a
/// browser could run or render as a document (HTML, XML, SVG, scripts, any text) is served as
/// plain bytes.
pub fn served_type(mime: &str) -> &str {
    let active = mime.starts_with("text/")
        || ["html", "xml", "svg", "javascript", "ecmascript"].iter().any(|k| mime.contains(k));
    if active {
        "application/octet-stream"
    } else {
        mime
    }
}

/// A file name fit for display and for `Content-Disposition`: no directories, no control
/// characters, not empty, not too long. (Storage never uses it: blobs are named by content.)
pub fn safe_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let name: String = trimmed.chars().take(limits::FILE_NAME_MAX_CHARS).collect();
    if name.is_empty() {
        "file".to_string()
    } else {
        name
    }
}

/// An image's size and its two thumbnails, encoded.
pub struct Thumbnails {
    width: u32,
    height: u32,
    mime: &'static str,
    preview: Vec<u8>,
    thumb: Vec<u8>,
}

/// Decodes an image (its size checked from the header first: more than
/// [`limits::IMAGE_MAX_PIXELS`] is refused before any pixel is decoded), turns it upright
/// per EXIF, and encodes a preview and a square thumbnail. Encoders write no metadata, so
/// nothing (GPS included) is carried over.
pub fn make_thumbnails(path: &Path) -> Result<Thumbnails, AppError> {
    let unreadable = || AppError::invalid("file", "This image could not be read.");
    let reader = || -> Result<ImageReader<std::io::BufReader<std::fs::File>>, AppError> {
        ImageReader::open(path).and_then(|r| r.with_guessed_format()).map_err(|_| unreadable())
    };
    let (w, h) = reader()?.into_dimensions().map_err(|_| unreadable())?;
    if u64::from(w) * u64::from(h) > limits::IMAGE_MAX_PIXELS {
        return Err(AppError::invalid(
            "file",
            format!("Images can be at most {} megapixels; this one is {w}×{h}.", limits::IMAGE_MAX_PIXELS / 1_000_000),
        ));
    }
    let mut decoder = reader()?.into_decoder().map_err(|_| unreadable())?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| unreadable())?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let preview =
        if width > PREVIEW.0 || height > PREVIEW.1 { image.thumbnail(PREVIEW.0, PREVIEW.1) } else { image.clone() };
    let thumb = image.resize_to_fill(THUMB, THUMB, image::imageops::FilterType::Triangle);
    let alpha = image.color().has_alpha();
    let encode = |img: &DynamicImage| -> Result<Vec<u8>, AppError> {
        let mut out = Cursor::new(Vec::new());
        if alpha {
            img.write_to(&mut out, image::ImageFormat::Png).map_err(|_| unreadable())?;
        } else {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
            img.to_rgb8().write_with_encoder(encoder).map_err(|_| unreadable())?;
        }
        Ok(out.into_inner())
    };
    Ok(Thumbnails {
        width,
        height,
        mime: if alpha { "image/png" } else { "image/jpeg" },
        preview: encode(&preview)?,
        thumb: encode(&thumb)?,
    })
}

/// `Content-Disposition` for a download: `inline` for the four image types, `attachment`
/// otherwise, with the name both as ASCII and as RFC 5987 UTF-8.
pub fn content_disposition(name: &str, mime: &str) -> String {
    let kind = if Attachment::IMAGE_TYPES.contains(&mime) { "inline" } else { "attachment" };
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, RFC5987);
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// RFC 5987 `attr-char`s stay; everything else is percent-encoded.
const RFC5987: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::new_rgb8(width, height).write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(&png(2, 2)), "image/png", "a PNG named .txt is an image");
        let html = sniff(b"<!doctype html><script>alert(1)</script>");
        assert_eq!(served_type(&html), "application/octet-stream", "HTML is never served as HTML");
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>"#;
        assert!(!Attachment::IMAGE_TYPES.contains(&sniff(svg).as_str()), "an SVG is never an image");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"GIF89a\x01\x00\x01\x00"), "image/gif");
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\Users\\me\\รายงาน.pdf"), "รายงาน.pdf");
        assert_eq!(safe_name("..\u{0}\n"), "file");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name(&"ก".repeat(300)).chars().count(), 255);
    }

    #[test]
    fn downloads_name_files_in_ascii_and_utf8() {
        assert_eq!(
            content_disposition("รายงาน 2.pdf", "application/pdf"),
            "attachment; filename=\"______ 2.pdf\"; filename*=UTF-8''%E0%B8%A3%E0%B8%B2%E0%B8%A2%E0%B8%87%E0%B8%B2%E0%B8%99%202.pdf"
        );
        assert_eq!(
            content_disposition("a\"b.png", "image/png"),
            "inline; filename=\"a_b.png\"; filename*=UTF-8''a%22b.png"
        );
        assert!(content_disposition("x.svg", "image/svg+xml").starts_with("attachment;"));
    }

    #[test]
    fn decompression_bombs_are_refused_from_the_header() {
        // A 10,000 × 5,000 PNG header over a 1×1 image's data: 50 megapixels.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.png");
        let mut png = png(1, 1);
        // IHDR's width and height (bytes 16..24), then its CRC over type and data (12..29).
        png[16..20].copy_from_slice(&10_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&5_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        std::fs::write(&path, &png).unwrap();
        let err = make_thumbnails(&path).err().unwrap();
        assert!(err.to_string().contains("at most 40 megapixels"), "{err}");
    }

    #[test]
    fn thumbnails_are_upright_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.jpg");
        // 1600×400, tagged "rotate 90° clockwise" (EXIF orientation 6): upright it is 400×1600.
        let mut jpeg = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new(&mut jpeg);
        encoder.set_exif_metadata(exif_orientation(6)).unwrap();
        DynamicImage::new_rgb8(1600, 400).to_rgb8().write_with_encoder(encoder).unwrap();
        std::fs::write(&path, &jpeg).unwrap();
        let t = make_thumbnails(&path).unwrap();
        assert_eq!((t.width, t.height), (400, 1600));
        let preview = image::load_from_memory(&t.preview).unwrap();
        assert_eq!((preview.width(), preview.height()), (150, 600));
        let thumb = image::load_from_memory(&t.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (THUMB, THUMB));
        assert_eq!(t.mime, "image/jpeg");
        assert!(!t.preview.windows(4).any(|w| w == b"Exif"), "no metadata carried over");
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A minimal little-endian TIFF/EXIF block with one entry: Orientation.
    fn exif_orientation(value: u16) -> Vec<u8> {
        let mut b = b"II*\0".to_vec();
        b.extend_from_slice(&8u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0x0112u16.to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&value.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&0u32.to_le_bytes());
        b
    }
}
