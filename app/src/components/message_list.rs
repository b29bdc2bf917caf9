//! The message history of a room: infinite scroll upwards, sticks to the bottom while the reader
//! is there, otherwise counts new messages in a "new messages" pill. Pending messages show
//! "sending…" until acknowledged, and "retry" when they failed; files being sent show their
//! progress below them (see `upload_row`). System lines ("Bob left") sit
//! between messages, centred, and break a sender's group.
//!
//! After a jump to an old message (a quote was clicked) the list is detached from the live end:
//! scrolling down loads newer pages until it catches up, and "Jump to latest" goes straight
//! there. The dialogs about one message (emoji picker, delete, edit history, the lightbox) open
//! from here.

use std::time::Duration;

use leptos::{html, prelude::*};

use super::{
    delete_dialog::DeleteDialog, edit_history_dialog::edit_history_dialog, emoji_picker::emoji_picker,
    lightbox::lightbox, message_item::MessageItem, read_receipt::ReadReceipt, system_line::SystemLine,
    upload_row::UploadRow,
};
use crate::{
    i18n::{t, t_string, use_i18n},
    lazy::view_or_error,
    state::{
        actions::{discard, jump_to_latest, load_newer, load_older, report_read, retry},
        store::{now_ms, use_chat, ChatStore, Connection, MessageDialog, SendState},
    },
    time::use_clock,
    tr,
    types::{Message, MessageId, MessagePage, RoomId, UserId},
};

/// How long a message jumped to stays highlighted.
const HIGHLIGHT_MS: u64 = 2_000;

/// Consecutive messages of one sender within this many ms share a header.
const GROUP_WINDOW_MS: i64 = 5 * 60 * 1000;

#[component]
pub fn MessageList(
    room: Signal<RoomId>,
    /// The room's newest page as the server rendered it: shown until the store holds the
    /// room's timeline, so the server's HTML and the hydrating page agree.
    first_page: Resource<Option<(RoomId, MessagePage)>>,
) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let me = store.me_id();
    let list = NodeRef::<html::Div>::new();
    let loading_older = RwSignal::new(false);
    let unseen = RwSignal::new(0usize);
    let rendered = move |r: RoomId| first_page.get().flatten().filter(|(of, _)| *of == r).map(|(_, page)| page);
    let messages = Memo::new(move |_| {
        let r = room.get();
        store
            .timelines
            .with(|t| t.get(&r).map(|tl| tl.messages.clone()))
            .or_else(|| rendered(r).map(|page| page.messages))
            .unwrap_or_default()
    });
    let pending = Memo::new(move |_| store.pending_in(room.get()));
    let uploads = Memo::new(move |_| store.uploads_in(room.get()));
    // Whether older history exists, once anything is loaded.
    let older = Memo::new(move |_| {
        let r = room.get();
        store
            .timelines
            .with(|t| t.get(&r).map(|tl| tl.has_more_before))
            .or_else(|| rendered(r).map(|page| page.has_more))
    });
    let loaded = Memo::new(move |_| older.get().is_some());
    let has_more = Memo::new(move |_| older.get() == Some(true));
    let detached = Memo::new(move |_| store.detached(room.get()));

    // Scrolls to the bottom next frame, unless the reader has scrolled up meanwhile. Next
    // frame, the list may be gone (another screen, a room that is not there): `try_`.
    let following = StoredValue::new(0u32);
    let scroll_to_bottom = move || {
        following.update_value(|n| *n += 1);
        request_animation_frame(move || {
            following.try_update_value(|n| *n = n.saturating_sub(1));
            if store.at_bottom.try_get_untracked() != Some(true) {
                return;
            }
            if let Some(el) = list.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    };

    // Follow new messages while at the bottom; otherwise count them for the pill (system lines
    // are not news). A detached list keeps the reader's place: what it gains is older history
    // read on purpose, not news.
    Effect::new(move |prev: Option<(RoomId, Option<MessageId>, usize, bool)>| {
        let r = room.get();
        let last = messages.with(|m| m.iter().rev().find(|m| m.system.is_none()).map(|m| m.id));
        let queued = pending.with(Vec::len) + uploads.with(Vec::len);
        let detached_now = detached.get();
        let room_changed = prev.as_ref().map(|p| p.0) != Some(r);
        if room_changed {
            store.at_bottom.set(true);
            unseen.set(0);
        }
        if detached_now {
            unseen.set(0);
        } else if room_changed || store.at_bottom.get_untracked() {
            scroll_to_bottom();
            report_read(store, r);
        } else if last.is_some() && prev.as_ref().is_some_and(|p| !p.3 && p.1 < last) {
            unseen.update(|n| *n += 1);
        }
        (r, last, queued, detached_now)
    });

    // The read is reported once it can be: the room's timeline in and the socket live. A room
    // opened by its URL renders (from the server's page) before either, and when they come its
    // messages are the same, so the effect above does not run again.
    let live_seq = Memo::new(move |_| {
        let r = room.get();
        let online = store.connection.get() == Connection::Online;
        online.then(|| store.timelines.with(|t| t.get(&r).map(|tl| tl.seq))).flatten()
    });
    Effect::new(move || {
        if live_seq.get().is_some() && store.at_bottom.get_untracked() && !detached.get_untracked() {
            report_read(store, room.get_untracked());
        }
    });

    // A jump: once the message is on screen, centre it and highlight it for a moment.
    Effect::new(move || {
        let Some(target) = store.jump.get() else { return };
        messages.track();
        reveal(list, store, target, 10);
    });

    let on_scroll = move |_| {
        // A scroll queued as the list left the page arrives after it is gone.
        let Some(Some(el)) = list.try_get_untracked() else {
            return;
        };
        let r = room.get_untracked();
        let below = el.scroll_height() - el.scroll_top() - el.client_height();
        // The bottom of a detached list is not the room's newest message.
        let detached = detached.get_untracked();
        let at_bottom = below < 48 && !detached;
        // The scroll event of our own scroll to the bottom comes a frame later: rows that came
        // meanwhile (a burst) leave it short of the new bottom, and a scroll to that is queued.
        // Taken as the reader scrolling up, it would stop the list following the room.
        if !at_bottom && !detached && following.get_value() > 0 && store.at_bottom.get_untracked() {
            return;
        }
        if store.at_bottom.get_untracked() != at_bottom {
            store.at_bottom.set(at_bottom);
        }
        if at_bottom {
            unseen.set(0);
            report_read(store, r);
        }
        // A jump under way moves the list itself (a page replaced, then the target centred):
        // that is not the reader asking for more.
        if store.jump.get_untracked().is_some() {
            return;
        }
        if detached && below < 300 {
            load_newer(store, r, move || hold_place(list, Edge::Last));
        }
        if el.scroll_top() < 120 {
            load_older(store, r, loading_older, move || hold_place(list, Edge::First));
        }
    };

    // Each row says whether it starts a sender's group (its header shows) and a day (a divider
    // with the date goes above it), on the reader's wall clock.
    let clock = use_clock();
    let rows = move || {
        let msgs = messages.get();
        let mut prev: Option<(UserId, i64)> = None;
        let mut prev_day: Option<i64> = None;
        msgs.into_iter()
            .map(|m| {
                let day = clock.wall_clock(m.created_at).day_number();
                let first_of_day = prev_day != Some(day);
                prev_day = Some(day);
                let first_of_group =
                    first_of_day || prev.is_none_or(|(s, t)| s != m.sender_id || m.created_at - t > GROUP_WINDOW_MS);
                prev = m.system.is_none().then_some((m.sender_id, m.created_at));
                (m, first_of_group, first_of_day)
            })
            .collect::<Vec<_>>()
    };

    view! {
        // A log: screen readers announce what is added; focusable, so the keyboard scrolls it.
        <div
            class="message-list"
            node_ref=list
            on:scroll=on_scroll
            data-testid="message-list"
            role="log"
            aria-label=move || t_string!(i18n, chat.list.label)
            tabindex="0"
        >
            <p class="history-edge">
                {move || {
                    if !loaded.get() {
                        t_string!(i18n, chat.list.loading)
                    } else if has_more.get() {
                        if loading_older.get() {
                            t_string!(i18n, chat.list.loading_older)
                        } else {
                            t_string!(i18n, chat.list.scroll_for_older)
                        }
                    } else {
                        t_string!(i18n, chat.list.beginning)
                    }
                }}
            </p>
            <For
                each=rows
                key=|(m, first, first_of_day)| (m.id, *first, *first_of_day)
                children=move |(m, first, first_of_day)| {
                    let at = m.created_at;
                    let divider = first_of_day
                        .then(|| {
                            view! {
                                <div class="day-divider" data-testid="day-divider">
                                    <span>{move || clock.day(at, now_ms())}</span>
                                </div>
                            }
                        });
                    let row = if m.system.is_some() {
                        view! { <SystemLine message=m /> }.into_any()
                    } else {
                        view! { <MessageItem message=live_message(messages, m) show_header=first me /> }.into_any()
                    };
                    view! { {divider} {row} }.into_any()
                }
            />
            <ReadReceipt room />
            <For
                each=move || pending.get()
                key=|p| (p.client_id.clone(), p.state.clone())
                children=move |p| {
                    let client_id = p.client_id.clone();
                    let retry = move |_| retry(store, &client_id);
                    let discard_id = p.client_id.clone();
                    let discard = move |_| discard(store, &discard_id);
                    let failed = matches!(p.state, SendState::Failed { .. });
                    view! {
                        <div class="message mine pending" class=("failed", failed) data-testid="pending-message">
                            <div class="bubble">{p.content.clone()}</div>
                            <div class="status">
                                {match p.state.clone() {
                                    SendState::Sending => tr!(i18n, chat.pending.sending).into_any(),
                                    SendState::Failed { why, retry: can_retry } => {
                                        let why = crate::error::localize(&why, i18n.get_locale_untracked());
                                        view! {
                                            {t!(i18n, chat.pending.not_sent, why = move || why.clone())}
                                            {can_retry.then(|| view! { <button on:click=retry>{tr!(i18n, chat.pending.retry)}</button> })}
                                            <button on:click=discard>{tr!(i18n, chat.pending.discard)}</button>
                                        }
                                            .into_any()
                                    }
                                }}
                            </div>
                        </div>
                    }
                }
            />
            <For
                each=move || uploads.get()
                key=|u| u.clone()
                children=move |(client_id, _)| {
                    store
                        .uploads
                        .with_untracked(|all| all.iter().find(|u| u.client_id == client_id).cloned())
                        .map(|upload| view! { <UploadRow upload /> })
                }
            />
        </div>
        <Show when=move || detached.get()>
            <button
                class="new-pill jump-latest"
                data-testid="jump-latest"
                on:click=move |_| jump_to_latest(store, room.get_untracked())
            >
                {move || {
                    if store.loading_newer.get() {
                        t_string!(i18n, chat.list.loading_newer)
                    } else {
                        t_string!(i18n, chat.list.jump_to_latest)
                    }
                }}
            </button>
        </Show>
        // Mentions of me stand out more than others (the server's HTML marks each mention with
        // the id of the person named).
        <style>
            {format!(
                ".md .mention[data-user-id=\"{me}\"] {{ background: var(--mention-me-bg); color: var(--mention-me-text); font-weight: 700; }}",
            )}
        </style>
        {move || {
            // The dialogs other than "delete?" come from chunks of their own (see `crate::lazy`).
            let closed = Callback::new(move |()| store.dialog.set(None));
            store
                .dialog
                .get()
                .map(|d| match d {
                    MessageDialog::Picker(room, message) => Suspend::new(view_or_error(emoji_picker(room, message), closed)).into_any(),
                    MessageDialog::ConfirmDelete(room, message) => view! { <DeleteDialog room message /> }.into_any(),
                    MessageDialog::History(room, message) => {
                        Suspend::new(view_or_error(edit_history_dialog(room, message), closed)).into_any()
                    }
                    MessageDialog::Lightbox(room, start) => Suspend::new(view_or_error(lightbox(room, start), closed)).into_any(),
                })
        }}
        <Show when=move || { unseen.get() > 0 }>
            <button
                class="new-pill"
                data-testid="new-messages-pill"
                on:click=move |_| {
                    store.at_bottom.set(true);
                    unseen.set(0);
                    scroll_to_bottom();
                    report_read(store, room.get_untracked());
                }
            >
                {move || match unseen.get() {
                    1 => tr!(i18n, chat.list.new_message_single).into_any(),
                    n => t!(i18n, chat.list.new_messages, n = move || n).into_any(),
                }}
            </button>
        </Show>
    }
}

/// What of a message's row its quote decides: quotes change without the message changing.
/// A row's message as the timeline holds it now, for a row that stays in the page while its
/// message changes (see `message_item`). It is looked for again only when the message's
/// change seq or its quote (kept current by the store without a seq of its own) moves, so a
/// new message in the room costs each row a lookup, not a copy of its message.
fn live_message(messages: Memo<Vec<Message>>, drawn: Message) -> Memo<Message> {
    let id = drawn.id;
    let at = move |all: &[Message]| all.binary_search_by_key(&id, |m| m.id).ok();
    let version =
        Memo::new(move |_| messages.with(|all| at(all).map(|i| (all[i].change_seq, all[i].reply_to.clone()))));
    // A row on its way out (its message paged out of the window) keeps what it showed.
    Memo::new(move |last: Option<&Message>| {
        // Read, not only tracked: a memo that is never read never runs, and so never learns
        // what it depends on.
        version.with(|_| ());
        let now = messages.with_untracked(|all| at(all).map(|i| all[i].clone()));
        now.or_else(|| last.cloned()).unwrap_or_else(|| drawn.clone())
    })
}

/// The row of the list that stays where it is on screen while a page comes in: the oldest
/// held for a page above, the newest for one below. Either survives the window dropping rows
/// at the far end.
#[derive(Clone, Copy)]
enum Edge {
    First,
    Last,
}

/// Notes where the `edge` row is on screen now; the closure returned moves the list, once the
/// page is rendered, so that the row is there again. The change in height cannot say how far:
/// the window may drop rows at the other end in the same step. Where the browser's own scroll
/// anchoring already kept the row in place, it moves nothing.
fn hold_place(list: NodeRef<html::Div>, edge: Edge) -> impl FnOnce() + 'static {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        // The page arrives after a wait: the list may be gone by then (another room).
        let rows =
            list.try_get_untracked().flatten().and_then(|l| l.query_selector_all(":scope > [data-message-id]").ok());
        let row = rows
            .and_then(|rows| match edge {
                Edge::First => rows.item(0),
                Edge::Last => rows.length().checked_sub(1).and_then(|last| rows.item(last)),
            })
            .and_then(|node| node.dyn_into::<web_sys::Element>().ok());
        let mark =
            row.and_then(|row| Some((row.get_attribute("data-message-id")?, row.get_bounding_client_rect().top())));
        move || {
            let Some((id, top)) = mark else { return };
            request_animation_frame(move || {
                let Some(el) = list.try_get_untracked().flatten() else { return };
                let selector = format!(":scope > [data-message-id=\"{id}\"]");
                if let Some(row) = el.query_selector(&selector).ok().flatten() {
                    let moved = row.get_bounding_client_rect().top() - top;
                    el.set_scroll_top(el.scroll_top() + moved.round() as i32);
                }
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (list, edge);
        || {}
    }
}

/// Centres `target` in the list and highlights it, once it is rendered (a few frames at most
/// after its page is in). One that never shows is given up: the jump under way holds back
/// paging.
fn reveal(list: NodeRef<html::Div>, store: ChatStore, target: MessageId, tries: u8) {
    request_animation_frame(move || {
        if store.jump.try_get_untracked().flatten() != Some(target) {
            return;
        }
        let selector = format!("[data-message-id=\"{}\"]", target.0);
        let found = list.try_get_untracked().flatten().and_then(|l| l.query_selector(&selector).ok().flatten());
        let Some(el) = found else {
            if tries > 0 {
                reveal(list, store, target, tries - 1);
            } else {
                store.jump.set(None);
            }
            return;
        };
        store.jump.set(None);
        #[cfg(feature = "hydrate")]
        {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Center);
            el.scroll_into_view_with_scroll_into_view_options(&options);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = el;
        store.highlight.set(Some(target));
        set_timeout(
            move || {
                if store.highlight.try_get_untracked().flatten() == Some(target) {
                    store.highlight.set(None);
                }
            },
            Duration::from_millis(HIGHLIGHT_MS),
        );
    });
}
