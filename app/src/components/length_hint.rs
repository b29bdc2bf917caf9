//! How much room a message has left, under the composer and the editor: nothing until the text
//! nears the limit, then the characters left, and past it how far over. Over-long text is kept
//! and sending refused with an error, never cut: a `maxlength` would drop a long paste's tail
//! without a word (and count UTF-16 units, so an emoji counted twice).

use leptos::prelude::*;

use crate::{
    i18n::{t, use_i18n},
    types::limits::MESSAGE_MAX_CHARS,
};

/// The hint shows once this few characters are left.
const SHOWN_WITHIN: usize = 200;

#[component]
pub fn LengthHint(#[prop(into)] chars: Signal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let over = Memo::new(move |_| chars.get().saturating_sub(MESSAGE_MAX_CHARS));
    let left = Memo::new(move |_| MESSAGE_MAX_CHARS.saturating_sub(chars.get()));
    view! {
        <Show when=move || { over.get() > 0 || left.get() <= SHOWN_WITHIN }>
            <p class="length-hint" class=("over", move || over.get() > 0) data-testid="length-hint" role="status">
                {move || match over.get() {
                    0 => t!(i18n, chat.composer.chars_left, left = move || left.get()).into_any(),
                    n => t!(i18n, chat.composer.chars_over, over = move || n, max = || MESSAGE_MAX_CHARS).into_any(),
                }}
            </p>
        </Show>
    }
}
