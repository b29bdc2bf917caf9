//! Drafts: what was typed in a room's composer and not sent, kept per room (and per account,
//! so a shared browser does not show one person's drafts to another) in the browser's
//! `localStorage`, so switching rooms or reloading loses nothing.

use crate::types::{RoomId, UserId};

/// The storage key of a room's draft.
pub fn key(user: UserId, room: RoomId) -> String {
    format!("confab.draft.{}.{}", user.0, room.0)
}

/// The room's draft ("" when there is none, or no storage).
pub fn load(user: UserId, room: RoomId) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        return storage.get_item(&key(user, room)).ok().flatten().unwrap_or_default();
    }
    let _ = (user, room);
    String::new()
}

/// Keeps the room's draft; an empty one is forgotten.
pub fn save(user: UserId, room: RoomId, text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        // Storage full or refused (private mode): the draft lives only on screen.
        let _ = if text.trim().is_empty() {
            storage.remove_item(&key(user, room))
        } else {
            storage.set_item(&key(user, room), text)
        };
    }
    let _ = (user, room, text);
}

/// Forgets every draft of the account (logging out: the next person at this browser must not
/// read them).
pub fn forget_all(user: UserId) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let prefix = format!("confab.draft.{}.", user.0);
        let count = storage.length().unwrap_or(0);
        let keys: Vec<String> =
            (0..count).filter_map(|i| storage.key(i).ok().flatten()).filter(|k| k.starts_with(&prefix)).collect();
        for key in keys {
            let _ = storage.remove_item(&key);
        }
    }
    let _ = user;
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    leptos::prelude::window().local_storage().ok().flatten()
}
