//! One room in the sidebar: avatar with the peer's presence, title, preview, unread badge, and
//! an "@" badge while messages mentioning me are unread.

use leptos::prelude::*;
use leptos_router::components::A;

use super::navbar::initial;
use crate::{
    i18n::{t_string, use_i18n},
    state::store::{now_ms, use_chat},
    types::{RoomKind, RoomSummary},
};

/// Who the preview names before the last message's text.
enum Sender {
    /// Nobody: a system line names its actor, and a private chat's peer is its title.
    Unnamed,
    Me,
    Named(String),
}

#[component]
pub fn RoomItem(summary: RoomSummary) -> impl IntoView {
    let store = use_chat();
    let id = summary.room.id;
    let me = store.me_id();
    let peer = summary.peer.as_ref().map(|p| p.id);
    let i18n = use_i18n();
    // The text is fixed; "You" follows the language.
    let preview = summary.last_message.as_ref().map(|m| {
        let text: String = match &m.attachment {
            // An uncaptioned file or image has no text: say what was sent.
            Some(a) if m.content.is_empty() && !m.is_deleted() => {
                format!("{} {}", if a.is_image() { "🖼" } else { "📎" }, a.name)
            }
            _ => m.preview(i18n.get_locale_untracked()),
        }
        .chars()
        .take(80)
        .collect();
        // A system line names its actor already.
        let who = if m.system.is_some() || (summary.room.kind == RoomKind::Private && m.sender_id != me) {
            Sender::Unnamed
        } else if m.sender_id == me {
            Sender::Me
        } else {
            Sender::Named(m.sender_name.clone())
        };
        (who, text)
    });
    let preview = move || match &preview {
        None => t_string!(i18n, rooms.item.no_messages).to_string(),
        Some((Sender::Unnamed, text)) => text.clone(),
        Some((Sender::Me, text)) => format!("{}: {text}", t_string!(i18n, rooms.item.you)),
        Some((Sender::Named(name), text)) => format!("{name}: {text}"),
    };
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
                    <span class="room-preview">{preview}</span>
                </span>
                <span class="badges">
                    {muted
                        .then(|| {
                            let label = move || t_string!(i18n, rooms.item.muted);
                            view! { <span class="muted-icon" role="img" aria-label=label title=label>"🔕"</span> }
                        })}
                    {(mentions > 0)
                        .then(|| {
                            let label = move || match mentions {
                                1 => t_string!(i18n, rooms.item.unread_mention_single).to_string(),
                                n => t_string!(i18n, rooms.item.unread_mentions, n = n),
                            };
                            view! {
                                <span
                                    class="badge mention-badge"
                                    data-testid="mention-badge"
                                    role="img"
                                    aria-label=label
                                    title=label
                                >
                                    "@"
                                </span>
                            }
                        })}
                    {(unread > 0)
                        .then(|| {
                            view! {
                                <span class="badge" data-testid="unread-badge" aria-label=move || t_string!(i18n, rooms.item.unread, n = unread)>
                                    {if unread > 99 { "99+".to_string() } else { unread.to_string() }}
                                </span>
                            }
                        })}
                </span>
            </A>
        </li>
    }
}
