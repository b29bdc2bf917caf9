//! A chosen file's preview, in the tray and in its upload row: the picture, or the file icon
//! for other files. The browser guesses a file's type from its name, so a PDF named `.jpg`
//! looks like a picture until the picture fails to load: it then shows the icon too.

use leptos::prelude::*;

use super::file_card::file_icon;

#[component]
pub fn FileThumb(thumb: Option<String>) -> impl IntoView {
    let broken = RwSignal::new(false);
    move || match thumb.clone().filter(|_| !broken.get()) {
        Some(url) => {
            view! { <img class="attached-thumb" src=url alt="" on:error=move |_| broken.set(true) /> }.into_any()
        }
        None => view! { <span class="attached-thumb">{file_icon()}</span> }.into_any(),
    }
}
