//! One search result, an option of the search field's listbox: the room, the sender, when, and
//! the snippet with the matches in `<mark>`. The server cut and marked the snippet (the same on
//! both databases); it is set here as text, never as HTML.

use leptos::prelude::*;

use crate::{
    i18n::{use_i18n, Locale},
    types::{Message, SearchHit, Snippet},
};

/// The id of the option at `index`, for the field's `aria-activedescendant`.
pub fn option_id(index: usize) -> String {
    format!("search-option-{index}")
}

#[component]
pub fn SearchResult(
    hit: SearchHit,
    index: usize,
    #[prop(into)] active: Signal<bool>,
    #[prop(into)] on_pick: Callback<usize>,
) -> impl IntoView {
    let i18n = use_i18n();
    let clock = crate::time::use_clock();
    let (pieces, file) = shown(&hit, i18n.get_locale_untracked());
    let m = &hit.message;
    let sent_at = m.created_at;
    let icon = m.attachment.as_ref().map(|a| if a.is_image() { "🖼 " } else { "📎 " });
    // The icon goes with the file's name: before the snippet when the snippet is the name.
    let snippet_icon = icon.filter(|_| file.is_none());
    let snippet = pieces
        .into_iter()
        .map(|p| if p.hit { view! { <mark>{p.text}</mark> }.into_any() } else { p.text.into_any() })
        .collect_view();
    view! {
        <li
            role="option"
            id=option_id(index)
            class="search-result"
            class=("active", move || active.get())
            aria-selected=move || active.get().to_string()
            data-testid="search-result"
            data-message-id=m.id.0
            data-room-id=m.room_id.0
            // The field keeps the focus (and the keyboard) while a result is clicked.
            on:mousedown=|ev| ev.prevent_default()
            on:click=move |_| on_pick.run(index)
        >
            <div class="search-result-meta">
                <span class="search-result-room">{hit.room_title.clone()}</span>
                <span class="search-result-sender">{m.sender_name.clone()}</span>
                <span class="search-result-time" title=move || clock.date_time(sent_at)>{move || clock.short(sent_at, crate::state::store::now_ms())}</span>
            </div>
            <div class="search-result-snippet" data-testid="search-snippet">
                {snippet_icon}
                {snippet}
            </div>
            {file.map(|name| view! { <div class="search-result-file">{icon}{name}</div> })}
        </li>
    }
}

/// What a result shows: the snippet's pieces, and the attached file's name when the snippet
/// is the caption (an uncaptioned file is found, and snipped, by its name). A snippet cannot
/// be empty today; if one were, the message's own preview stands in, unmarked.
pub fn shown(hit: &SearchHit, locale: Locale) -> (Vec<Snippet>, Option<String>) {
    let m: &Message = &hit.message;
    let pieces = if hit.snippet.iter().all(|p| p.text.is_empty()) {
        vec![Snippet { text: m.preview(locale), hit: false }]
    } else {
        hit.snippet.clone()
    };
    let file = m.attachment.as_ref().filter(|_| !m.content.is_empty()).map(|a| a.name.clone());
    (pieces, file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::timeline::tests::msg;
    use crate::types::Attachment;

    fn piece(text: &str, hit: bool) -> Snippet {
        Snippet { text: text.into(), hit }
    }

    fn hit_of(message: Message, snippet: Vec<Snippet>) -> SearchHit {
        SearchHit { message, room_title: "Food".into(), snippet }
    }

    fn file(name: &str, mime: &str) -> Attachment {
        Attachment { name: name.into(), size: 10, mime: mime.into(), width: None, height: None }
    }

    #[test]
    fn the_snippet_is_shown_as_cut_with_its_marks() {
        let snippet = vec![piece("ฉันชอบกิน", false), piece("ข้าวมันไก่", true), piece("มาก", false)];
        let (pieces, file) = shown(&hit_of(msg(1), snippet.clone()), Locale::en);
        assert_eq!(pieces, snippet);
        assert_eq!(file, None);
    }

    #[test]
    fn a_captioned_file_names_the_file_and_an_uncaptioned_one_is_its_name() {
        let captioned =
            Message { content: "our team".into(), attachment: Some(file("team.jpg", "image/jpeg")), ..msg(1) };
        let (pieces, name) = shown(&hit_of(captioned, vec![piece("our ", false), piece("team", true)]), Locale::en);
        assert_eq!(pieces.len(), 2);
        assert_eq!(name.as_deref(), Some("team.jpg"));

        let bare =
            Message { content: String::new(), attachment: Some(file("report.pdf", "application/pdf")), ..msg(2) };
        let (pieces, name) = shown(&hit_of(bare, vec![piece("report", true), piece(".pdf", false)]), Locale::en);
        assert_eq!(pieces[0], piece("report", true));
        assert_eq!(name, None, "the snippet is the name already");
    }

    #[test]
    fn an_empty_snippet_falls_back_to_the_text_unmarked() {
        let m = Message { content: "hello there".into(), ..msg(1) };
        assert_eq!(shown(&hit_of(m.clone(), Vec::new()), Locale::en).0, [piece("hello there", false)]);
        assert_eq!(shown(&hit_of(m, vec![piece("", true)]), Locale::en).0, [piece("hello there", false)]);
    }

    #[test]
    fn options_have_stable_ids() {
        assert_eq!(option_id(0), "search-option-0");
        assert_ne!(option_id(1), option_id(10));
    }
}
