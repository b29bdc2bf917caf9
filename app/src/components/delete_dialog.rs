//! "Delete this message?": deleting cannot be undone, so it is asked first. Cancel has the
//! focus, so a stray Enter keeps the message.

use leptos::{html, prelude::*};

use super::modal::{close, Modal};
use crate::{
    state::{actions::delete_message, store::use_chat},
    types::{MessageId, RoomId},
};

#[component]
pub fn DeleteDialog(room: RoomId, message: MessageId) -> impl IntoView {
    let store = use_chat();
    let node = NodeRef::<html::Dialog>::new();
    let preview = store.message(room, message).map(|m| m.preview()).unwrap_or_default();
    let delete = move |_| {
        if delete_message(store, room, message) {
            close(node);
        }
    };
    view! {
        <Modal
            label="Delete message"
            node
            class="confirm-dialog"
            test_id="delete-dialog"
            on_close=move |_| store.dialog.set(None)
        >
            <h2>"Delete this message?"</h2>
            <p>"This can't be undone."</p>
            <blockquote class="delete-preview">{preview}</blockquote>
            <div class="dialog-actions">
                <button type="button" class="button ghost" autofocus on:click=move |_| close(node)>
                    "Cancel"
                </button>
                <button type="button" class="button danger" data-testid="confirm-delete" on:click=delete>
                    "Delete"
                </button>
            </div>
        </Modal>
    }
}
