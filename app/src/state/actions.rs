//! What the chat screen does: start and stop the connection, open a room, page back and
//! forth, jump to a message, send, retry, edit, delete, react, report reading, attach and
//! upload files. Each calls the
//! HTTP API and the socket and records the outcome in the store; components call these rather
//! than the socket.

use leptos::{prelude::*, task::spawn_local};

use super::{
    alerts, socket,
    store::{ChatStore, Editing, EmojiCatalog, Pending, SendState},
    timeline::Timeline,
    upload::Upload,
};
#[cfg(feature = "hydrate")]
use super::{transfer, upload::Attached};
use crate::{
    api,
    i18n::td_string,
    protocol::ClientFrame,
    types::{limits::HISTORY_PAGE_DEFAULT, MessageId, MessagePage, RoomId},
};

/// Opens the connection for the chat screen; returns the token for [`disconnect`].
pub fn connect(store: ChatStore) -> u64 {
    socket::connect(store, move |room| spawn_local(load_latest(store, room)))
}

/// Closes the connection opened with this token, unless a newer screen has replaced it.
pub fn disconnect(token: u64) {
    socket::disconnect(token);
}

/// Opens a room: loads its newest page once (unless the server's page came with the HTML),
/// then joins it from the page's seq, so every change made meanwhile arrives as catch-up. A
/// room already loaded catches up from the seq it has applied.
pub fn open_room(store: ChatStore, room: RoomId, rendered: Option<MessagePage>) {
    alerts::dismiss_room(store, room);
    if store.timelines.with_untracked(|t| t.contains_key(&room)) {
        socket::join(&store, room);
    } else if let Some(page) = rendered {
        store.replace_timeline(room, page);
        socket::join(&store, room);
    } else {
        spawn_local(load_latest(store, room));
    }
}

/// Leaves a detached timeline for the room's newest page ("Jump to latest").
pub fn jump_to_latest(store: ChatStore, room: RoomId) {
    store.at_bottom.set(true);
    spawn_local(load_latest(store, room));
}

/// Installs the room's newest page as its timeline (on first opening it, or when its gap was
/// too large to replay) and continues from the page's seq.
async fn load_latest(store: ChatStore, room: RoomId) {
    match api::room_messages(room, None, None, None, Some(HISTORY_PAGE_DEFAULT)).await {
        Ok(page) => {
            store.replace_timeline(room, page);
            socket::join(&store, room);
        }
        Err(e) => {
            // A reset waits for this page: without it, no gap would ask again.
            store.forget_catch_up(room);
            store.notice.set(Some(e.to_string()));
        }
    }
}

/// Loads the page before the oldest message held. `hold` runs just before the merge and what it
/// returns just after: the list keeps the reader's place with them.
pub fn load_older<R: FnOnce() + 'static>(
    store: ChatStore,
    room: RoomId,
    loading: RwSignal<bool>,
    hold: impl FnOnce() -> R + 'static,
) {
    let (more, first) = store
        .timelines
        .with_untracked(|t| t.get(&room).map_or((false, None), |tl| (tl.has_more_before, tl.first_id())));
    let Some(first) = first.filter(|_| more && !loading.get_untracked()) else {
        return;
    };
    loading.set(true);
    spawn_local(async move {
        match api::room_messages(room, Some(first), None, None, Some(HISTORY_PAGE_DEFAULT)).await {
            Ok(page) => {
                let restore = hold();
                store.timelines.update(|t| {
                    // Unless the timeline was replaced meanwhile (a jump): the page would not
                    // adjoin it.
                    if let Some(tl) = t.get_mut(&room).filter(|tl| tl.first_id() == Some(first)) {
                        tl.merge_older(page.messages, page.has_more);
                    }
                });
                restore();
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
        loading.set(false);
    });
}

/// Loads the page after the newest message held, while the timeline is detached from the live
/// end (the reader scrolled down after a jump, or back down from far up). `hold` as for
/// [`load_older`].
pub fn load_newer<R: FnOnce() + 'static>(store: ChatStore, room: RoomId, hold: impl FnOnce() -> R + 'static) {
    let (more, last) =
        store.timelines.with_untracked(|t| t.get(&room).map_or((false, None), |tl| (tl.has_more_after, tl.last_id())));
    let Some(last) = last.filter(|_| more && !store.loading_newer.get_untracked()) else {
        return;
    };
    store.loading_newer.set(true);
    spawn_local(async move {
        match api::room_messages(room, None, Some(last), None, Some(HISTORY_PAGE_DEFAULT)).await {
            Ok(page) => {
                let mut rejoin = false;
                let restore = hold();
                store.timelines.update(|t| {
                    if let Some(tl) = t.get_mut(&room) {
                        rejoin = tl.merge_newer(last, page);
                    }
                });
                restore();
                if rejoin {
                    socket::join(&store, room);
                }
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
        store.loading_newer.set(false);
    });
}

/// Brings a message into view and highlights it (a quote was clicked). One not loaded comes
/// with the page around it, which replaces the timeline (detached from the live end if newer
/// messages exist) and continues from the page's seq. One that is gone (its history removed)
/// leaves the room as it is, and the reader is told.
pub fn jump_to(store: ChatStore, room: RoomId, target: MessageId) {
    if store.message(room, target).is_some() {
        store.at_bottom.set(false);
        store.jump.set(Some(target));
        return;
    }
    spawn_local(async move {
        match api::room_messages(room, None, None, Some(target), Some(HISTORY_PAGE_DEFAULT)).await {
            Ok(page) => {
                if store.open_room.get_untracked() != Some(room) {
                    return;
                }
                let Some(timeline) = Timeline::at(page, target) else {
                    return store.notice.set(Some(message_gone()));
                };
                store.at_bottom.set(false);
                store.timelines.update(|t| {
                    t.insert(room, timeline);
                });
                socket::join(&store, room);
                store.jump.set(Some(target));
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
    });
}

/// Opens a room at a message and highlights it (a search result was chosen); `go` navigates
/// to the room. In the open room this is [`jump_to`]. Another room gets the page around the
/// message installed as its timeline *before* `go`: opening a room that has a timeline only
/// rejoins it, so its newest page never arrives after (and over) the one around the message.
/// The jump is asked for once the room is the open one, after its list has been rebuilt for it.
pub fn open_at(store: ChatStore, room: RoomId, target: MessageId, go: impl FnOnce() + 'static) {
    if store.open_room.get_untracked() == Some(room) {
        jump_to(store, room, target);
        return;
    }
    spawn_local(async move {
        match api::room_messages(room, None, None, Some(target), Some(HISTORY_PAGE_DEFAULT)).await {
            Ok(page) => {
                // Removed since it was found: the room opens as usual, and the reader is told.
                let Some(timeline) = Timeline::at(page, target) else {
                    go();
                    return store.notice.set(Some(message_gone()));
                };
                store.timelines.update(|t| {
                    t.insert(room, timeline);
                });
                if store.open_room.get_untracked() == Some(room) {
                    // The reader went there meanwhile: the room was joined from its old timeline.
                    store.at_bottom.set(false);
                    socket::join(&store, room);
                    store.jump.set(Some(target));
                } else {
                    go();
                    jump_once_open(store, room, target, 120);
                }
            }
            Err(e) => store.notice.set(Some(e.to_string())),
        }
    });
}

/// What the reader is told of a message to jump to that is no longer there: the server's own
/// words for it, which the notice shows in the reader's language.
fn message_gone() -> String {
    crate::AppError::not_found("No such message in this room.").to_string()
}

/// Asks for the jump on the first frame where `room` is open (the route has followed the
/// navigation and the list has been rebuilt for it), giving up after `frames`.
fn jump_once_open(store: ChatStore, room: RoomId, target: MessageId, frames: u8) {
    request_animation_frame(move || {
        match store.open_room.try_get_untracked() {
            Some(Some(open)) if open == room => {
                store.at_bottom.set(false);
                store.jump.set(Some(target));
            }
            // The store is gone (the chat screen was left) or the reader went elsewhere.
            None => {}
            Some(_) if frames > 0 => jump_once_open(store, room, target, frames - 1),
            Some(_) => {}
        }
    });
}

/// Tells the server (and the reader's other tabs) that the open room has been read up to the
/// seq applied here, when the reader can actually see it and the marker would move forward.
pub fn report_read(store: ChatStore, room: RoomId) {
    #[cfg(feature = "hydrate")]
    if document().visibility_state() != web_sys::VisibilityState::Visible {
        return;
    }
    if let Some(seq) = store.unreported_read(room) {
        if socket::send(&ClientFrame::MarkRead { room_id: room, seq }) {
            store.record_read(room, seq);
        }
    }
}

/// Puts a message in the outbox (shown as "sending…") and sends it if connected; offline, it
/// goes out on reconnect.
pub fn send_message(store: ChatStore, room: RoomId, content: String, reply_to: Option<MessageId>) {
    follow_live(store, room);
    let client_id = new_client_id();
    store.pending.update(|p| {
        p.push(Pending {
            client_id: client_id.clone(),
            room_id: room,
            content: content.clone(),
            reply_to,
            state: SendState::Sending,
        })
    });
    socket::send(&ClientFrame::SendMessage { room_id: room, client_id, content, reply_to });
}

/// Someone sending a message wants to see it arrive: a list reading far back (detached from the
/// live end) goes to the latest page first.
fn follow_live(store: ChatStore, room: RoomId) {
    if untrack(|| store.detached(room)) {
        jump_to_latest(store, room);
    }
}

/// Sends a failed message again with its original key, so it is stored at most once.
pub fn retry(store: ChatStore, client_id: &str) {
    store.pending.update(|all| {
        if let Some(m) = all.iter_mut().find(|m| m.client_id == client_id) {
            m.state = SendState::Sending;
        }
    });
    socket::flush_outbox(&store);
}

pub fn discard(store: ChatStore, client_id: &str) {
    store.pending.update(|all| all.retain(|m| m.client_id != client_id));
}

/// Replaces the text of my message. Not applied here: the server's `message_updated` brings
/// it (with its rendering), or an `error` names why not. False when offline (nothing sent).
pub fn edit_message(store: ChatStore, room: RoomId, message_id: MessageId, content: String) -> bool {
    let client_id = new_client_id();
    store.edit_sent(client_id.clone(), Editing { room, id: message_id, draft: content.clone() });
    sent_or_say(store, ClientFrame::EditMessage { room_id: room, message_id, content, client_id: Some(client_id) })
}

/// Deletes a message (the reader has confirmed); the tombstone comes back as a change.
pub fn delete_message(store: ChatStore, room: RoomId, message_id: MessageId) -> bool {
    let client_id = Some(new_client_id());
    sent_or_say(store, ClientFrame::DeleteMessage { room_id: room, message_id, client_id })
}

/// Adds or takes back my reaction: the state wanted, not a toggle, so a repeat is harmless.
pub fn react(store: ChatStore, room: RoomId, message_id: MessageId, emoji: String, add: bool) -> bool {
    let client_id = Some(new_client_id());
    sent_or_say(store, ClientFrame::React { room_id: room, message_id, emoji, add, client_id })
}

/// Sends an action on a message. Unlike a new message it is not kept for later: done offline,
/// it would land long after the reader has moved on, so they are told instead.
fn sent_or_say(store: ChatStore, frame: ClientFrame) -> bool {
    let sent = socket::send(&frame);
    if !sent {
        let text = td_string!(store.locale.get_untracked(), common.chat.offline_try_again);
        store.notice.set(Some(text.to_string()));
    }
    sent
}

/// Adds files to the room's tray (from the picker, a paste or a drop); nothing is sent yet.
#[cfg(feature = "hydrate")]
pub fn attach(store: ChatStore, room: RoomId, files: web_sys::FileList) {
    let added: Vec<Attached> = (0..files.length())
        .filter_map(|i| files.get(i))
        .map(|file| {
            let key = new_client_id();
            let (name, size, thumb) = transfer::hold(&key, file);
            Attached { key, room, name, size, thumb }
        })
        .collect();
    if !added.is_empty() {
        store.attached.update(|a| a.extend(added));
    }
}

/// Takes a file out of the tray.
pub fn detach(store: ChatStore, key: &str) {
    store.attached.update(|a| a.retain(|f| f.key != key));
    #[cfg(feature = "hydrate")]
    transfer::release(key);
}

/// Sends the room's tray: each file is its own upload and message, with its own progress, and
/// the caption goes with the first.
pub fn send_attached(store: ChatStore, room: RoomId, caption: String) {
    follow_live(store, room);
    let mut files = Vec::new();
    store.attached.update(|all| {
        let (chosen, others) = std::mem::take(all).into_iter().partition(|f| f.room == room);
        files = chosen;
        *all = others;
    });
    let mut caption = Some(caption);
    let uploads: Vec<Upload> =
        files.into_iter().map(|f| Upload::start(f, caption.take().unwrap_or_default())).collect();
    store.uploads.update(|u| u.extend(uploads.iter().cloned()));
    #[cfg(feature = "hydrate")]
    transfer::send_in_order(store, uploads);
    #[cfg(not(feature = "hydrate"))]
    let _ = uploads;
}

/// Sends a failed upload again under its first `client_id`: if the first try was stored after
/// all (only its answer was lost), the server answers with that message instead of a second.
pub fn retry_upload(store: ChatStore, client_id: &str) {
    let mut again = None;
    store.uploads.update(|all| {
        if let Some(u) = all.iter_mut().find(|u| u.client_id == client_id) {
            u.retry();
            again = Some(u.clone());
        }
    });
    #[cfg(feature = "hydrate")]
    if let Some(upload) = again {
        transfer::send(store, &upload);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = again;
}

/// Stops an upload under way (Cancel) or forgets a failed one (Discard); the file goes too.
pub fn drop_upload(store: ChatStore, client_id: &str) {
    store.uploads.update(|all| all.retain(|u| u.client_id != client_id));
    #[cfg(feature = "hydrate")]
    transfer::release(client_id);
}

/// Loads the emoji list for the picker, with names in the UI's language: once (again after a
/// failure, or when the language changed since).
pub fn load_emoji(store: ChatStore) {
    let locale = store.locale.get_untracked();
    match store.emoji.get_untracked() {
        EmojiCatalog::Loading => return,
        EmojiCatalog::Loaded(_, loaded) if loaded == locale => return,
        _ => {}
    }
    store.emoji.set(EmojiCatalog::Loading);
    #[cfg(feature = "hydrate")]
    spawn_local(async move {
        store.emoji.set(match fetch_emoji(locale).await {
            Ok(list) => EmojiCatalog::Loaded(std::sync::Arc::new(list), locale),
            Err(e) => EmojiCatalog::Failed(e),
        });
    });
}

/// `GET /api/emoji?lang=…`: a static list the server serves (and the browser caches).
#[cfg(feature = "hydrate")]
async fn fetch_emoji(locale: crate::i18n::Locale) -> Result<Vec<super::store::Emoji>, String> {
    let failed = |e: gloo_net::Error| td_string!(locale, common.chat.emoji_failed, error = e.to_string());
    let url = format!("/api/emoji?lang={}", leptos_i18n::Locale::as_str(locale));
    let response = gloo_net::http::Request::get(&url).send().await.map_err(failed)?;
    if !response.ok() {
        return Err(td_string!(locale, common.chat.emoji_failed_http, status = response.status()));
    }
    response.json().await.map_err(failed)
}

/// Announces that the reader started or stopped typing; lost when offline, which is fine.
pub fn send_typing(room: RoomId, typing: bool) {
    socket::send(&ClientFrame::UserTyping { room_id: room, typing });
}

/// A fresh idempotency key for a message.
fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut buf = [0u8; 12];
        if let Ok(crypto) = window().crypto() {
            let _ = crypto.get_random_values_with_u8_array(&mut buf);
        }
        let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
        format!("c-{}-{hex}", js_sys::Date::now() as u64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        format!("c-server-{}", N.fetch_add(1, Ordering::Relaxed))
    }
}
