//! A room's header: title, presence (private) or member count (group), and the room's menu:
//! how it notifies me, mute, rename (a group's owners and admins), leave (asked first). On a
//! phone the member list opens from here too.

use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_navigate};

use super::{
    modal::{close, Modal},
    retention_dialog::{days_label, retention_dialog},
};
use crate::{
    api,
    i18n::{t, t_string, td_string, use_i18n, Locale},
    lazy::view_or_error,
    state::store::{now_ms, use_chat},
    tr,
    types::{Mute, NotifyLevel, Role, RoomDetails, RoomId, RoomKind, MUTED_FOREVER},
};

#[component]
pub fn RoomHeader(details: RoomDetails) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let summary = details.summary.clone();
    let room = summary.room.id;
    let is_group = summary.room.kind == RoomKind::Group;
    let can_rename = is_group && details.my_role.can_manage();
    let can_set_retention = is_group && details.my_role == Role::Owner;
    let retention = details.retention;
    let setting_retention = RwSignal::new(false);
    let renaming = RwSignal::new(false);
    let leaving = RwSignal::new(false);
    let name = RwSignal::new(summary.title.clone());
    let error = RwSignal::new(None::<String>);
    let menu = NodeRef::<html::Details>::new();
    let name_field = NodeRef::<html::Input>::new();
    // The name field opens with focus and its text selected, to type over; it closes with focus
    // back on the menu's button it was opened from.
    Effect::new(move || {
        if let Some(field) = name_field.get() {
            // The value may not be in the field yet when this runs: put it there first, or the
            // selection would be of nothing.
            field.set_value(&name.get_untracked());
            let _ = field.focus();
            field.select();
        }
    });
    // Ends renaming; focus goes back to the menu's button unless the reader has moved on
    // meanwhile (the answer to Save can come late). The header may be gone by then (the room
    // changed): hence `try_`.
    let stop_renaming = move || {
        let in_form = document().active_element().is_some_and(|a| a.closest("form.rename").ok().flatten().is_some());
        let focus_in_form = in_form || super::focus_fell_to_page();
        renaming.try_set(false);
        if let Some(m) = menu.try_get_untracked().flatten().filter(|_| focus_in_form) {
            super::focus_summary(&m);
        }
    };
    let close_menu = move || {
        if let Some(m) = menu.get_untracked() {
            super::close_menu(&m);
        }
    };
    let subtitle = {
        let peer = summary.peer.as_ref().map(|p| p.id);
        let count = details.participants.len();
        move || match peer {
            Some(p) => super::user_list::presence_label(i18n.get_locale(), store.presence(p)).to_string(),
            None if count == 1 => t_string!(i18n, rooms.header.member_count_single).to_string(),
            None => t_string!(i18n, rooms.header.member_count, n = count),
        }
    };
    let rename = move || {
        let new_name = name.get_untracked();
        spawn_local(async move {
            // The header may have been rebuilt meanwhile (the room changed): hence `try_set`.
            match api::rename_room(room, new_name).await {
                Ok(_) => {
                    stop_renaming();
                    error.try_set(None);
                    store.refresh_rooms();
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let title = summary.title.clone();

    view! {
        <header class="room-header">
            <A href="/chat" attr:class="back-link icon-button" attr:aria-label=move || t_string!(i18n, rooms.header.back)>"←"</A>
            <div class="room-heading">
                <Show
                    when=move || renaming.get()
                    fallback=move || {
                        view! {
                            <h1 data-testid="room-title" title=title.clone()>{title.clone()}</h1>
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
                            node_ref=name_field
                            aria-label=move || t_string!(i18n, rooms.header.group_name)
                            on:keydown=move |ev| {
                                if ev.key() == "Escape" {
                                    ev.prevent_default();
                                    stop_renaming();
                                }
                            }
                            maxlength=crate::types::limits::ROOM_NAME_MAX
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))
                        />
                        <button class="button small" type="submit">{tr!(i18n, rooms.header.save)}</button>
                        <button class="button small ghost" type="button" on:click=move |_| stop_renaming()>
                            {tr!(i18n, rooms.header.cancel)}
                        </button>
                    </form>
                </Show>
                <span class="muted room-subtitle" data-testid="room-subtitle">
                    {subtitle}
                    {(retention.days() > 0)
                        .then(|| {
                            view! {
                                <span class="room-retention" data-testid="room-retention">
                                    {move || t_string!(i18n, rooms.header.retention, days = days_label(i18n, retention.days()))}
                                </span>
                            }
                        })}
                </span>
            </div>
            <button
                class="icon-button members-toggle"
                data-testid="members-toggle"
                aria-expanded=move || store.members_open.get().to_string()
                on:click=move |_| store.members_open.update(|o| *o = !*o)
            >
                {tr!(i18n, rooms.header.members)}
            </button>
            <details
                class="room-menu"
                node_ref=menu
                on:keydown=super::close_on_escape
                on:focusout=super::close_when_focus_leaves
            >
                <summary
                    class="icon-button"
                    data-testid="room-menu"
                    aria-label=move || t_string!(i18n, rooms.header.room_options)
                    title=move || t_string!(i18n, rooms.header.room_options)
                >
                    "⋯"
                </summary>
                <div class="menu">
                    <NotifyChoices room close_menu />
                    {can_rename
                        .then(|| {
                            view! {
                                <button
                                    class="menu-item"
                                    data-testid="rename-room"
                                    on:click=move |_| {
                                        close_menu();
                                        renaming.set(true);
                                    }
                                >
                                    {tr!(i18n, rooms.header.rename)}
                                </button>
                            }
                        })}
                    {can_set_retention
                        .then(|| {
                            view! {
                                <button
                                    class="menu-item"
                                    data-testid="room-retention-menu"
                                    on:click=move |_| {
                                        close_menu();
                                        setting_retention.set(true);
                                    }
                                >
                                    {tr!(i18n, rooms.header.retention_menu)}
                                </button>
                            }
                        })}
                    {is_group
                        .then(|| {
                            view! {
                                <button
                                    class="menu-item danger"
                                    data-testid="leave-room"
                                    on:click=move |_| {
                                        close_menu();
                                        leaving.set(true);
                                    }
                                >
                                    {tr!(i18n, rooms.header.leave)}
                                </button>
                            }
                        })}
                </div>
            </details>
            {move || error.get().map(|e| view! { <span class="form-error" role="alert">{crate::error::localize(&e, i18n.get_locale())}</span> })}
        </header>
        <Show when=move || setting_retention.get()>
            {move || {
                let on_close = Callback::new(move |()| {
                    setting_retention.try_set(false);
                });
                Suspend::new(view_or_error(retention_dialog(room, retention, on_close), on_close))
            }}
        </Show>
        <Show when=move || leaving.get()>
            <LeaveDialog room title=summary.title.clone() on_close=move || { leaving.try_set(false); } />
        </Show>
    }
}

/// The room's notification level and mute, as in the room list's summary.
#[component]
fn NotifyChoices(room: RoomId, close_menu: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let clock = crate::time::use_clock();
    let current = move || store.rooms.with(|r| r.iter().find(|s| s.room.id == room).cloned());
    let level = move || current().and_then(|s| s.notify);
    let muted_until = move || current().and_then(|s| s.muted_until).filter(|&t| t > now_ms());
    let error = RwSignal::new(None::<String>);
    let save = move |level: Option<NotifyLevel>, mute: Option<Mute>| {
        close_menu();
        spawn_local(async move {
            match api::set_room_notify(room, level, mute).await {
                Ok(summary) => {
                    error.try_set(None);
                    store.rooms.update(|r| {
                        if let Some(s) = r.iter_mut().find(|s| s.room.id == room) {
                            s.notify = summary.notify;
                            s.muted_until = summary.muted_until;
                        }
                    });
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let choices = std::iter::once(None)
        .chain(NotifyLevel::ALL.into_iter().map(Some))
        .map(|choice| {
            // The default's label follows my settings, which arrive after the first render.
            let label = move || match choice {
                Some(level) => notify_label(i18n.get_locale(), level).to_string(),
                None => {
                    let level = notify_label(i18n.get_locale(), store.prefs.get().notify);
                    t_string!(i18n, rooms.notify.default, level = level)
                }
            };
            view! {
                <label class="menu-item radio">
                    <input
                        type="radio"
                        name=format!("notify-{room}")
                        value=choice.map_or("default", NotifyLevel::as_str)
                        prop:checked=move || level() == choice
                        on:change=move |_| save(choice, None)
                    />
                    {label}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="menu-group" data-testid="notify-choices">
            <legend>{tr!(i18n, rooms.notify.legend)}</legend>
            {choices}
        </fieldset>
        <div class="menu-group">
            {move || match muted_until() {
                Some(until) => {
                    let label = if until == MUTED_FOREVER {
                        t_string!(i18n, rooms.notify.muted).to_string()
                    } else {
                        t_string!(i18n, rooms.notify.muted_until, time = clock.short(until, now_ms()))
                    };
                    view! {
                        <p class="menu-note" data-testid="muted-note">{label}</p>
                        <button class="menu-item" data-testid="unmute" on:click=move |_| save(level(), Some(Mute::Off))>
                            {tr!(i18n, rooms.notify.unmute)}
                        </button>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <button class="menu-item" data-testid="mute-1h" on:click=move |_| save(level(), Some(Mute::Hour))>
                            {tr!(i18n, rooms.notify.mute_hour)}
                        </button>
                        <button class="menu-item" data-testid="mute-8h" on:click=move |_| save(level(), Some(Mute::EightHours))>
                            {tr!(i18n, rooms.notify.mute_eight_hours)}
                        </button>
                        <button class="menu-item" data-testid="mute-forever" on:click=move |_| save(level(), Some(Mute::Forever))>
                            {tr!(i18n, rooms.notify.mute_forever)}
                        </button>
                    }
                        .into_any()
                }
            }}
        </div>
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{crate::error::localize(&e, i18n.get_locale())}</p> })}
    }
}

/// "Leave this group?": leaving cannot be undone by oneself (someone must add you back).
#[component]
fn LeaveDialog(room: RoomId, title: String, on_close: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let node = NodeRef::<html::Dialog>::new();
    let error = RwSignal::new(None::<String>);
    let leave = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::leave_room(room).await {
                // The room may be gone from the screen already (`room_removed` came first),
                // and this dialog with it. The list is not fetched again: that would fetch
                // this room's details too while its URL is still open, and answer 404.
                Ok(()) => {
                    store.rooms.update(|r| r.retain(|s| s.room.id != room));
                    if let Some(Some(dialog)) = node.try_get_untracked() {
                        dialog.close();
                    }
                    navigate("/chat", Default::default());
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <Modal label=move || t_string!(i18n, rooms.header.leave) node class="confirm-dialog" test_id="leave-dialog" on_close=move |_| on_close()>
            <h2>{t!(i18n, rooms.leave.title, name = title)}</h2>
            <p>{tr!(i18n, rooms.leave.body)}</p>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{crate::error::localize(&e, i18n.get_locale())}</p> })}
            <div class="dialog-actions">
                <button type="button" class="button ghost" autofocus on:click=move |_| close(node)>
                    {tr!(i18n, rooms.leave.cancel)}
                </button>
                <button type="button" class="button danger" data-testid="confirm-leave" on:click=leave>
                    {tr!(i18n, rooms.leave.confirm)}
                </button>
            </div>
        </Modal>
    }
}

/// A notification level in words (not `NotifyLevel::label`, which is English only).
fn notify_label(locale: Locale, level: NotifyLevel) -> &'static str {
    match level {
        NotifyLevel::All => td_string!(locale, rooms.notify.all),
        NotifyLevel::Mentions => td_string!(locale, rooms.notify.mentions),
        NotifyLevel::Nothing => td_string!(locale, rooms.notify.nothing),
    }
}
