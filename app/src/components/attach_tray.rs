//! The files chosen for the next message, above the composer: a thumbnail for images (made in
//! the browser, nothing is sent yet) or an icon, the name and size, and × to take one out.
//! Sending the message sends them, the composer's text as the first one's caption.

use leptos::prelude::*;

use super::file_thumb::FileThumb;
use crate::{
    i18n::{t_string, use_i18n},
    state::{actions::detach, store::use_chat},
    types::{human_size, RoomId},
};

#[component]
pub fn AttachTray(room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let files = Memo::new(move |_| store.attached_in(room.get()));
    view! {
        <Show when=move || files.with(|f| !f.is_empty())>
            <ul class="attach-tray" aria-label=move || t_string!(i18n, chat.attach.label) data-testid="attach-tray">
                <For
                    each=move || files.get()
                    key=|f| f.key.clone()
                    children=move |file| {
                        let key = file.key.clone();
                        let name = file.name.clone();
                        let thumb = file.thumb.clone();
                        view! {
                            <li class="attached" data-testid="attached-file">
                                <FileThumb thumb />
                                <span class="attached-text">
                                    <span class="attached-name" title=file.name.clone()>{file.name.clone()}</span>
                                    <span class="attached-size">{human_size(file.size as i64)}</span>
                                </span>
                                <button
                                    type="button"
                                    class="icon-button"
                                    aria-label=move || t_string!(i18n, chat.attach.remove_file, name = &name)
                                    title=move || t_string!(i18n, chat.attach.remove)
                                    on:click=move |_| detach(store, &key)
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </Show>
    }
}
