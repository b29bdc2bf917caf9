//! The hub: who is connected on this node, which connection hears which room, presence and
//! typing.
//!
//! No transport code and no database live here: a connection is a bounded [`outbox`] sender
//! of pre-serialized [`Frame`]s, so the hub is unit-tested over plain channels. The
//! [`relay`](crate::relay) calls it with what the bus delivered; the transport registers and
//! forgets connections. Every event is serialized once and the same bytes (reference-counted)
//! go to every recipient. A connection whose queue is full is a slow consumer: the hub drops it
//! (its receiver then ends, the transport closes the socket) rather than let it delay anyone
//! else; the client catches up when it reconnects.
//!
//! Presence has two halves. Locally, the hub notices a user's first tab opening and (after a
//! grace period, so reloads do not flap) their last tab closing, and reports that on its
//! presence channel for the bus to announce. Globally, it keeps which nodes each user is
//! online on, as the bus reports them: a user is online while any node has them.
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

use crate::{events::NodeId, outbox};
use app::{
    protocol::{ServerFrame, CLOSE_TRY_AGAIN},
    types::{RoomId, Seq, User, UserId},
};
use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;

pub type ConnId = u64;

/// A serialized server frame, with the room and seq it carries (for catch-up dedup), or a
/// close code that ends the connection.
#[derive(Debug, Clone)]
pub struct Frame {
    pub text: Bytes,
    pub room: Option<RoomId>,
    pub seq: Option<Seq>,
    pub close: Option<(u16, &'static str)>,
    /// When the relay had the change this frame carries, for the delivery latency metric.
    pub born: Option<std::time::Instant>,
}

impl Frame {
    pub fn new(frame: &ServerFrame) -> Self {
        let (room, seq) = match frame {
            ServerFrame::ReceiveMessage { message, seq }
            | ServerFrame::MessageUpdated { message, seq }
            | ServerFrame::MessageAck { message, seq, .. } => (Some(message.room_id), Some(*seq)),
            _ => (None, None),
        };
        // Serializing our own frame types cannot fail (no maps with non-string keys).
        let text = serde_json::to_vec(frame).unwrap_or_default();
        Self { text: Bytes::from(text), room, seq, close: None, born: None }
    }

    /// Tells the transport to close the socket with `code`.
    pub fn close(code: u16, reason: &'static str) -> Self {
        Self { text: Bytes::new(), room: None, seq: None, close: Some((code, reason)), born: None }
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

/// A change of a user's presence on this node, for the bus to announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalPresence {
    pub user: UserId,
    pub online: bool,
}

struct Conn {
    user: UserId,
    /// The session it authenticated with (the token's hash), so ending it closes the socket.
    session: Arc<str>,
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
    /// This node's users: connections and grace periods.
    users: HashMap<UserId, Presence>,
    /// Every node's users, as announced on the bus.
    online: HashMap<UserId, HashSet<NodeId>>,
    /// The users listed so far by each node announcing everyone online there in several
    /// chunks: only its last chunk tells who is no longer there.
    announcing: HashMap<NodeId, HashSet<UserId>>,
    typing: HashMap<(RoomId, UserId), (u64, User)>,
    typing_generation: u64,
    /// Each session's one shared copy and how many connections hold it: a browser's tabs
    /// share a session, and a copy per connection is a tenth of an idle connection's memory.
    sessions: HashMap<Arc<str>, usize>,
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
    presence: mpsc::UnboundedSender<LocalPresence>,
    pub stats: HubStats,
}

impl Hub {
    /// A hub reporting its users' local presence changes on the returned channel.
    pub fn new(config: HubConfig) -> (Arc<Self>, mpsc::UnboundedReceiver<LocalPresence>) {
        let (presence, changes) = mpsc::unbounded_channel();
        let hub = Arc::new(Self {
            state: Mutex::default(),
            config,
            next_conn: AtomicU64::new(1),
            presence,
            stats: HubStats::default(),
        });
        (hub, changes)
    }

    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// Registers a connection of `user` (authenticated by `session`), subscribed to `rooms`.
    /// The user's first connection on this node is announced, unless they were inside the
    /// grace period of a previous tab (a reload).
    pub fn connect(&self, user: UserId, session: &str, rooms: &[RoomId], tx: outbox::Sender<Frame>) -> ConnId {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut st = self.state.lock();
        let session = match st.sessions.get_key_value(session) {
            Some((shared, _)) => shared.clone(),
            None => Arc::from(session),
        };
        *st.sessions.entry(session.clone()).or_default() += 1;
        for &room in rooms {
            st.rooms.entry(room).or_default().insert(id);
        }
        st.conns.insert(id, Conn { user, session, tx, rooms: rooms.iter().copied().collect() });
        let presence = st.users.entry(user).or_default();
        let newly_online = presence.conns.is_empty() && presence.generation == 0;
        presence.conns.insert(id);
        presence.generation += 1;
        if newly_online {
            let _ = self.presence.send(LocalPresence { user, online: true });
        }
        id
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
        if let Some(holders) = st.sessions.get_mut(&c.session) {
            *holders -= 1;
            if *holders == 0 {
                st.sessions.remove(&c.session);
            }
        }
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
        if gone {
            st.users.remove(&user);
            let _ = self.presence.send(LocalPresence { user, online: false });
        }
    }

    /// Users with a connection on this node, or inside their grace period.
    pub fn local_users(&self) -> Vec<UserId> {
        self.state.lock().users.keys().copied().collect()
    }

    /// Online anywhere, as far as the bus has told this node.
    pub fn is_online(&self, user: UserId) -> bool {
        self.state.lock().online.get(&user).is_some_and(|nodes| !nodes.is_empty())
    }

    /// Records `user` online or offline on `node`; returns whether that changed whether they
    /// are online anywhere.
    pub fn set_presence(&self, node: &NodeId, user: UserId, online: bool) -> bool {
        let mut st = self.state.lock();
        set_presence(&mut st, node, user, online)
    }

    /// A chunk of what `node` says is everyone online there: `first` starts the list, `last`
    /// ends it, and then whoever was known online there and is not on it goes offline. Returns
    /// the users whose global presence changed, and how.
    pub fn set_node_users(&self, node: &NodeId, users: &[UserId], first: bool, last: bool) -> Vec<(UserId, bool)> {
        let mut st = self.state.lock();
        let mut changed = Vec::new();
        if first {
            st.announcing.insert(node.clone(), HashSet::new());
        }
        st.announcing.entry(node.clone()).or_default().extend(users.iter().copied());
        for &user in users {
            if set_presence(&mut st, node, user, true) {
                changed.push((user, true));
            }
        }
        if last {
            let listed = st.announcing.remove(node).unwrap_or_default();
            let stale: Vec<UserId> = st
                .online
                .iter()
                .filter(|(u, nodes)| nodes.contains(node) && !listed.contains(u))
                .map(|(u, _)| *u)
                .collect();
            for user in stale {
                if set_presence(&mut st, node, user, false) {
                    changed.push((user, false));
                }
            }
        }
        changed
    }

    /// Forgets a node that stopped answering; returns its users who are now offline.
    pub fn drop_node(&self, node: &NodeId) -> Vec<UserId> {
        self.set_node_users(node, &[], true, true).into_iter().map(|(u, _)| u).collect()
    }

    pub fn connection_count(&self) -> usize {
        self.state.lock().conns.len()
    }

    /// Whether any connection on this node hears `room`.
    pub fn has_subscribers(&self, room: RoomId) -> bool {
        self.state.lock().rooms.contains_key(&room)
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

    /// Sends a frame to every connection of the given users on this node.
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

    /// Closes the connections of `user` authenticated by `session` (all of the user's when
    /// `None`) with `code`; returns how many.
    pub fn close_sessions(self: &Arc<Self>, user: UserId, session: Option<&str>, code: u16) -> usize {
        self.close_where(|c| c.user == user && session.is_none_or(|s| *c.session == *s), code, "session ended")
    }

    /// Asks every connection of a user to reconnect (1013): each then starts again from what
    /// the database says of them (a new display name).
    pub fn reconnect_user(self: &Arc<Self>, user: UserId) -> usize {
        self.close_where(|c| c.user == user, CLOSE_TRY_AGAIN, "profile changed")
    }

    /// Closes every connection (shutting down).
    pub fn close_all(self: &Arc<Self>, code: u16, reason: &'static str) -> usize {
        self.close_where(|_| true, code, reason)
    }

    fn close_where(self: &Arc<Self>, matches: impl Fn(&Conn) -> bool, code: u16, reason: &'static str) -> usize {
        let mut st = self.state.lock();
        let ids: Vec<ConnId> = st.conns.iter().filter(|(_, c)| matches(c)).map(|(&id, _)| id).collect();
        for id in &ids {
            if let Some(c) = st.conns.get(id) {
                c.tx.send_final(Frame::close(code, reason));
            }
            self.remove_conn(&mut st, *id);
        }
        ids.len()
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
                let was = st.typing.insert(key, (generation, user.clone())).is_some();
                let hub = Arc::clone(self);
                let ttl = self.config.typing_ttl;
                tokio::spawn(async move {
                    tokio::time::sleep(ttl).await;
                    hub.expire_typing(room, key.1, Some(generation));
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

    /// Ends `user`'s typing in `room` if it was on (they sent a message, or went offline).
    pub fn stop_typing(self: &Arc<Self>, room: RoomId, user: UserId) {
        self.expire_typing(room, user, None);
    }

    /// Ends everything `user` was typing (they went offline).
    pub fn stop_typing_everywhere(self: &Arc<Self>, user: UserId) {
        let rooms: Vec<RoomId> = self.state.lock().typing.keys().filter(|(_, u)| *u == user).map(|(r, _)| *r).collect();
        for room in rooms {
            self.stop_typing(room, user);
        }
    }

    fn expire_typing(self: &Arc<Self>, room: RoomId, user: UserId, generation: Option<u64>) {
        let expired = {
            let mut st = self.state.lock();
            let key = (room, user);
            match st.typing.get(&key) {
                Some((g, _)) if generation.is_none_or(|want| want == *g) => st.typing.remove(&key).map(|(_, u)| u),
                _ => None,
            }
        };
        if let Some(user) = expired {
            self.broadcast(room, &typing_frame(room, &user, false), None);
        }
    }

    pub fn is_typing(&self, room: RoomId, user: UserId) -> bool {
        self.state.lock().typing.contains_key(&(room, user))
    }
}

fn set_presence(st: &mut State, node: &NodeId, user: UserId, online: bool) -> bool {
    let nodes = st.online.entry(user).or_default();
    let was = !nodes.is_empty();
    if online {
        nodes.insert(node.clone());
    } else {
        nodes.remove(node);
    }
    let now = !nodes.is_empty();
    if !now {
        st.online.remove(&user);
    }
    was != now
}

fn typing_frame(room: RoomId, user: &User, typing: bool) -> Frame {
    Frame::new(&ServerFrame::UserTyping { room_id: room, user: user.clone(), typing })
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::types::{Message, MessageId, MessageKind};

    fn user(id: i64) -> User {
        User { id: UserId(id), username: format!("u{id}"), display_name: format!("User {id}") }
    }

    fn message(room: i64, id: i64) -> ServerFrame {
        ServerFrame::ReceiveMessage {
            seq: Seq(id),
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
                deleted_at: None,
                seq: Seq(id),
                change_seq: Seq(id),
                system: None,
                ..Message::default()
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
        Hub::new(HubConfig { queue_capacity: 4, ..HubConfig::default() }).0
    }

    fn session(name: &str) -> String {
        name.to_string()
    }

    #[tokio::test]
    async fn room_broadcast_reaches_subscribers_only_and_shares_bytes() {
        let hub = hub();
        let (tx1, mut rx1) = outbox::channel(8);
        let (tx2, mut rx2) = outbox::channel(8);
        let (tx3, mut rx3) = outbox::channel(8);
        let c1 = hub.connect(UserId(1), &session("s1"), &[RoomId(10)], tx1);
        hub.connect(UserId(2), &session("s2"), &[RoomId(10)], tx2);
        hub.connect(UserId(3), &session("s3"), &[RoomId(11)], tx3);
        drain(&mut rx1);
        drain(&mut rx2);
        drain(&mut rx3);

        let frame = Frame::new(&message(10, 5));
        assert_eq!(hub.broadcast(RoomId(10), &frame, Some(c1)), 1);
        assert!(rx1.try_recv().is_none(), "the sender's own connection is skipped");
        let got = rx2.try_recv().unwrap();
        assert_eq!(got.text.as_ptr(), frame.text.as_ptr(), "serialized once, shared");
        assert_eq!(got.seq, Some(Seq(5)));
        assert!(rx3.try_recv().is_none(), "other rooms hear nothing");
    }

    #[tokio::test]
    async fn subscribe_and_unsubscribe_users() {
        let hub = hub();
        let (tx, mut rx) = outbox::channel(8);
        hub.connect(UserId(1), &session("s1"), &[], tx);
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
        hub.connect(UserId(1), &session("s1"), &[RoomId(1)], slow_tx);
        hub.connect(UserId(2), &session("s2"), &[RoomId(1)], fast_tx);
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
    async fn local_presence_survives_a_reload_and_ends_after_grace() {
        let (hub, mut changes) = Hub::new(HubConfig::default());
        let (tx, _rx) = outbox::channel(8);
        let tab1 = hub.connect(UserId(1), &session("s1"), &[], tx);
        assert_eq!(changes.try_recv().ok(), Some(LocalPresence { user: UserId(1), online: true }));

        // Two tabs: closing one keeps the user online.
        let (tx2, _rx2) = outbox::channel(8);
        let tab2 = hub.connect(UserId(1), &session("s1"), &[], tx2);
        hub.disconnect(tab1);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(hub.local_users(), vec![UserId(1)]);

        // A reload: the last tab closes and a new one opens within the grace period.
        hub.disconnect(tab2);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (tx3, _rx3) = outbox::channel(8);
        let tab3 = hub.connect(UserId(1), &session("s1"), &[], tx3);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(changes.try_recv().is_err(), "no flapping on reload");

        hub.disconnect(tab3);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(hub.local_users(), vec![UserId(1)], "still inside the grace period");
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(hub.local_users().is_empty());
        assert_eq!(changes.try_recv().ok(), Some(LocalPresence { user: UserId(1), online: false }));
    }

    #[test]
    fn a_user_is_online_while_any_node_has_them() {
        let hub = hub();
        let (a, b): (NodeId, NodeId) = (Arc::from("a"), Arc::from("b"));
        assert!(hub.set_presence(&a, UserId(1), true));
        assert!(!hub.set_presence(&b, UserId(1), true), "already online");
        assert!(!hub.set_presence(&a, UserId(1), false), "still on b");
        assert!(hub.is_online(UserId(1)));
        assert_eq!(hub.set_node_users(&b, &[UserId(2)], true, true), vec![(UserId(2), true), (UserId(1), false)]);
        assert!(!hub.is_online(UserId(1)));
        // A list in chunks: nobody on a later chunk goes offline meanwhile.
        assert_eq!(hub.set_node_users(&b, &[UserId(3)], true, false), vec![(UserId(3), true)]);
        assert_eq!(hub.set_node_users(&b, &[UserId(2)], false, true), vec![], "2 was online throughout");
        assert!(hub.is_online(UserId(3)));
        let mut gone = hub.drop_node(&b);
        gone.sort();
        assert_eq!(gone, vec![UserId(2), UserId(3)], "a dead node's users go offline");
        assert!(!hub.is_online(UserId(2)));
    }

    #[tokio::test]
    async fn tabs_of_one_session_share_one_copy_of_it_until_the_last_goes() {
        let hub = hub();
        let (tx1, _rx1) = outbox::channel(1);
        let (tx2, _rx2) = outbox::channel(1);
        let a = hub.connect(UserId(1), "tabs", &[], tx1);
        let b = hub.connect(UserId(1), "tabs", &[], tx2);
        {
            let st = hub.state.lock();
            assert!(Arc::ptr_eq(&st.conns[&a].session, &st.conns[&b].session));
            assert_eq!(st.sessions.len(), 1);
        }
        hub.disconnect(a);
        assert_eq!(hub.state.lock().sessions.len(), 1);
        hub.disconnect(b);
        assert!(hub.state.lock().sessions.is_empty());
    }

    #[tokio::test]
    async fn ending_a_session_closes_only_its_sockets() {
        let hub = hub();
        let (tx1, mut rx1) = outbox::channel(1);
        let (tx2, mut rx2) = outbox::channel(8);
        hub.connect(UserId(1), &session("phone"), &[RoomId(1)], tx1);
        hub.connect(UserId(1), &session("laptop"), &[RoomId(1)], tx2);
        hub.broadcast(RoomId(1), &Frame::new(&message(1, 1)), None);
        assert_eq!(hub.close_sessions(UserId(1), Some("phone"), 4401), 1);
        assert!(rx1.recv().await.is_some_and(|f| f.close.is_none()), "queued frames first");
        assert_eq!(rx1.recv().await.and_then(|f| f.close).map(|c| c.0), Some(4401), "then the close, past capacity");
        assert!(rx1.recv().await.is_none());
        assert_eq!(hub.connection_count(), 1);
        assert!(rx2.try_recv().is_some_and(|f| f.close.is_none()));
        assert!(rx2.try_recv().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn typing_expires_five_seconds_after_the_last_refresh() {
        let hub = hub();
        let (tx, mut rx) = outbox::channel(64);
        hub.connect(UserId(2), &session("s2"), &[RoomId(1)], tx);
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

        // Sending a message ends typing, with the typist's name in the frame.
        hub.typing(RoomId(1), &alice, true);
        hub.stop_typing(RoomId(1), UserId(1));
        assert_eq!(
            drain(&mut rx).pop(),
            Some(ServerFrame::UserTyping { room_id: RoomId(1), user: alice.clone(), typing: false })
        );
    }
}
