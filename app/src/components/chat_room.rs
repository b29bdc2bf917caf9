//! One open room: its header, the message list, who is typing, the composer, and the member
//! list. Leaves for `/chat` when the server says we are no longer in the room.

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};

use super::{
    message_input::MessageInput, message_list::MessageList, room_header::RoomHeader, typing_indicator::TypingIndicator,
    user_list::UserList,
};
use crate::{
    api,
    state::{actions::open_room, store::use_chat},
    types::RoomId,
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
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(gone) = store.evicted.get() {
            store.evicted.set(None);
            if room_id.get_untracked() == Some(gone) {
                navigate("/chat", Default::default());
            }
        }
    });

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
