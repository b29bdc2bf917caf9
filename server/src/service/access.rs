//! Authorization: the caller's role in a room, checked on every request and every frame.
//!
//! Roles are cached, and the cache is exact rather than timed: every change of membership or
//! role, on any node, reaches every node's relay as an event that drops the room's entries
//! ([`Access::forget_room`]); a listener that lost its connection drops them all. A lookup
//! that raced with such a change is not cached (the generation check).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use app::{
    types::{Role, RoomId, User, UserId},
    AppError,
};
use parking_lot::Mutex;

use crate::{error::storage_error, storage::Storage};

/// Entries kept at most; beyond it the cache starts over (it refills from the database).
const MAX_ENTRIES: usize = 100_000;

pub struct Access {
    storage: Arc<Storage>,
    roles: Mutex<HashMap<(RoomId, UserId), Role>>,
    /// Bumped by every invalidation.
    generation: AtomicU64,
}

impl Access {
    pub fn new(storage: Arc<Storage>) -> Arc<Self> {
        Arc::new(Self { storage, roles: Mutex::default(), generation: AtomicU64::new(0) })
    }

    /// The caller's role in `room`; `NotFound` (the same as for a room that does not exist)
    /// when they are not a member.
    pub async fn require_role(&self, me: &User, room: RoomId) -> Result<Role, AppError> {
        let key = (room, me.id);
        if let Some(&role) = self.roles.lock().get(&key) {
            return Ok(role);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let role = self
            .storage
            .role(room, me.id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| AppError::not_found("No such room, or you are not in it."))?;
        let mut roles = self.roles.lock();
        if self.generation.load(Ordering::Acquire) == generation {
            if roles.len() >= MAX_ENTRIES {
                roles.clear();
            }
            roles.insert(key, role);
        }
        Ok(role)
    }

    /// The room's membership or roles changed.
    pub fn forget_room(&self, room: RoomId) {
        let mut roles = self.roles.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        roles.retain(|(r, _), _| *r != room);
    }

    /// Anything may have changed (events may have been missed).
    pub fn forget_all(&self) {
        let mut roles = self.roles.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        roles.clear();
    }
}
