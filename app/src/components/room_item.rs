//! One room in the sidebar: avatar with the peer's presence, title, preview, unread badge, and
//! an "@" badge while messages mentioning me are unread.

use leptos::prelude::*;
use leptos_router::components::A;

use super::navbar::initial;
use crate::{
    state::store::{now_ms, use_chat},
    types::{RoomKind, RoomSummary},
};

#[component]
pub fn RoomItem(summary: RoomSummary) -> impl IntoView {
    let store = use_chat();
    let id = summary.room.id;
    let me = store.me_id();
    let peer = summary.peer.as_ref().map(|p| p.id);
    let preview = summary.last_message.as_ref().map(|m| {
        let who = if m.sender_id == me { "You".to_string() } else { m.sender_name.clone() };
        let text: String = match &m.attachment {
            // An uncaptioned file or image has no text: say what was sent.
            Some(a) if m.content.is_empty() && !m.is_deleted() => {
                format!("{} {}", if a.is_image() { "🖼" } else { "📎" }, a.name)
            }
            _ => m.preview(),
        }
        .chars()
        .take(80)
        .collect();
        // A system line names its actor already.
        if m.system.is_some() || (summary.room.kind == RoomKind::Private && m.sender_id != me) {
            text
        } else {
            format!("{who}: {text}")
        }
    });
    let unread = summary.unread;
    let mentions = summary.unread_mentions;
    let muted = summary.is_muted(now_ms());
    view! {
        <li
            class="room-item"
            class=("active", move || store.open_room.get() == Some(id))
            class=("unread", unread > 0)
            class=("muted-room", muted)
            data-testid="room-item"
            data-room-id=id.0
        >
            <A href=format!("/chat/{id}")>
                <span class="avatar" aria-hidden="true">
                    {initial(&summary.title)}
                    {peer.map(|p| {
                        view! {
                            <span
                                class="dot"
                                class=("online", move || store.presence(p) == Some(true))
                                class=("unknown", move || store.presence(p).is_none())
                            ></span>
                        }
                    })}
                </span>
                <span class="room-text">
                    <span class="room-title">{summary.title.clone()}</span>
                    <span class="room-preview">{preview.unwrap_or_else(|| "No messages yet".to_string())}</span>
                </span>
                <span class="badges">
                    {muted.then(|| view! { <span class="muted-icon" role="img" aria-label="Muted" title="Muted">"🔕"</span> })}
                    {(mentions > 0)
                        .then(|| {
                            let label = match mentions {
                                1 => "1 unread mention".to_string(),
                                n => format!("{n} unread mentions"),
                            };
                            view! {
                                <span
                                    class="badge mention-badge"
                                    data-testid="mention-badge"
                                    role="img"
                                    aria-label=label.clone()
                                    title=label
                                >
                                    "@"
                                </span>
                            }
                        })}
                    {(unread > 0)
                        .then(|| {
                            view! {
                                <span class="badge" data-testid="unread-badge" aria-label=format!("{unread} unread")>
                                    {if unread > 99 { "99+".to_string() } else { unread.to_string() }}
                                </span>
                            }
                        })}
                </span>
            </A>
        </li>
    }
}
