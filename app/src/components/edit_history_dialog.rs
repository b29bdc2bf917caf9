//! The texts an edited message had before, newest first under the current one, with when each
//! was replaced. Fetched when opened: most messages are never looked at this way.

use leptos::{html, prelude::*, task::spawn_local};

use super::modal::{close, Modal};
use crate::{
    api,
    i18n::{t, t_string, use_i18n},
    lazy::{wasm_split, Loaded},
    state::store::use_chat,
    tr,
    types::{MessageEdit, MessageId, RoomId},
    AppError,
};

#[component]
pub fn EditHistoryDialog(room: RoomId, message: MessageId) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let clock = crate::time::use_clock();
    let node = NodeRef::<html::Dialog>::new();
    let edits = RwSignal::new(None::<Result<Vec<MessageEdit>, AppError>>);
    Effect::new(move || {
        spawn_local(async move {
            let result = api::message_edits(room, message).await;
            edits.try_set(Some(result));
        });
    });
    let current = move || {
        store.timelines.with(|t| t.get(&room).and_then(|tl| tl.get(message)).cloned()).map(|m| {
            let when = m.edited_at.map(|at| t!(i18n, chat.history.edited, time = move || clock.date_time(at)));
            view! {
                <li class="edit current">
                    <div class="edit-meta">
                        <strong>{tr!(i18n, chat.history.current)}</strong>
                        " · "
                        {when}
                    </div>
                    <div class="edit-text">
                        {if m.is_deleted() { tr!(i18n, chat.history.deleted).into_any() } else { m.content.into_any() }}
                    </div>
                </li>
            }
        })
    };
    let previous = move || {
        match edits.get() {
        None => view! { <li class="muted">{tr!(i18n, chat.history.loading)}</li> }.into_any(),
        Some(Err(e)) => view! { <li class="form-error" role="alert">{e.localized(i18n.get_locale())}</li> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! { <li class="muted">{tr!(i18n, chat.history.none)}</li> }.into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|e| {
                let replaced = e.replaced_at;
                view! {
                    <li class="edit" data-testid="previous-version">
                        <div class="edit-meta">{t!(i18n, chat.history.replaced, time = move || clock.date_time(replaced))}</div>
                        <div class="edit-text">{e.content}</div>
                    </li>
                }
            })
            .collect_view()
            .into_any(),
    }
    };
    view! {
        <Modal
            label=move || t_string!(i18n, chat.history.title).to_string()
            node
            class="history-dialog"
            test_id="edit-history"
            on_close=move |_| store.dialog.set(None)
        >
            <h2>{tr!(i18n, chat.history.title)}</h2>
            <ol class="edits" aria-live="polite">
                {current}
                {previous}
            </ol>
            <div class="dialog-actions">
                <button type="button" class="button" autofocus on:click=move |_| close(node)>
                    {tr!(i18n, chat.history.close)}
                </button>
            </div>
        </Modal>
    }
}

/// The dialog, from its own WASM chunk (see [`crate::lazy`]).
#[wasm_split(edit_history_dialog, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn edit_history_dialog(room: RoomId, message: MessageId) -> Loaded {
    Ok(view! { <EditHistoryDialog room message /> }.into_any())
}
