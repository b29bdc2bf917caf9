//! The typed events the domain publishes after each commit, and their compact cross-node form.
//!
//! An [`Event`] is what happened, in full, on this node: the relay fans it out without
//! touching the database. A [`Notice`] is what other nodes hear of it (through PostgreSQL
//! `NOTIFY`, well under its 8,000-byte payload limit): room changes carry only the room and the
//! seqs, and the receiving node loads the changes it needs by seq, so a notice can be lost or
//! repeated without anyone missing or doubling a change.

use std::sync::Arc;

use app::types::{Message, NodeSample, RoomId, Seq, User, UserId};
use serde::{Deserialize, Serialize};

use crate::hub::ConnId;

/// A server process among those sharing one database (`--node-id`).
pub type NodeId = Arc<str>;

/// A message's current state, with the connection that sent it (which hears of it through its
/// acknowledgement instead).
pub type Delivery = (Arc<Message>, Option<ConnId>);

/// Messages (new, edited, deleted, system lines) committed in one room, in seq order.
#[derive(Debug, Clone)]
pub struct RoomChange {
    pub room: RoomId,
    /// The first and last seq this commit took in the room.
    pub first_seq: Seq,
    pub last_seq: Seq,
    pub messages: Vec<Delivery>,
}

#[derive(Debug, Clone)]
pub enum Event {
    /// Committed changes to a room's timeline.
    Room(RoomChange),
    /// A room's name or membership changed: members refetch it; the added start hearing the
    /// room and the removed stop at once, on every node.
    RoomMeta { room: RoomId, added: Vec<UserId>, removed: Vec<UserId> },
    /// A user's read marker moved: the room's members see a read receipt, the user's other
    /// tabs update badges.
    ReadMarker { room: RoomId, user: UserId, seq: Seq },
    /// A user's own view of a room changed (its notification level or mute): their other tabs
    /// refetch it.
    Personal { room: RoomId, user: UserId },
    /// Ephemeral: no table write, never replayed.
    Typing { room: RoomId, user: User, typing: bool },
    /// A user's first tab on `node` opened, or their last one closed (after the grace period).
    Presence { node: NodeId, user: UserId, online: bool },
    /// Everyone online on `node` (answering [`Event::PresenceSync`]), in chunks: `first`
    /// starts the list, and after the `last` it replaces what was known of that node.
    NodeUsers { node: NodeId, users: Vec<UserId>, first: bool, last: bool },
    /// `node` (new, or back after losing its listener) asks every node to announce its users.
    PresenceSync { node: NodeId },
    /// `node` is alive; a node silent for [`crate::relay::NODE_DEAD_AFTER`] is gone, with its users.
    Heartbeat { node: NodeId },
    /// A user's profile (display name) changed: their sockets, which hold it, reconnect on
    /// every node.
    ProfileChanged { user: UserId },
    /// Sessions ended (logout; later, a password change): their sockets close on every node.
    /// `token_hash: None` ends all of the user's sessions.
    SessionsEnded { user: UserId, token_hash: Option<String> },
    /// A node's figures for the operations monitor.
    NodeStats { node: NodeId, sample: NodeSample },
    /// The retention job removed the room's messages up to `up_to`.
    HistoryPurged { room: RoomId, up_to: Seq },
}

impl Event {
    /// Whether the storage already told other nodes inside the committing transaction (so a
    /// bus that sends notices in transactions does not send this one again).
    pub fn notified_in_commit(&self) -> bool {
        matches!(self, Self::Room(_) | Self::RoomMeta { .. })
    }

    /// The form other nodes receive.
    pub fn notice(&self, node: &NodeId) -> Notice {
        let body = match self {
            Self::Room(c) => NoticeBody::Room { room: c.room, first: c.first_seq, last: c.last_seq },
            Self::RoomMeta { room, added, removed } => {
                NoticeBody::RoomMeta { room: *room, added: added.clone(), removed: removed.clone() }
            }
            Self::ReadMarker { room, user, seq } => NoticeBody::ReadMarker { room: *room, user: *user, seq: *seq },
            Self::Personal { room, user } => NoticeBody::Personal { room: *room, user: *user },
            Self::Typing { room, user, typing } => {
                NoticeBody::Typing { room: *room, user: user.clone(), typing: *typing }
            }
            Self::Presence { user, online, .. } => NoticeBody::Presence { user: *user, online: *online },
            Self::NodeUsers { users, first, last, .. } => {
                NoticeBody::NodeUsers { users: users.clone(), first: *first, last: *last }
            }
            Self::PresenceSync { .. } => NoticeBody::PresenceSync,
            Self::Heartbeat { .. } => NoticeBody::Heartbeat,
            Self::ProfileChanged { user } => NoticeBody::ProfileChanged { user: *user },
            Self::SessionsEnded { user, token_hash } => {
                NoticeBody::SessionsEnded { user: *user, token_hash: token_hash.clone() }
            }
            Self::NodeStats { sample, .. } => NoticeBody::NodeStats { sample: sample.clone() },
            Self::HistoryPurged { room, up_to } => NoticeBody::HistoryPurged { room: *room, up_to: *up_to },
        };
        Notice { node: node.to_string(), body }
    }
}

/// The cross-node form of an [`Event`], sent as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The node it came from (each node skips its own).
    #[serde(rename = "n")]
    pub node: String,
    #[serde(flatten)]
    pub body: NoticeBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum NoticeBody {
    Room {
        room: RoomId,
        first: Seq,
        last: Seq,
    },
    RoomMeta {
        room: RoomId,
        added: Vec<UserId>,
        removed: Vec<UserId>,
    },
    ReadMarker {
        room: RoomId,
        user: UserId,
        seq: Seq,
    },
    Personal {
        room: RoomId,
        user: UserId,
    },
    Typing {
        room: RoomId,
        user: User,
        typing: bool,
    },
    Presence {
        user: UserId,
        online: bool,
    },
    /// `last` is absent from a node of an earlier version, whose every chunk replaced the list.
    NodeUsers {
        users: Vec<UserId>,
        first: bool,
        #[serde(default = "yes")]
        last: bool,
    },
    PresenceSync,
    Heartbeat,
    SessionsEnded {
        user: UserId,
        token_hash: Option<String>,
    },
    ProfileChanged {
        user: UserId,
    },
    NodeStats {
        sample: NodeSample,
    },
    HistoryPurged {
        room: RoomId,
        up_to: Seq,
    },
}

fn yes() -> bool {
    true
}

/// Users per [`Event::NodeUsers`] notice: about 12 bytes each keeps a notice near 6 KB.
pub const NODE_USERS_CHUNK: usize = 500;

impl Notice {
    pub fn to_json(&self) -> String {
        // Our own plain types: serialization cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The event a receiving node acts on. Room changes arrive without their messages: the
    /// relay loads them by seq.
    pub fn into_event(self) -> Event {
        let node: NodeId = Arc::from(self.node.as_str());
        match self.body {
            NoticeBody::Room { room, first, last } => {
                Event::Room(RoomChange { room, first_seq: first, last_seq: last, messages: Vec::new() })
            }
            NoticeBody::RoomMeta { room, added, removed } => Event::RoomMeta { room, added, removed },
            NoticeBody::ReadMarker { room, user, seq } => Event::ReadMarker { room, user, seq },
            NoticeBody::Personal { room, user } => Event::Personal { room, user },
            NoticeBody::Typing { room, user, typing } => Event::Typing { room, user, typing },
            NoticeBody::Presence { user, online } => Event::Presence { node, user, online },
            NoticeBody::NodeUsers { users, first, last } => Event::NodeUsers { node, users, first, last },
            NoticeBody::PresenceSync => Event::PresenceSync { node },
            NoticeBody::Heartbeat => Event::Heartbeat { node },
            NoticeBody::SessionsEnded { user, token_hash } => Event::SessionsEnded { user, token_hash },
            NoticeBody::ProfileChanged { user } => Event::ProfileChanged { user },
            NoticeBody::NodeStats { sample } => Event::NodeStats { node, sample },
            NoticeBody::HistoryPurged { room, up_to } => Event::HistoryPurged { room, up_to },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_are_small_and_round_trip() {
        let node: NodeId = Arc::from("node-a");
        let event =
            Event::Room(RoomChange { room: RoomId(7), first_seq: Seq(41), last_seq: Seq(43), messages: Vec::new() });
        let json = event.notice(&node).to_json();
        assert_eq!(json, r#"{"n":"node-a","t":"room","room":7,"first":41,"last":43}"#);
        let back: Notice = serde_json::from_str(&json).unwrap();
        assert!(matches!(back.into_event(), Event::Room(c) if c.room == RoomId(7) && c.last_seq == Seq(43)));

        let users: Vec<UserId> = (0..NODE_USERS_CHUNK as i64).map(|i| UserId(1_000_000_000 + i)).collect();
        let big = Event::NodeUsers { node: node.clone(), users, first: true, last: true }.notice(&node).to_json();
        assert!(big.len() < 8000, "a full chunk is {} bytes", big.len());
    }
}
