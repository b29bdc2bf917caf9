//! The member list of a room, with online dots, roles and "Add people" for managers.

use leptos::{
    prelude::*,
    wasm_bindgen::JsCast,
    web_sys::{Element, HtmlElement},
};

use super::{navbar::initial, new_chat_dialog::NewChatDialog};
use crate::{
    i18n::{t, t_string, td_string, use_i18n, Locale},
    state::store::use_chat,
    tr,
    types::{Role, RoomDetails, RoomKind},
};

#[component]
pub fn UserList(details: RoomDetails) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
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
                    // A long name is cut, never the "(you)" after it.
                    <span class="member-name">
                        <span class="member-display">{p.user.display_name.clone()}</span>
                        {(id == me)
                            .then(|| {
                                view! {
                                    <span class="member-you">
                                        {move || format!(" ({})", t_string!(i18n, rooms.members.you))}
                                    </span>
                                }
                            })}
                    </span>
                    <span class="role">
                        {(p.role.can_manage()).then_some(move || role_label(i18n.get_locale(), p.role))}
                    </span>
                    <span class="sr-only">{move || presence_label(i18n.get_locale(), presence())}</span>
                </li>
            }
        })
        .collect_view();
    // On a phone the list opens over the room: the focus goes into it, and back to the toggle
    // when it closes (× or Escape).
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |was_open: Option<bool>| {
        let open = store.members_open.get();
        if open && was_open == Some(false) {
            if let Some(button) = close_button.get_untracked() {
                let _ = button.focus();
            }
        }
        open
    });
    let close = move || {
        store.members_open.set(false);
        let toggle = document().query_selector("[data-testid=members-toggle]").ok().flatten();
        if let Some(toggle) = toggle.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
            let _ = toggle.focus();
        }
    };
    view! {
        <aside
            class="members"
            data-testid="member-list"
            on:keydown=move |ev| {
                // Escape in the "Add people" dialog is the dialog's.
                let in_dialog = ev
                    .target()
                    .and_then(|t| t.dyn_into::<Element>().ok())
                    .is_some_and(|el| el.closest("dialog").ok().flatten().is_some());
                if ev.key() == "Escape" && store.members_open.get_untracked() && !in_dialog {
                    ev.prevent_default();
                    close();
                }
            }
        >
            <button
                class="icon-button members-close"
                node_ref=close_button
                aria-label=move || t_string!(i18n, rooms.members.close)
                on:click=move |_| close()
            >
                "×"
            </button>
            <h2>{t!(i18n, rooms.members.heading, n = count)}</h2>
            <ul class="room-list">{members}</ul>
            {can_add
                .then(|| {
                    view! {
                        <button class="button small ghost" on:click=move |_| adding.set(true)>
                            {tr!(i18n, rooms.members.add_people)}
                        </button>
                        <NewChatDialog open=adding add_to=Some(room) />
                    }
                })}
        </aside>
    }
}

/// What a presence dot means, in words.
pub fn presence_label(locale: Locale, presence: Option<bool>) -> &'static str {
    match presence {
        Some(true) => td_string!(locale, rooms.members.online),
        Some(false) => td_string!(locale, rooms.members.offline),
        None => td_string!(locale, rooms.members.unknown),
    }
}

/// A member's role, as the list shows it next to owners and admins.
fn role_label(locale: Locale, role: Role) -> &'static str {
    match role {
        Role::Owner => td_string!(locale, rooms.members.role_owner),
        Role::Admin => td_string!(locale, rooms.members.role_admin),
        Role::Member => td_string!(locale, rooms.members.role_member),
    }
}
