//! `/chat` and `/chat/:room_id`: the chat screen (logged-in only). The shell (store, socket,
//! sidebar) stays mounted while the reader moves between rooms.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Outlet, hooks::use_navigate};

use crate::{
    api,
    components::{chat_sidebar::ChatSidebar, require_user::RequireUser},
    state::{
        actions,
        session::use_session,
        store::{use_chat, ChatStore, Connection},
    },
    types::User,
};

#[component]
pub fn ChatPage() -> impl IntoView {
    view! { <RequireUser children=|user| view! { <ChatShell user /> } /> }
}

#[component]
fn ChatShell(user: User) -> impl IntoView {
    let store = ChatStore::new(user);
    provide_context(store);
    let rooms = Resource::new(move || store.rooms_version.get(), |_| api::list_rooms());
    // Effects run only in the browser: that is where the signal stream lives.
    let stream = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    Effect::new({
        let stream = stream.clone();
        move || stream.store(actions::connect(store), std::sync::atomic::Ordering::Relaxed)
    });
    on_cleanup(move || actions::disconnect(stream.load(std::sync::atomic::Ordering::Relaxed)));
    // Logged out elsewhere: the socket has stopped for good; so does this screen.
    let session = use_session();
    let navigate = use_navigate();
    Effect::new(move || {
        if store.connection.get() == Connection::SessionEnded {
            session.set_user(None);
            navigate("/login", Default::default());
        }
    });
    let title = move || match store.total_unread() {
        0 => "Chat".to_string(),
        n => format!("({n}) Chat"),
    };

    view! {
        <Title text=title />
        <div
            class="chat"
            class=("room-open", move || store.open_room.get().is_some())
            class=("with-members", move || store.open_room.get().is_some())
            data-testid="chat-page"
        >
            <ChatSidebar rooms />
            <Outlet />
        </div>
    }
}

/// `/chat` with no room selected.
#[component]
pub fn NoRoom() -> impl IntoView {
    let store = use_chat();
    view! {
        <section class="room chat-empty">
            <div>
                <h1>{format!("Welcome, {}", store.me.with_value(|u| u.display_name.clone()))}</h1>
                <p>"Pick a conversation on the left, or start a new one."</p>
            </div>
        </section>
    }
}
