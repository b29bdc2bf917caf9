//! The member list of a room, with online dots, roles and "Add people" for managers.

use leptos::prelude::*;

use super::{navbar::initial, new_chat_dialog::NewChatDialog};
use crate::{
    state::store::use_chat,
    types::{RoomDetails, RoomKind},
};

#[component]
pub fn UserList(details: RoomDetails) -> impl IntoView {
    let store = use_chat();
    let me = store.me_id();
    let adding = RwSignal::new(false);
    let can_add = details.summary.room.kind == RoomKind::Group && details.my_role.can_manage();
    let room = details.summary.room.id;
    let count = details.participants.len();
    let members = details
        .participants
        .into_iter()
        .map(|p| {
            let id = p.user.id;
            let presence = move || store.presence(id);
            view! {
                <li class="member" data-testid="member" data-user-id=id.0>
                    <span class="avatar" aria-hidden="true">
                        {initial(&p.user.display_name)}
                        <span
                            class="dot"
                            class=("online", move || presence() == Some(true))
                            class=("unknown", move || presence().is_none())
                            data-testid="presence-dot"
                        ></span>
                    </span>
                    <span>
                        {p.user.display_name.clone()}
                        {(id == me).then_some(" (you)")}
                    </span>
                    <span class="role">{(p.role.can_manage()).then(|| p.role.as_str())}</span>
                    <span class="sr-only">{move || presence_label(presence())}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <aside class="members" data-testid="member-list">
            <button
                class="icon-button members-close"
                aria-label="Close the member list"
                on:click=move |_| store.members_open.set(false)
            >
                "×"
            </button>
            <h2>{format!("Members — {count}")}</h2>
            <ul class="room-list">{members}</ul>
            {can_add
                .then(|| {
                    view! {
                        <button class="button small ghost" on:click=move |_| adding.set(true)>
                            "Add people"
                        </button>
                        <NewChatDialog open=adding add_to=Some(room) />
                    }
                })}
        </aside>
    }
}

/// What a presence dot means, in words.
pub fn presence_label(presence: Option<bool>) -> &'static str {
    match presence {
        Some(true) => "online",
        Some(false) => "offline",
        None => "status unknown while reconnecting",
    }
}
