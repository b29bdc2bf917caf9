//! `/chat` and `/chat/:room_id`: the chat screen (logged-in only). One route for both, so the
//! shell (store, socket, sidebar) stays mounted while the reader moves between rooms.
//!
//! The screen waits for the session under `RequireUser`'s `<Transition>`, and on the server a
//! Transition renders its children more than once (it re-runs them until no new resource read
//! turns up, then renders them for real). A resource is matched with its serialized value by
//! the order of creation, so one created in there would be created again on every run, under a
//! new id, while the browser creates it once: the page would hydrate with the data of a run the
//! server threw away (sometimes an error, when that run was dropped mid-fetch), and render
//! something else than the HTML it adopts. So this route creates its resources here, once on
//! both sides, and the components below only read them.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::{
    api,
    components::{
        chat_room::ChatRoom, chat_sidebar::ChatSidebar, nav_slot::NavSlot, require_user::RequireUser,
        search_box::SearchBox, toasts::Toasts,
    },
    i18n::{t, t_string, use_i18n},
    state::{
        actions, alerts,
        session::use_session,
        store::{use_chat, ChatStore, Connection, Prefs},
    },
    tr,
    types::{MessagePage, RoomDetails, RoomId, RoomSummary, User},
    AppError,
};

/// What the chat route holds before the session is known: the room in the URL and the data it
/// fetches.
#[derive(Clone, Copy)]
struct ChatRoute {
    /// The `:room_id` segment, if the URL has one (even one that is not a number).
    segment: Memo<Option<String>>,
    /// The room in the URL, if it names one.
    room_id: Memo<Option<RoomId>>,
    /// The store's: the room in the URL, for the socket and the sidebar.
    open_room: RwSignal<Option<RoomId>>,
    /// The store's: bumped when the room list or the open room's details must be fetched again.
    rooms_version: RwSignal<u64>,
    rooms: Resource<Result<Vec<RoomSummary>, AppError>>,
    /// The open room's details; `Ok(None)` at `/chat`.
    details: Resource<Result<Option<RoomDetails>, AppError>>,
    /// The newest page of the room in the URL, read once, while the server renders: the
    /// history is in the HTML, shown before the WASM has loaded and hydrated as it is. The
    /// browser loads every later page through the store's actions, with its socket.
    first_page: Resource<Option<(RoomId, MessagePage)>>,
}

#[component]
pub fn ChatPage() -> impl IntoView {
    let params = use_params_map();
    let segment = Memo::new(move |_| params.read().get("room_id"));
    let room_id = Memo::new(move |_| segment.get().and_then(|s| s.parse::<i64>().ok()).map(RoomId));
    // Starts at the URL's room, so the server's page and the hydrating one agree; follows it.
    let open_room = RwSignal::new(room_id.get_untracked());
    Effect::new(move || open_room.set(room_id.get()));
    let rooms_version = RwSignal::new(0u64);
    let rooms = Resource::new(move || rooms_version.get(), |_| api::list_rooms());
    // A segment that is no room id still opens the room view, which shows the server's answer.
    let details = Resource::new(
        move || (segment.with(Option::is_some).then(|| room_id.get().unwrap_or(RoomId(0))), rooms_version.get()),
        |(room, _)| async move {
            match room {
                Some(room) => api::get_room_details(room).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let first_page = Resource::new(|| (), move |_| server_page(room_id.get_untracked()));
    let route = ChatRoute { segment, room_id, open_room, rooms_version, rooms, details, first_page };
    view! { <RequireUser children=move |user| view! { <ChatShell user route /> } /> }
}

/// The room's newest page, on the server; nothing in the browser, where it is only ever the
/// value the server rendered with.
async fn server_page(room: Option<RoomId>) -> Option<(RoomId, MessagePage)> {
    #[cfg(feature = "ssr")]
    {
        let room = room?;
        api::room_messages(room, None, None, None, Some(crate::types::limits::HISTORY_PAGE_DEFAULT))
            .await
            .ok()
            .map(|page| (room, page))
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = room;
        None
    }
}

#[component]
fn ChatShell(user: User, route: ChatRoute) -> impl IntoView {
    let i18n = use_i18n();
    let locale = Signal::derive(move || i18n.get_locale());
    let store = ChatStore::for_page(user, locale, route.rooms_version, route.open_room);
    provide_context(store);
    // Effects run only in the browser: that is where the signal stream lives.
    let stream = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    Effect::new({
        let stream = stream.clone();
        move || stream.store(actions::connect(store), std::sync::atomic::Ordering::Relaxed)
    });
    on_cleanup(move || actions::disconnect(stream.load(std::sync::atomic::Ordering::Relaxed)));
    // Logged out elsewhere: the socket has stopped for good; so does this screen. `RequireUser`
    // then sends the browser to log in, and back to this room after.
    let session = use_session();
    Effect::new(move || {
        if store.connection.get() == Connection::SessionEnded {
            crate::state::drafts::forget_all(store.me_id());
            session.set_user(None);
        }
    });
    // My profile as the server greets the socket: a new name set in another session shows in
    // the user menu too.
    Effect::new(move || {
        let me = store.me.get();
        // Only a change: setting the same profile would rebuild the open user menu.
        if untrack(|| session.shown()).flatten().is_some_and(|shown| shown != me) {
            session.set_profile(me);
        }
    });
    alerts::install(store);
    // My notification defaults: the room menu and the alerts read them.
    Effect::new(move || {
        spawn_local(async move {
            if let Ok(settings) = api::get_settings().await {
                // The screen may be gone by the answer (logged out meanwhile).
                store.prefs.try_set(Prefs { notify: settings.notify, sound: settings.sound });
            }
        })
    });
    // A browser notification was clicked: open its room.
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(room) = store.open_request.get() {
            store.open_request.set(None);
            navigate(&format!("/chat/{room}"), Default::default());
        }
    });
    // "(3) ทีมงาน Launch · Confab": the unread count of rooms not muted, and the open room.
    let title = move || {
        let room = route
            .room_id
            .get()
            .and_then(|id| store.rooms.with(|r| r.iter().find(|s| s.room.id == id).map(|s| s.title.clone())));
        let room = room.unwrap_or_else(|| t_string!(i18n, common.chat.title).to_string());
        match store.unread_unmuted() {
            0 => room,
            n => format!("({n}) {room}"),
        }
    };
    let in_room = move || route.segment.with(Option::is_some);
    let offline = move || matches!(store.connection.get(), Connection::Offline { .. });

    view! {
        <Title text=title />
        // Search needs the store, which the navbar (outside this screen) has not.
        <NavSlot>
            <SearchBox />
        </NavSlot>
        <div
            class="chat"
            class=("room-open", in_room)
            class=("with-members", in_room)
            class=("members-open", move || store.members_open.get())
            data-testid="chat-page"
        >
            // Always in the page, empty while connected: a live region announces a change of
            // its text, not its arrival.
            <p class="offline-banner" role="status" data-testid="offline-banner">
                {move || offline().then(|| t_string!(i18n, common.chat.offline))}
            </p>
            <Toasts />
            <ChatSidebar rooms=route.rooms />
            <Show when=in_room fallback=|| view! { <NoRoom /> }>
                <ChatRoom room_id=route.room_id details=route.details first_page=route.first_page />
            </Show>
        </div>
    }
}

/// `/chat` with no room selected.
#[component]
fn NoRoom() -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    view! {
        <section class="room chat-empty">
            <div>
                <h1>{t!(i18n, common.chat.welcome, name = move || store.me.with(|u| u.display_name.clone()))}</h1>
                <p>{tr!(i18n, common.chat.pick)}</p>
            </div>
        </section>
    }
}
