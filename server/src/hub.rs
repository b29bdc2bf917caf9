//! The hub: who is connected, which connection hears which room, presence and typing.
//!
//! No transport code lives here: a connection is a bounded [`outbox`] sender of pre-serialized
//! [`Frame`]s, so the hub is unit-tested over plain channels. Every event is serialized once and
//! the same bytes (reference-counted) go to every recipient. A connection whose queue is full is
//! a slow consumer: the hub drops it (its receiver then ends, the transport closes the socket)
//! rather than let it delay anyone else; the client catches up when it reconnects.
//!
//! All state sits behind one short-held mutex; nothing awaits while holding it.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use crate::outbox;
use app::{
    protocol::ServerFrame,
    types::{MessageId, RoomId, User, UserId},
};
use bytes::Bytes;
use parking_lot::Mutex;

pub type ConnId = u64;

/// A serialized server frame, with the room and message it carries (for catch-up dedup).
#[derive(Debug, Clone)]
pub struct Frame {
    pub text: Bytes,
    pub room: Option<RoomId>,
    pub message_id: Option<MessageId>,
}

impl Frame {
    pub fn new(frame: &ServerFrame) -> Self {
        let (room, message_id) = match frame {
            ServerFrame::ReceiveMessage { message } | ServerFrame::MessageAck { message, .. } => {
                (Some(message.room_id), Some(message.id))
            }
            _ => (None, None),
        };
        // Serializing our own frame types cannot fail (no maps with non-string keys).
        let text = serde_json::to_vec(frame).unwrap_or_default();
        Self { text: Bytes::from(text), room, message_id }
    }
}

#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Frames queued per connection before it counts as a slow consumer.
    pub queue_capacity: usize,
    /// How long a user stays "online" after the last tab closes (reloads do not flap).
    pub presence_grace: Duration,
    /// Typing expires this long after the last refresh.
    pub typing_ttl: Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 1024,
            presence_grace: Duration::from_secs(3),
            typing_ttl: Duration::from_millis(app::protocol::TYPING_TTL_MS),
        }
    }
}

struct Conn {
    user: UserId,
    tx: outbox::Sender<Frame>,
    rooms: HashSet<RoomId>,
}

#[derive(Default)]
struct Presence {
    conns: HashSet<ConnId>,
    /// Bumped on every connect and disconnect; a grace timer only fires if it is unchanged.
    generation: u64,
}

#[derive(Default)]
struct State {
    conns: HashMap<ConnId, Conn>,
    rooms: HashMap<RoomId, HashSet<ConnId>>,
    users: HashMap<UserId, Presence>,
    typing: HashMap<(RoomId, UserId), u64>,
    typing_generation: u64,
}

#[derive(Debug, Default)]
pub struct HubStats {
    pub delivered: AtomicU64,
    pub slow_consumers: AtomicU64,
}

pub struct Hub {
    state: Mutex<State>,
    config: HubConfig,
    next_conn: AtomicU64,
    pub stats: HubStats,
}

impl Hub {
    pub fn new(config: HubConfig) -> Arc<Self> {
        Arc::new(Self { state: Mutex::default(), config, next_conn: AtomicU64::new(1), stats: HubStats::default() })
    }

    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// Registers a connection of `user`, subscribed to `rooms`. Returns its id and the users
    /// online now. The first connection of a user announces them online to everyone, unless they
    /// were inside the grace period of a previous tab (a reload).
    pub fn connect(&self, user: UserId, rooms: &[RoomId], tx: outbox::Sender<Frame>) -> (ConnId, Vec<UserId>) {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut st = self.state.lock();
        for &room in rooms {
            st.rooms.entry(room).or_default().insert(id);
        }
        st.conns.insert(id, Conn { user, tx, rooms: rooms.iter().copied().collect() });
        let presence = st.users.entry(user).or_default();
        let newly_online = presence.conns.is_empty() && presence.generation == 0;
        presence.conns.insert(id);
        presence.generation += 1;
        if newly_online {
            let frame = Frame::new(&ServerFrame::UserOnline { user_id: user, online: true });
            self.send_all(&mut st, &frame, Some(id));
        }
        let online = st.users.keys().copied().collect();
        (id, online)
    }

    /// Forgets a connection (idempotent). When it was the user's last one, the user goes
    /// offline after the grace period unless another connection arrives first.
    pub fn disconnect(self: &Arc<Self>, conn: ConnId) {
        let mut st = self.state.lock();
        self.remove_conn(&mut st, conn);
    }

    fn remove_conn(self: &Arc<Self>, st: &mut State, conn: ConnId) {
        let Some(c) = st.conns.remove(&conn) else {
            return;
        };
        for room in &c.rooms {
            if let Some(set) = st.rooms.get_mut(room) {
                set.remove(&conn);
                if set.is_empty() {
                    st.rooms.remove(room);
                }
            }
        }
        let Some(presence) = st.users.get_mut(&c.user) else {
            return;
        };
        presence.conns.remove(&conn);
        presence.generation += 1;
        if presence.conns.is_empty() {
            let generation = presence.generation;
            let hub = Arc::clone(self);
            let user = c.user;
            let grace = self.config.presence_grace;
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                hub.finish_offline(user, generation);
            });
        }
    }

    fn finish_offline(&self, user: UserId, generation: u64) {
        let mut st = self.state.lock();
        let gone = st.users.get(&user).is_some_and(|p| p.conns.is_empty() && p.generation == generation);
        if !gone {
            return;
        }
        st.users.remove(&user);
        let stale: Vec<(RoomId, UserId)> = st.typing.keys().filter(|(_, u)| *u == user).copied().collect();
        for key in stale {
            st.typing.remove(&key);
        }
        let frame = Frame::new(&ServerFrame::UserOnline { user_id: user, online: false });
        self.send_all(&mut st, &frame, None);
    }

    /// Users with at least one connection, or still inside their grace period.
    pub fn online_users(&self) -> Vec<UserId> {
        self.state.lock().users.keys().copied().collect()
    }

    pub fn is_online(&self, user: UserId) -> bool {
        self.state.lock().users.contains_key(&user)
    }

    pub fn connection_count(&self) -> usize {
        self.state.lock().conns.len()
    }

    /// Subscribes one connection to a room (the caller has checked membership).
    pub fn subscribe(&self, conn: ConnId, room: RoomId) {
        let mut st = self.state.lock();
        if let Some(c) = st.conns.get_mut(&conn) {
            c.rooms.insert(room);
            st.rooms.entry(room).or_default().insert(conn);
        }
    }

    pub fn unsubscribe(&self, conn: ConnId, room: RoomId) {
        let mut st = self.state.lock();
        if let Some(c) = st.conns.get_mut(&conn) {
            c.rooms.remove(&room);
        }
        if let Some(set) = st.rooms.get_mut(&room) {
            set.remove(&conn);
            if set.is_empty() {
                st.rooms.remove(&room);
            }
        }
    }

    /// Subscribes every connection of `user` (they were just added to `room`).
    pub fn subscribe_user(&self, user: UserId, room: RoomId) {
        for conn in self.conns_of(user) {
            self.subscribe(conn, room);
        }
    }

    /// Unsubscribes every connection of `user` (they left `room`).
    pub fn unsubscribe_user(&self, user: UserId, room: RoomId) {
        for conn in self.conns_of(user) {
            self.unsubscribe(conn, room);
        }
    }

    fn conns_of(&self, user: UserId) -> Vec<ConnId> {
        self.state.lock().users.get(&user).map(|p| p.conns.iter().copied().collect()).unwrap_or_default()
    }

    /// Sends a frame to every connection subscribed to `room` but `except`; returns how many
    /// queued it.
    pub fn broadcast(self: &Arc<Self>, room: RoomId, frame: &Frame, except: Option<ConnId>) -> usize {
        let mut st = self.state.lock();
        let Some(subscribers) = st.rooms.get(&room) else {
            return 0;
        };
        let mut slow = Vec::new();
        let mut delivered = 0;
        for &id in subscribers {
            if Some(id) == except {
                continue;
            }
            match st.conns.get(&id).map(|c| c.tx.try_send(frame.clone())) {
                Some(Ok(())) => delivered += 1,
                Some(Err(_)) => slow.push(id),
                None => {}
            }
        }
        self.drop_slow(&mut st, slow);
        self.stats.delivered.fetch_add(delivered as u64, Ordering::Relaxed);
        delivered
    }

    /// Sends a frame to every connection of the given users.
    pub fn send_to_users(self: &Arc<Self>, users: &[UserId], frame: &Frame) {
        let mut st = self.state.lock();
        let mut slow = Vec::new();
        for user in users {
            let Some(p) = st.users.get(user) else {
                continue;
            };
            for id in &p.conns {
                if let Some(c) = st.conns.get(id) {
                    if c.tx.try_send(frame.clone()).is_err() {
                        slow.push(*id);
                    }
                }
            }
        }
        self.drop_slow(&mut st, slow);
    }

    fn send_all(&self, st: &mut State, frame: &Frame, except: Option<ConnId>) {
        // Presence is rare and small: a full queue here is left to the next room broadcast to
        // detect, which keeps this path free of re-entrant removal.
        for (&id, c) in &st.conns {
            if Some(id) != except {
                let _ = c.tx.try_send(frame.clone());
            }
        }
    }

    fn drop_slow(self: &Arc<Self>, st: &mut State, slow: Vec<ConnId>) {
        for id in slow {
            if st.conns.contains_key(&id) {
                tracing::warn!(conn = id, "dropping slow consumer");
                self.stats.slow_consumers.fetch_add(1, Ordering::Relaxed);
                self.remove_conn(st, id);
            }
        }
    }

    /// Records that `user` is (or stopped) typing in `room`, telling the room on every change.
    /// A "typing" state expires `typing_ttl` after its last refresh.
    pub fn typing(self: &Arc<Self>, room: RoomId, user: &User, typing: bool) {
        let key = (room, user.id);
        let changed = {
            let mut st = self.state.lock();
            if typing {
                st.typing_generation += 1;
                let generation = st.typing_generation;
                let was = st.typing.insert(key, generation).is_some();
                let hub = Arc::clone(self);
                let ttl = self.config.typing_ttl;
                let user = user.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(ttl).await;
                    hub.expire_typing(room, &user, generation);
                });
                !was
            } else {
                st.typing.remove(&key).is_some()
            }
        };
        if changed {
            self.broadcast(room, &typing_frame(room, user, typing), None);
        }
    }

    fn expire_typing(self: &Arc<Self>, room: RoomId, user: &User, generation: u64) {
        let expired = {
            let mut st = self.state.lock();
            let key = (room, user.id);
            if st.typing.get(&key) == Some(&generation) {
                st.typing.remove(&key);
                true
            } else {
                false
            }
        };
        if expired {
            self.broadcast(room, &typing_frame(room, user, false), None);
        }
    }

    pub fn is_typing(&self, room: RoomId, user: UserId) -> bool {
        self.state.lock().typing.contains_key(&(room, user))
    }
}

fn typing_frame(room: RoomId, user: &User, typing: bool) -> Frame {
    Frame::new(&ServerFrame::UserTyping { room_id: room, user: user.clone(), typing })
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::types::{Message, MessageKind};

    fn user(id: i64) -> User {
        User { id: UserId(id), username: format!("u{id}"), display_name: format!("User {id}") }
    }

    fn message(room: i64, id: i64) -> ServerFrame {
        ServerFrame::ReceiveMessage {
            message: Message {
                id: MessageId(id),
                room_id: RoomId(room),
                sender_id: UserId(1),
                sender_name: "User 1".into(),
                kind: MessageKind::Text,
                content: "hi".into(),
                client_id: None,
                created_at: 0,
                edited_at: None,
            },
        }
    }

    fn parse(f: &Frame) -> ServerFrame {
        serde_json::from_slice(&f.text).unwrap()
    }

    fn drain(rx: &mut outbox::Receiver<Frame>) -> Vec<ServerFrame> {
        let mut out = Vec::new();
        while let Some(f) = rx.try_recv() {
            out.push(parse(&f));
        }
        out
    }

    fn hub() -> Arc<Hub> {
        Hub::new(HubConfig { queue_capacity: 4, ..HubConfig::default() })
    }

    #[tokio::test]
    async fn room_broadcast_reaches_subscribers_only_and_shares_bytes() {
        let hub = hub();
        let (tx1, mut rx1) = outbox::channel(8);
        let (tx2, mut rx2) = outbox::channel(8);
        let (tx3, mut rx3) = outbox::channel(8);
        let (c1, _) = hub.connect(UserId(1), &[RoomId(10)], tx1);
        hub.connect(UserId(2), &[RoomId(10)], tx2);
        hub.connect(UserId(3), &[RoomId(11)], tx3);
        drain(&mut rx1);
        drain(&mut rx2);
        drain(&mut rx3);

        let frame = Frame::new(&message(10, 5));
        assert_eq!(hub.broadcast(RoomId(10), &frame, Some(c1)), 1);
        assert!(rx1.try_recv().is_none(), "the sender's own connection is skipped");
        let got = rx2.try_recv().unwrap();
        assert_eq!(got.text.as_ptr(), frame.text.as_ptr(), "serialized once, shared");
        assert_eq!(got.message_id, Some(MessageId(5)));
        assert!(rx3.try_recv().is_none(), "other rooms hear nothing");
    }

    #[tokio::test]
    async fn subscribe_and_unsubscribe_users() {
        let hub = hub();
        let (tx, mut rx) = outbox::channel(8);
        hub.connect(UserId(1), &[], tx);
        drain(&mut rx);
        hub.subscribe_user(UserId(1), RoomId(7));
        hub.broadcast(RoomId(7), &Frame::new(&message(7, 1)), None);
        assert_eq!(drain(&mut rx).len(), 1);
        hub.unsubscribe_user(UserId(1), RoomId(7));
        assert_eq!(hub.broadcast(RoomId(7), &Frame::new(&message(7, 2)), None), 0);
    }

    #[tokio::test]
    async fn slow_consumer_is_dropped_and_others_keep_receiving() {
        let hub = hub();
        let (slow_tx, mut slow_rx) = outbox::channel(2);
        let (fast_tx, mut fast_rx) = outbox::channel(64);
        hub.connect(UserId(1), &[RoomId(1)], slow_tx);
        hub.connect(UserId(2), &[RoomId(1)], fast_tx);
        for i in 0..10 {
            hub.broadcast(RoomId(1), &Frame::new(&message(1, i)), None);
            // the fast client keeps draining
            while fast_rx.try_recv().is_some() {}
        }
        assert_eq!(hub.stats.slow_consumers.load(Ordering::Relaxed), 1);
        assert_eq!(hub.connection_count(), 1);
        // The slow receiver gets what was queued, then sees the end of the stream.
        let mut n = 0;
        while let Some(_f) = slow_rx.recv().await {
            n += 1;
        }
        assert!(n <= 2);
    }

    #[tokio::test(start_paused = true)]
    async fn presence_survives_a_reload_and_ends_after_grace() {
        let hub = hub();
        let (watch_tx, mut watch) = outbox::channel(64);
        hub.connect(UserId(9), &[], watch_tx);
        let (tx, _rx) = outbox::channel(8);
        let (tab1, online) = hub.connect(UserId(1), &[], tx);
        assert!(online.contains(&UserId(1)) && online.contains(&UserId(9)));
        assert_eq!(drain(&mut watch), vec![ServerFrame::UserOnline { user_id: UserId(1), online: true }]);

        // Two tabs: closing one keeps the user online.
        let (tx2, _rx2) = outbox::channel(8);
        let (tab2, _) = hub.connect(UserId(1), &[], tx2);
        hub.disconnect(tab1);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(hub.is_online(UserId(1)));

        // A reload: the last tab closes and a new one opens within the grace period.
        hub.disconnect(tab2);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (tx3, _rx3) = outbox::channel(8);
        let (tab3, _) = hub.connect(UserId(1), &[], tx3);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(drain(&mut watch).is_empty(), "no flapping on reload");

        hub.disconnect(tab3);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(hub.is_online(UserId(1)), "still inside the grace period");
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!hub.is_online(UserId(1)));
        assert_eq!(drain(&mut watch), vec![ServerFrame::UserOnline { user_id: UserId(1), online: false }]);
    }

    #[tokio::test(start_paused = true)]
    async fn typing_expires_five_seconds_after_the_last_refresh() {
        let hub = hub();
        let (tx, mut rx) = outbox::channel(64);
        hub.connect(UserId(2), &[RoomId(1)], tx);
        drain(&mut rx);
        let alice = user(1);

        hub.typing(RoomId(1), &alice, true);
        assert_eq!(
            drain(&mut rx),
            vec![ServerFrame::UserTyping { room_id: RoomId(1), user: alice.clone(), typing: true }]
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        hub.typing(RoomId(1), &alice, true); // refresh: no new frame
        assert!(drain(&mut rx).is_empty());
        tokio::time::sleep(Duration::from_millis(4_900)).await;
        assert!(hub.is_typing(RoomId(1), UserId(1)), "refresh extended the deadline");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!hub.is_typing(RoomId(1), UserId(1)));
        assert_eq!(
            drain(&mut rx),
            vec![ServerFrame::UserTyping { room_id: RoomId(1), user: alice.clone(), typing: false }]
        );

        // An explicit stop is sent at once, and only once.
        hub.typing(RoomId(1), &alice, true);
        hub.typing(RoomId(1), &alice, false);
        hub.typing(RoomId(1), &alice, false);
        assert_eq!(drain(&mut rx).len(), 2);
    }
}
