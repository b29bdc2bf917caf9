//! UI components, one per file.

pub mod attach_tray;
pub mod chat_room;
pub mod chat_sidebar;
pub mod chunk_error;
pub mod delete_dialog;
pub mod edit_history_dialog;
pub mod emoji_picker;
pub mod file_card;
pub mod file_thumb;
pub mod form_error;
pub mod image_preview;
pub mod length_hint;
pub mod lightbox;
pub mod mention_menu;
pub mod message_editor;
pub mod message_input;
pub mod message_item;
pub mod message_list;
pub mod message_toolbar;
pub mod metric_chart;
pub mod modal;
pub mod nav_slot;
pub mod navbar;
pub mod new_chat_dialog;
pub mod quote_block;
pub mod reaction_bar;
pub mod read_receipt;
pub mod reply_bar;
pub mod require_user;
pub mod retention_dialog;
pub mod room_header;
pub mod room_item;
pub mod room_list;
pub mod search_box;
pub mod search_result;
pub mod system_line;
pub mod toasts;
pub mod typing_indicator;
pub mod upload_row;
pub mod user_list;

/// Scrolls the element with this id into view, no further than needed (the active option of
/// a listbox, as ↑/↓ move it).
pub fn reveal_option(id: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = leptos::prelude::document().get_element_by_id(id) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
        el.scroll_into_view_with_scroll_into_view_options(&options);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Escape closes a `<details>` menu and puts focus back on its summary.
pub fn close_on_escape(ev: leptos::ev::KeyboardEvent) {
    use leptos::wasm_bindgen::JsCast;
    if ev.key() != "Escape" {
        return;
    }
    let menu = ev.current_target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlDetailsElement>().ok());
    if let Some(menu) = menu.filter(|m| m.open()) {
        ev.prevent_default();
        close_menu(&menu);
    }
}

/// A `<details>` menu closes when focus leaves it (a click elsewhere, Tab past its end), as a
/// menu does, and stays out of the way of what was clicked; focus goes where the reader put it.
pub fn close_when_focus_leaves(ev: leptos::ev::FocusEvent) {
    use leptos::wasm_bindgen::JsCast;
    let Some(menu) = ev.current_target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlDetailsElement>().ok()) else {
        return;
    };
    let to = ev.related_target().and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok());
    if menu.open() && !to.is_some_and(|to| menu.contains(Some(&to))) {
        menu.set_open(false);
    }
}

/// Whether a key press belongs to an input method still composing (Thai, Chinese, Japanese
/// keyboards): its Enter picks a candidate, and must not send or choose. Safari reports the
/// Enter that ends a composition with `isComposing` false, but with key code 229.
pub fn composing(ev: &leptos::ev::KeyboardEvent) -> bool {
    ev.is_composing() || ev.key_code() == 229
}

/// Closes a `<details>` menu with focus back on its summary. The item just chosen hides with the
/// menu, so focus would otherwise fall to the page, and a dialog that item opens would have
/// nothing to give focus back to when it closes.
pub fn close_menu(menu: &leptos::web_sys::HtmlDetailsElement) {
    menu.set_open(false);
    focus_summary(menu);
}

/// Puts focus on a `<details>` menu's button: where an action that started from the menu ends.
pub fn focus_summary(menu: &leptos::web_sys::HtmlDetailsElement) {
    use leptos::wasm_bindgen::JsCast;
    let summary = menu.query_selector("summary").ok().flatten();
    if let Some(summary) = summary.and_then(|s| s.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
        let _ = summary.focus();
    }
}

/// Whether focus has fallen to the page (nothing, or the body has it): after the control that
/// had it left the page, say. Only then may code put it somewhere on the reader's behalf.
pub fn focus_fell_to_page() -> bool {
    let document = leptos::prelude::document();
    document.active_element().is_none_or(|a| document.body().is_some_and(|b| a == *b))
}

/// The element with focus, when it is inside `within` (not `within` itself).
pub fn focused_within(within: &leptos::web_sys::Element) -> Option<leptos::web_sys::Element> {
    leptos::prelude::document().active_element().filter(|a| a != within && within.contains(Some(a)))
}

/// `focused` is part of a message and may be about to leave the page (a chip whose last
/// reaction was taken back, a link in text drawn anew, the body of a deleted message): if it
/// goes, focus goes to the message rather than falling to the page. Called before the page
/// changes.
pub fn keep_focus_in_message(focused: &leptos::web_sys::Element) {
    use leptos::wasm_bindgen::JsCast;
    let row = focused.closest(".message").ok().flatten();
    if let Some(row) = row.and_then(|r| r.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
        leptos::prelude::request_animation_frame(move || {
            if focus_fell_to_page() {
                let _ = row.focus();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    /// Every emoji the UI itself writes (icons, quick reactions, previews) is in the bundled
    /// emoji font's `unicode-range`, so it is never an empty box on a machine without an emoji
    /// font. A new icon fails here until `.ci/fonts.sh` includes it.
    #[test]
    fn the_emoji_font_covers_every_emoji_the_ui_shows() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let css = std::fs::read_to_string(root.join("../style/main.css")).unwrap();
        let face = &css[css.find("font-family: \"Confab Emoji\"").expect("the emoji @font-face")..];
        let range = &face[face.find("unicode-range:").unwrap() + "unicode-range:".len()..];
        let range = &range[..range.find(';').unwrap()];
        let spans: Vec<(u32, u32)> = range
            .split(',')
            .map(|part| {
                let hex = |h: &str| u32::from_str_radix(h.trim().trim_start_matches("U+"), 16).unwrap();
                match part.split_once('-') {
                    Some((a, b)) => (hex(a), hex(b)),
                    None => (hex(part), hex(part)),
                }
            })
            .collect();
        let mut dirs = vec![root.join("src")];
        let mut checked = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                let source = source.split("#[cfg(test)]").next().unwrap_or_default();
                for c in source.chars().filter(|&c| matches!(c as u32, 0x1F000..=0x1FAFF | 0x2764)) {
                    let covered = spans.iter().any(|&(a, b)| (a..=b).contains(&(c as u32)));
                    assert!(covered, "{c} (U+{:X}) in {} is not in the emoji font", c as u32, path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 10, "found only {checked} emoji: the scan is broken");
    }
}
