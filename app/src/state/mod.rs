//! Client state. The modules form a chain with no cycles: [`timeline`] and [`store`] hold the
//! state and how frames change it; [`socket`] feeds the store and carries out what frames call
//! for; [`actions`] is what components do (HTTP and socket, recorded in the store). The
//! logged-in [`session`] stands apart. Files follow the same chain: [`upload`] is their state
//! and rules, [`transfer`] (in the browser) holds the bytes and sends them for the store.
//! [`alerts`] turns the store's alerts into toasts, sounds and browser notifications;
//! [`drafts`] keeps unsent text per room.

pub mod actions;
pub mod alerts;
pub mod drafts;
pub mod session;
pub mod socket;
pub mod store;
pub mod timeline;
#[cfg(feature = "hydrate")]
pub mod transfer;
pub mod upload;
