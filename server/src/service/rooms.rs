//! Rooms: private rooms, groups, membership and names. Each change commits with its system
//! line at the room's next seq, then is published: the line as a room change, the membership
//! as [`Event::RoomMeta`] (subscriptions and caches follow it on every node).

use std::sync::Arc;

use app::{
    types::{self, limits, Message, Mute, NotifyLevel, RoomDetails, RoomId, RoomKind, RoomSummary, Seq, User, UserId},
    AppError,
};

use super::{access::Access, now_ms};
use crate::{
    bus::Bus,
    events::{Event, RoomChange},
    storage::{Storage, StorageError},
};

pub struct Rooms {
    storage: Arc<Storage>,
    bus: Arc<dyn Bus>,
    access: Arc<Access>,
}

impl Rooms {
    pub fn new(storage: Arc<Storage>, bus: Arc<dyn Bus>, access: Arc<Access>) -> Self {
        Self { storage, bus, access }
    }

    /// Publishes what one commit changed in `room`: its system lines, then its membership.
    fn publish(&self, room: RoomId, lines: Vec<Message>, added: Vec<UserId>, removed: Vec<UserId>) {
        self.access.forget_room(room);
        if let (Some(first), Some(last)) = (lines.first(), lines.last()) {
            let change = RoomChange {
                room,
                first_seq: first.seq,
                last_seq: last.seq,
                messages: lines.into_iter().map(|m| (Arc::new(m), None)).collect(),
            };
            self.bus.publish(Event::Room(change));
        }
        self.bus.publish(Event::RoomMeta { room, added, removed });
    }

    pub async fn summary(&self, me: &User, room: RoomId) -> Result<RoomSummary, AppError> {
        self.storage
            .room_summaries(me.id, Some(room))
            .await?
            .pop()
            .ok_or_else(|| AppError::not_found("No such room, or you are not in it."))
    }

    pub async fn list(&self, me: &User) -> Result<Vec<RoomSummary>, AppError> {
        Ok(self.storage.room_summaries(me.id, None).await?)
    }

    pub async fn open_private(&self, me: &User, other: UserId) -> Result<RoomSummary, AppError> {
        if other == me.id {
            return Err(AppError::invalid("user_id", "Pick someone other than yourself."));
        }
        if self.storage.user(other).await?.is_none() {
            return Err(AppError::not_found("No such user."));
        }
        let opened = self.storage.open_private_room(me, other, now_ms()).await?;
        if !opened.added.is_empty() {
            self.publish(opened.room, opened.line.into_iter().collect(), opened.added, Vec::new());
        }
        self.summary(me, opened.room).await
    }

    pub async fn create_group(&self, me: &User, name: &str, members: &[UserId]) -> Result<RoomSummary, AppError> {
        let name = types::validate_room_name(name)?;
        let mut members: Vec<UserId> = members.iter().copied().filter(|&m| m != me.id).collect();
        members.sort();
        members.dedup();
        if members.len() + 1 > limits::GROUP_MAX_MEMBERS {
            return Err(AppError::invalid(
                "members",
                format!("A group has at most {} members.", limits::GROUP_MAX_MEMBERS),
            ));
        }
        let (room, line) = match self.storage.create_group(me, &name, &members, now_ms()).await {
            Err(StorageError::NotFound) => {
                return Err(AppError::invalid("members", "One of those people does not exist."))
            }
            other => other?,
        };
        let mut everyone = members;
        everyone.push(me.id);
        self.publish(room, vec![line], everyone, Vec::new());
        self.summary(me, room).await
    }

    pub async fn details(&self, me: &User, room: RoomId) -> Result<RoomDetails, AppError> {
        let my_role = self.access.require_role(me, room).await?;
        let summary = self.summary(me, room).await?;
        let participants = self.storage.participants(room).await?;
        Ok(RoomDetails { summary, participants, my_role, retention: Default::default() })
    }

    pub async fn add_participants(&self, me: &User, room: RoomId, users: &[UserId]) -> Result<RoomDetails, AppError> {
        let role = self.access.require_role(me, room).await?;
        if self.kind(room).await? != Some(RoomKind::Group) {
            return Err(AppError::invalid("room_id", "People can only be added to groups."));
        }
        if !role.can_manage() {
            return Err(AppError::forbidden("Only the group's owner or admins can add people."));
        }
        let current = self.storage.member_ids(room).await?;
        if current.len() + users.len() > limits::GROUP_MAX_MEMBERS {
            return Err(AppError::invalid(
                "user_ids",
                format!("A group has at most {} members.", limits::GROUP_MAX_MEMBERS),
            ));
        }
        let (added, line) = match self.storage.add_participants(room, me, users, now_ms()).await {
            Err(StorageError::NotFound) => {
                return Err(AppError::invalid("user_ids", "One of those people does not exist."))
            }
            other => other?,
        };
        if let Some(line) = line {
            self.publish(room, vec![line], added, Vec::new());
        }
        self.details(me, room).await
    }

    pub async fn leave(&self, me: &User, room: RoomId) -> Result<(), AppError> {
        self.access.require_role(me, room).await?;
        let lines = self.storage.remove_participant(room, me, now_ms()).await?;
        self.publish(room, lines, Vec::new(), vec![me.id]);
        Ok(())
    }

    /// Renames a group: its owners and admins may, as they manage its membership (a name is
    /// what everyone in the group sees, so not every member should change it at will).
    pub async fn rename(&self, me: &User, room: RoomId, name: &str) -> Result<RoomSummary, AppError> {
        let role = self.access.require_role(me, room).await?;
        let name = types::validate_room_name(name)?;
        if self.kind(room).await? != Some(RoomKind::Group) {
            return Err(AppError::invalid("room_id", "Private conversations have no name to change."));
        }
        if !role.can_manage() {
            return Err(AppError::forbidden("Only the group's owner or admins can rename it."));
        }
        let line = self.storage.rename_room(room, me, &name, now_ms()).await?;
        self.publish(room, vec![line], Vec::new(), Vec::new());
        self.summary(me, room).await
    }

    pub async fn mark_read(&self, me: &User, room: RoomId, seq: Seq) -> Result<(), AppError> {
        self.access.require_role(me, room).await?;
        if self.storage.mark_read(room, me.id, seq, now_ms()).await? {
            self.bus.publish(Event::ReadMarker { room, user: me.id, seq });
        }
        Ok(())
    }

    /// Sets how a room notifies me: its level (`None`: my default) and, when given, its mute
    /// (absent: as it is, so changing the level never restarts a timed mute). My other tabs
    /// follow.
    pub async fn set_notify(
        &self,
        me: &User,
        room: RoomId,
        level: Option<NotifyLevel>,
        mute: Option<Mute>,
    ) -> Result<RoomSummary, AppError> {
        self.access.require_role(me, room).await?;
        let mute = mute.map(|m| m.until(now_ms()));
        if !self.storage.set_room_notify(room, me.id, level, mute).await? {
            return Err(AppError::not_found("No such room, or you are not in it."));
        }
        self.bus.publish(Event::Personal { room, user: me.id });
        self.summary(me, room).await
    }

    async fn kind(&self, room: RoomId) -> Result<Option<RoomKind>, AppError> {
        Ok(self.storage.room(room).await?.map(|r| r.kind))
    }
}
