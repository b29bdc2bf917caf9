//! The relay: this node's subscriber to the [bus](crate::bus). It turns events into frames
//! for the [hub](crate::hub), in each room's seq order, whichever node the change came from.
//!
//! Per room with subscribers here it keeps a cursor: the last seq delivered. A change that
//! continues the cursor and arrived complete (published on this node) is delivered at once. A
//! change from another node (a notice with seqs only), one that skips ahead (two local commits
//! published out of order, or a notice lost while the listener was down), or a resync after
//! the listener reconnected, makes the relay load what the room's table holds after the
//! cursor — the current state of every message changed since — and deliver that in seq order.
//! Changes arriving meanwhile wait for the load. So nothing is lost, nothing is delivered
//! twice to a connection, and per-room order holds across nodes. A gap too large to replay
//! (more than [`limits::CATCH_UP_MAX`]) tells the room's clients to reload instead.
//!
//! It also carries presence between nodes (announcing this node's users, forgetting a node
//! whose heartbeats stop), typing, ended sessions, and membership changes (subscriptions and
//! the role cache follow them at once).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use app::{
    protocol::{ServerFrame, CLOSE_SESSION_ENDED},
    types::{limits, Message, MessageKind, RoomId, Seq, UserId},
};
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    bus::{Bus, Incoming},
    events::{Delivery, Event, NodeId, RoomChange, NODE_USERS_CHUNK},
    hub::{Frame, Hub, LocalPresence},
    service::access::Access,
    storage::{Storage, StorageError},
};

/// How often each node says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// A node silent this long is gone, and its users offline.
pub const NODE_DEAD_AFTER: Duration = Duration::from_secs(20);

struct Cursor {
    /// Delivered up to here.
    seq: Seq,
    loading: bool,
    /// Changes that arrived while loading, handled when the load is in.
    waiting: Vec<RoomChange>,
}

/// Presence changes told with one lookup of contacts.
const PRESENCE_BATCH: usize = 1000;

/// What people must hear about presence.
enum PresenceNews {
    /// A user came or went: tell everyone who shares a room with them.
    Changed(UserId, bool),
    /// People joined a room: they and its members are now contacts, so each side learns who
    /// of the other is online.
    Joined(RoomId, Vec<UserId>),
}

struct Loaded {
    room: RoomId,
    /// The load covers at least up to this seq (it was committed before the load began).
    target: Seq,
    result: Result<Vec<Message>, StorageError>,
}

/// Everything the relay drives.
pub struct RelayParts {
    pub node: NodeId,
    pub storage: Arc<Storage>,
    pub hub: Arc<Hub>,
    pub access: Arc<Access>,
    pub bus: Arc<dyn Bus>,
    pub monitor: Arc<crate::monitor::Monitor>,
}

/// Starts the relay on `incoming` (from the bus) and `presence` (this hub's local changes).
pub fn spawn(
    parts: RelayParts,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    presence: mpsc::UnboundedReceiver<LocalPresence>,
) -> JoinHandle<()> {
    let (loaded_tx, loaded) = mpsc::unbounded_channel();
    let (contacts_tx, contacts) = mpsc::unbounded_channel();
    tokio::spawn(tell_contacts(parts.storage.clone(), parts.hub.clone(), contacts));
    let relay =
        Relay { parts, rooms: HashMap::new(), nodes: HashMap::new(), gone: HashMap::new(), loaded_tx, contacts_tx };
    tokio::spawn(relay.run(incoming, presence, loaded))
}

struct Relay {
    parts: RelayParts,
    rooms: HashMap<RoomId, Cursor>,
    /// When each other node was last heard of.
    nodes: HashMap<NodeId, Instant>,
    /// Nodes taken for dead (their users offline here), for an hour: one heard again was only
    /// cut off, and is asked who is online there.
    gone: HashMap<NodeId, Instant>,
    loaded_tx: mpsc::UnboundedSender<Loaded>,
    /// Presence news to hand out, in order.
    contacts_tx: mpsc::UnboundedSender<PresenceNews>,
}

impl Relay {
    async fn run(
        mut self,
        mut incoming: mpsc::UnboundedReceiver<Incoming>,
        mut presence: mpsc::UnboundedReceiver<LocalPresence>,
        mut loaded: mpsc::UnboundedReceiver<Loaded>,
    ) {
        let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
        loop {
            tokio::select! {
                msg = incoming.recv() => match msg {
                    Some(Incoming::Local(event)) | Some(Incoming::Remote(event)) => self.on_event(event),
                    Some(Incoming::Resync { missed }) => self.resync(missed),
                    None => return,
                },
                Some(p) = presence.recv() => {
                    let node = self.parts.node.clone();
                    self.parts.bus.publish(Event::Presence { node, user: p.user, online: p.online });
                }
                Some(done) = loaded.recv() => self.on_loaded(done),
                _ = tick.tick() => {
                    self.parts.bus.publish(Event::Heartbeat { node: self.parts.node.clone() });
                    self.forget_dead_nodes();
                }
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        let hub = self.parts.hub.clone();
        match event {
            Event::Room(change) => self.on_room(change),
            Event::RoomMeta { room, added, removed } => {
                self.parts.access.forget_room(room);
                for &user in &added {
                    hub.subscribe_user(user, room);
                }
                for &user in &removed {
                    hub.unsubscribe_user(user, room);
                    hub.stop_typing(room, user);
                }
                hub.send_to_users(&removed, &Frame::new(&ServerFrame::RoomRemoved { room_id: room }));
                hub.broadcast(room, &Frame::new(&ServerFrame::RoomUpdated { room_id: room }), None);
                if !added.is_empty() {
                    let _ = self.contacts_tx.send(PresenceNews::Joined(room, added));
                }
            }
            // Members see it as a read receipt; my other tabs clear their badges.
            Event::ReadMarker { room, user, seq } => {
                hub.broadcast(room, &Frame::new(&ServerFrame::ReadMarker { room_id: room, user_id: user, seq }), None);
            }
            Event::Personal { room, user } => {
                hub.send_to_users(&[user], &Frame::new(&ServerFrame::RoomUpdated { room_id: room }));
            }
            Event::Typing { room, user, typing } => hub.typing(room, &user, typing),
            Event::Presence { node, user, online } => {
                self.heard(&node);
                if hub.set_presence(&node, user, online) {
                    self.presence_changed(user, online);
                }
            }
            Event::NodeUsers { node, users, first, last } => {
                self.heard(&node);
                for (user, online) in hub.set_node_users(&node, &users, first, last) {
                    self.presence_changed(user, online);
                }
            }
            Event::PresenceSync { node } => {
                if node != self.parts.node {
                    self.heard(&node);
                    self.announce_users();
                }
            }
            Event::Heartbeat { node } => self.heard(&node),
            Event::ProfileChanged { user } => {
                hub.reconnect_user(user);
            }
            Event::SessionsEnded { user, token_hash } => {
                let closed = hub.close_sessions(user, token_hash.as_deref(), CLOSE_SESSION_ENDED);
                tracing::debug!(user = %user, closed, "sessions ended");
            }
            Event::HistoryPurged { room, up_to } => {
                hub.broadcast(room, &Frame::new(&ServerFrame::HistoryPurged { room_id: room, up_to }), None);
            }
            Event::NodeStats { node, sample } => {
                self.heard(&node);
                self.parts.monitor.record(&node, sample);
            }
        }
    }

    fn heard(&mut self, node: &NodeId) {
        if *node != self.parts.node {
            self.nodes.insert(node.clone(), Instant::now());
            if self.gone.remove(node).is_some() {
                tracing::info!(node = %node, "node answering again; asking who is online there");
                self.parts.bus.publish(Event::PresenceSync { node: self.parts.node.clone() });
            }
        }
    }

    fn on_room(&mut self, change: RoomChange) {
        let room = change.room;
        if !self.parts.hub.has_subscribers(room) {
            self.rooms.remove(&room);
            return;
        }
        let complete = !change.messages.is_empty();
        let Some(cursor) = self.rooms.get_mut(&room) else {
            if complete {
                self.deliver(room, &change.messages);
                self.rooms.insert(room, Cursor { seq: change.last_seq, loading: false, waiting: Vec::new() });
            } else {
                let before = Seq(change.first_seq.0 - 1);
                self.rooms.insert(room, Cursor { seq: before, loading: false, waiting: Vec::new() });
                self.load(room, change.last_seq);
            }
            return;
        };
        if cursor.loading {
            cursor.waiting.push(change);
        } else if change.last_seq <= cursor.seq {
            // Already delivered (by a load that saw this commit).
        } else if complete && change.first_seq.0 <= cursor.seq.0 + 1 {
            // Continues the cursor (a load may already have delivered its first part).
            let after = cursor.seq;
            cursor.seq = change.last_seq;
            let fresh: Vec<_> = change.messages.into_iter().filter(|(m, _)| m.change_seq > after).collect();
            self.deliver(room, &fresh);
        } else {
            self.load(room, change.last_seq);
        }
    }

    /// Loads the room's changes after its cursor, which covers at least `target`.
    fn load(&mut self, room: RoomId, target: Seq) {
        let Some(cursor) = self.rooms.get_mut(&room) else {
            return;
        };
        if target.0 - cursor.seq.0 > limits::CATCH_UP_MAX {
            // Too much to replay: the room's clients reload instead.
            tracing::warn!(room = %room, from = %cursor.seq, to = %target, "gap too large; clients reset");
            cursor.seq = target;
            let reset = ServerFrame::Joined { room_id: room, seq: target, reset: true };
            self.parts.hub.broadcast(room, &Frame::new(&reset), None);
            return;
        }
        cursor.loading = true;
        let since = cursor.seq;
        let storage = self.parts.storage.clone();
        let done = self.loaded_tx.clone();
        tokio::spawn(async move {
            // A failure (the pool busy, a connection reset) is tried again a few times before
            // it is given up: what waits behind this load is delivered only after it.
            let mut pause = Duration::from_millis(100);
            let result = loop {
                let read = storage.changes_since(room, since, limits::CATCH_UP_MAX as u32);
                match crate::metrics::timed("changes_since", read).await {
                    Err(e) if pause < Duration::from_secs(2) => {
                        tracing::warn!(room = %room, error = %e, retry_in = ?pause, "cannot load a room's changes");
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                    }
                    result => break result,
                }
            };
            let _ = done.send(Loaded { room, target, result });
        });
    }

    fn on_loaded(&mut self, loaded: Loaded) {
        let Loaded { room, target, result } = loaded;
        let Some(cursor) = self.rooms.get_mut(&room) else {
            return;
        };
        cursor.loading = false;
        let rows = match result {
            Ok(rows) => rows,
            Err(e) => {
                // Given up: what waited behind it asks again (each loads from the cursor), or
                // the next change or a resync does; clients see any gap and ask too.
                tracing::warn!(room = %room, error = %e, "cannot load a room's changes");
                for change in std::mem::take(&mut cursor.waiting) {
                    self.on_room(change);
                }
                return;
            }
        };
        let full_page = rows.len() == limits::CATCH_UP_MAX as usize;
        let since = cursor.seq;
        let fresh: Vec<Delivery> =
            rows.into_iter().filter(|m| m.change_seq > since).map(|m| (Arc::new(m), None)).collect();
        let last = fresh.last().map(|(m, _)| m.change_seq);
        cursor.seq = if full_page { last.unwrap_or(since) } else { since.max(target).max(last.unwrap_or(since)) };
        let waiting = std::mem::take(&mut cursor.waiting);
        self.deliver(room, &fresh);
        if full_page {
            self.load(room, target);
            if let Some(cursor) = self.rooms.get_mut(&room) {
                cursor.waiting = waiting;
            }
            return;
        }
        for change in waiting {
            self.on_room(change);
        }
    }

    /// Sends each message's current state to the room (but not to the connection that sent
    /// it, which has its acknowledgement); a new message ends its sender's typing.
    fn deliver(&self, room: RoomId, messages: &[Delivery]) {
        let hub = &self.parts.hub;
        let now = std::time::Instant::now();
        for (message, origin) in messages {
            let frame = Frame { born: Some(now), ..Frame::new(&ServerFrame::change(Message::clone(message))) };
            hub.broadcast(room, &frame, *origin);
            if message.seq == message.change_seq && message.kind != MessageKind::System {
                hub.stop_typing(room, message.sender_id);
            }
        }
    }

    /// The listener (re)connected: anything may have been missed. Every room served here
    /// catches up from its cursor, cached roles are dropped, and the nodes exchange who is
    /// online. After an outage (`missed`), what was lost may also be a membership change, a
    /// logout or a read marker, which no cursor replays: every connection here is closed as
    /// if the server restarted (1001), and each client reconnects at once, reading its rooms
    /// and session afresh and catching up by seq.
    fn resync(&mut self, missed: bool) {
        if missed {
            let closed = self.parts.hub.close_all(app::protocol::CLOSE_GOING_AWAY, "events may have been missed");
            tracing::warn!(closed, "listener was down: connections closed to catch up");
        }
        self.parts.access.forget_all();
        let rooms: Vec<(RoomId, Seq, bool)> = self.rooms.iter().map(|(&r, c)| (r, c.seq, c.loading)).collect();
        for (room, seq, loading) in rooms {
            if !self.parts.hub.has_subscribers(room) {
                self.rooms.remove(&room);
            } else if !loading {
                self.load(room, seq);
            }
        }
        self.announce_users();
        self.parts.bus.publish(Event::PresenceSync { node: self.parts.node.clone() });
    }

    /// Tells every node who is online here (in notices of bounded size).
    fn announce_users(&self) {
        let users = self.parts.hub.local_users();
        let node = &self.parts.node;
        if users.is_empty() {
            self.parts.bus.publish(Event::NodeUsers { node: node.clone(), users, first: true, last: true });
            return;
        }
        let chunks = users.len().div_ceil(NODE_USERS_CHUNK);
        for (i, chunk) in users.chunks(NODE_USERS_CHUNK).enumerate() {
            let (first, last) = (i == 0, i + 1 == chunks);
            self.parts.bus.publish(Event::NodeUsers { node: node.clone(), users: chunk.to_vec(), first, last });
        }
    }

    fn forget_dead_nodes(&mut self) {
        self.gone.retain(|_, at| at.elapsed() < Duration::from_secs(3600));
        let dead: Vec<NodeId> =
            self.nodes.iter().filter(|(_, at)| at.elapsed() > NODE_DEAD_AFTER).map(|(n, _)| n.clone()).collect();
        for node in dead {
            self.nodes.remove(&node);
            self.gone.insert(node.clone(), Instant::now());
            let gone = self.parts.hub.drop_node(&node);
            tracing::warn!(node = %node, users = gone.len(), "node stopped answering; its users are offline");
            for user in gone {
                self.presence_changed(user, false);
            }
        }
    }

    fn presence_changed(&self, user: UserId, online: bool) {
        if !online {
            self.parts.hub.stop_typing_everywhere(user);
        }
        let _ = self.contacts_tx.send(PresenceNews::Changed(user, online));
    }
}

/// Tells the people who share a room with a user that they came or went, in the order the
/// changes happened (an "online" never overtakes the "offline" before it). The changes waiting
/// are told together, with one lookup of their users' contacts.
async fn tell_contacts(storage: Arc<Storage>, hub: Arc<Hub>, mut news: mpsc::UnboundedReceiver<PresenceNews>) {
    let online_frame = |user: UserId, online: bool| Frame::new(&ServerFrame::UserOnline { user_id: user, online });
    let mut held = None;
    loop {
        let item = match held.take() {
            Some(item) => item,
            None => match news.recv().await {
                Some(item) => item,
                None => return,
            },
        };
        match item {
            PresenceNews::Changed(user, online) => {
                let changes;
                (changes, held) = waiting_changes((user, online), &mut news);
                let mut users: Vec<UserId> = changes.iter().map(|&(user, _)| user).collect();
                users.sort_unstable();
                users.dedup();
                match storage.contacts_of(&users).await {
                    Ok(contacts) => {
                        for (user, online) in changes {
                            let others: Vec<UserId> =
                                contacts.get(&user).into_iter().flatten().copied().filter(|&c| c != user).collect();
                            hub.send_to_users(&others, &online_frame(user, online));
                        }
                    }
                    Err(e) => tracing::warn!(users = users.len(), error = %e, "cannot load contacts for presence"),
                }
            }
            PresenceNews::Joined(room, added) => match storage.member_ids(room).await {
                Ok(members) => {
                    for &member in members.iter().filter(|&&m| hub.is_online(m)) {
                        let newcomers: Vec<UserId> = added.iter().copied().filter(|&a| a != member).collect();
                        hub.send_to_users(&newcomers, &online_frame(member, true));
                    }
                    for &newcomer in added.iter().filter(|&&a| hub.is_online(a)) {
                        let others: Vec<UserId> = members.iter().copied().filter(|&m| m != newcomer).collect();
                        hub.send_to_users(&others, &online_frame(newcomer, true));
                    }
                }
                Err(e) => tracing::warn!(room = %room, error = %e, "cannot load members for presence"),
            },
        }
    }
}

/// `first` and the presence changes queued behind it, at most [`PRESENCE_BATCH`], stopping at
/// a room join (returned, to be told after them: it must not overtake them, nor they it).
fn waiting_changes(
    first: (UserId, bool),
    news: &mut mpsc::UnboundedReceiver<PresenceNews>,
) -> (Vec<(UserId, bool)>, Option<PresenceNews>) {
    let mut changes = vec![first];
    while changes.len() < PRESENCE_BATCH {
        match news.try_recv() {
            Ok(PresenceNews::Changed(user, online)) => changes.push((user, online)),
            Ok(joined) => return (changes, Some(joined)),
            Err(_) => break,
        }
    }
    (changes, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_changes_stop_at_a_join_and_keep_their_order() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for news in [
            PresenceNews::Changed(UserId(2), false),
            PresenceNews::Changed(UserId(1), true),
            PresenceNews::Joined(RoomId(7), vec![UserId(3)]),
            PresenceNews::Changed(UserId(2), true),
        ] {
            tx.send(news).ok();
        }
        let (changes, held) = waiting_changes((UserId(1), false), &mut rx);
        assert_eq!(changes, [(UserId(1), false), (UserId(2), false), (UserId(1), true)]);
        assert!(matches!(held, Some(PresenceNews::Joined(RoomId(7), ref added)) if added == &[UserId(3)]));
        // What follows the join waits for the next round.
        let (changes, held) = waiting_changes((UserId(9), true), &mut rx);
        assert_eq!(changes, [(UserId(9), true), (UserId(2), true)]);
        assert!(held.is_none());
    }

    #[test]
    fn waiting_changes_take_at_most_a_batch() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for n in 0..PRESENCE_BATCH as i64 + 5 {
            tx.send(PresenceNews::Changed(UserId(n), true)).ok();
        }
        let (changes, _) = waiting_changes((UserId(-1), true), &mut rx);
        assert_eq!(changes.len(), PRESENCE_BATCH);
        assert_eq!(rx.len(), 6, "the rest stay queued, in order");
    }
}
