//! "Delete this message?": deleting cannot be undone, so it is asked first. Cancel has the
//! focus, so a stray Enter keeps the message.

use leptos::{html, prelude::*};

use super::{
    modal::{close, Modal},
    system_line::system_text,
};
use crate::{
    i18n::{t_string, use_i18n},
    state::{actions::delete_message, store::use_chat},
    tr,
    types::{MessageId, RoomId},
};

#[component]
pub fn DeleteDialog(room: RoomId, message: MessageId) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let node = NodeRef::<html::Dialog>::new();
    // What the message says, as the timeline shows it.
    let target = store.message(room, message);
    let preview = move || match &target {
        None => String::new(),
        Some(m) if m.is_deleted() => t_string!(i18n, chat.message.deleted).to_string(),
        Some(m) => match &m.system {
            Some(event) => system_text(i18n.get_locale(), event, &m.sender_name),
            None => m.shown_text().to_string(),
        },
    };
    let delete = move |_| {
        if delete_message(store, room, message) {
            close(node);
        }
    };
    view! {
        <Modal
            label=move || t_string!(i18n, chat.delete.label).to_string()
            node
            class="confirm-dialog"
            test_id="delete-dialog"
            on_close=move |_| store.dialog.set(None)
        >
            <h2>{tr!(i18n, chat.delete.title)}</h2>
            <p>{tr!(i18n, chat.delete.warning)}</p>
            <blockquote class="delete-preview">{preview}</blockquote>
            <div class="dialog-actions">
                <button type="button" class="button ghost" autofocus on:click=move |_| close(node)>
                    {tr!(i18n, chat.delete.cancel)}
                </button>
                <button type="button" class="button danger" data-testid="confirm-delete" on:click=delete>
                    {tr!(i18n, chat.delete.confirm)}
                </button>
            </div>
        </Modal>
    }
}
