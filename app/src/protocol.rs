//! The WebSocket protocol on `/ws`: JSON text frames tagged by `"type"`.
//!
//! The README documents every frame with an example; the tests below pin the exact JSON so the
//! documentation cannot drift from the code.

use serde::{Deserialize, Serialize};

use crate::types::{Message, MessageId, RoomId, Seq, User, UserId};

/// Frames a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Subscribe to a room and catch up on every change after `since` (the last seq the client
    /// applied); without `since`, only subscribe.
    JoinRoom {
        room_id: RoomId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Seq>,
    },
    /// Stop receiving a room's events on this connection.
    LeaveRoom {
        room_id: RoomId,
    },
    /// Send a message; `client_id` makes retries safe (at most one message per key).
    /// `reply_to` answers another message of the room.
    SendMessage {
        room_id: RoomId,
        client_id: String,
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<MessageId>,
    },
    /// Replace the text of my message. Idempotent: the text it already has changes nothing.
    /// `client_id`, when given, comes back on an `error` about this request.
    EditMessage {
        room_id: RoomId,
        message_id: MessageId,
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// Delete a message (mine, or anyone's in a group I own or administer), leaving a
    /// tombstone. Idempotent.
    DeleteMessage {
        room_id: RoomId,
        message_id: MessageId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// Add (`add: true`) or take back my reaction. Saying what the state should be, rather
    /// than "toggle", makes a retry harmless.
    React {
        room_id: RoomId,
        message_id: MessageId,
        emoji: String,
        add: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// "I am typing" (refresh every few seconds while typing) or "I stopped".
    UserTyping {
        room_id: RoomId,
        typing: bool,
    },
    /// Everything up to `seq` has been read.
    MarkRead {
        room_id: RoomId,
        seq: Seq,
    },
    Ping,
}

/// Frames the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame on every connection: who you are and which of the people you share a room
    /// with are online now.
    Hello {
        user: User,
        online: Vec<UserId>,
    },
    /// A change in one of your rooms, live or as catch-up after `join_room`: the message's
    /// current state (new, edited, a tombstone, or a system line). `seq` is the change's place
    /// in the room's sequence (`message.change_seq`). Apply it idempotently (upsert by id).
    ReceiveMessage {
        seq: Seq,
        message: Message,
    },
    /// A message changed (edited, deleted: a tombstone, or its reactions), live or as
    /// catch-up: `message` is its full current state, `seq` its latest change
    /// (`message.change_seq`). Replace your copy (upsert by id); quotes of it change too.
    MessageUpdated {
        seq: Seq,
        message: Message,
    },
    /// Your `send_message` was stored; `message` is the stored copy, created at `seq`.
    MessageAck {
        client_id: String,
        seq: Seq,
        message: Message,
    },
    UserTyping {
        room_id: RoomId,
        user: User,
        typing: bool,
    },
    UserOnline {
        user_id: UserId,
        online: bool,
    },
    /// A room you are in changed (created, renamed, members added or left, my notification
    /// settings for it):
    /// refetch it with `GET /api/rooms`.
    RoomUpdated {
        room_id: RoomId,
    },
    /// A member's read marker moved: everything up to `seq` has been read by `user_id` (read
    /// receipts; for my own, other tabs clear their badges).
    ReadMarker {
        room_id: RoomId,
        user_id: UserId,
        seq: Seq,
    },
    /// You are no longer in this room (you left, on another tab too).
    RoomRemoved {
        room_id: RoomId,
    },
    /// The retention job removed the room's messages up to `up_to` (their seqs): drop them.
    /// Sent live, and before `joined` to a client catching up from before it.
    HistoryPurged {
        room_id: RoomId,
        up_to: Seq,
    },
    /// Catch-up after `join_room` is complete: every change up to `seq` has been sent. With
    /// `reset`, the gap was too large to replay and nothing was sent: reload the room's latest
    /// page (its `seq` then continues the sequence).
    Joined {
        room_id: RoomId,
        seq: Seq,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reset: bool,
    },
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    Pong,
}

impl ServerFrame {
    /// The frame that tells a client about `message`'s latest change: `receive_message` while
    /// it is as created, `message_updated` once edited, deleted or reacted to.
    pub fn change(message: Message) -> Self {
        let seq = message.change_seq;
        if seq > message.seq {
            Self::MessageUpdated { seq, message }
        } else {
            Self::ReceiveMessage { seq, message }
        }
    }

    pub fn error(err: &crate::AppError, client_id: Option<String>) -> Self {
        Self::Error { code: err.code().to_string(), message: err.to_string(), client_id }
    }
}

/// WebSocket close code: the session ended (logged out, here or in another tab or node). Do
/// not reconnect; log in again.
pub const CLOSE_SESSION_ENDED: u16 = 4401;
/// WebSocket close code: the server is shutting down; reconnect (to another node).
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// WebSocket close code: this client fell too far behind; reconnect and catch up.
pub const CLOSE_TRY_AGAIN: u16 = 1013;

/// The largest client frame the server reads; a full-length message in 4-byte characters fits.
pub const MAX_CLIENT_FRAME_BYTES: usize = 20 * 1024;
/// Typing indicators expire this long after the last refresh.
pub const TYPING_TTL_MS: u64 = 5_000;
/// Clients refresh "typing" this often while the user keeps typing.
pub const TYPING_REFRESH_MS: u64 = 3_000;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_frames_match_the_documented_json() {
        let f: ClientFrame = serde_json::from_value(json!(
            {"type": "send_message", "room_id": 3, "client_id": "c-1", "content": "hi"}
        ))
        .unwrap();
        assert_eq!(
            f,
            ClientFrame::SendMessage {
                room_id: RoomId(3),
                client_id: "c-1".into(),
                content: "hi".into(),
                reply_to: None
            }
        );
        let f: ClientFrame = serde_json::from_value(json!(
            {"type": "edit_message", "room_id": 3, "message_id": 77, "content": "fixed"}
        ))
        .unwrap();
        assert_eq!(
            f,
            ClientFrame::EditMessage {
                room_id: RoomId(3),
                message_id: MessageId(77),
                content: "fixed".into(),
                client_id: None
            }
        );
        let f: ClientFrame = serde_json::from_value(json!(
            {"type": "react", "room_id": 3, "message_id": 77, "emoji": "👍", "add": true, "client_id": "r-1"}
        ))
        .unwrap();
        assert_eq!(
            f,
            ClientFrame::React {
                room_id: RoomId(3),
                message_id: MessageId(77),
                emoji: "👍".into(),
                add: true,
                client_id: Some("r-1".into())
            }
        );
        let f: ClientFrame =
            serde_json::from_value(json!({"type": "delete_message", "room_id": 3, "message_id": 77})).unwrap();
        assert_eq!(f, ClientFrame::DeleteMessage { room_id: RoomId(3), message_id: MessageId(77), client_id: None });
        let f: ClientFrame = serde_json::from_value(json!({"type": "join_room", "room_id": 3})).unwrap();
        assert_eq!(f, ClientFrame::JoinRoom { room_id: RoomId(3), since: None });
        let f: ClientFrame = serde_json::from_value(json!({"type": "join_room", "room_id": 3, "since": 41})).unwrap();
        assert_eq!(f, ClientFrame::JoinRoom { room_id: RoomId(3), since: Some(Seq(41)) });
        let f: ClientFrame = serde_json::from_value(json!({"type": "mark_read", "room_id": 3, "seq": 9})).unwrap();
        assert_eq!(f, ClientFrame::MarkRead { room_id: RoomId(3), seq: Seq(9) });
        let f: ClientFrame = serde_json::from_value(json!({"type": "ping"})).unwrap();
        assert_eq!(f, ClientFrame::Ping);
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "nope"})).is_err());
    }

    #[test]
    fn server_frames_are_tagged() {
        let v = serde_json::to_value(ServerFrame::UserOnline { user_id: UserId(5), online: true }).unwrap();
        assert_eq!(v, json!({"type": "user_online", "user_id": 5, "online": true}));
        let v = serde_json::to_value(ServerFrame::ReadMarker { room_id: RoomId(1), user_id: UserId(5), seq: Seq(9) })
            .unwrap();
        assert_eq!(v, json!({"type": "read_marker", "room_id": 1, "user_id": 5, "seq": 9}));
        let v = serde_json::to_value(ServerFrame::Joined { room_id: RoomId(1), seq: Seq(7), reset: false }).unwrap();
        assert_eq!(v, json!({"type": "joined", "room_id": 1, "seq": 7}));
        let v = serde_json::to_value(ServerFrame::Joined { room_id: RoomId(1), seq: Seq(7), reset: true }).unwrap();
        assert_eq!(v, json!({"type": "joined", "room_id": 1, "seq": 7, "reset": true}));
        let v = serde_json::to_value(ServerFrame::error(&crate::AppError::unauthorized(), None)).unwrap();
        assert_eq!(v, json!({"type": "error", "code": "unauthorized", "message": "Please log in."}));
    }
}
