//! The chat store: everything the chat screen shows, as signals, and how each server frame
//! changes it. It neither talks to the server nor knows the socket: [`ChatStore::apply`] says
//! what to ask for next ([`FollowUp`]) and the socket does it.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use leptos::prelude::*;
use serde::Deserialize;

use super::{
    timeline::{Timeline, WINDOW},
    upload::{Attached, Upload},
};
use crate::{
    i18n::Locale,
    protocol::{ServerFrame, TYPING_TTL_MS},
    types::{
        Message, MessageId, MessagePage, Millis, NotifyLevel, Quote, RoomDetails, RoomId, RoomKind, RoomSummary, Seq,
        User, UserId,
    },
};

/// The state of the WebSocket, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    /// Disconnected; the next attempt is in this many seconds.
    Offline {
        retry_in_secs: u32,
    },
    /// The session was ended (logged out in another tab or on another node): reconnecting
    /// cannot succeed, the reader must log in again.
    SessionEnded,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SendState {
    Sending,
    /// Refused, with the server's reason; `retry` when sending again may work (the server
    /// was busy or failed), not when the message itself was refused (a rule it breaks).
    Failed {
        why: String,
        retry: bool,
    },
}

/// A message typed but not yet acknowledged: the outbox, resent on reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: String,
    pub room_id: RoomId,
    pub content: String,
    /// The message this one answers.
    pub reply_to: Option<MessageId>,
    pub state: SendState,
}

/// The message being edited in place. The draft lives here, not in the editor, so that it
/// outlives the editor: the message's row is drawn anew when it comes to start a sender's
/// group, or leaves the window of history and comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editing {
    pub room: RoomId,
    pub id: MessageId,
    pub draft: String,
}

/// The dialog open over the message list, about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageDialog {
    /// The full emoji picker, reacting to the message.
    Picker(RoomId, MessageId),
    /// "Delete this message?"
    ConfirmDelete(RoomId, MessageId),
    /// The previous texts of an edited message.
    History(RoomId, MessageId),
    /// The room's loaded images full size, starting at this one.
    Lightbox(RoomId, MessageId),
}

/// One emoji of the picker, as `GET /api/emoji` lists it (short keys: the list has thousands).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Emoji {
    #[serde(rename = "e")]
    pub emoji: String,
    #[serde(rename = "n")]
    pub name: String,
    /// What a search finds it by besides its name: its shortcodes (`smile`, `+1`), and in
    /// another language than English its English name and that language's keywords.
    #[serde(rename = "k", default)]
    pub keywords: String,
    #[serde(rename = "g")]
    pub group: String,
}

/// The picker's emoji list: fetched when the picker first opens (it would triple the WASM),
/// then kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmojiCatalog {
    NotLoaded,
    Loading,
    /// With the language its names are in.
    Loaded(Arc<Vec<Emoji>>, Locale),
    Failed(String),
}

/// My notification defaults (from `GET /api/settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefs {
    pub notify: NotifyLevel,
    pub sound: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self { notify: NotifyLevel::All, sound: true }
    }
}

/// A new message that should get my attention (the room's level and mute allow it); the
/// alerts layer turns it into a toast, a sound or a browser notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub room: RoomId,
    pub room_title: String,
    pub private: bool,
    pub message: Message,
}

/// An in-app toast about a message in another room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub alert: Alert,
}

/// Someone typing in a room, as the server last said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typist {
    pub user: User,
    /// When the indicator lapses unless refreshed, as the server's own does: its "stopped"
    /// can be lost (sent while this tab was offline), and a new connection hears no snapshot.
    pub until: Millis,
}

/// What a frame requires from the server next; the socket carries it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Changes are missing: `join_room {room_id, since}`.
    CatchUp { room: RoomId, since: Seq },
    /// Too much is missing to replay: reload the room's newest page.
    Reload(RoomId),
}

#[derive(Clone, Copy)]
pub struct ChatStore {
    /// Me, as the server last greeted this socket (`hello`): a new display name set in another
    /// session reconnects every socket of mine, and shows here.
    pub me: RwSignal<User>,
    /// The UI's language, for the text that state code builds (notices, notifications).
    pub locale: Signal<Locale>,
    pub rooms: RwSignal<Vec<RoomSummary>>,
    /// Bumped when the room list or a room's details must be fetched again.
    pub rooms_version: RwSignal<u64>,
    /// Rooms whose newest page has been loaded; live changes to other rooms only touch the
    /// room list.
    pub timelines: RwSignal<HashMap<RoomId, Timeline>>,
    pub pending: RwSignal<Vec<Pending>>,
    /// Files chosen per room and not sent yet (the tray above the composer).
    pub attached: RwSignal<Vec<Attached>>,
    /// Files being sent, or that failed to be, until their message is in.
    pub uploads: RwSignal<Vec<Upload>>,
    pub online: RwSignal<HashSet<UserId>>,
    /// Who is typing, per room, in the order they started.
    pub typing: RwSignal<HashMap<RoomId, Vec<Typist>>>,
    /// A sweep of lapsed typists is scheduled: one timer for the store, not one per frame.
    typing_sweep: StoredValue<bool>,
    pub connection: RwSignal<Connection>,
    /// The room on screen, if any: the room in the chat page's URL (the page keeps it so).
    pub open_room: RwSignal<Option<RoomId>>,
    /// Whether the reader is looking at the newest message of the open room.
    pub at_bottom: RwSignal<bool>,
    /// The last error that belongs to no message (shown above the composer).
    pub notice: RwSignal<Option<String>>,
    /// The read marker last sent per room, so it is sent once per change.
    pub read_sent: RwSignal<HashMap<RoomId, Seq>>,
    /// The last edit sent, by its request id: the editor closes when it is sent, and a refusal
    /// (past the edit window, say) opens it again with the text, which would otherwise be lost.
    edit_sent: StoredValue<Option<(String, Editing)>>,
    /// Reported read markers not yet known to have reached the server (by its `read_marker`
    /// or a room list at or past them): one queued as the socket died is lost, so the next
    /// greeting reports them again. The server only moves a marker forward: repeating is safe.
    read_unconfirmed: RwSignal<HashMap<RoomId, Seq>>,
    /// The open room, after the server said we are no longer in it: the room view leaves.
    pub evicted: RwSignal<Option<RoomId>>,
    /// The open room's details (members, my role), once fetched: for mentions and moderation.
    pub details: RwSignal<Option<RoomDetails>>,
    pub editing: RwSignal<Option<Editing>>,
    /// The message the composer answers, per room, as it was when chosen.
    pub replying: RwSignal<HashMap<RoomId, Quote>>,
    pub dialog: RwSignal<Option<MessageDialog>>,
    /// A message to bring into view once it is on screen (a quote was clicked).
    pub jump: RwSignal<Option<MessageId>>,
    /// The message briefly highlighted after a jump.
    pub highlight: RwSignal<Option<MessageId>>,
    /// A page after the newest message held is on its way (detached timelines).
    pub loading_newer: RwSignal<bool>,
    pub emoji: RwSignal<EmojiCatalog>,
    pub prefs: RwSignal<Prefs>,
    /// Alerts not yet shown, oldest first.
    pub alerts: RwSignal<Vec<Alert>>,
    pub toasts: RwSignal<Vec<Toast>>,
    /// Whether the page is visible (not a background tab): only then is a room being read.
    pub visible: RwSignal<bool>,
    /// The member list is open (on a phone, where it is a panel over the room).
    pub members_open: RwSignal<bool>,
    /// A room to open, asked for from outside the router (a browser notification's click).
    pub open_request: RwSignal<Option<RoomId>>,
}

impl ChatStore {
    /// A store around signals the chat page already holds: `rooms_version`, which the page's
    /// resources follow, and `open_room`, the room in its URL. The page creates them (and its
    /// resources) once, outside the part that waits for the session; see `pages::chat`.
    /// `locale` is the i18n context's, read where state code writes text.
    pub fn for_page(
        me: User,
        locale: Signal<Locale>,
        rooms_version: RwSignal<u64>,
        open_room: RwSignal<Option<RoomId>>,
    ) -> Self {
        Self {
            me: RwSignal::new(me),
            locale,
            rooms: RwSignal::new(Vec::new()),
            rooms_version,
            timelines: RwSignal::new(HashMap::new()),
            pending: RwSignal::new(Vec::new()),
            attached: RwSignal::new(Vec::new()),
            uploads: RwSignal::new(Vec::new()),
            online: RwSignal::new(HashSet::new()),
            typing: RwSignal::new(HashMap::new()),
            typing_sweep: StoredValue::new(false),
            connection: RwSignal::new(Connection::Connecting),
            open_room,
            at_bottom: RwSignal::new(true),
            notice: RwSignal::new(None),
            read_sent: RwSignal::new(HashMap::new()),
            edit_sent: StoredValue::new(None),
            read_unconfirmed: RwSignal::new(HashMap::new()),
            evicted: RwSignal::new(None),
            details: RwSignal::new(None),
            editing: RwSignal::new(None),
            replying: RwSignal::new(HashMap::new()),
            dialog: RwSignal::new(None),
            jump: RwSignal::new(None),
            highlight: RwSignal::new(None),
            loading_newer: RwSignal::new(false),
            emoji: RwSignal::new(EmojiCatalog::NotLoaded),
            prefs: RwSignal::new(Prefs::default()),
            alerts: RwSignal::new(Vec::new()),
            toasts: RwSignal::new(Vec::new()),
            visible: RwSignal::new(true),
            open_request: RwSignal::new(None),
            members_open: RwSignal::new(false),
        }
    }

    pub fn me_id(&self) -> UserId {
        self.me.with_untracked(|u| u.id)
    }

    pub fn refresh_rooms(&self) {
        self.rooms_version.update(|v| *v += 1);
    }

    /// Applies one frame from the server.
    pub fn apply(&self, frame: ServerFrame) -> Option<FollowUp> {
        match frame {
            ServerFrame::Hello { user, online } => {
                self.online.set(online.into_iter().collect());
                // A "stopped" sent while this tab was away never arrives, and the server sends
                // no list of typists: whoever is still typing says so again within seconds.
                if self.typing.with_untracked(|t| !t.is_empty()) {
                    self.typing.set(HashMap::new());
                }
                if self.me.with_untracked(|me| *me != user) {
                    self.me.set(user);
                }
            }
            ServerFrame::ReceiveMessage { seq, message } | ServerFrame::MessageUpdated { seq, message } => {
                return self.apply_change(seq, message)
            }
            ServerFrame::MessageAck { client_id, seq, message } => {
                self.pending.update(|p| p.retain(|m| m.client_id != client_id));
                return self.apply_change(seq, message);
            }
            ServerFrame::Joined { room_id, seq, reset } => return self.joined(room_id, seq, reset),
            ServerFrame::UserTyping { room_id, user, typing } => {
                if user.id != self.me_id() {
                    self.typing_changed(room_id, user, typing, now_ms());
                }
            }
            ServerFrame::UserOnline { user_id, online } => self.online.update(|o| {
                if online {
                    o.insert(user_id);
                } else {
                    o.remove(&user_id);
                }
            }),
            ServerFrame::RoomUpdated { .. } => self.refresh_rooms(),
            ServerFrame::ReadMarker { room_id, user_id, seq } => self.read_marker(room_id, user_id, seq),
            ServerFrame::RoomRemoved { room_id } => self.room_removed(room_id),
            ServerFrame::HistoryPurged { room_id, up_to } => {
                self.timelines.update(|t| {
                    if let Some(tl) = t.get_mut(&room_id) {
                        tl.purge(up_to);
                    }
                });
                // Previews and unread counts may have gone with the messages.
                self.refresh_rooms();
            }
            ServerFrame::Error { code, message, client_id } => {
                let refused_edit = self.edit_sent.with_value(|sent| {
                    sent.as_ref().filter(|(id, _)| Some(id) == client_id.as_ref()).map(|(_, e)| e.clone())
                });
                if let Some(edit) = refused_edit.filter(|e| self.open_room.get_untracked() == Some(e.room)) {
                    self.edit_sent.set_value(None);
                    self.editing.set(Some(edit));
                }
                let unsent =
                    client_id.filter(|id| self.pending.with_untracked(|p| p.iter().any(|m| m.client_id == *id)));
                match unsent {
                    Some(id) => self.pending.update(|p| {
                        if let Some(m) = p.iter_mut().find(|m| m.client_id == id) {
                            let retry = crate::AppError::is_transient_code(&code);
                            m.state = SendState::Failed { why: message, retry };
                        }
                    }),
                    // An edit, a deletion or a reaction that was refused (their request ids
                    // match no message in the outbox), or a problem with no request: the
                    // reader must hear of it. Only a stray "not found" about a room left
                    // behind is not worth saying.
                    None if code != "not_found" || self.open_room.get_untracked().is_some() => {
                        self.notice.set(Some(message))
                    }
                    None => {}
                }
            }
            ServerFrame::Pong => {}
        }
        None
    }

    /// `user` started (or refreshed) or stopped typing in `room`, as of `now`.
    fn typing_changed(&self, room: RoomId, user: User, typing: bool, now: Millis) {
        let until = now + TYPING_TTL_MS as Millis;
        self.typing.update(|t| {
            let list = t.entry(room).or_default();
            match list.iter().position(|t| t.user.id == user.id) {
                // A refresh keeps its place: the names shown do not swap every few seconds.
                Some(i) if typing => list[i] = Typist { user, until },
                Some(i) => {
                    list.remove(i);
                }
                None if typing => list.push(Typist { user, until }),
                None => {}
            }
        });
        if typing {
            self.schedule_typing_sweep();
        }
    }

    /// Drops the typists whose indicator has lapsed by `now`.
    pub fn expire_typing(&self, now: Millis) {
        if self.typing.with_untracked(|t| t.values().flatten().any(|t| t.until <= now)) {
            self.typing.update(|t| {
                t.retain(|_, list| {
                    list.retain(|t| t.until > now);
                    !list.is_empty()
                })
            });
        }
    }

    /// Makes sure a sweep runs when the first typist held lapses, unless one is already due;
    /// each sweep schedules the next while anyone is typing.
    fn schedule_typing_sweep(&self) {
        #[cfg(feature = "hydrate")]
        {
            if self.typing_sweep.get_value() {
                return;
            }
            let Some(next) = self.typing.with_untracked(|t| t.values().flatten().map(|t| t.until).min()) else {
                return;
            };
            self.typing_sweep.set_value(true);
            let store = *self;
            let wait = std::time::Duration::from_millis((next - now_ms()).max(0) as u64);
            set_timeout(
                move || {
                    // The chat screen may be gone by then.
                    if store.typing_sweep.try_update_value(|due| *due = false).is_some() {
                        store.expire_typing(now_ms());
                        store.schedule_typing_sweep();
                    }
                },
                wait,
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = self.typing_sweep;
    }

    /// A change to a message, live or catch-up: into its timeline (if loaded) and the room list.
    fn apply_change(&self, seq: Seq, message: Message) -> Option<FollowUp> {
        let room = message.room_id;
        // Whether the copy held before this change mentioned me, if one is held: an edit that
        // adds a mention is news, one that keeps it is not.
        let was_mentioned = self
            .timelines
            .with_untracked(|t| t.get(&room).and_then(|tl| tl.get(message.id)).map(|m| m.mentions_user(self.me_id())));
        // My upload's message, from the socket before (or instead of) the upload's answer.
        if let Some(id) = message.client_id.as_deref().filter(|_| message.sender_id == self.me_id()) {
            if self.uploads.with_untracked(|u| u.iter().any(|u| u.client_id == id)) {
                self.uploads.update(|u| u.retain(|u| u.client_id != id));
            }
        }
        let mut since = None;
        // New messages push the oldest out of the window, unless the reader is up there.
        let top_out_of_sight = self.open_room.get_untracked() != Some(room) || self.at_bottom.get_untracked();
        self.timelines.update(|t| {
            if let Some(tl) = t.get_mut(&room) {
                since = tl.apply(seq, message.clone());
                if top_out_of_sight {
                    tl.keep_newest(WINDOW);
                }
            }
        });
        // Someone who sent a message has stopped typing.
        if message.seq == seq {
            self.typing.update(|t| {
                if let Some(list) = t.get_mut(&room) {
                    list.retain(|t| t.user.id != message.sender_id);
                }
            });
        }
        let me = self.me_id();
        let reading = self.open_room.get_untracked() == Some(room)
            && self.at_bottom.get_untracked()
            && self.visible.get_untracked()
            && {
                // A detached timeline's bottom is not the room's newest message.
                self.timelines.with_untracked(|t| t.get(&room).is_some_and(|tl| !tl.has_more_after))
            };
        let mut known = false;
        let mut recount = false;
        let mut alert = None;
        let prefs = self.prefs.get_untracked();
        self.rooms.update(|rooms| {
            if let Some(i) = rooms.iter().position(|s| s.room.id == room) {
                known = true;
                let noted = note_change(&mut rooms[i], seq, &message, me, reading, was_mentioned);
                recount = noted.recount;
                if noted.unread && alerts(&rooms[i], prefs.notify, &message, me, now_ms()) {
                    alert = Some(Alert {
                        room,
                        room_title: rooms[i].title.clone(),
                        private: rooms[i].room.kind == RoomKind::Private,
                        message: message.clone(),
                    });
                }
                if noted.created {
                    let summary = rooms.remove(i);
                    rooms.insert(0, summary);
                }
            }
        });
        if !known || recount {
            self.refresh_rooms();
        }
        if let Some(alert) = alert {
            self.alerts.update(|a| a.push(alert));
        }
        since.map(|since| FollowUp::CatchUp { room, since })
    }

    fn joined(&self, room: RoomId, seq: Seq, reset: bool) -> Option<FollowUp> {
        let mut follow_up = None;
        self.timelines.update(|t| {
            let Some(tl) = t.get_mut(&room) else { return };
            follow_up = if reset {
                // Nothing more is asked for until the reloaded page is in.
                tl.begin_catch_up();
                Some(FollowUp::Reload(room))
            } else {
                tl.joined(seq).map(|since| FollowUp::CatchUp { room, since })
            };
        });
        follow_up
    }

    /// The room list as fetched. Changes may have come live while it was on its way: a room
    /// followed here past the list's `last_seq` keeps what they told (see [`keep_live`]). And a
    /// read this tab reported may not have reached the server when it counted: a room read here
    /// up to its newest message stays read.
    pub fn set_rooms(&self, mut fetched: Vec<RoomSummary>) {
        for s in &fetched {
            self.confirm_read(s.room.id, s.last_read_seq);
        }
        let mut kept = false;
        self.rooms.with_untracked(|held| {
            let held: HashMap<RoomId, &RoomSummary> = held.iter().map(|h| (h.room.id, h)).collect();
            for s in &mut fetched {
                if let Some(h) = held.get(&s.room.id).filter(|h| h.last_seq > s.last_seq) {
                    keep_live(s, h);
                    kept = true;
                }
            }
        });
        if kept {
            // Most recent activity first, as the server orders the list.
            fetched.sort_by_key(|s| {
                std::cmp::Reverse(
                    s.last_message.as_ref().map_or(s.room.updated_at, |m| m.created_at.max(s.room.updated_at)),
                )
            });
        }
        self.read_sent.with_untracked(|sent| {
            for s in &mut fetched {
                if let Some(&seq) = sent.get(&s.room.id).filter(|&&seq| seq >= s.last_seq && seq > s.last_read_seq) {
                    s.last_read_seq = seq;
                    s.unread = 0;
                    s.unread_mentions = 0;
                }
            }
        });
        self.rooms.set(fetched);
    }

    /// The open room's details as fetched. Read markers only move forward, and a live one may
    /// have come after the fetch was answered: a marker the store already holds further on is
    /// kept, or a refetch (any change to the room list asks for one) would take a receipt back.
    pub fn set_details(&self, mut fetched: Option<RoomDetails>) {
        if let Some(fresh) = fetched.as_mut() {
            self.details.with_untracked(|held| {
                let Some(held) = held.as_ref().filter(|h| h.summary.room.id == fresh.summary.room.id) else { return };
                for p in &mut fresh.participants {
                    if let Some(h) = held.participants.iter().find(|h| h.user.id == p.user.id) {
                        p.last_read_seq = p.last_read_seq.max(h.last_read_seq);
                    }
                }
            });
        }
        self.details.set(fetched);
    }

    /// A member read up to `seq`: their receipt moves; my own marker (another tab) clears my
    /// badges, as the server recounts them.
    fn read_marker(&self, room: RoomId, user: UserId, seq: Seq) {
        if user == self.me_id() {
            self.confirm_read(room, seq);
            // This tab's own report coming back has nothing to tell: its badges are cleared
            // already. Refetching the room list for it would cost a request per message read.
            if Some(seq) > self.read_known(room) {
                self.refresh_rooms();
            }
            return;
        }
        self.details.update(|d| {
            if let Some(p) = d
                .as_mut()
                .filter(|d| d.summary.room.id == room)
                .and_then(|d| d.participants.iter_mut().find(|p| p.user.id == user))
            {
                p.last_read_seq = p.last_read_seq.max(seq);
            }
        });
    }

    /// The names of the other members who have read `message` (their read marker is at or past
    /// it), in the order they joined.
    pub fn seen_by(&self, room: RoomId, message: &Message) -> Vec<String> {
        let me = self.me_id();
        self.details_of(room, |d| {
            d.participants
                .iter()
                .filter(|p| p.user.id != me && p.last_read_seq >= message.seq)
                .map(|p| p.user.display_name.clone())
                .collect()
        })
        .unwrap_or_default()
    }

    /// Whether a user is online, as far as this tab knows: `None` while it is disconnected (its
    /// last news may be stale).
    pub fn presence(&self, user: UserId) -> Option<bool> {
        (self.connection.get() == Connection::Online).then(|| self.online.with(|o| o.contains(&user)))
    }

    /// Mutes that have run out by `now` end: the room's badge and the title's count show it
    /// again without waiting for its next message.
    pub fn expire_mutes(&self, now: Millis) {
        let ended = |s: &RoomSummary| s.muted_until.is_some_and(|until| until <= now);
        if self.rooms.with_untracked(|r| r.iter().any(ended)) {
            self.rooms.update(|r| r.iter_mut().filter(|s| ended(s)).for_each(|s| s.muted_until = None));
        }
    }

    /// When the next mute that will run out does (not one "until I unmute").
    pub fn next_mute_end(&self, now: Millis) -> Option<Millis> {
        self.rooms.with(|r| {
            r.iter()
                .filter_map(|s| s.muted_until)
                .filter(|&until| until > now && until != crate::types::MUTED_FOREVER)
                .min()
        })
    }

    /// Unread messages in rooms that are not muted: the count in the tab's title and icon.
    pub fn unread_unmuted(&self) -> i64 {
        let now = now_ms();
        self.rooms.with(|r| r.iter().filter(|s| !s.is_muted(now)).map(|s| s.unread).sum())
    }

    fn room_removed(&self, room: RoomId) {
        self.rooms.update(|r| r.retain(|s| s.room.id != room));
        self.read_unconfirmed.update(|r| {
            r.remove(&room);
        });
        self.timelines.update(|t| {
            t.remove(&room);
        });
        self.pending.update(|p| p.retain(|m| m.room_id != room));
        self.uploads.update(|u| u.retain(|u| u.room != room));
        self.typing.update(|t| {
            t.remove(&room);
        });
        if self.open_room.get_untracked() == Some(room) {
            self.evicted.set(Some(room));
        }
    }

    /// Installs a room's newest page as its whole timeline (on opening it, or after a reset).
    pub fn replace_timeline(&self, room: RoomId, page: MessagePage) {
        self.timelines.update(|t| {
            t.insert(room, Timeline::from_page(page));
        });
    }

    /// After a reconnect: catch-up requests sent on the old connection will never be answered.
    pub fn forget_catch_ups(&self) {
        self.timelines.update(|t| t.values_mut().for_each(Timeline::forget_catch_up));
    }

    /// The room's page could not be loaded (after a reset, say): nothing is on its way, so the
    /// room's next gap asks again rather than waiting for it.
    pub fn forget_catch_up(&self, room: RoomId) {
        self.timelines.update(|t| {
            if let Some(tl) = t.get_mut(&room) {
                tl.forget_catch_up();
            }
        });
    }

    /// Messages of a room on screen: confirmed ones in id order.
    #[cfg(test)]
    pub fn messages(&self, room: RoomId) -> Vec<Message> {
        self.timelines.with(|t| t.get(&room).map(|tl| tl.messages.clone()).unwrap_or_default())
    }

    pub fn pending_in(&self, room: RoomId) -> Vec<Pending> {
        self.pending.with(|p| p.iter().filter(|m| m.room_id == room).cloned().collect())
    }

    pub fn attached_in(&self, room: RoomId) -> Vec<Attached> {
        self.attached.with(|a| a.iter().filter(|f| f.room == room).cloned().collect())
    }

    /// The keys of the room's uploads, in the order they started.
    pub fn uploads_in(&self, room: RoomId) -> Vec<(String, bool)> {
        self.uploads.with(|u| u.iter().filter(|u| u.room == room).map(|u| (u.client_id.clone(), u.failed())).collect())
    }

    /// Changes one upload, if it is still there (it may have been cancelled, or its message
    /// may have come in).
    pub fn update_upload(&self, client_id: &str, change: impl FnOnce(&mut Upload)) {
        self.uploads.try_update(|all| {
            if let Some(u) = all.iter_mut().find(|u| u.client_id == client_id) {
                change(u);
            }
        });
    }

    /// An upload's answer: its message replaces its row.
    pub fn uploaded(&self, client_id: &str, message: Message) {
        self.uploads.try_update(|u| u.retain(|u| u.client_id != client_id));
        self.timelines.try_update(|t| {
            if let Some(tl) = t.get_mut(&message.room_id) {
                tl.show(message);
            }
        });
    }

    /// The room's applied seq, if it is ahead of every read marker known: what to report.
    /// Nothing while the timeline is detached: its newest messages are not on screen.
    pub fn unreported_read(&self, room: RoomId) -> Option<Seq> {
        let seq = self.timelines.with_untracked(|t| t.get(&room).filter(|tl| !tl.has_more_after).map(|tl| tl.seq))?;
        (Some(seq) > self.read_known(room)).then_some(seq)
    }

    /// How far I have read the room, as far as this tab knows: what it reported, or the marker
    /// the room list came with, whichever is further.
    fn read_known(&self, room: RoomId) -> Option<Seq> {
        let sent = self.read_sent.with_untracked(|r| r.get(&room).copied());
        let marker = self.rooms.with_untracked(|r| r.iter().find(|s| s.room.id == room).map(|s| s.last_read_seq));
        sent.max(marker)
    }

    /// Records a reported read marker and clears the room's badge.
    pub fn record_read(&self, room: RoomId, seq: Seq) {
        self.read_sent.update(|r| {
            r.insert(room, seq);
        });
        self.read_unconfirmed.update(|r| {
            r.insert(room, seq);
        });
        self.rooms.update(|rooms| {
            if let Some(s) = rooms.iter_mut().find(|s| s.room.id == room) {
                s.unread = 0;
                s.unread_mentions = 0;
                s.last_read_seq = s.last_read_seq.max(seq);
            }
        });
    }

    /// An edit went out as request `client_id` (see `edit_sent`).
    pub fn edit_sent(&self, client_id: String, edit: Editing) {
        self.edit_sent.set_value(Some((client_id, edit)));
    }

    /// The server has the room's read marker at `seq`: reports up to there have arrived.
    fn confirm_read(&self, room: RoomId, seq: Seq) {
        if self.read_unconfirmed.with_untracked(|r| r.get(&room).is_some_and(|&sent| sent <= seq)) {
            self.read_unconfirmed.update(|r| {
                r.remove(&room);
            });
        }
    }

    /// The read markers to report again on a new connection (see `read_unconfirmed`), for
    /// rooms I am still in.
    pub fn unconfirmed_reads(&self) -> Vec<(RoomId, Seq)> {
        self.read_unconfirmed.with_untracked(|unconfirmed| {
            self.rooms.with_untracked(|rooms| {
                rooms.iter().filter_map(|s| unconfirmed.get(&s.room.id).map(|&seq| (s.room.id, seq))).collect()
            })
        })
    }

    /// A loaded message of a room, in its current state.
    pub fn message(&self, room: RoomId, id: MessageId) -> Option<Message> {
        self.timelines.with_untracked(|t| t.get(&room).and_then(|tl| tl.get(id)).cloned())
    }

    /// Whether `room`'s loaded window ends before its newest message.
    pub fn detached(&self, room: RoomId) -> bool {
        self.timelines.with(|t| t.get(&room).is_some_and(|tl| tl.has_more_after))
    }

    /// The open room's details, if they are for `room`.
    fn details_of<T>(&self, room: RoomId, f: impl FnOnce(&RoomDetails) -> T) -> Option<T> {
        self.details.with(|d| d.as_ref().filter(|d| d.summary.room.id == room).map(f))
    }

    /// Owners and admins of a group delete anyone's messages and may mention `@room`.
    pub fn moderates(&self, room: RoomId) -> bool {
        self.details_of(room, |d| d.summary.room.kind == RoomKind::Group && d.my_role.can_manage()) == Some(true)
    }

    /// The people of the open room, for `@` autocomplete (empty until its details are in).
    pub fn members(&self, room: RoomId) -> Vec<User> {
        self.details_of(room, |d| d.participants.iter().map(|p| p.user.clone()).collect()).unwrap_or_default()
    }

    /// My newest message in the room that can still be edited (not deleted, not a system line):
    /// what Up in an empty composer edits.
    pub fn last_editable(&self, room: RoomId) -> Option<Message> {
        let me = self.me_id();
        self.timelines.with_untracked(|t| {
            t.get(&room)?
                .messages
                .iter()
                .rev()
                .find(|m| m.sender_id == me && !m.is_deleted() && m.system.is_none())
                .cloned()
        })
    }
}

/// What folding a change into a room's summary found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Noted {
    /// A message the summary did not know was created (the room moves to the top).
    created: bool,
    /// It is a new unread message (not mine, not a system line, not being read).
    unread: bool,
    /// The unread-mention count can no longer be kept here: fetch the room list again.
    recount: bool,
}

/// Whether a new unread message in this room should get my attention: the room is not muted
/// and its level (or my default) covers the message.
pub fn alerts(summary: &RoomSummary, default: NotifyLevel, message: &Message, me: UserId, now: Millis) -> bool {
    !summary.is_muted(now) && summary.notify.unwrap_or(default).notifies(message.mentions_user(me))
}

/// The time now, in the browser's or the server's clock.
pub fn now_ms() -> Millis {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as Millis
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or_default()
    }
}

/// Folds into a fetched summary what the store learnt after the server counted it (`held` has
/// followed the room further): its newest message and its counts. Not the counts if a read
/// elsewhere moved the marker past the one held: those held count messages read since.
fn keep_live(fetched: &mut RoomSummary, held: &RoomSummary) {
    fetched.last_seq = held.last_seq;
    let newer = |m: &Message, than: &Message| (m.id, m.change_seq) > (than.id, than.change_seq);
    if let Some(m) = held.last_message.as_ref().filter(|m| fetched.last_message.as_ref().is_none_or(|f| newer(m, f))) {
        fetched.last_message = Some(m.clone());
    }
    if held.last_read_seq >= fetched.last_read_seq {
        fetched.last_read_seq = held.last_read_seq;
        fetched.unread = held.unread;
        fetched.unread_mentions = held.unread_mentions;
    }
}

/// Folds one change into a room's summary (see [`Noted`]).
///
/// A message is new only if it was created after both the summary's `last_seq` (what the
/// server had counted when it listed the room) and the read marker; `last_seq` then follows
/// every change, so a duplicate or an edit of a known message is never counted twice. The
/// price: a creation delivered after a later change (catch-up filling a gap) is not counted
/// until the room list is fetched again. System lines, tombstones and my own messages are
/// never unread.
///
/// A change mentioning me counts as an unread mention when it creates the message, or when
/// it is an edit news to the summary (after `last_seq`) that added the mention: `was_mentioned`
/// says whether the copy held before did. With no copy held, only the server can tell, and the
/// room list is fetched again.
///
/// A change that deletes an unread message takes it out of the counts, but whether it was
/// counted here (see above), and as a mention, is not known: the room list is fetched again.
fn note_change(
    summary: &mut RoomSummary,
    seq: Seq,
    message: &Message,
    me: UserId,
    reading: bool,
    was_mentioned: Option<bool>,
) -> Noted {
    let known_up_to = summary.last_seq.max(summary.last_read_seq);
    let created = message.seq > known_up_to;
    summary.last_seq = summary.last_seq.max(seq);
    let latest = summary
        .last_message
        .as_ref()
        .is_none_or(|m| m.id < message.id || (m.id == message.id && m.change_seq < message.change_seq));
    if latest {
        summary.last_message = Some(message.clone());
    }
    let counts = message.sender_id != me && message.system.is_none() && message.deleted_at.is_none();
    let unread = created && counts && !reading;
    if unread {
        summary.unread += 1;
    }
    let news = seq > known_up_to;
    let mut recount = message.is_deleted()
        && !created
        && news
        && message.seq > summary.last_read_seq
        && message.sender_id != me
        && message.system.is_none()
        && summary.unread > 0;
    if counts && !reading && message.mentions_user(me) {
        if created {
            summary.unread_mentions += 1;
        } else if news {
            match was_mentioned {
                Some(false) => summary.unread_mentions += 1,
                Some(true) => {}
                None => recount = true,
            }
        }
    }
    Noted { created, unread, recount }
}

pub fn use_chat() -> ChatStore {
    expect_context::<ChatStore>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        state::{timeline::tests::msg, upload::Attached},
        types::{Room, RoomKind, SystemEvent},
    };

    const ME: UserId = UserId(1);

    fn summary(last_seq: i64, last_read_seq: i64) -> RoomSummary {
        RoomSummary {
            room: Room { id: RoomId(1), name: None, kind: RoomKind::Group, created_at: 0, updated_at: 0 },
            title: "Team".into(),
            peer: None,
            last_message: None,
            unread: 0,
            unread_mentions: 0,
            last_seq: Seq(last_seq),
            last_read_seq: Seq(last_read_seq),
            notify: None,
            muted_until: None,
        }
    }

    fn store() -> ChatStore {
        let me = User { id: ME, username: "me".into(), display_name: "Me".into() };
        let store = ChatStore::for_page(me, Signal::stored(Locale::en), RwSignal::new(0), RwSignal::new(None));
        store.rooms.set(vec![summary(2, 2)]);
        store
    }

    /// Unread messages in every room, muted or not.
    fn total_unread(store: &ChatStore) -> i64 {
        store.rooms.with_untracked(|r| r.iter().map(|s| s.unread).sum())
    }

    fn receive(m: Message) -> ServerFrame {
        ServerFrame::ReceiveMessage { seq: m.change_seq, message: m }
    }

    #[test]
    fn the_greeting_carries_my_profile_as_it_is_now() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        assert_eq!(store.me.with_untracked(|u| u.display_name.clone()), "Me");
        let renamed = User { id: ME, username: "me".into(), display_name: "Sea Breeze".into() };
        store.apply(ServerFrame::Hello { user: renamed.clone(), online: vec![UserId(2)] });
        assert_eq!(store.me.get_untracked(), renamed);
        assert!(store.online.with_untracked(|o| o.contains(&UserId(2))));
    }

    fn person(id: i64, name: &str) -> User {
        User { id: UserId(id), username: name.to_lowercase(), display_name: name.into() }
    }

    /// Who the room shows as typing.
    fn typists(store: &ChatStore) -> Vec<String> {
        store.typing.with_untracked(|t| {
            t.get(&RoomId(1)).map(|l| l.iter().map(|t| t.user.display_name.clone()).collect()).unwrap_or_default()
        })
    }

    #[test]
    fn typing_ends_with_a_new_connection_or_when_not_refreshed() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        let (bob, alice) = (person(2, "Bob"), person(3, "Alice"));
        store.apply(ServerFrame::UserTyping { room_id: RoomId(1), user: bob.clone(), typing: true });
        assert_eq!(typists(&store), ["Bob"]);
        store.apply(ServerFrame::Hello { user: store.me.get_untracked(), online: vec![] });
        assert!(typists(&store).is_empty(), "its \"stopped\" may have been sent while this tab was away");

        let ttl = TYPING_TTL_MS as Millis;
        store.typing_changed(RoomId(1), bob.clone(), true, 1_000);
        store.typing_changed(RoomId(1), alice, true, 2_000);
        store.typing_changed(RoomId(1), bob, true, 3_000);
        store.expire_typing(1_000 + ttl);
        assert_eq!(typists(&store), ["Bob", "Alice"], "refreshed in place");
        store.expire_typing(2_000 + ttl);
        assert_eq!(typists(&store), ["Bob"], "Alice's stop was lost");
        store.expire_typing(3_000 + ttl);
        assert!(store.typing.with_untracked(HashMap::is_empty));
    }

    #[test]
    fn deleting_an_unread_message_has_the_counts_fetched_again() {
        let mut s = RoomSummary { unread: 1, ..summary(5, 3) };
        let gone = |created: i64, seq: i64| Message { deleted_at: Some(seq), change_seq: Seq(seq), ..msg(created) };
        assert!(!note_change(&mut s, Seq(6), &gone(2, 6), ME, false, None).recount, "read already");
        let mine = Message { sender_id: ME, ..gone(5, 7) };
        assert!(!note_change(&mut s, Seq(7), &mine, ME, false, None).recount, "mine never counted");
        assert!(note_change(&mut s, Seq(8), &gone(4, 8), ME, false, None).recount);
        assert!(!note_change(&mut s, Seq(8), &gone(4, 8), ME, false, None).recount, "a duplicate");
        assert!(!note_change(&mut s, Seq(10), &gone(9, 10), ME, false, None).recount, "never counted: new to it");

        let owner = Owner::new();
        owner.set();
        let store = store();
        store.apply(receive(mentioning(msg(3))));
        assert_eq!(store.rooms.with_untracked(|r| (r[0].unread, r[0].unread_mentions)), (1, 1));
        let version = store.rooms_version.get_untracked();
        store.apply(ServerFrame::MessageUpdated { seq: Seq(4), message: gone(3, 4) });
        assert_eq!(store.rooms_version.get_untracked(), version + 1, "the badge and the @ are counted again");
    }

    #[test]
    fn a_read_report_is_sent_again_until_the_server_has_it() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.record_read(RoomId(1), Seq(3));
        assert_eq!(store.unconfirmed_reads(), [(RoomId(1), Seq(3))]);
        store.apply(ServerFrame::ReadMarker { room_id: RoomId(1), user_id: ME, seq: Seq(2) });
        assert_eq!(store.unconfirmed_reads(), [(RoomId(1), Seq(3))], "another tab's older report");
        store.apply(ServerFrame::ReadMarker { room_id: RoomId(1), user_id: ME, seq: Seq(3) });
        assert!(store.unconfirmed_reads().is_empty());
        store.record_read(RoomId(1), Seq(4));
        store.set_rooms(vec![summary(4, 3)]);
        assert_eq!(store.unconfirmed_reads(), [(RoomId(1), Seq(4))], "counted before the report arrived");
        store.set_rooms(vec![summary(4, 4)]);
        assert!(store.unconfirmed_reads().is_empty());
        store.record_read(RoomId(1), Seq(5));
        store.apply(ServerFrame::RoomRemoved { room_id: RoomId(1) });
        assert!(store.unconfirmed_reads().is_empty(), "no longer mine to report");
    }

    /// Room 1 holds up to seq 2 when the server says it is too far behind to catch up.
    fn reset_far_behind(store: &ChatStore) {
        store.replace_timeline(
            RoomId(1),
            MessagePage { messages: vec![msg(2)], has_more: false, has_more_after: false, seq: Seq(2) },
        );
        let reset = ServerFrame::Joined { room_id: RoomId(1), seq: Seq(3000), reset: true };
        assert_eq!(store.apply(reset), Some(FollowUp::Reload(RoomId(1))));
    }

    #[test]
    fn a_reload_that_failed_lets_the_next_gap_ask_again() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        reset_far_behind(&store);
        assert_eq!(store.apply(receive(msg(3001))), None, "the reload is on its way");
        store.forget_catch_up(RoomId(1));
        assert_eq!(store.apply(receive(msg(3002))), Some(FollowUp::CatchUp { room: RoomId(1), since: Seq(2) }));
    }

    #[test]
    fn a_room_list_fetched_before_live_changes_keeps_them() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        let other = |last: i64| RoomSummary {
            room: Room { id: RoomId(2), ..summary(0, 0).room },
            last_message: Some(Message { room_id: RoomId(2), ..msg(last) }),
            ..summary(last, last)
        };
        store.rooms.set(vec![other(2), summary(2, 2)]);
        store.apply(receive(mentioning(msg(3))));
        // Counted before message 3: room 2 was the latest then.
        store.set_rooms(vec![other(2), summary(2, 2)]);
        let held = store.rooms.with_untracked(|r| {
            let s = &r[0];
            (s.room.id, s.last_seq, s.unread, s.unread_mentions, s.last_message.as_ref().map(|m| m.seq))
        });
        assert_eq!(held, (RoomId(1), Seq(3), 1, 1, Some(Seq(3))));
        // A list counted after it is taken as it is.
        store.set_rooms(vec![other(2), RoomSummary { unread: 5, ..summary(3, 2) }]);
        assert_eq!(store.rooms.with_untracked(|r| (r[1].room.id, r[1].unread)), (RoomId(1), 5));
    }

    #[test]
    fn unread_counts_each_new_message_once() {
        let mut s = summary(5, 3);
        assert!(!note_change(&mut s, Seq(4), &msg(4), ME, false, None).created, "counted by the server already");
        assert!(note_change(&mut s, Seq(6), &msg(6), ME, false, None).created);
        assert!(!note_change(&mut s, Seq(6), &msg(6), ME, false, None).created, "a duplicate frame");
        let edit = Message { change_seq: Seq(7), content: "edited".into(), ..msg(6) };
        assert!(!note_change(&mut s, Seq(7), &edit, ME, false, None).created, "an edit is not a new message");
        assert_eq!(s.unread, 1);
        assert_eq!(s.last_seq, Seq(7));
        assert_eq!(s.last_message.as_ref().map(|m| m.content.as_str()), Some("edited"));
    }

    #[test]
    fn system_lines_my_messages_and_the_room_being_read_add_no_unread() {
        let mut s = summary(0, 0);
        let system = Message { system: Some(SystemEvent::MemberLeft), ..msg(1) };
        assert!(note_change(&mut s, Seq(1), &system, ME, false, None).created);
        assert!(note_change(&mut s, Seq(2), &Message { sender_id: ME, ..msg(2) }, ME, false, None).created);
        assert!(note_change(&mut s, Seq(3), &msg(3), ME, true, None).created);
        assert_eq!(s.unread, 0);
        assert_eq!(s.last_message.as_ref().map(|m| m.preview(Locale::en)), Some("m3".into()));
    }

    #[test]
    fn a_gap_in_a_loaded_room_asks_for_catch_up_once() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.replace_timeline(
            RoomId(1),
            MessagePage { messages: vec![msg(1), msg(2)], has_more: false, has_more_after: false, seq: Seq(2) },
        );
        assert_eq!(store.apply(receive(msg(3))), None);
        assert_eq!(store.apply(receive(msg(5))), Some(FollowUp::CatchUp { room: RoomId(1), since: Seq(3) }));
        assert_eq!(store.apply(receive(msg(6))), None);
        assert_eq!(store.apply(receive(msg(4))), None);
        assert_eq!(store.apply(ServerFrame::Joined { room_id: RoomId(1), seq: Seq(6), reset: false }), None);
        assert_eq!(store.unreported_read(RoomId(1)), Some(Seq(6)));
        assert_eq!(store.messages(RoomId(1)).len(), 6);
        // 4 came after 6 had moved `last_seq` on: not counted (the next room list recounts).
        assert_eq!(total_unread(&store), 3);
        store.record_read(RoomId(1), Seq(6));
        assert_eq!((total_unread(&store), store.unreported_read(RoomId(1))), (0, None));
    }

    #[test]
    fn new_messages_push_the_oldest_out_of_the_window_unless_the_reader_is_up_there() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        let full: Vec<Message> = (1..=WINDOW as i64).map(msg).collect();
        store.replace_timeline(
            RoomId(1),
            MessagePage { messages: full, has_more: false, has_more_after: false, seq: Seq(WINDOW as i64) },
        );
        store.open_room.set(Some(RoomId(1)));
        store.at_bottom.set(false);
        let next = WINDOW as i64 + 1;
        store.apply(receive(msg(next)));
        assert_eq!(store.messages(RoomId(1)).len(), WINDOW + 1, "reading up there: nothing leaves");
        store.at_bottom.set(true);
        store.apply(receive(msg(next + 1)));
        let held = store.messages(RoomId(1));
        assert_eq!(held.len(), WINDOW);
        assert_eq!(held.first().map(|m| m.seq), Some(Seq(3)));
        assert!(store.timelines.with_untracked(|t| t[&RoomId(1)].has_more_before), "the oldest come back as a page");
        store.open_room.set(Some(RoomId(2)));
        store.at_bottom.set(false);
        store.apply(receive(msg(next + 2)));
        assert_eq!(store.messages(RoomId(1)).len(), WINDOW, "a room not open keeps its window too");
    }

    #[test]
    fn purged_history_leaves_the_room_and_the_list_is_asked_again() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.replace_timeline(
            RoomId(1),
            MessagePage { messages: vec![msg(1), msg(2), msg(3)], has_more: false, has_more_after: false, seq: Seq(3) },
        );
        let version = store.rooms_version.get_untracked();
        assert_eq!(store.apply(ServerFrame::HistoryPurged { room_id: RoomId(1), up_to: Seq(2) }), None);
        let left: Vec<Seq> = store.messages(RoomId(1)).iter().map(|m| m.seq).collect();
        assert_eq!(left, vec![Seq(3)]);
        assert_eq!(store.rooms_version.get_untracked(), version + 1, "previews and counts may have changed");
        assert_eq!(store.apply(receive(msg(4))), None, "no gap: removing history takes no seq");
    }

    #[test]
    fn a_reset_asks_for_a_reload_and_nothing_else_until_it_is_in() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        reset_far_behind(&store);
        assert_eq!(store.apply(receive(msg(3001))), None, "no catch-up while reloading");
        store.replace_timeline(
            RoomId(1),
            MessagePage { messages: vec![msg(3001)], has_more: true, has_more_after: false, seq: Seq(3001) },
        );
        assert_eq!(store.messages(RoomId(1)), [msg(3001)]);
        assert_eq!(store.apply(receive(msg(3002))), None);
        assert_eq!(store.unreported_read(RoomId(1)), Some(Seq(3002)));
    }

    #[test]
    fn leaving_the_open_room_drops_its_timeline_and_evicts_the_reader() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.replace_timeline(
            RoomId(1),
            MessagePage { messages: vec![msg(2)], has_more: false, has_more_after: false, seq: Seq(2) },
        );
        store.open_room.set(Some(RoomId(1)));
        store.apply(ServerFrame::RoomRemoved { room_id: RoomId(1) });
        assert!(store.timelines.with_untracked(HashMap::is_empty));
        assert!(store.rooms.with_untracked(Vec::is_empty));
        assert_eq!(store.evicted.get_untracked(), Some(RoomId(1)));
    }

    fn mentioning(m: Message) -> Message {
        Message { mentions: vec![ME], ..m }
    }

    #[test]
    fn new_messages_that_mention_me_count_as_unread_mentions() {
        let mut s = summary(2, 2);
        note_change(&mut s, Seq(3), &mentioning(msg(3)), ME, false, None);
        note_change(&mut s, Seq(3), &mentioning(msg(3)), ME, false, Some(true));
        note_change(&mut s, Seq(4), &Message { mentions_room: true, ..msg(4) }, ME, false, None);
        note_change(&mut s, Seq(5), &msg(5), ME, false, None);
        note_change(&mut s, Seq(6), &Message { sender_id: ME, mentions_room: true, ..msg(6) }, ME, false, None);
        assert_eq!((s.unread, s.unread_mentions), (3, 2), "a duplicate, a plain message, my own @room");
        note_change(&mut s, Seq(7), &mentioning(msg(7)), ME, true, None);
        assert_eq!(s.unread_mentions, 2, "not while reading the room");
    }

    #[test]
    fn an_edit_that_adds_a_mention_counts_once_and_unknown_ones_ask_the_server() {
        let mut s = summary(5, 5);
        let edit = |seq: i64| mentioning(Message { change_seq: Seq(seq), edited_at: Some(seq), ..msg(3) });
        assert_eq!(note_change(&mut s, Seq(6), &edit(6), ME, false, Some(false)), Noted::default());
        assert_eq!(s.unread_mentions, 1);
        note_change(&mut s, Seq(7), &edit(7), ME, false, Some(true));
        assert_eq!(s.unread_mentions, 1, "it mentioned me already");
        note_change(&mut s, Seq(7), &edit(7), ME, false, Some(false));
        assert_eq!(s.unread_mentions, 1, "a change the summary has seen");
        let noted = note_change(&mut s, Seq(8), &edit(8), ME, false, None);
        assert_eq!(noted, Noted { created: false, unread: false, recount: true });
        assert_eq!(s.unread_mentions, 1);
    }

    #[test]
    fn reading_a_room_clears_its_mentions() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.apply(receive(mentioning(msg(3))));
        assert_eq!(store.rooms.with_untracked(|r| r[0].unread_mentions), 1);
        store.record_read(RoomId(1), Seq(3));
        assert_eq!(store.rooms.with_untracked(|r| (r[0].unread, r[0].unread_mentions)), (0, 0));
    }

    #[test]
    fn a_refused_action_is_told_and_a_refused_message_is_marked() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.pending.set(vec![Pending {
            client_id: "c-1".into(),
            room_id: RoomId(1),
            content: "hi".into(),
            reply_to: None,
            state: SendState::Sending,
        }]);
        let error = |client_id: &str| ServerFrame::Error {
            code: "forbidden".into(),
            message: "Too late to edit.".into(),
            client_id: Some(client_id.into()),
        };
        store.apply(error("c-1"));
        let refused = SendState::Failed { why: "Too late to edit.".into(), retry: false };
        assert_eq!(store.pending.with_untracked(|p| p[0].state.clone()), refused);
        assert_eq!(store.notice.get_untracked(), None);
        store.apply(error("c-edit"));
        assert_eq!(store.notice.get_untracked().as_deref(), Some("Too late to edit."));
        // My refused edit comes back into its editor, with the text I wrote.
        store.open_room.set(Some(RoomId(1)));
        let edit = Editing { room: RoomId(1), id: MessageId(1), draft: "better words".into() };
        store.edit_sent("e-1".into(), edit.clone());
        store.apply(error("e-1"));
        assert_eq!(store.editing.get_untracked(), Some(edit));
        // A busy server's refusal can be tried again.
        store.apply(ServerFrame::Error {
            code: "rate_limited".into(),
            message: "Slow down.".into(),
            client_id: Some("c-1".into()),
        });
        let busy = SendState::Failed { why: "Slow down.".into(), retry: true };
        assert_eq!(store.pending.with_untracked(|p| p[0].state.clone()), busy);
    }

    #[test]
    fn a_detached_timeline_reports_no_read_and_counts_what_arrives() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.open_room.set(Some(RoomId(1)));
        store.timelines.update(|t| {
            t.insert(
                RoomId(1),
                Timeline::around(MessagePage {
                    messages: vec![msg(1)],
                    has_more: true,
                    has_more_after: true,
                    seq: Seq(2),
                }),
            );
        });
        store.apply(receive(mentioning(msg(3))));
        assert_eq!(store.unreported_read(RoomId(1)), None);
        assert_eq!(
            store.rooms.with_untracked(|r| (r[0].unread, r[0].unread_mentions)),
            (1, 1),
            "at its bottom, yet unread"
        );
        assert_eq!(store.messages(RoomId(1)).len(), 1);
    }

    fn sending(client_id: &str) -> Upload {
        let attached = Attached { key: client_id.into(), room: RoomId(1), name: "a.png".into(), size: 10, thumb: None };
        Upload::start(attached, String::new())
    }

    #[test]
    fn an_upload_gives_way_to_its_message_from_the_answer_or_the_socket() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.replace_timeline(
            RoomId(1),
            MessagePage { messages: vec![msg(2)], has_more: false, has_more_after: false, seq: Seq(2) },
        );
        store.uploads.set(vec![sending("u-1"), sending("u-2")]);
        let mine = |seq: i64, client_id: &str| Message { sender_id: ME, client_id: Some(client_id.into()), ..msg(seq) };

        // The answer first: shown at once; the socket's copy later changes nothing.
        store.uploaded("u-1", mine(3, "u-1"));
        assert_eq!(store.uploads_in(RoomId(1)), [("u-2".to_string(), false)]);
        assert_eq!(store.messages(RoomId(1)).len(), 2);
        assert_eq!(store.apply(receive(mine(3, "u-1"))), None);
        assert_eq!(store.messages(RoomId(1)).len(), 2);

        // The socket first: the row goes as the message arrives.
        store.update_upload("u-2", |u| u.fail(crate::AppError::Network { message: "lost".into() }));
        assert_eq!(store.uploads_in(RoomId(1)), [("u-2".to_string(), true)]);
        store.apply(receive(mine(4, "u-2")));
        assert!(store.uploads_in(RoomId(1)).is_empty());
        store.uploaded("u-2", mine(4, "u-2"));
        assert_eq!(store.messages(RoomId(1)).len(), 3);
        assert_eq!(store.unreported_read(RoomId(1)), Some(Seq(4)));
    }

    #[test]
    fn levels_and_mutes_decide_which_messages_alert() {
        let now = 1_000_000;
        let mut s = summary(1, 1);
        let plain = msg(2);
        let mention = mentioning(msg(3));
        assert!(alerts(&s, NotifyLevel::All, &plain, ME, now));
        assert!(!alerts(&s, NotifyLevel::Mentions, &plain, ME, now), "my default: mentions only");
        assert!(alerts(&s, NotifyLevel::Mentions, &mention, ME, now));
        s.notify = Some(NotifyLevel::Nothing);
        assert!(!alerts(&s, NotifyLevel::All, &mention, ME, now), "the room's own level wins");
        s.notify = Some(NotifyLevel::All);
        assert!(alerts(&s, NotifyLevel::Nothing, &plain, ME, now));
        s.muted_until = Some(now + 1);
        assert!(!alerts(&s, NotifyLevel::All, &mention, ME, now), "muted");
        s.muted_until = Some(now);
        assert!(alerts(&s, NotifyLevel::All, &plain, ME, now), "the mute has ended");
    }

    #[test]
    fn new_messages_queue_alerts_unless_muted_read_or_mine() {
        let owner = Owner::new();
        owner.set();
        let store = store();
        store.apply(receive(msg(3)));
        store.apply(receive(msg(3)));
        store.apply(receive(Message { sender_id: ME, ..msg(4) }));
        assert_eq!(store.alerts.with_untracked(|a| a.iter().map(|a| a.message.seq).collect::<Vec<_>>()), [Seq(3)]);
        store.alerts.set(Vec::new());
        store.rooms.update(|r| r[0].muted_until = Some(crate::types::MUTED_FOREVER));
        store.apply(receive(mentioning(msg(5))));
        assert!(store.alerts.with_untracked(Vec::is_empty));
        assert_eq!(store.unread_unmuted(), 0, "a muted room's unread count is not in the title");
        assert_eq!(total_unread(&store), 2);
        assert_eq!(store.next_mute_end(0), None, "until I unmute");
        // A mute for an hour ends on its own.
        let end = now_ms() + 3_600_000;
        store.rooms.update(|r| r[0].muted_until = Some(end));
        assert_eq!(store.next_mute_end(end - 1), Some(end));
        store.expire_mutes(end - 1);
        assert_eq!(store.unread_unmuted(), 0);
        store.expire_mutes(end);
        assert_eq!(store.rooms.with_untracked(|r| r[0].muted_until), None);
        assert_eq!(store.unread_unmuted(), 2, "back in the title");
    }

    #[test]
    fn read_markers_of_others_move_their_receipts() {
        use crate::types::{Participant, Role};
        let owner = Owner::new();
        owner.set();
        let store = store();
        let person = |id: i64, name: &str| Participant {
            user: User { id: UserId(id), username: name.into(), display_name: name.into() },
            role: Role::Member,
            joined_at: 0,
            last_read_seq: Seq(1),
        };
        store.details.set(Some(RoomDetails {
            summary: summary(3, 3),
            participants: vec![person(1, "me"), person(2, "Alice"), person(3, "Bob")],
            my_role: Role::Member,
            retention: Default::default(),
        }));
        let mine = Message { sender_id: ME, ..msg(3) };
        assert!(store.seen_by(RoomId(1), &mine).is_empty());
        store.apply(ServerFrame::ReadMarker { room_id: RoomId(1), user_id: UserId(3), seq: Seq(3) });
        store.apply(ServerFrame::ReadMarker { room_id: RoomId(1), user_id: UserId(3), seq: Seq(2) });
        assert_eq!(store.seen_by(RoomId(1), &mine), ["Bob"], "never moves back");
        // A refetch answered with markers from before that frame keeps the later ones.
        store.set_details(Some(RoomDetails {
            summary: summary(3, 3),
            participants: vec![person(1, "me"), person(2, "Alice"), person(3, "Bob")],
            my_role: Role::Member,
            retention: Default::default(),
        }));
        assert_eq!(store.seen_by(RoomId(1), &mine), ["Bob"], "a stale refetch keeps Bob's receipt");
        let version = store.rooms_version.get_untracked();
        store.apply(ServerFrame::ReadMarker { room_id: RoomId(1), user_id: ME, seq: Seq(3) });
        assert_eq!(store.rooms_version.get_untracked(), version + 1, "my own marker: badges are refetched");
        // A list counted before this tab's report reached the server keeps the room read.
        store.record_read(RoomId(1), Seq(3));
        store.set_rooms(vec![RoomSummary { unread: 1, unread_mentions: 1, ..summary(3, 2) }]);
        assert_eq!((total_unread(&store), store.rooms.with_untracked(|r| r[0].last_read_seq)), (0, Seq(3)));
        store.set_rooms(vec![RoomSummary { unread: 1, ..summary(4, 2) }]);
        assert_eq!(total_unread(&store), 1, "a newer message is still news");
        store.record_read(RoomId(1), Seq(4));
        store.apply(ServerFrame::ReadMarker { room_id: RoomId(1), user_id: ME, seq: Seq(4) });
        assert_eq!(store.rooms_version.get_untracked(), version + 1, "this tab's own report: nothing to refetch");
    }
}
