//! Client state: the logged-in session, the chat store, and (in the browser) the WebSocket
//! signal stream that feeds it.

pub mod chat;
pub mod session;
pub mod socket;
pub mod timeline;
