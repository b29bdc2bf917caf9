//! The WebSocket signal stream: one connection per chat screen, feeding [`ChatStore`].
//!
//! It reconnects with exponential backoff (0.5 s doubling to 30 s, with jitter), resends the
//! outbox (unacknowledged messages keep their `client_id`, so a resend can never duplicate),
//! re-joins the open room from the last id it holds (so nothing is missed), and sends a ping
//! every 25 s, giving up on a connection that has been silent for 60 s.
//!
//! On the server (SSR) there is no socket: these functions do nothing there.

use leptos::prelude::*;

use super::chat::ChatStore;
use crate::{protocol::ClientFrame, types::RoomId};

/// Opens the stream for `store` (browser only), replacing any earlier one, and returns a
/// token for [`disconnect`].
pub fn connect(store: ChatStore) -> u64 {
    #[cfg(feature = "hydrate")]
    return imp::connect(store);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = store;
        0
    }
}

/// Closes the stream for good (leaving the chat screen), unless a newer [`connect`] has
/// taken over: a chat screen being replaced must not close its successor's stream.
pub fn disconnect(token: u64) {
    #[cfg(feature = "hydrate")]
    imp::disconnect(token);
    #[cfg(not(feature = "hydrate"))]
    let _ = token;
}

/// Sends a frame if connected; returns false when offline (the caller keeps what matters).
pub fn send(frame: &ClientFrame) -> bool {
    #[cfg(feature = "hydrate")]
    return imp::send(frame);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = frame;
        false
    }
}

/// Subscribes to a room and asks for everything after the newest message held.
pub fn join(store: &ChatStore, room: RoomId) -> bool {
    let after = store.timelines.with_untracked(|t| t.get(&room).and_then(|tl| tl.last_id()));
    send(&ClientFrame::JoinRoom { room_id: room, after })
}

/// Sends every pending message again (after a reconnect, or on "retry").
pub fn flush_outbox(store: &ChatStore) {
    use super::chat::SendState;
    let pending = store.pending.get_untracked();
    for p in pending.iter().filter(|p| p.state == SendState::Sending) {
        let frame =
            ClientFrame::SendMessage { room_id: p.room_id, client_id: p.client_id.clone(), content: p.content.clone() };
        if !send(&frame) {
            break;
        }
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use std::{cell::RefCell, time::Duration};

    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::super::chat::{ChatStore, Connection};
    use crate::protocol::{ClientFrame, ServerFrame};

    struct Conn {
        ws: WebSocket,
        attempts: u32,
        last_heard: f64,
        closed_for_good: bool,
        _on_open: Closure<dyn FnMut()>,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_close: Closure<dyn FnMut(CloseEvent)>,
        heartbeat: Option<IntervalHandle>,
    }

    thread_local! {
        static CONN: RefCell<Option<Conn>> = const { RefCell::new(None) };
        /// Who opened the current stream (see `connect`'s token).
        static OWNER: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
        /// The window's `online`/`offline` listeners, removed on disconnect.
        static NETWORK: RefCell<Option<[Listener; 2]>> = const { RefCell::new(None) };
    }

    type Listener = Closure<dyn FnMut()>;

    fn url() -> Option<String> {
        let loc = window().location();
        let scheme = if loc.protocol().ok()? == "https:" { "wss" } else { "ws" };
        Some(format!("{scheme}://{}/ws", loc.host().ok()?))
    }

    pub fn connect(store: ChatStore) -> u64 {
        close_all();
        let token = OWNER.get() + 1;
        OWNER.set(token);
        open(store, 0);
        // The browser knows about network changes before a socket times out: drop the socket
        // when it goes offline (messages wait in the outbox), reconnect at once when back.
        let offline = Closure::<dyn FnMut()>::new(move || {
            CONN.with_borrow(|c| c.as_ref().map(|c| c.ws.close()));
        });
        let online = Closure::<dyn FnMut()>::new(move || {
            let closed = CONN.with_borrow(|c| c.as_ref().is_some_and(|c| c.ws.ready_state() == WebSocket::CLOSED));
            if closed {
                open(store, 0);
            }
        });
        let w = window();
        let _ = w.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        let _ = w.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        NETWORK.with_borrow_mut(|n| *n = Some([offline, online]));
        token
    }

    fn open(store: ChatStore, attempts: u32) {
        let Some(url) = url() else { return };
        store.connection.set(Connection::Connecting);
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(_) => return schedule_reconnect(store, attempts + 1),
        };
        let on_open = Closure::<dyn FnMut()>::new(move || {
            CONN.with_borrow_mut(|c| {
                if let Some(c) = c.as_mut() {
                    c.attempts = 0;
                    c.last_heard = js_sys::Date::now();
                }
            });
            store.connection.set(Connection::Online);
            store.notice.set(None);
            // Catch up: unread counts for every room, missed messages for the open one.
            store.refresh_rooms();
            if let Some(room) = store.open_room.get_untracked() {
                super::join(&store, room);
            }
            super::flush_outbox(&store);
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            CONN.with_borrow_mut(|c| {
                if let Some(c) = c.as_mut() {
                    c.last_heard = js_sys::Date::now();
                }
            });
            if let Some(text) = ev.data().as_string() {
                match serde_json::from_str::<ServerFrame>(&text) {
                    Ok(frame) => store.apply(frame),
                    Err(e) => leptos::logging::warn!("unreadable frame: {e}"),
                }
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_ev: CloseEvent| {
            let retry = CONN.with_borrow_mut(|c| match c.as_mut() {
                Some(c) if !c.closed_for_good => Some(c.attempts + 1),
                _ => None,
            });
            if let Some(attempts) = retry {
                schedule_reconnect(store, attempts);
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));

        let heartbeat = set_interval_with_handle(
            move || {
                let dead = CONN.with_borrow(|c| {
                    c.as_ref().is_some_and(|c| {
                        c.ws.ready_state() == WebSocket::OPEN && js_sys::Date::now() - c.last_heard > 60_000.0
                    })
                });
                if dead {
                    CONN.with_borrow(|c| c.as_ref().map(|c| c.ws.close()));
                } else {
                    send(&ClientFrame::Ping);
                }
            },
            Duration::from_secs(25),
        )
        .ok();

        let old = CONN.with_borrow_mut(|c| {
            c.replace(Conn {
                ws,
                attempts,
                last_heard: js_sys::Date::now(),
                closed_for_good: false,
                _on_open: on_open,
                _on_message: on_message,
                _on_close: on_close,
                heartbeat,
            })
        });
        if let Some(old) = old {
            shut(old);
        }
    }

    fn shut(conn: Conn) {
        if let Some(h) = conn.heartbeat {
            h.clear();
        }
        conn.ws.set_onclose(None);
        conn.ws.set_onmessage(None);
        conn.ws.set_onopen(None);
        let _ = conn.ws.close();
    }

    fn schedule_reconnect(store: ChatStore, attempts: u32) {
        let base = 500.0 * 2f64.powi(attempts.min(6) as i32);
        let delay_ms = (base.min(30_000.0) * (0.75 + 0.5 * js_sys::Math::random())) as u64;
        store.connection.set(Connection::Offline { retry_in_secs: (delay_ms / 1000).max(1) as u32 });
        CONN.with_borrow_mut(|c| {
            if let Some(c) = c.as_mut() {
                c.attempts = attempts;
                if let Some(h) = c.heartbeat.take() {
                    h.clear();
                }
            }
        });
        set_timeout(
            move || {
                // Not if we are gone, or a reconnect (the `online` event) already happened.
                let still_wanted = CONN.with_borrow(|c| {
                    c.as_ref().is_some_and(|c| !c.closed_for_good && c.ws.ready_state() == WebSocket::CLOSED)
                });
                if still_wanted {
                    open(store, attempts);
                }
            },
            Duration::from_millis(delay_ms),
        );
    }

    pub fn disconnect(token: u64) {
        if OWNER.get() == token {
            close_all();
        }
    }

    fn close_all() {
        if let Some([offline, online]) = NETWORK.with_borrow_mut(|n| n.take()) {
            let w = window();
            let _ = w.remove_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
            let _ = w.remove_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        }
        if let Some(mut conn) = CONN.with_borrow_mut(|c| c.take()) {
            conn.closed_for_good = true;
            shut(conn);
        }
    }

    pub fn send(frame: &ClientFrame) -> bool {
        let Ok(text) = serde_json::to_string(frame) else {
            return false;
        };
        CONN.with_borrow(|c| {
            c.as_ref()
                .filter(|c| c.ws.ready_state() == WebSocket::OPEN)
                .is_some_and(|c| c.ws.send_with_str(&text).is_ok())
        })
    }
}
