//! An image full size, over everything: the original file, shown over its (already loaded)
//! preview while it arrives. ← and → step through the room's loaded images, Escape closes and
//! puts focus back on the image that opened it (the native `<dialog>` of [`Modal`] does both).

use leptos::{
    ev::{self, KeyboardEvent},
    html,
    prelude::*,
};

use super::modal::{close, Modal};
use crate::{
    i18n::{t, t_string, use_i18n},
    lazy::{wasm_split, Loaded},
    state::store::use_chat,
    tr,
    types::{human_size, Attachment, MessageId, RoomId},
};

#[component]
pub fn Lightbox(room: RoomId, start: MessageId) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let node = NodeRef::<html::Dialog>::new();
    let current = RwSignal::new(start);
    // The room's images as loaded now, oldest first.
    let images = Memo::new(move |_| {
        store.timelines.with(|t| {
            t.get(&room)
                .map(|tl| {
                    tl.messages
                        .iter()
                        .filter(|m| !m.is_deleted())
                        .filter_map(|m| m.attachment.clone().filter(Attachment::is_image).map(|a| (m.id, a)))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let position = move || images.with(|all| all.iter().position(|(id, _)| *id == current.get()));
    let step = move |by: isize| {
        let Some(at) = position() else { return };
        let next = at.saturating_add_signed(by);
        if let Some((id, _)) = images.with_untracked(|all| all.get(next).cloned()) {
            current.set(id);
        }
    };
    // On the window, not the dialog: stepping to the last image disables "Next", and the focus
    // it had falls out of the dialog.
    let keys = window_event_listener(ev::keydown, move |ev: KeyboardEvent| match ev.key().as_str() {
        "ArrowLeft" => {
            ev.prevent_default();
            step(-1);
        }
        "ArrowRight" => {
            ev.prevent_default();
            step(1);
        }
        _ => {}
    });
    on_cleanup(move || keys.remove());
    let count = move || images.with(Vec::len);
    let shown = move || {
        let id = current.get();
        let image = images.with(|all| all.iter().find(|(i, _)| *i == id).map(|(_, a)| a.clone()));
        match image {
            Some(a) => {
                let url = Attachment::url(id);
                let about = format!("{} · {}", a.name, human_size(a.size));
                view! {
                    <figure class="lightbox-figure">
                        <img
                            class="lightbox-image"
                            src=url.clone()
                            alt=a.name.clone()
                            width=a.width
                            height=a.height
                            style=box_style(&a, id)
                            data-testid="lightbox-image"
                        />
                        <figcaption>
                            <span class="lightbox-name">{about}</span>
                            <a class="button ghost" href=url download=a.name.clone()>
                                {tr!(i18n, chat.lightbox.download)}
                            </a>
                        </figcaption>
                    </figure>
                }
                .into_any()
            }
            None => view! { <p class="lightbox-gone">{tr!(i18n, chat.lightbox.gone)}</p> }.into_any(),
        }
    };

    view! {
        <Modal
            label=move || t_string!(i18n, chat.lightbox.label).to_string()
            node
            class="lightbox"
            test_id="lightbox"
            on_close=move |_| store.dialog.set(None)
        >
            <div class="lightbox-body">
                <div class="lightbox-bar">
                    <button
                        type="button"
                        class="icon-button"
                        aria-label=move || t_string!(i18n, chat.lightbox.previous)
                        title=move || t_string!(i18n, chat.lightbox.previous_hint)
                        disabled=move || position().is_none_or(|at| at == 0)
                        on:click=move |_| step(-1)
                    >
                        "←"
                    </button>
                    <span class="lightbox-count" aria-live="polite">
                        {move || {
                            position()
                                .map(|at| {
                                    let total = count();
                                    t!(i18n, chat.lightbox.position, at = move || at + 1, total = move || total)
                                })
                        }}
                    </span>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label=move || t_string!(i18n, chat.lightbox.next)
                        title=move || t_string!(i18n, chat.lightbox.next_hint)
                        disabled=move || position().is_none_or(|at| at + 1 >= count())
                        on:click=move |_| step(1)
                    >
                        "→"
                    </button>
                    <button
                        type="button"
                        class="icon-button lightbox-close"
                        aria-label=move || t_string!(i18n, chat.lightbox.close)
                        title=move || t_string!(i18n, chat.lightbox.close_hint)
                        autofocus
                        on:click=move |_| close(node)
                    >
                        "×"
                    </button>
                </div>
                {shown}
            </div>
        </Modal>
    }
}

/// The image's box, known before a byte arrives: as wide as the window and the bar above it
/// allow at its proportions, at most its own width; its preview (already in the cache) fills
/// the box until the original is in.
fn box_style(image: &Attachment, id: MessageId) -> String {
    let preview = format!("background-image: url({})", Attachment::preview_url(id));
    match (image.width, image.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => {
            format!("{preview}; aspect-ratio: {w} / {h}; width: min(100%, {w}px, calc((100dvh - 7.5rem) * {w} / {h}))")
        }
        _ => format!("{preview}; max-height: calc(100dvh - 7.5rem); width: auto"),
    }
}

/// The lightbox, from its own WASM chunk (see [`crate::lazy`]).
#[wasm_split(lightbox, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn lightbox(room: RoomId, start: MessageId) -> Loaded {
    Ok(view! { <Lightbox room start /> }.into_any())
}
