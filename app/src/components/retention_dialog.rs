//! How long a group keeps its messages, chosen by its owner: the server's policy, forever, or
//! a number of days. Older messages are removed for everyone, with their files.

use leptos::{html, prelude::*, task::spawn_local};

use super::modal::{close, Modal};
use crate::{
    api,
    i18n::{t_string, use_i18n},
    lazy::{wasm_split, Loaded},
    state::store::use_chat,
    tr,
    types::{Retention, RoomId},
};

/// "1 day", "30 days", in the UI's language.
pub fn days_label(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>, n: u32) -> String {
    match n {
        1 => t_string!(i18n, rooms.retention.one_day).to_string(),
        n => t_string!(i18n, rooms.retention.day_count, n = n),
    }
}

/// The choices offered besides the server's policy and "forever".
const DAYS: [u32; 5] = [1, 7, 30, 90, 365];

#[component]
pub fn RetentionDialog(
    room: RoomId,
    retention: Retention,
    on_close: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let node = NodeRef::<html::Dialog>::new();
    let error = RwSignal::new(None::<String>);
    // "server", "0" (forever) or a number of days, as the select's values.
    let choice = RwSignal::new(retention.own.map_or("server".to_string(), |d| d.to_string()));
    let server_days = retention.server_days;
    let save = move |_| {
        let days = match choice.get_untracked().as_str() {
            "server" => None,
            value => value.parse::<u32>().ok(),
        };
        spawn_local(async move {
            match api::set_retention(room, days).await {
                Ok(_) => {
                    store.refresh_rooms();
                    if let Some(Some(dialog)) = node.try_get_untracked() {
                        dialog.close();
                    }
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let server_label = move || match server_days {
        0 => t_string!(i18n, rooms.retention.server_forever).to_string(),
        n => t_string!(i18n, rooms.retention.server_days, days = days_label(i18n, n)),
    };
    view! {
        <Modal
            label=move || t_string!(i18n, rooms.retention.title)
            node
            class="confirm-dialog"
            test_id="retention-dialog"
            on_close=move |_| on_close()
        >
            <h2>{tr!(i18n, rooms.retention.title)}</h2>
            <p>{tr!(i18n, rooms.retention.body)}</p>
            <label class="field">
                <span>{tr!(i18n, rooms.retention.keep)}</span>
                <select
                    data-testid="retention-choice"
                    prop:value=move || choice.get()
                    on:change=move |ev| choice.set(event_target_value(&ev))
                >
                    <option value="server">{server_label}</option>
                    <option value="0">{tr!(i18n, rooms.retention.forever)}</option>
                    {DAYS
                        .iter()
                        .copied()
                        .chain(retention.own.filter(|d| *d != 0 && !DAYS.contains(d)))
                        .map(|n| view! { <option value=n.to_string()>{move || days_label(i18n, n)}</option> })
                        .collect_view()}
                </select>
            </label>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{crate::error::localize(&e, i18n.get_locale())}</p> })}
            <div class="dialog-actions">
                <button type="button" class="button ghost" on:click=move |_| close(node)>
                    {tr!(i18n, rooms.leave.cancel)}
                </button>
                <button type="button" class="button" data-testid="save-retention" on:click=save>
                    {tr!(i18n, rooms.header.save)}
                </button>
            </div>
        </Modal>
    }
}

/// The dialog, from its own WASM chunk (see [`crate::lazy`]).
#[wasm_split(retention_dialog, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn retention_dialog(room: RoomId, retention: Retention, on_close: Callback<()>) -> Loaded {
    Ok(view! { <RetentionDialog room retention on_close=move || on_close.run(()) /> }.into_any())
}
