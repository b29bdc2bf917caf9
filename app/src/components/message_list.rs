//! The message history of a room: infinite scroll upwards, sticks to the bottom while the reader
//! is there, otherwise counts new messages in a "new messages" pill. Pending messages show
//! "sending…" until acknowledged, and "retry" when they failed. System lines ("Bob left") sit
//! between messages, centred, and break a sender's group.

use leptos::{html, prelude::*};

use super::{message_item::MessageItem, system_line::SystemLine};
use crate::{
    state::{
        actions::{discard, load_older, report_read, retry},
        store::{use_chat, SendState},
    },
    types::{MessageId, RoomId, UserId},
};

/// Consecutive messages of one sender within this many ms share a header.
const GROUP_WINDOW_MS: i64 = 5 * 60 * 1000;

#[component]
pub fn MessageList(room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    let me = store.me_id();
    let list = NodeRef::<html::Div>::new();
    let loading_older = RwSignal::new(false);
    let unseen = RwSignal::new(0usize);
    let messages = Memo::new(move |_| store.messages(room.get()));
    let pending = Memo::new(move |_| store.pending_in(room.get()));
    let loaded = Memo::new(move |_| store.timelines.with(|t| t.contains_key(&room.get())));
    let has_more =
        Memo::new(move |_| store.timelines.with(|t| t.get(&room.get()).is_some_and(|tl| tl.has_more_before)));

    let scroll_to_bottom = move || {
        request_animation_frame(move || {
            if let Some(el) = list.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    };

    // Follow new messages while at the bottom; otherwise count them for the pill (system lines
    // are not news).
    Effect::new(move |prev: Option<(RoomId, Option<MessageId>, usize)>| {
        let r = room.get();
        let last = messages.with(|m| m.iter().rev().find(|m| m.system.is_none()).map(|m| m.id));
        let queued = pending.with(Vec::len);
        let room_changed = prev.map(|p| p.0) != Some(r);
        if room_changed {
            store.at_bottom.set(true);
            unseen.set(0);
        }
        if room_changed || store.at_bottom.get_untracked() {
            scroll_to_bottom();
            report_read(store, r);
        } else if last.is_some() && prev.and_then(|p| p.1) < last {
            unseen.update(|n| *n += 1);
        }
        (r, last, queued)
    });

    let on_scroll = move |_| {
        let Some(el) = list.get_untracked() else {
            return;
        };
        let at_bottom = el.scroll_height() - el.scroll_top() - el.client_height() < 48;
        store.at_bottom.set(at_bottom);
        if at_bottom {
            unseen.set(0);
            report_read(store, room.get_untracked());
        }
        if el.scroll_top() < 120 {
            let before = el.scroll_height();
            load_older(store, room.get_untracked(), loading_older, move || {
                // Keep the reader's place while older messages appear above.
                request_animation_frame(move || {
                    if let Some(el) = list.get_untracked() {
                        el.set_scroll_top(el.scroll_top() + el.scroll_height() - before);
                    }
                });
            });
        }
    };

    let rows = move || {
        let msgs = messages.get();
        let mut prev: Option<(UserId, i64)> = None;
        msgs.into_iter()
            .map(|m| {
                let first_of_group = prev.is_none_or(|(s, t)| s != m.sender_id || m.created_at - t > GROUP_WINDOW_MS);
                prev = m.system.is_none().then_some((m.sender_id, m.created_at));
                (m, first_of_group)
            })
            .collect::<Vec<_>>()
    };

    view! {
        <div class="message-list" node_ref=list on:scroll=on_scroll data-testid="message-list">
            <p class="history-edge">
                {move || {
                    if !loaded.get() {
                        "Loading messages…"
                    } else if has_more.get() {
                        if loading_older.get() { "Loading older messages…" } else { "Scroll up for older messages" }
                    } else {
                        "This is the beginning of the conversation."
                    }
                }}
            </p>
            <For
                each=rows
                key=|(m, first)| (m.id, m.change_seq, *first)
                children=move |(m, first)| {
                    if m.system.is_some() {
                        view! { <SystemLine message=m /> }.into_any()
                    } else {
                        view! { <MessageItem message=m show_header=first me /> }.into_any()
                    }
                }
            />
            <For
                each=move || pending.get()
                key=|p| (p.client_id.clone(), p.state.clone())
                children=move |p| {
                    let client_id = p.client_id.clone();
                    let retry = move |_| retry(store, &client_id);
                    let discard_id = p.client_id.clone();
                    let discard = move |_| discard(store, &discard_id);
                    let failed = matches!(p.state, SendState::Failed(_));
                    view! {
                        <div class="message mine pending" class=("failed", failed) data-testid="pending-message">
                            <div class="bubble">{p.content.clone()}</div>
                            <div class="status">
                                {match p.state.clone() {
                                    SendState::Sending => view! { "sending…" }.into_any(),
                                    SendState::Failed(why) => {
                                        view! {
                                            {format!("Not sent: {why}")}
                                            <button on:click=retry>"Retry"</button>
                                            <button on:click=discard>"Discard"</button>
                                        }
                                            .into_any()
                                    }
                                }}
                            </div>
                        </div>
                    }
                }
            />
        </div>
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
                    1 => "1 new message ↓".to_string(),
                    n => format!("{n} new messages ↓"),
                }}
            </button>
        </Show>
    }
}
