//! One open room: its header, the message list, who is typing, the composer, and the member
//! list. Leaves for `/chat` when the server says we are no longer in the room. Files dragged
//! over it show where they will go, and dropped join the composer's tray.

use leptos::{ev::DragEvent, prelude::*};
use leptos_router::{components::A, hooks::use_navigate};

use super::{
    message_input::MessageInput, message_list::MessageList, room_header::RoomHeader, typing_indicator::TypingIndicator,
    user_list::UserList,
};
use crate::{
    i18n::{t_string, use_i18n},
    state::{actions::open_room, store::use_chat},
    tr,
    types::{MessagePage, RoomDetails, RoomId},
    AppError,
};

/// The room named by the URL (`room_id`; `None` when the segment is no number), with its
/// details, a resource the chat page creates (see `pages::chat` for why not here).
#[component]
pub fn ChatRoom(
    room_id: Memo<Option<RoomId>>,
    details: Resource<Result<Option<RoomDetails>, AppError>>,
    /// The room's newest page as the server rendered it (see `pages::chat`).
    first_page: Resource<Option<(RoomId, MessagePage)>>,
) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let room = Signal::derive(move || room_id.get().unwrap_or(RoomId(0)));
    // The room opens once the server has said it is mine: a room that is not (`/chat/999`)
    // shows one clear answer, and nothing tries to load or join it.
    let ready = Memo::new(move |_| {
        let id = room_id.get()?;
        details.get().and_then(Result::ok).flatten().filter(|d| d.summary.room.id == id).map(|_| id)
    });
    // The page the server rendered opens its room once, so the first load fetches nothing more.
    let rendered = StoredValue::new(first_page.get_untracked().flatten());
    Effect::new(move || {
        if let Some(id) = ready.get() {
            let seed = rendered.try_update_value(|r| r.take_if(|(room, _)| *room == id)).flatten();
            open_room(store, id, seed.map(|(_, page)| page));
        }
    });
    // Set by an effect, not read from the resource while rendering: a Transition re-runs its
    // children whenever a resource read inside it changes, which would rebuild the composer
    // (and lose what is typed) on every refetch of the details.
    let unavailable = RwSignal::new(false);
    // Only a room that is not mine: a failed refetch (the network) leaves the room as it is.
    Effect::new(move || unavailable.set(matches!(details.get(), Some(Err(e)) if is_gone(&e))));
    // Mentions and moderation read the details from the store. An effect, not the render,
    // writes it, as with the room list (see `chat_sidebar`).
    Effect::new(move || {
        store.set_details(details.get().and_then(Result::ok).flatten());
    });
    // A dialog, an edit or a jump belongs to the room it was opened in (a jump left waiting
    // would hold back paging in the next room).
    Effect::new(move |prev: Option<Option<RoomId>>| {
        let id = room_id.get();
        if prev.is_some_and(|p| p != id) {
            store.dialog.set(None);
            store.editing.set(None);
            store.jump.set(None);
            store.members_open.set(false);
        }
        id
    });
    // Drags entered and not yet left: entering a child fires `dragenter` before the parent's
    // `dragleave`, so a flag would flicker off over every message.
    let drags = RwSignal::new(0u32);
    let on_dragenter = move |ev: DragEvent| {
        if carries_files(&ev) {
            ev.prevent_default();
            drags.update(|n| *n += 1);
        }
    };
    let on_dragover = move |ev: DragEvent| {
        if carries_files(&ev) {
            // Without this the browser would open the file instead of letting it drop here.
            ev.prevent_default();
            #[cfg(feature = "hydrate")]
            if let Some(dt) = ev.data_transfer() {
                dt.set_drop_effect("copy");
            }
        }
    };
    let on_dragleave = move |ev: DragEvent| {
        if carries_files(&ev) {
            drags.update(|n| *n = n.saturating_sub(1));
        }
    };
    // A file dropped a little off the room (on the sidebar or the header) must not make the
    // browser open it in place of the app: outside the room a drop of files does nothing.
    let outside_over = window_event_listener(leptos::ev::dragover, |ev| {
        if carries_files(&ev) {
            ev.prevent_default();
        }
    });
    let outside_drop = window_event_listener(leptos::ev::drop, |ev| {
        if carries_files(&ev) {
            ev.prevent_default();
        }
    });
    on_cleanup(move || {
        outside_over.remove();
        outside_drop.remove();
    });
    let on_drop = move |ev: DragEvent| {
        if !carries_files(&ev) {
            return;
        }
        ev.prevent_default();
        drags.set(0);
        #[cfg(feature = "hydrate")]
        if let (Some(files), Some(room)) = (ev.data_transfer().and_then(|d| d.files()), room_id.get_untracked()) {
            crate::state::actions::attach(store, room, files);
            super::message_toolbar::focus_composer();
        }
    };

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
        <section
            class="room"
            data-testid="chat-room"
            on:dragenter=on_dragenter
            on:dragover=on_dragover
            on:dragleave=on_dragleave
            on:drop=on_drop
        >
            <Transition fallback=|| view! { <header class="room-header"><h1>"…"</h1></header> }>
                {move || {
                    details
                        .get()
                        .map(|d| match d {
                            Ok(Some(d)) => view! { <RoomHeader details=d /> }.into_any(),
                            Ok(None) => view! { <header class="room-header"><h1>"…"</h1></header> }.into_any(),
                            Err(e) => view! { <RoomUnavailable error=e /> }.into_any(),
                        })
                }}
            </Transition>
            <Show when=move || !unavailable.get()>
                <MessageList room first_page />
                <TypingIndicator room />
                <MessageInput room />
            </Show>
            <Show when=move || { drags.get() > 0 }>
                <div class="drop-overlay" data-testid="drop-overlay">
                    <p>{tr!(i18n, chat.room.drop_files)}</p>
                </div>
            </Show>
        </section>
        // The server's HTML shows the newest messages at once, as the list will, before the
        // WASM has loaded (once it runs, the list's own effect does it). Here, after the
        // composer, which takes its height from the list.
        <script>
            "var l=document.querySelector('[data-testid=message-list]');if(l)l.scrollTop=l.scrollHeight"
        </script>
        <Transition fallback=|| ()>
            {move || details.get().and_then(Result::ok).flatten().map(|d| view! { <UserList details=d /> })}
        </Transition>
    }
}

/// A room that is not there for me: no such room, not mine (any more), or not a room id.
#[component]
fn RoomUnavailable(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let (heading, text) = if is_gone(&error) {
        (tr!(i18n, chat.room.not_found).into_any(), tr!(i18n, chat.room.not_found_text).into_any())
    } else {
        (tr!(i18n, chat.room.open_failed).into_any(), error.localized(i18n.get_locale_untracked()).into_any())
    };
    view! {
        <header class="room-header">
            <A href="/chat" attr:class="back-link icon-button" attr:aria-label=move || t_string!(i18n, chat.room.back)>
                "←"
            </A>
            <h1>{heading}</h1>
        </header>
        <div class="room-unavailable" role="alert" data-testid="room-unavailable">
            <p>{text}</p>
            <A href="/chat" attr:class="button">
                {tr!(i18n, chat.room.back_to_chats)}
            </A>
        </div>
    }
}

/// Whether the server's answer means the room is not there for me (rather than not reached).
fn is_gone(error: &AppError) -> bool {
    matches!(
        error,
        AppError::NotFound { .. } | AppError::Forbidden { .. } | AppError::Invalid { .. } | AppError::BadRequest { .. }
    )
}

/// Whether a drag carries files (not text or a link being dragged about the page).
fn carries_files(ev: &DragEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        ev.data_transfer().is_some_and(|dt| dt.types().includes(&"Files".into(), 0))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}
