//! An `IMAGE` message's picture in the timeline: the server's preview, loaded lazily in a box
//! of the image's proportions reserved from its stored size, so the list does not jump as
//! images arrive (or jump the reader away from a message they were brought to). A click or
//! Enter opens it full size in the lightbox.

use leptos::prelude::*;

use crate::{
    i18n::{td_string, use_i18n},
    state::store::{use_chat, MessageDialog},
    types::{Attachment, MessageId, RoomId},
};

/// The largest an image shows inline, in CSS pixels. The server's preview fits 800×600, so it
/// stays sharp at this size on a 2× screen; a narrower bubble scales the box down further,
/// keeping its proportions.
pub const INLINE_MAX: (u32, u32) = (480, 360);

/// The box of an image whose size is unknown (it always is known for images the server took).
const UNKNOWN: (u32, u32) = (240, 180);

#[component]
pub fn ImagePreview(room: RoomId, id: MessageId, attachment: Attachment) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let language = crate::text::language(i18n);
    let (width, height) = match (attachment.width, attachment.height) {
        (Some(w), Some(h)) => fit(w, h, INLINE_MAX),
        _ => UNKNOWN,
    };
    view! {
        <button
            type="button"
            class="image-open"
            aria-haspopup="dialog"
            title=move || td_string!(language.get(), chat.image.open)
            data-testid="image-open"
            on:click=move |_| store.dialog.set(Some(MessageDialog::Lightbox(room, id)))
        >
            <img
                class="image-preview"
                src=Attachment::preview_url(id)
                alt=attachment.name
                width=width
                height=height
                loading="lazy"
                decoding="async"
                data-testid="image-preview"
            />
        </button>
    }
}

/// `width`×`height` scaled down (never up) to fit `max`, keeping the proportions; each side at
/// least one pixel, so a 10000×1 banner still gets a box.
pub fn fit(width: u32, height: u32, max: (u32, u32)) -> (u32, u32) {
    let (w, h) = (width.max(1) as f64, height.max(1) as f64);
    let scale = (max.0 as f64 / w).min(max.1 as f64 / h).min(1.0);
    (((w * scale).round() as u32).max(1), ((h * scale).round() as u32).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_keep_the_proportions_within_the_limit() {
        assert_eq!(fit(4032, 3024, INLINE_MAX), (480, 360), "a landscape photo");
        assert_eq!(fit(3024, 4032, INLINE_MAX), (270, 360), "a portrait photo");
        assert_eq!(fit(1600, 400, INLINE_MAX), (480, 120), "a wide banner fits its width");
        assert_eq!(fit(4000, 3000, (800, 600)), (800, 600), "the server's preview size");
    }

    #[test]
    fn small_images_are_never_enlarged_and_thin_ones_keep_a_pixel() {
        assert_eq!(fit(64, 48, INLINE_MAX), (64, 48));
        assert_eq!(fit(10_000, 1, INLINE_MAX), (480, 1));
        assert_eq!(fit(0, 0, INLINE_MAX), (1, 1));
    }
}
