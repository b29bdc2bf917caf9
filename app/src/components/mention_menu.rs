//! The `@` autocomplete under the composer: the room's members whose username or display name
//! starts with what follows the `@`, and `@room` for those allowed to use it. The composer keeps
//! the focus and drives it (a text box with `aria-activedescendant`); here are the list and the
//! text rules, which are plain functions so they are tested without a browser.

use leptos::prelude::*;

use crate::{
    i18n::{t_string, use_i18n},
    tr,
    types::{User, UserId},
};

/// Suggestions shown at most.
pub const MAX_SUGGESTIONS: usize = 8;

/// What a suggestion inserts, `@` excluded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Suggestion {
    pub handle: String,
    /// The display name; `None` for `@room`, which the menu labels with what it does.
    pub label: Option<String>,
}

pub const LISTBOX_ID: &str = "mention-listbox";

pub fn option_id(index: usize) -> String {
    format!("mention-option-{index}")
}

#[component]
pub fn MentionMenu(
    suggestions: Memo<Vec<Suggestion>>,
    active: RwSignal<usize>,
    #[prop(into)] on_pick: Callback<Suggestion>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ul
            class="mention-menu"
            role="listbox"
            id=LISTBOX_ID
            aria-label=move || t_string!(i18n, chat.mention.label)
            data-testid="mention-menu"
        >
            {move || {
                suggestions
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let picked = s.clone();
                        view! {
                            <li
                                role="option"
                                id=option_id(i)
                                class="mention-option"
                                class=("active", move || active.get() == i)
                                aria-selected=move || (active.get() == i).to_string()
                                data-testid="mention-option"
                                // The composer keeps the focus.
                                on:mousedown=|ev| ev.prevent_default()
                                on:click=move |_| on_pick.run(picked.clone())
                            >
                                <span class="handle">"@" {s.handle.clone()}</span>
                                <span class="muted">
                                    {match s.label.clone() {
                                        Some(name) => name.into_any(),
                                        None => tr!(i18n, chat.mention.everyone).into_any(),
                                    }}
                                </span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

/// The `@word` the caret is at the end of, if any: the byte offset of its `@` and the word.
/// A word starts a line or follows a space or an opening bracket or quote (so an e-mail address
/// is not a mention), and holds no space.
pub fn mention_at(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let word = &before[at + 1..];
    let starts_word = before[..at].chars().next_back().is_none_or(|c| c.is_whitespace() || "([{\"'".contains(c));
    let plain = word.chars().all(|c| c.is_alphanumeric() || "_.-".contains(c) || is_mark(c));
    (starts_word && plain && word.chars().count() <= 32).then_some((at, word))
}

/// Marks that combine with the letter before them and that Unicode does not count as
/// alphabetic: Thai tone marks and the like (`น้อง`), and Latin accents typed decomposed.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}' | '\u{0300}'..='\u{036F}')
}

/// The members matching `word` (a prefix of the username or of a word of the display name,
/// case-insensitively), me excluded, usernames matches first, then `@room` if allowed.
pub fn suggestions(members: &[User], me: UserId, word: &str, may_mention_room: bool) -> Vec<Suggestion> {
    let word = word.to_lowercase();
    let mut found: Vec<(bool, &User)> = members
        .iter()
        .filter(|u| u.id != me)
        .filter_map(|u| {
            let by_username = u.username.starts_with(&word);
            let by_name = u.display_name.to_lowercase().split_whitespace().any(|w| w.starts_with(&word))
                || u.display_name.to_lowercase().starts_with(&word);
            (by_username || by_name).then_some((!by_username, u))
        })
        .collect();
    found.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.username.cmp(&y.username)));
    let mut list: Vec<Suggestion> = found
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, u)| Suggestion { handle: u.username.clone(), label: Some(u.display_name.clone()) })
        .collect();
    if may_mention_room && "room".starts_with(&word) {
        list.push(Suggestion { handle: "room".into(), label: None });
    }
    list
}

/// `text` with the `@word` at `at` up to `caret` replaced by `@handle ` and where the caret
/// goes after it (bytes).
pub fn insert_mention(text: &str, at: usize, caret: usize, handle: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len() + handle.len() + 2);
    out.push_str(&text[..at]);
    out.push('@');
    out.push_str(handle);
    out.push(' ');
    let caret_after = out.len();
    out.push_str(text[caret..].strip_prefix(' ').unwrap_or(&text[caret..]));
    (out, caret_after)
}

/// A textarea's caret (UTF-16 units) as a byte offset into `text`.
pub fn utf16_to_byte(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, c) in text.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16();
    }
    text.len()
}

/// A byte offset into `text` as a textarea caret (UTF-16 units).
pub fn byte_to_utf16(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |s| s.encode_utf16().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, username: &str, name: &str) -> User {
        User { id: UserId(id), username: username.into(), display_name: name.into() }
    }

    #[test]
    fn the_word_at_the_caret_is_found() {
        assert_eq!(mention_at("hi @al", 6), Some((3, "al")));
        assert_eq!(mention_at("@", 1), Some((0, "")));
        assert_eq!(mention_at("hi @al there", 6), Some((3, "al")));
        assert_eq!(mention_at("hi @al there", 12), None, "a space ends it");
        assert_eq!(mention_at("mail me@example.com", 19), None, "an address");
        assert_eq!(mention_at("(@bo", 4), Some((1, "bo")));
        assert_eq!(mention_at("สวัสดี @อลิ", "สวัสดี @อลิ".len()), Some(("สวัสดี ".len(), "อลิ")));
        let thai = "ถาม @น้องแก้ว";
        assert_eq!(mention_at(thai, thai.len()), Some(("ถาม ".len(), "น้องแก้ว")), "tone marks are part of a word");
        assert_eq!(mention_at("no at", 5), None);
        assert_eq!(mention_at("x", 9), None, "a caret past the end");
    }

    #[test]
    fn members_match_by_username_or_name_prefix() {
        let members = [
            user(1, "me", "Me"),
            user(2, "alice", "Alice Smith"),
            user(3, "bob", "Bob Alden"),
            user(4, "carol", "Carol"),
        ];
        let handles = |word: &str, room: bool| {
            suggestions(&members, UserId(1), word, room).into_iter().map(|s| s.handle).collect::<Vec<_>>()
        };
        assert_eq!(handles("al", false), ["alice", "bob"], "username matches first, then names");
        assert_eq!(handles("SMI", false), ["alice"]);
        assert_eq!(handles("", false), ["alice", "bob", "carol"], "never me");
        assert_eq!(handles("r", true), ["room"]);
        assert_eq!(handles("", true).last().map(String::as_str), Some("room"));
        assert!(handles("zed", false).is_empty());
    }

    #[test]
    fn a_mention_replaces_the_word() {
        assert_eq!(insert_mention("hi @al", 3, 6, "alice"), ("hi @alice ".to_string(), 10));
        assert_eq!(insert_mention("hi @al there", 3, 6, "alice"), ("hi @alice there".to_string(), 10));
        let text = "👋 @b";
        let caret = utf16_to_byte(text, 5);
        assert_eq!(caret, text.len());
        assert_eq!(byte_to_utf16(text, caret), 5);
        assert_eq!(utf16_to_byte(text, 3), "👋 ".len());
        assert_eq!(utf16_to_byte(text, 99), text.len());
    }
}
