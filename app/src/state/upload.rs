//! Files on their way into a room: attached (the tray above the composer) and then sending (a
//! row under the messages with its progress, or the server's refusal and a retry). Pure data
//! and rules, so they are tested without a browser; the bytes and the requests are JavaScript
//! objects and stay in [`super::transfer`], under the same key.

use crate::{
    types::{Attachment, Message, RoomId},
    AppError,
};

/// A file chosen for a room and not sent yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// Also the upload's `client_id`: the key is made once, so every retry of the upload is
    /// the same request to the server, which stores it at most once.
    pub key: String,
    pub room: RoomId,
    pub name: String,
    pub size: u64,
    /// A local object URL of the file, for images the browser shows (none for other files).
    pub thumb: Option<String>,
}

/// Where a sending file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadState {
    /// Bytes sent of the request body so far.
    Sending { sent: u64, total: u64 },
    /// Refused or lost, with why; the file is kept for a retry.
    Failed(UploadFailure),
}

/// Why a file was not sent. The UI words it in the reader's language (see `upload_row`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadFailure {
    /// The server's own message about a failure that may pass (it was busy, the session had
    /// ended), as it came.
    Said(String),
    /// The server's own message refusing this file for good (e.g. "Files can be at most
    /// 25 MB."): sending it again would only be refused again.
    Refused(String),
    /// An answer that was not the message it should have been.
    Unreadable,
    /// No answer at all: offline, or the server closed the connection.
    Unreachable,
    /// Refused without a message of the server's, with the HTTP status.
    Status(u16),
    /// The file is no longer held by the page.
    FileGone,
    /// The browser would not start the request.
    NotSent,
}

impl UploadFailure {
    /// Whether Retry can help: not when the server refused the file itself, nor when the page
    /// no longer holds it.
    pub fn retryable(&self) -> bool {
        !matches!(self, Self::Refused(_) | Self::FileGone)
    }
}

impl From<AppError> for UploadFailure {
    fn from(e: AppError) -> Self {
        if e.is_transient() {
            Self::Said(e.to_string())
        } else {
            Self::Refused(e.to_string())
        }
    }
}

/// A file being sent (or that failed to be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub client_id: String,
    pub room: RoomId,
    pub name: String,
    pub size: u64,
    pub caption: String,
    pub thumb: Option<String>,
    pub state: UploadState,
}

impl Upload {
    /// A tray's file starts sending, with its caption.
    pub fn start(attached: Attached, caption: String) -> Self {
        Self {
            state: UploadState::Sending { sent: 0, total: attached.size },
            client_id: attached.key,
            room: attached.room,
            name: attached.name,
            size: attached.size,
            caption,
            thumb: attached.thumb,
        }
    }

    /// Progress only moves forward, and only while sending: a late event from a request that
    /// failed must not hide the failure.
    pub fn progress(&mut self, sent: u64, total: u64) {
        if let UploadState::Sending { sent: before, .. } = self.state {
            self.state = UploadState::Sending { sent: sent.max(before).min(total), total };
        }
    }

    /// Fails with the server's answer.
    pub fn fail(&mut self, why: AppError) {
        self.fail_with(UploadFailure::from(why));
    }

    pub fn fail_with(&mut self, why: UploadFailure) {
        self.state = UploadState::Failed(why);
    }

    /// Sends again from the start (the same `client_id`).
    pub fn retry(&mut self) {
        self.state = UploadState::Sending { sent: 0, total: self.size };
    }

    pub fn failed(&self) -> bool {
        matches!(self.state, UploadState::Failed(_))
    }

    /// Whole percent sent, for the progress bar's text.
    pub fn percent(&self) -> u8 {
        match self.state {
            UploadState::Sending { sent, total } if total > 0 => (sent.saturating_mul(100) / total).min(100) as u8,
            _ => 0,
        }
    }
}

/// Whether the tray shows a thumbnail of the file: only the four image types the server shows
/// inline. The browser's type comes from the name, so this is a guess for the tray alone; the
/// server decides from the bytes.
pub fn thumbnailed(mime: &str) -> bool {
    Attachment::IMAGE_TYPES.contains(&mime)
}

/// `POST /api/files`'s address for one file: everything but the bytes is in the query.
pub fn upload_url(room: RoomId, client_id: &str, name: &str, caption: &str) -> String {
    let mut url = format!("/api/files?room_id={room}&client_id={}&name={}", encode(client_id), encode(name));
    if !caption.is_empty() {
        url.push_str("&caption=");
        url.push_str(&encode(caption));
    }
    url
}

/// Percent-encodes everything but the unreserved characters (RFC 3986), so Thai names and
/// `&`, `+`, `#` in names reach the server as typed.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What an upload's answer means: the stored message, or why not (the server's own message
/// when it sent one, e.g. "Files can be at most 25 MB.").
pub fn outcome(status: u16, body: &str) -> Result<Message, UploadFailure> {
    match status {
        200..=299 => serde_json::from_str(body).map_err(|_| UploadFailure::Unreadable),
        // No answer at all: offline, or the server closed the connection.
        0 => Err(UploadFailure::Unreachable),
        _ => Err(serde_json::from_str::<AppError>(body)
            .map(UploadFailure::from)
            .unwrap_or(UploadFailure::Status(status))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{MessageId, MessageKind};

    fn upload(size: u64) -> Upload {
        let attached = Attached { key: "u-1".into(), room: RoomId(1), name: "a.png".into(), size, thumb: None };
        Upload::start(attached, String::new())
    }

    #[test]
    fn progress_moves_forward_until_a_failure_and_a_retry_starts_over() {
        let mut u = upload(1000);
        assert_eq!(u.percent(), 0);
        u.progress(500, 1000);
        u.progress(300, 1000);
        assert_eq!(u.percent(), 50, "an earlier event arriving late");
        u.progress(5000, 1000);
        assert_eq!(u.percent(), 100);
        u.fail(AppError::Network { message: "The connection dropped.".into() });
        u.progress(1000, 1000);
        assert_eq!(u.state, UploadState::Failed(UploadFailure::Said("The connection dropped.".into())));
        u.retry();
        assert_eq!(u.state, UploadState::Sending { sent: 0, total: 1000 });
        assert_eq!(u.client_id, "u-1", "a retry is the same request");
    }

    #[test]
    fn an_empty_file_shows_no_progress_rather_than_dividing_by_zero() {
        assert_eq!(upload(0).percent(), 0);
    }

    #[test]
    fn names_and_captions_are_encoded() {
        assert_eq!(
            upload_url(RoomId(3), "u-1", "รายงาน Q1&2.pdf", ""),
            "/api/files?room_id=3&client_id=u-1&name=%E0%B8%A3%E0%B8%B2%E0%B8%A2%E0%B8%87%E0%B8%B2%E0%B8%99%20Q1%262.pdf"
        );
        assert_eq!(
            upload_url(RoomId(3), "u-1", "a.png", "1+1 #x"),
            "/api/files?room_id=3&client_id=u-1&name=a.png&caption=1%2B1%20%23x"
        );
    }

    #[test]
    fn answers_become_a_message_or_the_servers_words() {
        let stored = Message { id: MessageId(7), kind: MessageKind::Image, ..Message::default() };
        let body = serde_json::to_string(&stored).unwrap_or_default();
        assert_eq!(outcome(200, &body), Ok(stored));
        let refused = r#"{"code":"payload_too_large","message":"Files can be at most 2 MB."}"#;
        assert_eq!(outcome(413, refused), Err(UploadFailure::Refused("Files can be at most 2 MB.".into())));
        assert!(!UploadFailure::Refused(String::new()).retryable());
        let busy =
            r#"{"code":"rate_limited","message":"Too many uploads; try again in 5 seconds.","retry_after_secs":5}"#;
        assert!(matches!(outcome(429, busy), Err(failure) if failure.retryable()));
        assert_eq!(outcome(502, "<html>Bad gateway</html>"), Err(UploadFailure::Status(502)));
        assert_eq!(outcome(0, ""), Err(UploadFailure::Unreachable));
        assert_eq!(outcome(200, "not json"), Err(UploadFailure::Unreadable));
    }
}
