//! One open room: header (title, presence or member count, rename and leave for groups), the
//! message list, who is typing, the composer, and the member list.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_navigate, hooks::use_params_map};

use super::{
    message_input::MessageInput, message_list::MessageList, typing_indicator::TypingIndicator, user_list::UserList,
};
use crate::{
    api,
    state::chat::{open_room, use_chat},
    types::{RoomDetails, RoomId, RoomKind},
};

#[component]
pub fn ChatRoom() -> impl IntoView {
    let store = use_chat();
    let params = use_params_map();
    let room_id = Memo::new(move |_| params.read().get("room_id").and_then(|s| s.parse::<i64>().ok()).map(RoomId));
    let room = Signal::derive(move || room_id.get().unwrap_or(RoomId(0)));
    store.open_room.set(room_id.get_untracked());
    Effect::new(move || {
        let id = room_id.get();
        store.open_room.set(id);
        if let Some(id) = id {
            open_room(store, id);
        }
    });
    on_cleanup(move || store.open_room.set(None));

    let details = Resource::new(
        move || (room.get(), store.rooms_version.get()),
        |(room, _)| async move { api::get_room_details(room).await },
    );

    view! {
        <section class="room" data-testid="chat-room">
            <Transition fallback=|| view! { <header class="room-header"><h1>"…"</h1></header> }>
                {move || {
                    details
                        .get()
                        .map(|d| match d {
                            Ok(d) => view! { <RoomHeader details=d /> }.into_any(),
                            Err(e) => {
                                view! {
                                    <header class="room-header">
                                        <A href="/chat" attr:class="back-link">"←"</A>
                                        <h1 role="alert">{e.to_string()}</h1>
                                    </header>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            <MessageList room />
            <TypingIndicator room />
            <MessageInput room />
        </section>
        <Transition fallback=|| ()>
            {move || details.get().and_then(Result::ok).map(|d| view! { <UserList details=d /> })}
        </Transition>
    }
}

#[component]
fn RoomHeader(details: RoomDetails) -> impl IntoView {
    let store = use_chat();
    let navigate = use_navigate();
    let summary = details.summary.clone();
    let room = summary.room.id;
    let is_group = summary.room.kind == RoomKind::Group;
    let renaming = RwSignal::new(false);
    let name = RwSignal::new(summary.title.clone());
    let error = RwSignal::new(None::<String>);
    let subtitle = {
        let peer = summary.peer.as_ref().map(|p| p.id);
        let count = details.participants.len();
        move || match peer {
            Some(p) if store.online.with(|o| o.contains(&p)) => "online".to_string(),
            Some(_) => "offline".to_string(),
            None => format!("{count} members"),
        }
    };
    let rename = move || {
        let new_name = name.get_untracked();
        spawn_local(async move {
            match api::rename_room(room, new_name).await {
                Ok(_) => {
                    renaming.set(false);
                    error.set(None);
                    store.refresh_rooms();
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let leave = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::leave_room(room).await {
                Ok(()) => {
                    store.rooms.update(|r| r.retain(|s| s.room.id != room));
                    store.refresh_rooms();
                    navigate("/chat", Default::default());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <header class="room-header">
            <A href="/chat" attr:class="back-link icon-button">"←"</A>
            <Show
                when=move || renaming.get()
                fallback=move || {
                    view! {
                        <h1 data-testid="room-title">{summary.title.clone()}</h1>
                    }
                }
            >
                <form
                    class="rename"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        rename();
                    }
                >
                    <input
                        aria-label="Group name"
                        maxlength=crate::types::limits::ROOM_NAME_MAX
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <button class="button small" type="submit">"Save"</button>
                </form>
            </Show>
            <span class="muted" data-testid="room-subtitle">{subtitle}</span>
            {is_group
                .then(|| {
                    view! {
                        <button class="icon-button" title="Rename" on:click=move |_| renaming.update(|r| *r = !*r)>
                            "Rename"
                        </button>
                        <button class="icon-button" title="Leave this group" on:click=leave>
                            "Leave"
                        </button>
                    }
                })}
            {move || error.get().map(|e| view! { <span class="form-error" role="alert">{e}</span> })}
        </header>
    }
}
