//! A room's header: title, presence (private) or member count (group), rename and leave.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_navigate};

use crate::{
    api,
    state::store::use_chat,
    types::{RoomDetails, RoomKind},
};

#[component]
pub fn RoomHeader(details: RoomDetails) -> impl IntoView {
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
