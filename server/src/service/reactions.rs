//! Reactions: any member may add or take back an emoji on any message still there. Only real
//! emoji, in one canonical form, at most [`limits::REACTIONS_PER_MESSAGE`] distinct per message.

use app::{
    types::{limits, Message, MessageId, RoomId, User},
    AppError,
};

use super::{emoji, messages::Messages, now_ms};
use crate::storage::reactions::Reacted;

impl Messages {
    /// Adds (`add`) or removes my reaction. Asking for the state that already holds changes
    /// nothing, so a retried frame cannot toggle twice.
    pub async fn react(
        &self,
        me: &User,
        room: RoomId,
        id: MessageId,
        emoji: &str,
        add: bool,
    ) -> Result<Message, AppError> {
        let emoji = emoji::canonical(emoji)?;
        self.access.require_role(me, room).await?;
        let message = self.find(room, id).await?;
        if message.system.is_some() {
            return Err(AppError::forbidden("Timeline events can't be reacted to."));
        }
        match self.storage.react(room, id, me.id, emoji, add, now_ms()).await? {
            Reacted::Done(changed) => self.published(*changed),
            Reacted::TooMany => Err(AppError::invalid(
                "emoji",
                format!("A message can have at most {} different reactions.", limits::REACTIONS_PER_MESSAGE),
            )),
        }
    }
}
