//! One open room: its header, the message list, who is typing, the composer, and the member
//! list. Leaves for `/chat` when the server says we are no longer in the room.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

use super::{
    message_input::MessageInput, message_list::MessageList, room_header::RoomHeader, typing_indicator::TypingIndicator,
    user_list::UserList,
};
use crate::{
    state::{actions::open_room, store::use_chat},
    types::{RoomDetails, RoomId},
    AppError,
};

/// The room named by the URL (`room_id`; `None` when the segment is no number), with its
/// details, a resource the chat page creates (see `pages::chat` for why not here).
#[component]
pub fn ChatRoom(
    room_id: Memo<Option<RoomId>>,
    details: Resource<Result<Option<RoomDetails>, AppError>>,
) -> impl IntoView {
    let store = use_chat();
    let room = Signal::derive(move || room_id.get().unwrap_or(RoomId(0)));
    Effect::new(move || {
        if let Some(id) = room_id.get() {
            open_room(store, id);
        }
    });
    // Mentions and moderation read the details from the store. An effect, not the render,
    // writes it, as with the room list (see `chat_sidebar`).
    Effect::new(move || {
        let current = details.get().and_then(Result::ok).flatten();
        store.details.set(current);
    });
    // A dialog or an edit belongs to the room it was opened in.
    Effect::new(move |prev: Option<Option<RoomId>>| {
        let id = room_id.get();
        if prev.is_some_and(|p| p != id) {
            store.dialog.set(None);
            store.editing.set(None);
        }
        id
    });
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(gone) = store.evicted.get() {
            store.evicted.set(None);
            if room_id.get_untracked() == Some(gone) {
                navigate("/chat", Default::default());
            }
        }
    });

    view! {
        <section class="room" data-testid="chat-room">
            <Transition fallback=|| view! { <header class="room-header"><h1>"…"</h1></header> }>
                {move || {
                    details
                        .get()
                        .map(|d| match d {
                            Ok(Some(d)) => view! { <RoomHeader details=d /> }.into_any(),
                            Ok(None) => view! { <header class="room-header"><h1>"…"</h1></header> }.into_any(),
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
            {move || details.get().and_then(Result::ok).flatten().map(|d| view! { <UserList details=d /> })}
        </Transition>
    }
}
