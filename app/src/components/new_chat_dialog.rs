//! The dialog for starting a private chat, creating a group, or adding people to a group.

use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;

use super::navbar::initial;
use crate::{
    api,
    i18n::{t_string, use_i18n},
    lazy::{view_or_error, wasm_split, Loaded},
    state::store::use_chat,
    tr,
    types::{RoomId, User},
    AppError,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Direct,
    Group,
    Add(RoomId),
}

/// The dialog while `open`. Its code is a WASM chunk of its own (see [`crate::lazy`]), fetched
/// the first time it opens; it is mounted afresh each time.
#[component]
pub fn NewChatDialog(open: RwSignal<bool>, add_to: Option<RoomId>) -> impl IntoView {
    let closed = Callback::new(move |()| open.set(false));
    view! { <Show when=move || open.get()>{move || Suspend::new(view_or_error(new_chat_dialog(open, add_to), closed))}</Show> }
}

#[wasm_split(new_chat_dialog, wasm_split_path = ::leptos::wasm_split, fallible)]
fn new_chat_dialog(open: RwSignal<bool>, add_to: Option<RoomId>) -> Loaded {
    Ok(dialog_view(open, add_to).into_any())
}

fn dialog_view(open: RwSignal<bool>, add_to: Option<RoomId>) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let dialog = NodeRef::<html::Dialog>::new();
    let mode = RwSignal::new(add_to.map_or(Mode::Direct, Mode::Add));
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(Vec::<User>::new());
    let group_name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    // Searches as the query changes (the dialog is only ever mounted in the browser, open); the
    // newest answer wins.
    let results = RwSignal::new(Ok::<_, AppError>(Vec::<User>::new()));
    let searches = StoredValue::new(0u64);
    Effect::new(move || {
        let q = query.get();
        searches.update_value(|n| *n += 1);
        let search = searches.get_value();
        spawn_local(async move {
            let found = api::search_users(q).await;
            if searches.try_get_value() == Some(search) {
                results.set(found);
            }
        });
    });

    let focus = super::modal::FocusReturn::new();
    // Shown as a modal once mounted; closing unmounts it, so each opening starts afresh.
    Effect::new(move || {
        if let Some(d) = dialog.get() {
            if !d.open() {
                focus.open(&d);
            }
        }
    });
    let close = move || {
        focus.give_back();
        open.set(false);
    };

    let go_to = move |room: RoomId| {
        store.refresh_rooms();
        close();
        navigate(&format!("/chat/{room}"), Default::default());
    };
    let go_to = StoredValue::new(go_to);

    let start_direct = move |user: User| {
        busy.set(true);
        spawn_local(async move {
            match api::open_private_room(user.id).await {
                Ok(summary) => go_to.with_value(|g| g(summary.room.id)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let submit_group = move || {
        let members: Vec<_> = selected.get_untracked().iter().map(|u| u.id).collect();
        busy.set(true);
        spawn_local(async move {
            let result = match mode.get_untracked() {
                Mode::Add(room) => api::add_participants(room, members).await.map(|d| d.summary.room.id),
                _ => api::create_group(group_name.get_untracked(), members).await.map(|s| s.room.id),
            };
            match result {
                Ok(room) => go_to.with_value(|g| g(room)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let toggle = move |user: User| {
        selected.update(|s| {
            if let Some(i) = s.iter().position(|u| u.id == user.id) {
                s.remove(i);
            } else {
                s.push(user);
            }
        })
    };

    let title = move || match mode.get() {
        Mode::Direct | Mode::Group => t_string!(i18n, rooms.new_chat.title),
        Mode::Add(_) => t_string!(i18n, rooms.new_chat.title_add),
    };

    view! {
        <dialog
            class="dialog"
            node_ref=dialog
            on:close=move |_| close()
            on:keydown=super::modal::keep_focus_inside
            data-testid="new-chat-dialog"
        >
            <h2>{title}</h2>
            <Show when=move || !matches!(mode.get(), Mode::Add(_))>
                <div class="tabs" role="tablist">
                    <button
                        class="button small"
                        class=("ghost", move || mode.get() != Mode::Direct)
                        role="tab"
                        aria-selected=move || (mode.get() == Mode::Direct).to_string()
                        on:click=move |_| mode.set(Mode::Direct)
                    >
                        {tr!(i18n, rooms.new_chat.direct)}
                    </button>
                    <button
                        class="button small"
                        class=("ghost", move || mode.get() != Mode::Group)
                        role="tab"
                        aria-selected=move || (mode.get() == Mode::Group).to_string()
                        on:click=move |_| mode.set(Mode::Group)
                    >
                        {tr!(i18n, rooms.new_chat.group)}
                    </button>
                </div>
            </Show>
            <Show when=move || mode.get() == Mode::Group>
                <label>
                    {tr!(i18n, rooms.new_chat.group_name)}
                    <input
                        data-testid="group-name"
                        maxlength=crate::types::limits::ROOM_NAME_MAX
                        prop:value=move || group_name.get()
                        on:input=move |ev| group_name.set(event_target_value(&ev))
                    />
                </label>
            </Show>
            <label>
                {tr!(i18n, rooms.new_chat.find_people)}
                <input
                    type="search"
                    data-testid="user-search"
                    placeholder=move || t_string!(i18n, rooms.new_chat.find_placeholder)
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </label>
            <div class="chips">
                <For
                    each=move || selected.get()
                    key=|u| u.id
                    children=move |u| view! { <span class="chip">{u.display_name}</span> }
                />
            </div>
            <ul class="results" data-testid="user-results">
                {move || {
                        match results.get() {
                                Ok(users) if users.is_empty() => {
                                    view! { <li class="muted">{tr!(i18n, rooms.new_chat.nobody)}</li> }.into_any()
                                }
                                Ok(users) => {
                                    users
                                        .into_iter()
                                        .map(|u| {
                                            let picked = {
                                                let id = u.id;
                                                move || selected.with(|s| s.iter().any(|x| x.id == id))
                                            };
                                            let user = u.clone();
                                            let name = u.display_name.clone();
                                            let action = move || match (mode.get(), picked()) {
                                                (Mode::Direct, _) => t_string!(i18n, rooms.new_chat.message),
                                                (_, true) => t_string!(i18n, rooms.new_chat.remove),
                                                (_, false) => t_string!(i18n, rooms.new_chat.add),
                                            };
                                            let action_label = move || {
                                                let name = name.clone();
                                                match (mode.get(), picked()) {
                                                    (Mode::Direct, _) => t_string!(i18n, rooms.message_person, name),
                                                    (_, true) => t_string!(i18n, rooms.remove_person, name),
                                                    (_, false) => t_string!(i18n, rooms.add_person, name),
                                                }
                                            };
                                            view! {
                                                <li data-testid="user-result">
                                                    <span class="avatar" aria-hidden="true">{initial(&u.display_name)}</span>
                                                    <span class="result-name">{u.display_name.clone()} " " <span class="muted">"@" {u.username.clone()}</span></span>
                                                    // Named for whom it acts on: "Message Alice", not "Message".
                                                    <button
                                                        class="button small"
                                                        aria-label=action_label
                                                        disabled=move || busy.get()
                                                        on:click=move |_| {
                                                            if mode.get_untracked() == Mode::Direct {
                                                                start_direct(user.clone())
                                                            } else {
                                                                toggle(user.clone())
                                                            }
                                                        }
                                                    >
                                                        {action}
                                                    </button>
                                                </li>
                                            }
                                        })
                                        .collect_view()
                                        .into_any()
                                }
                                Err(e) => view! { <li class="form-error">{e.localized(i18n.get_locale())}</li> }.into_any(),
                        }
                    }}
            </ul>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.localized(i18n.get_locale())}</p> })}
            <div class="dialog-actions">
                <button class="button ghost" on:click=move |_| close()>{tr!(i18n, rooms.new_chat.cancel)}</button>
                <Show when=move || mode.get() != Mode::Direct>
                    <button
                        class="button"
                        data-testid="create-group"
                        disabled=move || busy.get() || selected.with(Vec::is_empty)
                        on:click=move |_| submit_group()
                    >
                        {move || {
                            if matches!(mode.get(), Mode::Add(_)) {
                                t_string!(i18n, rooms.new_chat.add_to_group)
                            } else {
                                t_string!(i18n, rooms.new_chat.create_group)
                            }
                        }}
                    </button>
                </Show>
            </div>
        </dialog>
    }
}
