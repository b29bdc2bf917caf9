//! The WebSocket protocol on `/ws`: JSON text frames tagged by `"type"`.
//!
//! The README documents every frame with an example; the tests below pin the exact JSON so the
//! documentation cannot drift from the code.

use serde::{Deserialize, Serialize};

use crate::types::{Message, MessageId, RoomId, User, UserId};

/// Frames a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Subscribe to a room and catch up on everything after `after` (the last id the client saw).
    JoinRoom {
        room_id: RoomId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<MessageId>,
    },
    /// Stop receiving a room's events on this connection.
    LeaveRoom {
        room_id: RoomId,
    },
    /// Send a message; `client_id` makes retries safe (at most one message per key).
    SendMessage {
        room_id: RoomId,
        client_id: String,
        content: String,
    },
    /// "I am typing" (refresh every few seconds while typing) or "I stopped".
    UserTyping {
        room_id: RoomId,
        typing: bool,
    },
    /// Everything up to `message_id` has been read.
    MarkRead {
        room_id: RoomId,
        message_id: MessageId,
    },
    Ping,
}

/// Frames the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame on every connection: who you are and who is online now.
    Hello {
        user: User,
        online: Vec<UserId>,
    },
    /// A new message in one of your rooms (including catch-up after `join_room`).
    ReceiveMessage {
        message: Message,
    },
    /// Your `send_message` was stored; `message` is the stored copy.
    MessageAck {
        client_id: String,
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
    /// A room you are in changed (created, renamed, members added or left, read marker moved):
    /// refetch it with `GET /api/rooms`.
    RoomUpdated {
        room_id: RoomId,
    },
    /// You are no longer in this room (you left, on another tab too).
    RoomRemoved {
        room_id: RoomId,
    },
    /// Catch-up after `join_room` is complete: everything up to `last_id` has been sent.
    Joined {
        room_id: RoomId,
        last_id: Option<MessageId>,
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
    pub fn error(err: &crate::AppError, client_id: Option<String>) -> Self {
        Self::Error { code: err.code().to_string(), message: err.to_string(), client_id }
    }
}

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
        assert_eq!(f, ClientFrame::SendMessage { room_id: RoomId(3), client_id: "c-1".into(), content: "hi".into() });
        let f: ClientFrame = serde_json::from_value(json!({"type": "join_room", "room_id": 3})).unwrap();
        assert_eq!(f, ClientFrame::JoinRoom { room_id: RoomId(3), after: None });
        let f: ClientFrame = serde_json::from_value(json!({"type": "ping"})).unwrap();
        assert_eq!(f, ClientFrame::Ping);
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "nope"})).is_err());
    }

    #[test]
    fn server_frames_are_tagged() {
        let v = serde_json::to_value(ServerFrame::UserOnline { user_id: UserId(5), online: true }).unwrap();
        assert_eq!(v, json!({"type": "user_online", "user_id": 5, "online": true}));
        let v = serde_json::to_value(ServerFrame::error(&crate::AppError::unauthorized(), None)).unwrap();
        assert_eq!(v, json!({"type": "error", "code": "unauthorized", "message": "Please log in."}));
    }
}
