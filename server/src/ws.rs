//! `/ws`: the WebSocket transport over the [`Hub`](crate::hub::Hub).
//!
//! One task per connection reads client frames, writes queued hub frames (batched: everything
//! ready is fed before one flush) and keeps a heartbeat. Authentication happens once at the
//! upgrade ([`AuthUser`], Origin checked, the connection cap enforced); authorization happens
//! on every frame through the domain. Buffers are kept small so that idle connections stay
//! cheap.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll, Waker},
    time::Duration,
};

use app::{
    protocol::{ClientFrame, ServerFrame, CLOSE_SESSION_ENDED, CLOSE_TRY_AGAIN, MAX_CLIENT_FRAME_BYTES},
    types::{RoomId, Seq, User},
    AppError,
};
use axum::{
    extract::{
        ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade},
        State,
    },
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use futures_util::{task::AtomicWaker, Sink, SinkExt, Stream};
use tokio::time::Instant;

use crate::{
    error::ApiError,
    extract::AuthUser,
    hub::{ConnId, Frame},
    origin::origin_allowed,
    service::ChatService,
    AppState,
};

/// How often the server pings; a connection silent for three intervals is dead.
const HEARTBEAT: Duration = Duration::from_secs(20);
const DEAD_AFTER: Duration = Duration::from_secs(60);
/// Queued frames written with one flush, at most (well below the write buffer's limit).
const MAX_BATCH_BYTES: usize = 256 * 1024;
/// Batches of queued frames written in a row before the client's frames and the heartbeat
/// are looked at first.
const FAIR_EVERY: u32 = 16;

/// What woke a connection's task.
enum Wake {
    /// True when frames are queued; false when the hub has dropped the connection.
    Queued(bool),
    Incoming(Option<Result<WsMessage, axum::Error>>),
    Heartbeat,
}

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: AuthUser,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&headers, state.config.public_origin.as_deref()) {
        return ApiError(AppError::forbidden("Cross-origin WebSocket connections are not allowed.")).into_response();
    }
    if state.service.hub.connection_count() >= state.config.max_connections {
        tracing::warn!(cap = state.config.max_connections, "connection cap reached; refusing a WebSocket");
        let busy = AppError::Internal { message: "This server is full. Trying again shortly…".into() };
        let mut res = ApiError(busy).into_response();
        *res.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
        return res;
    }
    let service = state.service.clone();
    // A small read buffer: tungstenite allocates it up front for every connection, and client
    // frames are small (larger ones grow it as needed).
    ws.read_buffer_size(256)
        // Frames fed in a batch are written with one system call at the flush (0 would write
        // each frame on its own); a consumer that stops reading is bounded here and by the hub.
        .write_buffer_size(64 * 1024)
        .max_write_buffer_size(4 * 1024 * 1024)
        .max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES)
        .on_upgrade(move |socket| connection(socket, service, auth))
}

/// What a connection remembers between frames.
struct Session {
    user: User,
    conn: ConnId,
    /// After catch-up, live frames for these rooms at or below the seq were already sent.
    sent_up_to: HashMap<RoomId, Seq>,
    /// The current typing window's start (ms) and the typing frames taken in it.
    typing: (i64, u32),
}

/// Typing frames one connection may send per window; the rest are dropped. A client sends one
/// as typing starts, one as it stops and one every few seconds between, so more is a flood
/// that would otherwise reach every member of the room (and, on PostgreSQL, every node).
const TYPING_FRAMES: u32 = 10;
const TYPING_WINDOW_MS: i64 = 5_000;

impl Session {
    fn may_type(&mut self, now: i64) -> bool {
        let (start, taken) = &mut self.typing;
        if now - *start >= TYPING_WINDOW_MS {
            (*start, *taken) = (now, 0);
        }
        *taken += 1;
        *taken <= TYPING_FRAMES
    }
}

async fn connection(mut socket: WebSocket, service: Arc<ChatService>, auth: AuthUser) {
    // Setting up is boxed, and so is every rare await below: an idle connection's task holds
    // the space of the largest future it may await, and the locals of everything before the
    // loop, for as long as it lives (measured: 4.75 KiB per idle connection with them inline,
    // 4.05 KiB boxed). Writing queued frames, which happens on every wake-up, is a small
    // hand-written future instead, so it needs neither the space nor a box.
    let Some((mut session, mut rx)) = Box::pin(open(&mut socket, &service, auth)).await else {
        return;
    };
    let mut alive = true;
    let mut heartbeat = tokio::time::interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
    let mut last_heard = Instant::now();
    let mut streak = 0;
    let client = Arc::new(ClientWake { task: AtomicWaker::new(), woken: AtomicBool::new(true) });
    let client_waker = Waker::from(client.clone());

    while alive {
        // Queued frames are looked at first, and the socket's read side only once its own
        // waker has fired ([`ClientWake`]), so a wake-up from the hub polls the queue and the
        // heartbeat's timer alone: polling the read side costs about as much as writing a frame
        // (`perf`). Every `FAIR_EVERY` batches in a row, the client and the heartbeat go first,
        // so a busy room cannot starve them.
        let queue_first = streak < FAIR_EVERY;
        let wake = std::future::poll_fn(|cx| {
            client.task.register(cx.waker());
            if queue_first {
                if let Poll::Ready(queued) = rx.poll_ready(cx) {
                    return Poll::Ready(Wake::Queued(queued));
                }
            }
            if client.woken.swap(false, Ordering::AcqRel) {
                if let Poll::Ready(incoming) = Pin::new(&mut socket).poll_next(&mut Context::from_waker(&client_waker))
                {
                    // A ready poll leaves nothing registered: look again next time.
                    client.woken.store(true, Ordering::Release);
                    return Poll::Ready(Wake::Incoming(incoming));
                }
            }
            if heartbeat.poll_tick(cx).is_ready() {
                return Poll::Ready(Wake::Heartbeat);
            }
            if !queue_first {
                if let Poll::Ready(queued) = rx.poll_ready(cx) {
                    return Poll::Ready(Wake::Queued(queued));
                }
            }
            Poll::Pending
        })
        .await;
        streak = match wake {
            Wake::Queued(_) if streak < FAIR_EVERY => streak + 1,
            _ => 0,
        };
        alive = match wake {
            Wake::Queued(true) => write_queued(&mut socket, &session, &mut rx).await,
            Wake::Queued(false) => {
                // The hub dropped us: we fell too far behind.
                let too_slow = close(CLOSE_TRY_AGAIN, "too slow; reconnect to catch up");
                let _ = Box::pin(socket.send(too_slow)).await;
                false
            }
            Wake::Incoming(incoming) => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => true,
                    Some(Ok(message)) => Box::pin(answer_client(&service, &mut session, &mut socket, message)).await,
                    Some(Err(_)) | None => false,
                }
            }
            Wake::Heartbeat => {
                last_heard.elapsed() < DEAD_AFTER
                    && Box::pin(socket.send(WsMessage::Ping(Default::default()))).await.is_ok()
            }
        };
    }
    service.hub.disconnect(session.conn);
    tracing::debug!(conn = session.conn, "websocket closed");
}

/// A waker of its own for a connection's read side, which records that it fired: a wake-up
/// from the hub then leaves the read side alone. Polling it again after every delivery
/// (hyper's and tungstenite's read path, and tokio's readiness check) was about 2 % of the
/// server's CPU in the fan-out benchmark (`perf`).
struct ClientWake {
    task: AtomicWaker,
    woken: AtomicBool,
}

impl std::task::Wake for ClientWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// Registers the connection with the hub and greets it (`hello`); `None` when it must close.
async fn open(
    socket: &mut WebSocket,
    service: &Arc<ChatService>,
    auth: AuthUser,
) -> Option<(Session, crate::outbox::Receiver<Frame>)> {
    let AuthUser { user, token_hash } = auth;
    let rooms = match service.storage.room_ids_for_user(user.id).await {
        Ok(rooms) => rooms,
        Err(e) => {
            tracing::error!(error = %e, "cannot load rooms for a new connection");
            let _ = socket.send(close(1011, "server error")).await;
            return None;
        }
    };
    let (tx, rx) = crate::outbox::channel(service.hub.config().queue_capacity);
    let conn = service.hub.connect(user.id, &token_hash, &rooms, tx);
    // The session was checked before the upgrade; a logout or password change that ended it
    // since then published its event before this connection was registered to hear it.
    // Checking again now that it is registered closes that window. The rooms read above can
    // be stale the same way (a leave, or being added, heard before the connection was
    // registered): they are read again too.
    let now = crate::service::now_ms();
    if !matches!(service.storage.session_user(&token_hash, now).await, Ok(Some(_))) {
        service.hub.disconnect(conn);
        let _ = socket.send(close(CLOSE_SESSION_ENDED, "session ended")).await;
        return None;
    }
    match service.storage.room_ids_for_user(user.id).await {
        Ok(current) => {
            for &room in rooms.iter().filter(|r| !current.contains(r)) {
                service.hub.unsubscribe(conn, room);
            }
            for &room in current.iter().filter(|r| !rooms.contains(r)) {
                service.hub.subscribe(conn, room);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot load rooms for a new connection");
            service.hub.disconnect(conn);
            let _ = socket.send(close(1011, "server error")).await;
            return None;
        }
    }
    tracing::debug!(conn, user = %user.id, "websocket connected");
    let online = service.online_contacts(user.id).await.unwrap_or_default();
    let hello = Frame::new(&ServerFrame::Hello { user: user.clone(), online }).text;
    if socket.send(text(hello)).await.is_err() {
        service.hub.disconnect(conn);
        return None;
    }
    Some((Session { user, conn, sent_up_to: HashMap::new(), typing: (0, 0) }, rx))
}

/// A client's frame handled and answered; false when the connection is done.
async fn answer_client(
    service: &ChatService,
    session: &mut Session,
    socket: &mut WebSocket,
    message: WsMessage,
) -> bool {
    match message {
        WsMessage::Text(t) => {
            let replies = handle_frame(service, session, t.as_str()).await;
            send_batch(socket, replies.into_iter().map(|f| text(f.text))).await
        }
        WsMessage::Binary(_) => {
            let err = ServerFrame::error(&AppError::bad_request("Send JSON text frames."), None);
            socket.send(text(Frame::new(&err).text)).await.is_ok()
        }
        WsMessage::Ping(_) | WsMessage::Pong(_) => true,
        WsMessage::Close(_) => false,
    }
}

/// Writes what is queued with one flush: one system call for many frames under load (a send
/// through the kernel's TCP stack costs far more than building the frame), at once when quiet.
/// False when the connection is done.
///
/// Written over the sink's poll methods, taking each frame from the queue only once the socket
/// can take it, rather than as `feed(…).await`s: its state is a few words, which the
/// connection's task holds inline (a frame held across the wait cost 0.25 KiB per idle
/// connection, and boxing the future an allocation per wake-up).
async fn write_queued(socket: &mut WebSocket, session: &Session, rx: &mut crate::outbox::Receiver<Frame>) -> bool {
    let now = std::time::Instant::now();
    let mut bytes = 0;
    let mut closing = false;
    std::future::poll_fn(move |cx| loop {
        if closing || bytes >= MAX_BATCH_BYTES || rx.is_empty() {
            // Everything is fed: one flush, which sends the close (if any) after the rest.
            return Pin::new(&mut *socket).poll_flush(cx).map(|done| done.is_ok() && !closing);
        }
        match Pin::new(&mut *socket).poll_ready(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(_)) => return Poll::Ready(false),
            Poll::Pending => return Poll::Pending,
        }
        let Some(frame) = rx.try_recv() else { continue };
        if let Some(born) = frame.born {
            crate::metrics::DELIVERY_LATENCY.observe_duration(now.saturating_duration_since(born));
        }
        let message = match frame.close {
            Some((code, reason)) => {
                closing = true;
                close(code, reason)
            }
            None if already_sent(session, &frame) => continue,
            None => {
                bytes += frame.text.len();
                text(frame.text)
            }
        };
        if Pin::new(&mut *socket).start_send(message).is_err() {
            return Poll::Ready(false);
        }
    })
    .await
}

fn already_sent(session: &Session, frame: &Frame) -> bool {
    match (frame.room, frame.seq) {
        (Some(room), Some(seq)) => session.sent_up_to.get(&room).is_some_and(|&up_to| seq <= up_to),
        _ => false,
    }
}

async fn send_batch(socket: &mut WebSocket, frames: impl Iterator<Item = WsMessage>) -> bool {
    for frame in frames {
        if socket.feed(frame).await.is_err() {
            return false;
        }
    }
    socket.flush().await.is_ok()
}

fn text(bytes: bytes::Bytes) -> WsMessage {
    // Frames are serialized from our own types, so they are UTF-8.
    WsMessage::Text(Utf8Bytes::try_from(bytes).unwrap_or_default())
}

fn close(code: u16, reason: &'static str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }))
}

/// Handles one client frame; returns the frames to send back to this connection.
async fn handle_frame(service: &ChatService, session: &mut Session, raw: &str) -> Vec<Frame> {
    let frame: ClientFrame = match serde_json::from_str(raw) {
        Ok(f) => f,
        Err(e) => {
            let err = AppError::bad_request(format!("Unreadable frame: {e}"));
            return vec![Frame::new(&ServerFrame::error(&err, None))];
        }
    };
    let user = session.user.clone();
    let result = match frame {
        ClientFrame::Ping => Ok(vec![Frame::new(&ServerFrame::Pong)]),
        ClientFrame::JoinRoom { room_id, since } => join_room(service, session, room_id, since).await,
        ClientFrame::LeaveRoom { room_id } => {
            service.hub.unsubscribe(session.conn, room_id);
            session.sent_up_to.remove(&room_id);
            Ok(Vec::new())
        }
        ClientFrame::SendMessage { room_id, client_id, content, reply_to } => {
            match service.messages.send(&user, Some(session.conn), room_id, &client_id, &content, reply_to).await {
                Ok(message) => {
                    let seq = message.seq;
                    Ok(vec![Frame::new(&ServerFrame::MessageAck { client_id, seq, message })])
                }
                Err(e) => return vec![Frame::new(&ServerFrame::error(&e, Some(client_id)))],
            }
        }
        // Success reaches every member, this connection included, as `message_updated`.
        ClientFrame::EditMessage { room_id, message_id, content, client_id } => {
            let done = service.messages.edit(&user, room_id, message_id, &content).await;
            return answer(done, client_id);
        }
        ClientFrame::DeleteMessage { room_id, message_id, client_id } => {
            return answer(service.delete_message(&user, room_id, message_id).await, client_id);
        }
        ClientFrame::React { room_id, message_id, emoji, add, client_id } => {
            return answer(service.messages.react(&user, room_id, message_id, &emoji, add).await, client_id);
        }
        ClientFrame::UserTyping { room_id, typing } => {
            if !session.may_type(crate::service::now_ms()) {
                return Vec::new();
            }
            service.messages.typing(&user, room_id, typing).await.map(|_| Vec::new())
        }
        ClientFrame::MarkRead { room_id, seq } => {
            service.rooms.mark_read(&user, room_id, seq).await.map(|_| Vec::new())
        }
    };
    result.unwrap_or_else(|e| vec![Frame::new(&ServerFrame::error(&e, None))])
}

/// Nothing back for a change that succeeded (its frame comes through the room); the error,
/// tagged with the request's `client_id`, for one that did not.
fn answer<T>(result: Result<T, AppError>, client_id: Option<String>) -> Vec<Frame> {
    match result {
        Ok(_) => Vec::new(),
        Err(e) => vec![Frame::new(&ServerFrame::error(&e, client_id))],
    }
}

/// Subscribes the connection to a room (membership checked), then sends every change after
/// `since` and `joined`. Subscribing first means nothing committed meanwhile can slip between
/// the catch-up and the live frames; live frames the catch-up already covered are skipped.
async fn join_room(
    service: &ChatService,
    session: &mut Session,
    room: RoomId,
    since: Option<Seq>,
) -> Result<Vec<Frame>, AppError> {
    service.access.require_role(&session.user, room).await?;
    service.hub.subscribe(session.conn, room);
    // A leave heard between the check and the subscription unsubscribed everyone but this
    // connection: checking again closes that window (the leave drops the cached role first).
    if let Err(e) = service.access.require_role(&session.user, room).await {
        service.hub.unsubscribe(session.conn, room);
        return Err(e);
    }
    let Some(since) = since else {
        let seq = service.storage.last_seq(room).await?;
        return Ok(vec![Frame::new(&ServerFrame::Joined { room_id: room, seq, reset: false })]);
    };
    let caught = service.messages.catch_up(&session.user, room, since).await?;
    session.sent_up_to.insert(room, caught.seq);
    let mut out = Vec::with_capacity(caught.changes.len() + 2);
    // History removed since the client last looked goes before what replaced it.
    if caught.purged_up_to > since {
        out.push(Frame::new(&ServerFrame::HistoryPurged { room_id: room, up_to: caught.purged_up_to }));
    }
    out.extend(caught.changes.into_iter().map(|message| Frame::new(&ServerFrame::change(message))));
    out.push(Frame::new(&ServerFrame::Joined { room_id: room, seq: caught.seq, reset: caught.reset }));
    Ok(out)
}
