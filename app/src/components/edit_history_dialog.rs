//! The texts an edited message had before, newest first under the current one, with when each
//! was replaced. Fetched when opened: most messages are never looked at this way.

use leptos::{html, prelude::*, task::spawn_local};

use super::{
    date_time,
    modal::{close, Modal},
};
use crate::{
    api,
    state::store::use_chat,
    types::{MessageEdit, MessageId, RoomId},
    AppError,
};

#[component]
pub fn EditHistoryDialog(room: RoomId, message: MessageId) -> impl IntoView {
    let store = use_chat();
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
            let when = m.edited_at.map(|at| format!("Edited {}", date_time(at))).unwrap_or_default();
            view! {
                <li class="edit current">
                    <div class="edit-meta">
                        <strong>"Current"</strong>
                        " · "
                        {when}
                    </div>
                    <div class="edit-text">{if m.is_deleted() { "This message was deleted".to_string() } else { m.content }}</div>
                </li>
            }
        })
    };
    let previous = move || match edits.get() {
        None => view! { <li class="muted">"Loading…"</li> }.into_any(),
        Some(Err(e)) => view! { <li class="form-error" role="alert">{e.to_string()}</li> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! { <li class="muted">"No earlier versions."</li> }.into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|e| {
                view! {
                    <li class="edit" data-testid="previous-version">
                        <div class="edit-meta">{format!("Replaced {}", date_time(e.replaced_at))}</div>
                        <div class="edit-text">{e.content}</div>
                    </li>
                }
            })
            .collect_view()
            .into_any(),
    };
    view! {
        <Modal
            label="Edit history"
            node
            class="history-dialog"
            test_id="edit-history"
            on_close=move |_| store.dialog.set(None)
        >
            <h2>"Edit history"</h2>
            <ol class="edits" aria-live="polite">
                {current}
                {previous}
            </ol>
            <div class="dialog-actions">
                <button type="button" class="button" autofocus on:click=move |_| close(node)>
                    "Close"
                </button>
            </div>
        </Modal>
    }
}
