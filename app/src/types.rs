//! Wire types shared by the server, the browser and the HTTP/WebSocket APIs, and the input rules
//! both sides enforce (the browser for quick feedback, the server because it must).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::AppError;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}

id_type!(
    /// A user, assigned by the database.
    UserId
);
id_type!(
    /// A room, assigned by the database.
    RoomId
);
id_type!(
    /// A message: time-sortable (milliseconds since the Confab epoch in the high bits, a counter
    /// in the low 12), and below 2^53 so JavaScript clients read it exactly. Ids are handed out
    /// by the database inside the committing transaction, so id order is commit order on every
    /// node.
    MessageId
);
id_type!(
    /// A position in one room's change sequence: every change to what a room shows (a message
    /// created, edited or deleted, a member added or gone, a rename) takes the room's next seq
    /// inside its transaction. Clients catch up by seq and detect gaps with it.
    Seq
);

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoomKind {
    Private,
    Group,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "PRIVATE",
            Self::Group => "GROUP",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PRIVATE" => Some(Self::Private),
            "GROUP" => Some(Self::Group),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
    /// Owners and admins manage a group's membership.
    pub fn can_manage(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub id: RoomId,
    /// Groups have a name; private rooms are named after the other person.
    pub name: Option<String>,
    pub kind: RoomKind,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub user: User,
    pub role: Role,
    pub joined_at: Millis,
    /// Everything up to this seq has been read (0: nothing yet).
    pub last_read_seq: Seq,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageKind {
    #[default]
    Text,
    Image,
    File,
    /// A timeline entry written by Confab itself ("Bob left"); see [`SystemEvent`].
    System,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Image => "IMAGE",
            Self::File => "FILE",
            Self::System => "SYSTEM",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "TEXT" => Some(Self::Text),
            "IMAGE" => Some(Self::Image),
            "FILE" => Some(Self::File),
            "SYSTEM" => Some(Self::System),
            _ => None,
        }
    }
}

/// Someone named in a system line, with the name they had then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: UserId,
    pub name: String,
}

/// What a `SYSTEM` message records. The actor is the message's sender. Stored as JSON in the
/// message's content; rendered by the client in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SystemEvent {
    /// The sender created the group.
    GroupCreated { name: String },
    /// The sender added these people.
    MembersAdded { users: Vec<UserRef> },
    /// The sender left the room.
    MemberLeft,
    /// The sender came back to a private room they had left, by opening it again.
    MemberReturned,
    /// The sender renamed the group.
    Renamed { name: String },
    /// Ownership passed to this member when the last owner left.
    OwnerChanged { user: UserRef },
}

impl SystemEvent {
    /// The line as stored with the message (and found by search): English.
    pub fn describe(&self, actor: &str) -> String {
        self.describe_in(crate::i18n::Locale::en, actor)
    }

    /// The line shown in the timeline and room previews, in `locale`, `actor` being the
    /// sender's name.
    pub fn describe_in(&self, locale: crate::i18n::Locale, actor: &str) -> String {
        use crate::i18n::td_string;
        let names = |users: &[UserRef]| users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ");
        match self {
            Self::GroupCreated { name } => td_string!(locale, chat.system.group_created, actor, name).to_string(),
            Self::MembersAdded { users } => {
                td_string!(locale, chat.system.members_added, actor, names = names(users)).to_string()
            }
            Self::MemberLeft => td_string!(locale, chat.system.member_left, actor).to_string(),
            Self::MemberReturned => td_string!(locale, chat.system.member_returned, actor).to_string(),
            Self::Renamed { name } => td_string!(locale, chat.system.renamed, actor, name).to_string(),
            Self::OwnerChanged { user } => td_string!(locale, chat.system.owner_changed, name = &user.name).to_string(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub room_id: RoomId,
    pub sender_id: UserId,
    /// The sender's display name when the message was read, so previews need no extra lookup.
    pub sender_name: String,
    pub kind: MessageKind,
    pub content: String,
    /// The sender's idempotency key; lets the sender match an echo to its pending copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub created_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Millis>,
    /// Set on a tombstone: the message was deleted and its content is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Millis>,
    /// The room seq that created the message: its place in the room's order.
    pub seq: Seq,
    /// The room seq of its latest change (creation, edit, deletion, reactions).
    pub change_seq: Seq,
    /// For `SYSTEM` messages, what happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemEvent>,
    /// The content rendered from Markdown by the server and sanitized; absent when the content
    /// renders as plain text (most messages), so those frames stay small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The message this one answers, in its current state when this copy was read (the browser
    /// keeps quotes current from later frames about the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    /// Members mentioned with `@username` (outside code).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    /// `@room`: everyone in the room is mentioned.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mentions_room: bool,
    /// Reactions, in the order each emoji was first used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The file of an `IMAGE` or `FILE` message (`content` is then its caption), served at
    /// `/api/files/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// An uploaded file as messages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The uploader's file name (display only: storage is by content).
    pub name: String,
    /// Bytes.
    pub size: i64,
    /// Sniffed from the content.
    pub mime: String,
    /// Images: pixel size (after EXIF rotation), so the timeline reserves the space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl Attachment {
    /// The four types shown inline; everything else (SVG and HTML included) is a download.
    pub const IMAGE_TYPES: [&'static str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    pub fn is_image(&self) -> bool {
        Self::IMAGE_TYPES.contains(&self.mime.as_str())
    }

    /// Where the original is downloaded.
    pub fn url(message: MessageId) -> String {
        format!("/api/files/{message}")
    }

    /// An image's preview (fits 800×600). (`/thumb`, a 160×160 square, is for other clients.)
    pub fn preview_url(message: MessageId) -> String {
        format!("/api/files/{message}/preview")
    }
}

/// A search: the query as typed (terms and `from:`, `in:`, `before:`, `after:`, `has:`) and the
/// same filters as explicit parameters (`GET /api/search`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub q: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<RoomId>,
    /// A username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `YYYY-MM-DD` (UTC): messages before that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// `YYYY-MM-DD` (UTC): messages on or after that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// `image` or `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has: Option<String>,
    /// The `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<MessageId>,
}

/// One result of a search: the message, where it is, and a snippet of its text with the
/// matches marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub message: Message,
    /// What the searcher calls the room (the group's name, or the other person's).
    pub room_title: String,
    pub snippet: Vec<Snippet>,
}

/// A piece of a result's snippet; `hit` pieces match a search term (the browser marks them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hit: bool,
}

/// A page of search results, newest first; ask for the next with `cursor = next_cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<MessageId>,
    /// Set when the server read as many messages as one page may (a term too short for the
    /// index, found in few of them) before it found a page's worth: it searched the messages
    /// written since then (Unix milliseconds) and no older ones yet; `next_cursor` reads on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub searched_back_to: Option<i64>,
}

/// A size in bytes as people read it: "812 B", "1.4 MB".
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// A reply's view of the message it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub id: MessageId,
    pub sender_id: UserId,
    pub sender_name: String,
    /// The start of the target's text as it reads, without Markdown's marks (at most
    /// [`limits::QUOTE_CHARS`] characters); empty when it was deleted.
    pub content: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl Quote {
    /// The quote of `message` as it is now.
    pub fn of(message: &Message) -> Self {
        Self {
            id: message.id,
            sender_id: message.sender_id,
            sender_name: message.sender_name.clone(),
            content: Self::content_of(message.is_deleted(), message.html.as_deref(), message.shown_text()),
            deleted: message.is_deleted(),
        }
    }

    /// What a quote shows of a target with rendered HTML `html` (if any) and source (or, for
    /// an uncaptioned file, name) `shown`: the start of its text as it reads, nothing once
    /// deleted. Storage builds quotes from those columns, the browser from the message.
    pub fn content_of(deleted: bool, html: Option<&str>, shown: &str) -> String {
        if deleted {
            return String::new();
        }
        quote_text(&shown_plain(html, shown))
    }
}

/// The text of a message whose rendered HTML (if any) is `html` and whose source (or, for an
/// uncaptioned file, name) is `shown`, without Markdown's marks.
fn shown_plain(html: Option<&str>, shown: &str) -> String {
    match html {
        Some(html) => plain_text(html),
        None => shown.to_string(),
    }
}

/// The first [`limits::QUOTE_CHARS`] characters of `text`, with an ellipsis when cut.
fn quote_text(text: &str) -> String {
    match text.char_indices().nth(limits::QUOTE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The text of the server's rendered (and sanitized) HTML on one line: tags dropped, blocks
/// and line breaks as spaces, the entities its serializer writes decoded.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').map_or(rest.len(), |i| i + 1);
                let name = rest[1..end].trim_start_matches('/');
                let inline = ["a ", "a>", "strong", "em", "del", "code", "span"].iter().any(|t| name.starts_with(t));
                if !inline {
                    text.push(' ');
                }
                rest = &rest[end..];
            }
            '&' => {
                let entity = rest.find(';').filter(|&i| i <= 10).map(|i| (&rest[1..i], i + 1));
                let decoded = entity.and_then(|(name, len)| {
                    let c = match name {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        "nbsp" => ' ',
                        _ => {
                            let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                                None => name.strip_prefix('#').and_then(|dec| dec.parse().ok()),
                            };
                            char::from_u32(code?)?
                        }
                    };
                    Some((c, len))
                });
                let (c, len) = decoded.unwrap_or(('&', 1));
                text.push(c);
                rest = &rest[len..];
            }
            c => {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One emoji on a message and who reacted with it (oldest first); its count is `users.len()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<UserRef>,
}

impl Reaction {
    pub fn includes(&self, user: UserId) -> bool {
        self.users.iter().any(|u| u.id == user)
    }
}

/// A previous text of an edited message (`GET /api/messages/edits`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEdit {
    pub content: String,
    /// When this text was replaced.
    pub replaced_at: Millis,
}

impl Message {
    /// Text for previews and notifications in `locale`: the content, or the system line.
    pub fn preview(&self, locale: crate::i18n::Locale) -> String {
        match &self.system {
            Some(event) => event.describe_in(locale, &self.sender_name),
            None if self.deleted_at.is_some() => crate::i18n::td_string!(locale, chat.message.deleted).to_string(),
            None => self.plain(),
        }
    }

    /// What the message says, on one line: Markdown's marks (`**`, backticks, `>`) are not
    /// part of it.
    pub fn plain(&self) -> String {
        shown_plain(self.html.as_deref(), self.shown_text())
    }

    /// The text that stands for the message: its content, or for an uncaptioned file its name.
    pub fn shown_text(&self) -> &str {
        match &self.attachment {
            Some(a) if self.content.is_empty() => &a.name,
            _ => &self.content,
        }
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Whether `user` has reacted with `emoji`.
    pub fn reacted(&self, user: UserId, emoji: &str) -> bool {
        self.reactions.iter().any(|r| r.emoji == emoji && r.includes(user))
    }

    /// Whether `user` is mentioned, by name or by `@room` (never by their own message).
    pub fn mentions_user(&self, user: UserId) -> bool {
        self.sender_id != user && (self.mentions_room || self.mentions.contains(&user))
    }
}

/// A room as listed in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub room: Room,
    /// What to call the room: the group's name, or the other person's display name.
    pub title: String,
    /// For private rooms, the other person (for presence dots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<User>,
    pub last_message: Option<Message>,
    pub unread: i64,
    /// Unread messages that mention me (by name or `@room`).
    #[serde(default)]
    pub unread_mentions: i64,
    /// The room's latest seq when this summary was read.
    pub last_seq: Seq,
    /// My read marker in this room.
    pub last_read_seq: Seq,
    /// My notification level for this room; `None` follows my default ([`Settings::notify`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyLevel>,
    /// Muted until this time ([`MUTED_FOREVER`]: until unmuted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<Millis>,
}

impl RoomSummary {
    pub fn is_muted(&self, now: Millis) -> bool {
        self.muted_until.is_some_and(|until| until > now)
    }
}

/// A mute "until I unmute" ends at this time.
pub const MUTED_FOREVER: Millis = 253_402_300_799_000; // 9999-12-31T23:59:59Z

/// What makes a room notify me.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyLevel {
    /// Every message from someone else.
    #[default]
    All,
    /// Only messages that mention me (by name or `@room`).
    Mentions,
    Nothing,
}

impl NotifyLevel {
    pub const ALL: [Self; 3] = [Self::All, Self::Mentions, Self::Nothing];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mentions => "mentions",
            Self::Nothing => "nothing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Whether a message (mentioning me or not) should notify at this level.
    pub fn notifies(self, mentions_me: bool) -> bool {
        match self {
            Self::All => true,
            Self::Mentions => mentions_me,
            Self::Nothing => false,
        }
    }
}

/// A room mute, as `POST /api/rooms/notify` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mute {
    /// Unmute.
    Off,
    /// For an hour.
    #[serde(rename = "1h")]
    Hour,
    /// For eight hours.
    #[serde(rename = "8h")]
    EightHours,
    /// Until unmuted.
    Forever,
}

impl Mute {
    /// When a mute chosen at `now` ends (`None`: not muted).
    pub fn until(self, now: Millis) -> Option<Millis> {
        match self {
            Self::Off => None,
            Self::Hour => Some(now + 3_600_000),
            Self::EightHours => Some(now + 8 * 3_600_000),
            Self::Forever => Some(MUTED_FOREVER),
        }
    }
}

/// My own settings, as the settings page edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub user: User,
    /// The level of rooms without their own.
    pub notify: NotifyLevel,
    /// Whether new messages play a sound.
    pub sound: bool,
    #[serde(default)]
    pub theme: Theme,
    #[serde(default)]
    pub language: Language,
    /// I administer this instance (the operations monitor is mine to see).
    #[serde(default)]
    pub admin: bool,
}

/// One node's figures over one sampling interval, for the operations monitor (`/admin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSample {
    pub at: Millis,
    pub connections: u64,
    pub online: u64,
    /// Messages this node stored per second over the interval.
    pub messages_per_sec: u64,
    /// Frames this node handed to sockets per second.
    pub deliveries_per_sec: u64,
    /// Delivery latency inside the server over the interval, in microseconds (absent when
    /// nothing was delivered).
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub memory_bytes: u64,
    pub database_bytes: u64,
}

/// A node's samples, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSeries {
    pub node: String,
    pub samples: Vec<NodeSample>,
}

/// What the operations monitor shows: every live node's last minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorView {
    pub interval_secs: u32,
    pub window_secs: u32,
    pub nodes: Vec<NodeSeries>,
}

/// A change to my settings: what is absent stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsChange {
    /// Empty: my username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

/// The colour theme: the system's preference, or always light or dark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Self; 3] = [Self::System, Self::Light, Self::Dark];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The `color-scheme` the page declares, so even the browser's first paint (before any
    /// style) has the right background.
    pub fn color_scheme(self) -> &'static str {
        match self {
            Self::System => "light dark",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

/// The cookie that carries the theme, so the server renders every page in it (no flash).
pub const THEME_COOKIE: &str = "confab_theme";

/// The UI's language as the account chose it; `Auto` follows the browser (`Accept-Language`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Auto,
    En,
    Th,
}

impl Language {
    pub const ALL: [Self; 3] = [Self::Auto, Self::En, Self::Th];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::En => "en",
            Self::Th => "th",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The locale this choice pins, if it pins one.
    pub fn locale(self) -> Option<crate::i18n::Locale> {
        match self {
            Self::Auto => None,
            Self::En => Some(crate::i18n::Locale::en),
            Self::Th => Some(crate::i18n::Locale::th),
        }
    }
}

/// The cookie that carries the UI's language (the account's choice, else the browser's), read
/// by the server's render and by the browser's i18n context alike.
pub const LANG_COOKIE: &str = "confab_lang";

/// A room with everyone in it, as shown in the room header and member list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomDetails {
    pub summary: RoomSummary,
    pub participants: Vec<Participant>,
    pub my_role: Role,
    #[serde(default)]
    pub retention: Retention,
}

/// How long a room keeps its messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// The room's own policy in days (0: forever); absent: the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own: Option<u32>,
    /// The server's `--retain-days` (0: forever).
    pub server_days: u32,
}

impl Retention {
    pub fn new(own: Option<u32>, server_days: u32) -> Self {
        Self { own, server_days }
    }

    /// Days messages are kept; 0: forever.
    pub fn days(&self) -> u32 {
        self.own.unwrap_or(self.server_days)
    }
}

/// A page of history; `has_more` says whether older (or newer) messages remain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePage {
    /// Oldest first.
    pub messages: Vec<Message>,
    pub has_more: bool,
    /// For a page read `around` a message: newer messages exist after it (`has_more` then
    /// says older ones exist before it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_more_after: bool,
    /// The room's seq read *before* the page: every change after it reaches the reader as
    /// catch-up or live frames, so the page plus `join_room {since: seq}` misses nothing.
    pub seq: Seq,
}

/// The changes to a room after a seq: `GET /api/rooms/changes` and `join_room`'s catch-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub room_id: RoomId,
    /// The current state of every message whose latest change is after `since`, in seq order
    /// (tombstones for deleted ones).
    pub changes: Vec<Message>,
    /// Replayed up to here: ask again with `since = seq` while `has_more`.
    pub seq: Seq,
    pub has_more: bool,
    /// The gap was too large to replay (more than [`limits::CATCH_UP_MAX`] changes): reload the
    /// room's latest page instead. `changes` is empty then.
    pub reset: bool,
    /// The retention job has removed every message up to this seq: drop them if still held.
    #[serde(default)]
    pub purged_up_to: Seq,
}

/// Input limits, enforced by the server and mirrored in the UI.
pub mod limits {
    pub const USERNAME_MIN: usize = 3;
    pub const USERNAME_MAX: usize = 32;
    pub const DISPLAY_NAME_MAX: usize = 64;
    pub const PASSWORD_MIN: usize = 8;
    /// Argon2 on a megabyte password is a denial of service; nobody types more than this.
    pub const PASSWORD_MAX: usize = 256;
    pub const MESSAGE_MAX_CHARS: usize = 4000;
    pub const ROOM_NAME_MAX: usize = 80;
    pub const GROUP_MAX_MEMBERS: usize = 256;
    pub const CLIENT_ID_MAX: usize = 64;
    pub const HISTORY_PAGE_MAX: u32 = 100;
    pub const HISTORY_PAGE_DEFAULT: u32 = 50;
    /// A client further behind than this many changes reloads the room instead of replaying.
    pub const CATCH_UP_MAX: i64 = 1000;
    /// The longest retention a room can set (a hundred years; beyond it, keep forever).
    pub const RETAIN_DAYS_MAX: u32 = 36_500;
    /// Changes per page of catch-up.
    pub const CHANGES_PAGE: u32 = 200;
    pub const SEARCH_QUERY_MAX: usize = 64;
    /// The longest search (all terms and filters).
    pub const SEARCH_TEXT_MAX: usize = 256;
    pub const SEARCH_PAGE: u32 = 20;
    /// Previous texts kept per message; older ones are dropped.
    pub const EDIT_HISTORY_MAX: usize = 20;
    /// Distinct emoji on one message.
    pub const REACTIONS_PER_MESSAGE: usize = 20;
    /// How much of a replied-to message a quote shows.
    pub const QUOTE_CHARS: usize = 200;
    /// The longest emoji sequence accepted, in bytes (a family with skin tones is ~35).
    pub const EMOJI_MAX_BYTES: usize = 64;
    /// Editing is allowed this long after sending, unless configured otherwise.
    pub const EDIT_WINDOW_DEFAULT_MINS: u64 = 15;
    /// The largest upload, unless configured otherwise.
    pub const UPLOAD_MAX_BYTES_DEFAULT: u64 = 25 * 1024 * 1024;
    /// What one user may store in all, unless configured otherwise.
    pub const QUOTA_BYTES_DEFAULT: u64 = 1024 * 1024 * 1024;
    /// Images larger than this are refused (decompression bombs).
    pub const IMAGE_MAX_PIXELS: u64 = 40_000_000;
    pub const FILE_NAME_MAX_CHARS: usize = 255;
    /// A caption is a message: the same limit.
    pub const CAPTION_MAX_CHARS: usize = MESSAGE_MAX_CHARS;
}

/// Checks a username and returns it lower-cased (usernames are case-insensitive).
pub fn normalize_username(raw: &str) -> Result<String, AppError> {
    let name = raw.trim().to_lowercase();
    let len = name.chars().count();
    if !(limits::USERNAME_MIN..=limits::USERNAME_MAX).contains(&len) {
        return Err(AppError::invalid(
            "username",
            format!("Usernames are {} to {} characters long.", limits::USERNAME_MIN, limits::USERNAME_MAX),
        ));
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c)) {
        return Err(AppError::invalid("username", "Usernames may use only letters a–z, digits and _ . -"));
    }
    Ok(name)
}

pub fn validate_display_name(raw: &str, username: &str) -> Result<String, AppError> {
    let name = collapse_whitespace(raw);
    if name.is_empty() {
        return Ok(username.to_string());
    }
    if name.chars().count() > limits::DISPLAY_NAME_MAX {
        return Err(AppError::invalid(
            "display_name",
            format!("Display names are at most {} characters.", limits::DISPLAY_NAME_MAX),
        ));
    }
    Ok(name)
}

pub fn validate_password(password: &str) -> Result<(), AppError> {
    let len = password.chars().count();
    if len < limits::PASSWORD_MIN {
        return Err(AppError::invalid(
            "password",
            format!("Passwords need at least {} characters.", limits::PASSWORD_MIN),
        ));
    }
    if password.len() > limits::PASSWORD_MAX {
        return Err(AppError::invalid("password", format!("Passwords are at most {} bytes.", limits::PASSWORD_MAX)));
    }
    Ok(())
}

/// What is sent of a message as typed: without trailing whitespace or leading blank lines.
fn message_text(raw: &str) -> &str {
    raw.trim_end().trim_start_matches(['\n', '\r'])
}

/// The characters a message as typed counts against [`limits::MESSAGE_MAX_CHARS`] (as the
/// server counts them: characters, not the UTF-16 units a `maxlength` would count).
pub fn message_chars(raw: &str) -> usize {
    message_text(raw).chars().count()
}

/// Trims a message; empty or over-long content is refused rather than silently cut.
pub fn validate_message_content(raw: &str) -> Result<String, AppError> {
    let content = message_text(raw);
    if content.trim().is_empty() {
        return Err(AppError::invalid("content", "A message can't be empty."));
    }
    if content.chars().count() > limits::MESSAGE_MAX_CHARS {
        return Err(AppError::invalid(
            "content",
            format!("Messages are at most {} characters.", limits::MESSAGE_MAX_CHARS),
        ));
    }
    Ok(content.to_string())
}

pub fn validate_room_name(raw: &str) -> Result<String, AppError> {
    let name = collapse_whitespace(raw);
    if name.is_empty() {
        return Err(AppError::invalid("name", "A group needs a name."));
    }
    if name.chars().count() > limits::ROOM_NAME_MAX {
        return Err(AppError::invalid(
            "name",
            format!("Group names are at most {} characters.", limits::ROOM_NAME_MAX),
        ));
    }
    Ok(name)
}

pub fn validate_client_id(raw: &str) -> Result<(), AppError> {
    if raw.is_empty() || raw.len() > limits::CLIENT_ID_MAX || !raw.is_ascii() {
        return Err(AppError::invalid(
            "client_id",
            format!("client_id is 1 to {} ASCII characters.", limits::CLIENT_ID_MAX),
        ));
    }
    Ok(())
}

fn collapse_whitespace(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalized_and_checked() {
        assert_eq!(normalize_username("  Alice_1 ").unwrap(), "alice_1");
        assert_eq!(normalize_username("a.b-c").unwrap(), "a.b-c");
        assert!(normalize_username("ab").is_err());
        assert!(normalize_username(&"a".repeat(33)).is_err());
        assert!(normalize_username("bad name").is_err());
        assert!(normalize_username("émile").is_err());
        let err = normalize_username("x!").unwrap_err();
        assert_eq!(err.field(), Some("username"));
    }

    #[test]
    fn passwords_have_bounds() {
        assert!(validate_password("1234567").is_err());
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password(&"x".repeat(300)).is_err());
    }

    #[test]
    fn display_name_defaults_to_username() {
        assert_eq!(validate_display_name("  ", "bob").unwrap(), "bob");
        assert_eq!(validate_display_name(" Bob   Smith ", "bob").unwrap(), "Bob Smith");
        assert!(validate_display_name(&"x".repeat(65), "bob").is_err());
    }

    #[test]
    fn message_content_rules() {
        assert!(validate_message_content(" \n ").is_err());
        assert_eq!(validate_message_content("\nhi\nthere \n").unwrap(), "hi\nthere");
        assert_eq!(validate_message_content("สวัสดี").unwrap(), "สวัสดี");
        assert!(validate_message_content(&"ก".repeat(4001)).is_err());
        assert!(validate_message_content(&"ก".repeat(4000)).is_ok());
        // Counted as the server counts: an emoji is one character, not two UTF-16 units.
        assert_eq!(message_chars(&"👍".repeat(2500)), 2500);
        assert_eq!(message_chars("\n\nhi  \n"), 2);
    }

    #[test]
    fn previews_and_quotes_read_the_rendered_text_without_markdown_marks() {
        let html = "<p><strong>urgent</strong> ping <span class=\"mention\" data-user-id=\"7\">@bob</span> see \
                    <code>x &lt; y &amp;&amp; z</code></p>\n<ul>\n<li>one</li>\n<li>two&nbsp;&#39;3&#x27;</li>\n</ul>\n";
        assert_eq!(plain_text(html), "urgent ping @bob see x < y && z one two '3'");
        assert_eq!(plain_text("<p>a<br>\nb <a href=\"https://x.y\" rel=\"noopener\">link</a>.</p>"), "a b link.");
        assert_eq!(plain_text("<p>fish &chips; &unknown; &</p>"), "fish &chips; &unknown; &");
        let message = Message {
            content: "**urgent**".into(),
            html: Some("<p><strong>urgent</strong></p>\n".into()),
            ..Default::default()
        };
        assert_eq!(message.preview(crate::i18n::Locale::en), "urgent");
        assert_eq!(Quote::of(&message).content, "urgent", "a reply quotes it as it reads");
        let plain = Message { content: "just text".into(), ..Default::default() };
        assert_eq!(plain.preview(crate::i18n::Locale::th), "just text");
        assert_eq!(Quote::of(&plain).content, "just text");
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(812), "812 B");
        assert_eq!(human_size(1_400_000), "1.4 MB");
        assert_eq!(human_size(25 * 1024 * 1024), "26 MB");
    }

    #[test]
    fn ids_serialize_as_plain_numbers() {
        assert_eq!(serde_json::to_string(&MessageId(42)).unwrap(), "42");
        assert_eq!("7".parse::<RoomId>().unwrap(), RoomId(7));
    }
}
