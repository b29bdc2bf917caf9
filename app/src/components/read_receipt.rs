//! "Seen by Alice, Bob, +3" under my message when it is the newest in the room (private rooms:
//! "Seen"), from the other members' read markers, which move live (`read_marker` frames).
//! Once someone has written after it, their answer says as much.

use leptos::prelude::*;

use crate::{
    i18n::{td_string, use_i18n, Locale},
    state::store::use_chat,
    types::{RoomId, RoomKind},
};

/// Names shown before "+N".
const NAMES_SHOWN: usize = 2;

#[component]
pub fn ReadReceipt(#[prop(into)] room: Signal<RoomId>) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let text = move || {
        let room = room.get();
        let me = store.me_id();
        let newest = store.timelines.with(|t| {
            let tl = t.get(&room).filter(|tl| !tl.has_more_after)?;
            tl.messages.iter().rev().find(|m| m.system.is_none()).filter(|m| m.sender_id == me).cloned()
        })?;
        let seen = store.seen_by(room, &newest);
        if seen.is_empty() {
            return None;
        }
        let private = store.details.with(|d| d.as_ref().is_some_and(|d| d.summary.room.kind == RoomKind::Private));
        Some(receipt_text(i18n.get_locale(), &seen, private))
    };
    move || text().map(|t| view! { <p class="receipt" data-testid="read-receipt">{t}</p> })
}

/// The receipt's words, in `locale`, for the names of those who have seen it.
pub fn receipt_text(locale: Locale, seen: &[String], private: bool) -> String {
    if private {
        return td_string!(locale, chat.receipt.seen).to_string();
    }
    let names = seen.iter().take(NAMES_SHOWN).cloned().collect::<Vec<_>>().join(", ");
    match seen.len().saturating_sub(NAMES_SHOWN) {
        0 => td_string!(locale, chat.receipt.seen_by, names),
        more => td_string!(locale, chat.receipt.seen_by_more, names, more),
    }
}

#[cfg(test)]
mod tests {
    use super::receipt_text;
    use crate::i18n::Locale;

    #[test]
    fn names_two_then_counts_the_rest() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(receipt_text(Locale::en, &names(&["Alice"]), false), "Seen by Alice");
        assert_eq!(receipt_text(Locale::en, &names(&["Alice", "Bob"]), false), "Seen by Alice, Bob");
        assert_eq!(
            receipt_text(Locale::en, &names(&["Alice", "Bob", "Cy", "Di", "Ed"]), false),
            "Seen by Alice, Bob, +3"
        );
        assert_eq!(receipt_text(Locale::en, &names(&["Alice"]), true), "Seen");
    }

    #[test]
    fn thai_names_the_readers_the_same_way() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(receipt_text(Locale::th, &names(&["Alice"]), false), "Alice อ่านแล้ว");
        assert_eq!(receipt_text(Locale::th, &names(&["Alice", "Bob", "Cy"]), false), "Alice, Bob และอีก 1 คนอ่านแล้ว");
        assert_eq!(receipt_text(Locale::th, &names(&["Alice"]), true), "อ่านแล้ว");
    }
}
