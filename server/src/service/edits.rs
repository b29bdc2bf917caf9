//! Changing what was sent: edits (own messages, within the edit window, history kept) and
//! deletions (own messages always; anyone's for a group's owners and admins). Both leave the
//! message in its place in the timeline and publish its new state at the room's next seq.

use std::sync::Arc;

use app::{
    types::{self, Message, MessageEdit, MessageId, Role, RoomId, User},
    AppError,
};

use super::{messages::Messages, now_ms, search};
use crate::{
    events::{Event, RoomChange},
    storage::edits::{Changed, NewText},
};

impl Messages {
    /// Replaces the text of my message. The same text again changes nothing (a retry is
    /// harmless); mentions are recomputed, and only people newly mentioned get a mention.
    pub async fn edit(&self, me: &User, room: RoomId, id: MessageId, content: &str) -> Result<Message, AppError> {
        let content = types::validate_message_content(content)?;
        let role = self.access.require_role(me, room).await?;
        let message = self.find(room, id).await?;
        if message.system.is_some() || message.sender_id != me.id {
            return Err(AppError::forbidden("You can only edit your own messages."));
        }
        if message.is_deleted() {
            return Err(deleted());
        }
        if let Some(window) = self.edit_window {
            if now_ms() - message.created_at > window.as_millis() as i64 {
                return Err(AppError::forbidden(format!(
                    "Messages can only be edited for {} after sending.",
                    describe_minutes(window.as_secs() / 60)
                )));
            }
        }
        if message.content == content {
            return Ok(message);
        }
        let draft = self.compose(room, role, content).await?;
        let found_by = search::search_text(&draft.content, message.attachment.as_ref().map(|a| a.name.as_str()));
        let text = NewText {
            content: &draft.content,
            html: draft.html.as_deref(),
            mentions: &draft.mentions,
            mentions_room: draft.mentions_room,
            search_text: found_by.as_deref(),
        };
        let changed = self.storage.edit_message(room, id, text, now_ms()).await?;
        self.published(changed)
    }

    /// Deletes a message: mine at any time, or anyone's in a group where I am an owner or
    /// admin. Deleting a deleted message changes nothing.
    pub async fn delete(&self, me: &User, room: RoomId, id: MessageId) -> Result<Message, AppError> {
        let role = self.access.require_role(me, room).await?;
        let message = self.find(room, id).await?;
        if message.system.is_some() {
            return Err(AppError::forbidden("Timeline events can't be deleted."));
        }
        if message.sender_id != me.id {
            let moderator = matches!(role, Role::Owner | Role::Admin) && self.is_group(room).await?;
            if !moderator {
                return Err(AppError::forbidden(
                    "You can only delete your own messages (owners and admins of a group can delete any).",
                ));
            }
        }
        if message.is_deleted() {
            return Ok(message);
        }
        let changed = self.storage.delete_message(room, id, now_ms()).await?;
        self.published(changed)
    }

    /// The previous texts of a message, newest first (members only).
    pub async fn edits(&self, me: &User, room: RoomId, id: MessageId) -> Result<Vec<MessageEdit>, AppError> {
        self.access.require_role(me, room).await?;
        self.find(room, id).await?;
        Ok(self.storage.message_edits(room, id).await?)
    }

    /// Publishes a committed change (every node's relay delivers it in seq order) and returns
    /// the message's state.
    pub(super) fn published(&self, changed: Changed) -> Result<Message, AppError> {
        match changed {
            Changed::Yes(message) => {
                let seq = message.change_seq;
                self.bus.publish(Event::Room(RoomChange {
                    room: message.room_id,
                    first_seq: seq,
                    last_seq: seq,
                    messages: vec![(Arc::new(message.clone()), None)],
                }));
                Ok(message)
            }
            Changed::No(message) => Ok(message),
            Changed::Gone => Err(deleted()),
        }
    }
}

fn deleted() -> AppError {
    AppError::conflict("message_id", "That message was deleted.")
}

fn describe_minutes(minutes: u64) -> String {
    match minutes {
        1 => "1 minute".to_string(),
        m if m % 60 == 0 && m >= 120 => format!("{} hours", m / 60),
        60 => "1 hour".to_string(),
        m => format!("{m} minutes"),
    }
}
