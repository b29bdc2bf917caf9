//! The WebSocket handle: one connection per chat screen, feeding frames into [`ChatStore`] and
//! carrying out what they call for ([`FollowUp`]).
//!
//! It reconnects with exponential backoff (0.5 s doubling to 30 s, with jitter), promptly
//! when the server is only restarting, and never once the session has ended. After connecting
//! it resends the outbox (unacknowledged messages keep their `client_id`, so a resend can never
//! duplicate) and the read markers the server may not have had, and re-joins the open room from
//! the seq its timeline has applied, so nothing is missed. It pings every 25 s and gives up on a
//! connection silent for 60 s; the browser's `offline` event drops the socket at once and
//! `online` reconnects at once.
//!
//! It knows the store and nothing above it: a reset (reload the room's page over HTTP) is
//! handed to the `on_reset` callback given to [`connect`]. On the server (SSR) there is no
//! socket and these functions do nothing.

use leptos::prelude::*;

use super::{
    store::{ChatStore, SendState},
    timeline::Timeline,
};
use crate::{protocol::ClientFrame, types::RoomId};

/// Opens the connection for `store` (browser only), replacing any earlier one, and returns a
/// token for [`disconnect`]. `on_reset` runs when a room's gap is too large to replay.
pub fn connect(store: ChatStore, on_reset: impl Fn(RoomId) + 'static) -> u64 {
    #[cfg(feature = "hydrate")]
    return imp::connect(store, std::rc::Rc::new(on_reset));
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (store, on_reset);
        0
    }
}

/// Closes the connection for good (leaving the chat screen), unless a newer [`connect`] has
/// taken over: a chat screen being replaced must not close its successor's connection.
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

/// Subscribes to a loaded room and asks for every change after the seq its timeline has
/// applied. A room without a timeline joins once its first page is in.
pub fn join(store: &ChatStore, room: RoomId) -> bool {
    let since = store.timelines.update_untracked(|t| t.get_mut(&room).map(Timeline::begin_catch_up));
    let Some(since) = since else {
        return false;
    };
    let sent = send(&ClientFrame::JoinRoom { room_id: room, since: Some(since) });
    if !sent {
        store.timelines.update_untracked(|t| t.get_mut(&room).map(Timeline::forget_catch_up));
    }
    sent
}

/// Reports again the read markers the server may not have had (after a reconnect): one sent as
/// the last connection died was lost with it.
pub fn resend_reads(store: &ChatStore) {
    for (room_id, seq) in store.unconfirmed_reads() {
        if !send(&ClientFrame::MarkRead { room_id, seq }) {
            break;
        }
    }
}

/// Sends every pending message again (after a reconnect, or on "retry").
pub fn flush_outbox(store: &ChatStore) {
    store.pending.with_untracked(|pending| {
        for p in pending.iter().filter(|p| p.state == SendState::Sending) {
            let frame = ClientFrame::SendMessage {
                room_id: p.room_id,
                client_id: p.client_id.clone(),
                content: p.content.clone(),
                reply_to: p.reply_to,
            };
            if !send(&frame) {
                break;
            }
        }
    });
}

#[cfg(feature = "hydrate")]
mod imp {
    use std::{
        cell::{Cell, RefCell},
        rc::Rc,
    };

    use futures_channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
    use futures_util::{
        future::{select, Either},
        FutureExt, SinkExt, StreamExt,
    };
    use gloo_net::websocket::{futures::WebSocket, Message, WebSocketError};
    use gloo_timers::future::{IntervalStream, TimeoutFuture};
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};

    use crate::{
        protocol::{ClientFrame, ServerFrame, CLOSE_GOING_AWAY, CLOSE_SESSION_ENDED},
        state::store::{ChatStore, Connection, FollowUp},
        types::RoomId,
    };

    const PING_EVERY_MS: u32 = 25_000;
    const SILENCE_LIMIT_MS: f64 = 60_000.0;

    /// What the rest of the app (and the window's network events) ask of the connection task.
    enum Control {
        Send(String),
        Offline,
        Online,
        Stop,
    }

    /// The current connection task, as seen by [`send`] and [`disconnect`].
    struct Handle {
        token: u64,
        control: UnboundedSender<Control>,
        /// The server has greeted this connection: frames sent now reach it.
        live: Rc<Cell<bool>>,
    }

    thread_local! {
        static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
        static LAST_TOKEN: Cell<u64> = const { Cell::new(0) };
    }

    pub fn connect(store: ChatStore, on_reset: Rc<dyn Fn(RoomId)>) -> u64 {
        stop_current();
        let token = LAST_TOKEN.get() + 1;
        LAST_TOKEN.set(token);
        let (control, commands) = unbounded();
        let live = Rc::new(Cell::new(false));
        let task = Task { store, commands, live: live.clone(), on_reset };
        let network = NetworkListeners::install(&control);
        CURRENT.with_borrow_mut(|c| *c = Some(Handle { token, control, live }));
        leptos::task::spawn_local(async move {
            task.run().await;
            drop(network);
        });
        token
    }

    pub fn disconnect(token: u64) {
        if CURRENT.with_borrow(|c| c.as_ref().is_some_and(|h| h.token == token)) {
            stop_current();
        }
    }

    fn stop_current() {
        if let Some(handle) = CURRENT.with_borrow_mut(Option::take) {
            let _ = handle.control.unbounded_send(Control::Stop);
        }
    }

    pub fn send(frame: &ClientFrame) -> bool {
        CURRENT.with_borrow(|c| {
            let Some(handle) = c.as_ref().filter(|h| h.live.get()) else {
                return false;
            };
            serde_json::to_string(frame).is_ok_and(|text| handle.control.unbounded_send(Control::Send(text)).is_ok())
        })
    }

    /// How one connection ended, which decides when (and whether) to try again.
    enum Closed {
        Stopped,
        SessionEnded,
        GoingAway,
        Lost { was_live: bool },
    }

    struct Task {
        store: ChatStore,
        commands: UnboundedReceiver<Control>,
        live: Rc<Cell<bool>>,
        on_reset: Rc<dyn Fn(RoomId)>,
    }

    impl Task {
        async fn run(mut self) {
            let mut attempts = 0u32;
            loop {
                let ended = self.connection().await;
                self.live.set(false);
                // Refused before the greeting: perhaps the session ended while this tab was
                // away (its 4401 never arrived). The server says so for certain.
                if matches!(ended, Closed::Lost { was_live: false }) && matches!(crate::api::me().await, Ok(None)) {
                    return self.store.connection.set(Connection::SessionEnded);
                }
                let delay_ms = match ended {
                    Closed::Stopped => return,
                    Closed::SessionEnded => return self.store.connection.set(Connection::SessionEnded),
                    // A restarting server: come back soon, but not all clients at the same instant.
                    Closed::GoingAway => {
                        attempts = 0;
                        250.0 + 1000.0 * js_sys::Math::random()
                    }
                    Closed::Lost { was_live } => {
                        attempts = if was_live { 1 } else { attempts + 1 };
                        let base = 500.0 * 2f64.powi(attempts.min(6) as i32);
                        base.min(30_000.0) * (0.75 + 0.5 * js_sys::Math::random())
                    }
                };
                let retry_in_secs = (delay_ms / 1000.0).ceil().max(1.0) as u32;
                self.store.connection.set(Connection::Offline { retry_in_secs });
                match self.wait(delay_ms as u32).await {
                    Wake::Stop => return,
                    Wake::Online => attempts = 0,
                    Wake::Timer => {}
                }
            }
        }

        /// One connection, from opening to its end.
        async fn connection(&mut self) -> Closed {
            let Some(url) = url() else {
                return Closed::Stopped;
            };
            self.store.connection.set(Connection::Connecting);
            let Ok(mut ws) = WebSocket::open(&url) else {
                return Closed::Lost { was_live: false };
            };
            let mut ticks = IntervalStream::new(PING_EVERY_MS);
            let mut last_heard = js_sys::Date::now();
            loop {
                let control = self.commands.next().map(Event::Control);
                let tick = ticks.next().map(|_| Event::Tick);
                let local = select(control, tick).map(|e| e.factor_first().0);
                let incoming = ws.next().map(Event::Incoming);
                let event = select(incoming, local).await.factor_first().0;
                match event {
                    Event::Incoming(Some(Ok(message))) => {
                        last_heard = js_sys::Date::now();
                        if let Message::Text(text) = message {
                            self.receive(&text);
                        }
                    }
                    Event::Incoming(Some(Err(WebSocketError::ConnectionClose(close)))) => {
                        return match close.code {
                            CLOSE_SESSION_ENDED => Closed::SessionEnded,
                            CLOSE_GOING_AWAY => Closed::GoingAway,
                            _ => Closed::Lost { was_live: self.live.get() },
                        };
                    }
                    // An error event is followed by the close event, which decides.
                    Event::Incoming(Some(Err(_))) => {}
                    Event::Incoming(None) => return Closed::Lost { was_live: self.live.get() },
                    Event::Control(Some(Control::Send(text))) => {
                        // Frames queued for a connection that has since been lost are dropped:
                        // whatever matters is resent on the next greeting.
                        if self.live.get() {
                            let _ = ws.send(Message::Text(text)).await;
                        }
                    }
                    Event::Control(Some(Control::Offline)) => return Closed::Lost { was_live: self.live.get() },
                    Event::Control(Some(Control::Online)) => {}
                    Event::Control(Some(Control::Stop) | None) => return Closed::Stopped,
                    Event::Tick => {
                        if js_sys::Date::now() - last_heard > SILENCE_LIMIT_MS {
                            return Closed::Lost { was_live: self.live.get() };
                        }
                        if self.live.get() {
                            if let Ok(ping) = serde_json::to_string(&ClientFrame::Ping) {
                                let _ = ws.send(Message::Text(ping)).await;
                            }
                        }
                    }
                }
            }
        }

        fn receive(&self, text: &str) {
            let frame = match serde_json::from_str::<ServerFrame>(text) {
                Ok(frame) => frame,
                Err(e) => return leptos::logging::warn!("unreadable frame: {e}"),
            };
            // The server greets every connection first (`hello`): from then on it is usable.
            if !self.live.get() {
                self.greeted();
            }
            match self.store.apply(frame) {
                Some(FollowUp::CatchUp { room, since }) => {
                    super::send(&ClientFrame::JoinRoom { room_id: room, since: Some(since) });
                }
                Some(FollowUp::Reload(room)) => (self.on_reset)(room),
                None => {}
            }
        }

        /// Catch up on unread counts for every room and missed changes in the open one, and
        /// resend the outbox and the read markers that may have been lost.
        fn greeted(&self) {
            self.live.set(true);
            let store = &self.store;
            store.connection.set(Connection::Online);
            store.notice.set(None);
            store.forget_catch_ups();
            store.refresh_rooms();
            if let Some(room) = store.open_room.get_untracked() {
                super::join(store, room);
            }
            super::flush_outbox(store);
            super::resend_reads(store);
        }

        /// Waits out a reconnect delay; the network coming back cuts it short.
        async fn wait(&mut self, delay_ms: u32) -> Wake {
            let mut timer = TimeoutFuture::new(delay_ms);
            loop {
                match select(&mut timer, self.commands.next()).await {
                    Either::Left(_) => return Wake::Timer,
                    Either::Right((Some(Control::Online), _)) => return Wake::Online,
                    Either::Right((Some(Control::Stop) | None, _)) => return Wake::Stop,
                    Either::Right((Some(Control::Send(_) | Control::Offline), _)) => {}
                }
            }
        }
    }

    enum Event {
        Incoming(Option<Result<Message, WebSocketError>>),
        Control(Option<Control>),
        Tick,
    }

    enum Wake {
        Timer,
        Online,
        Stop,
    }

    fn url() -> Option<String> {
        let loc = window().location();
        let scheme = if loc.protocol().ok()? == "https:" { "wss" } else { "ws" };
        Some(format!("{scheme}://{}/ws", loc.host().ok()?))
    }

    /// The window's `offline` and `online` listeners, removed when the task ends.
    struct NetworkListeners {
        offline: Closure<dyn FnMut()>,
        online: Closure<dyn FnMut()>,
    }

    impl NetworkListeners {
        /// The browser knows about network changes before a socket times out: drop the socket
        /// when it goes offline (messages wait in the outbox), reconnect at once when back.
        fn install(control: &UnboundedSender<Control>) -> Self {
            let notify = |what: fn() -> Control| {
                let control = control.clone();
                Closure::<dyn FnMut()>::new(move || {
                    let _ = control.unbounded_send(what());
                })
            };
            let listeners = Self { offline: notify(|| Control::Offline), online: notify(|| Control::Online) };
            let w = window();
            let _ = w.add_event_listener_with_callback("offline", listeners.offline.as_ref().unchecked_ref());
            let _ = w.add_event_listener_with_callback("online", listeners.online.as_ref().unchecked_ref());
            listeners
        }
    }

    impl Drop for NetworkListeners {
        fn drop(&mut self) {
            let w = window();
            let _ = w.remove_event_listener_with_callback("offline", self.offline.as_ref().unchecked_ref());
            let _ = w.remove_event_listener_with_callback("online", self.online.as_ref().unchecked_ref());
        }
    }
}
