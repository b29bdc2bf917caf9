//! The full emoji picker: a search field (by name) over every emoji, grouped. The list is
//! fetched on first opening (`GET /api/emoji`), not built into the WASM. Focus stays in the
//! search field, which owns the grid as a combobox: arrows move the active emoji (up and down
//! by rows), Enter picks it, Escape closes.

use leptos::{ev::KeyboardEvent, html, prelude::*, reactive::computed::Selector};

use super::modal::{close, Modal};
use crate::{
    i18n::{t, t_string, td_string, use_i18n, Locale},
    lazy::{wasm_split, Loaded},
    state::{
        actions::{load_emoji, react},
        store::{use_chat, Emoji, EmojiCatalog},
    },
    tr,
    types::{MessageId, RoomId},
};

/// Emoji per row of the grid; the stylesheet lays it out the same.
pub const COLUMNS: usize = 8;

#[component]
pub fn EmojiPicker(room: RoomId, message: MessageId) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let node = NodeRef::<html::Dialog>::new();
    let query = RwSignal::new(String::new());
    Effect::new(move || load_emoji(store));

    // The emoji shown, as indexes into the full list, in sections by group.
    let sections = Memo::new(move |_| {
        let q = query.with(|q| q.trim().to_lowercase());
        store.emoji.with(|catalog| match catalog {
            EmojiCatalog::Loaded(list, _) => sections_of(list, &q),
            _ => Vec::new(),
        })
    });
    let sizes = Memo::new(move |_| sections.with(|s| s.iter().map(|(_, ids)| ids.len()).collect::<Vec<_>>()));
    // The active emoji, as a position in reading order; back to the first on every search.
    let position = RwSignal::new(0usize);
    Effect::new(move || {
        query.track();
        position.set(0);
    });
    let active = Memo::new(move |_| {
        let at = position.get();
        sections.with(|s| s.iter().flat_map(|(_, ids)| ids.iter().copied()).nth(at))
    });
    let is_active = StoredValue::new(Selector::new(move || active.get()));
    Effect::new(move || {
        if let Some(i) = active.get() {
            super::reveal_option(&option_id(i));
        }
    });

    let pick = move |index: usize| {
        let emoji = store.emoji.with_untracked(|c| match c {
            EmojiCatalog::Loaded(list, _) => list.get(index).map(|e| e.emoji.clone()),
            _ => None,
        });
        let Some(emoji) = emoji else { return };
        let mine = store.message(room, message).is_some_and(|m| m.reacted(store.me_id(), &emoji));
        if react(store, room, message, emoji, !mine) {
            close(node);
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if super::composing(&ev) {
            return;
        }
        let step = match ev.key().as_str() {
            "ArrowLeft" => Step::Left,
            "ArrowRight" => Step::Right,
            "ArrowUp" => Step::Up,
            "ArrowDown" => Step::Down,
            "Enter" => {
                ev.prevent_default();
                if let Some(i) = active.get_untracked() {
                    pick(i);
                }
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        let next = sizes.with_untracked(|sizes| grid_move(sizes, position.get_untracked(), step));
        position.set(next);
    };

    let grid = move || match store.emoji.get() {
        EmojiCatalog::NotLoaded | EmojiCatalog::Loading => {
            view! { <p class="picker-status" role="status">{tr!(i18n, chat.emoji.loading)}</p> }.into_any()
        }
        EmojiCatalog::Failed(why) => view! {
            <div class="picker-status" role="alert">
                <p class="form-error">{why}</p>
                <button type="button" class="button small" on:click=move |_| load_emoji(store)>
                    {tr!(i18n, chat.emoji.try_again)}
                </button>
            </div>
        }
        .into_any(),
        EmojiCatalog::Loaded(list, _) => {
            let list = StoredValue::new(list);
            view! {
                <div class="emoji-list" role="listbox" id="emoji-listbox" aria-label=move || t_string!(i18n, chat.emoji.list)>
                    <For
                        each=move || sections.get()
                        key=|section| section.clone()
                        children=move |(group, ids)| {
                            let heading = format!("emoji-group-{}", ids.first().copied().unwrap_or_default());
                            let options = ids
                                .into_iter()
                                .filter_map(|i| {
                                    let (emoji, name) = list.with_value(|l| l.get(i).map(|e| (e.emoji.clone(), e.name.clone())))?;
                                    Some(view! {
                                        <div
                                            role="option"
                                            id=option_id(i)
                                            class="emoji-option"
                                            class=("active", move || is_active.with_value(|s| s.selected(&Some(i))))
                                            aria-selected=move || is_active.with_value(|s| s.selected(&Some(i))).to_string()
                                            aria-label=name.clone()
                                            title=name
                                            // Keep the focus in the search field.
                                            on:mousedown=|ev| ev.prevent_default()
                                            on:click=move |_| pick(i)
                                        >
                                            {emoji}
                                        </div>
                                    })
                                })
                                .collect_view();
                            let labelled_by = heading.clone();
                            view! {
                                <div role="group" aria-labelledby=labelled_by class="emoji-group">
                                    // The group's name (by `aria-labelledby`); a heading of its own in
                                    // the tree would be a listbox child that is not an option.
                                    <h3 id=heading aria-hidden="true">{move || group_label(i18n.get_locale(), &group)}</h3>
                                    <div class="emoji-grid">{options}</div>
                                </div>
                            }
                        }
                    />
                    <Show when=move || sections.with(Vec::is_empty)>
                        <p class="picker-status">
                            {t!(i18n, chat.emoji.no_match, query = move || query.get().trim().to_string())}
                        </p>
                    </Show>
                </div>
            }
            .into_any()
        }
    };

    view! {
        <Modal
            label=move || t_string!(i18n, chat.emoji.title).to_string()
            node
            class="emoji-picker"
            test_id="emoji-picker"
            on_close=move |_| store.dialog.set(None)
        >
            <div class="picker-head">
                <input
                    type="search"
                    placeholder=move || t_string!(i18n, chat.emoji.search)
                    aria-label=move || t_string!(i18n, chat.emoji.search)
                    role="combobox"
                    aria-expanded="true"
                    aria-controls="emoji-listbox"
                    aria-autocomplete="list"
                    aria-activedescendant=move || active.get().map(option_id)
                    data-testid="emoji-search"
                    autofocus
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    on:keydown=on_keydown
                />
                <button
                    type="button"
                    class="icon-button"
                    aria-label=move || t_string!(i18n, chat.emoji.close)
                    on:click=move |_| close(node)
                >
                    "×"
                </button>
            </div>
            {grid}
        </Modal>
    }
}

/// A group's heading in the reader's language. The server names the groups as Unicode does
/// (see `server::service::emoji`); a group it names otherwise shows as it came.
fn group_label(locale: Locale, group: &str) -> String {
    let label = match group {
        "Smileys & Emotion" => td_string!(locale, chat.emoji.groups.smileys_emotion),
        "People & Body" => td_string!(locale, chat.emoji.groups.people_body),
        "Animals & Nature" => td_string!(locale, chat.emoji.groups.animals_nature),
        "Food & Drink" => td_string!(locale, chat.emoji.groups.food_drink),
        "Travel & Places" => td_string!(locale, chat.emoji.groups.travel_places),
        "Activities" => td_string!(locale, chat.emoji.groups.activities),
        "Objects" => td_string!(locale, chat.emoji.groups.objects),
        "Symbols" => td_string!(locale, chat.emoji.groups.symbols),
        "Flags" => td_string!(locale, chat.emoji.groups.flags),
        other => return other.to_string(),
    };
    label.to_string()
}

fn option_id(index: usize) -> String {
    format!("emoji-{index}")
}

/// The emoji whose name or shortcodes contain `query` (lower-case; empty: all), or that are
/// `query` itself (pasted), as indexes into the list, in sections of consecutive emoji of one
/// group.
pub fn sections_of(list: &[Emoji], query: &str) -> Vec<(String, Vec<usize>)> {
    let mut sections: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, Emoji { emoji, name, keywords, group }) in list.iter().enumerate() {
        let found = query.is_empty()
            || name.to_lowercase().contains(query)
            || keywords.contains(query)
            || emoji.trim_end_matches('\u{fe0f}') == query.trim_end_matches('\u{fe0f}');
        if !found {
            continue;
        }
        match sections.last_mut() {
            Some((g, ids)) if g == group => ids.push(i),
            _ => sections.push((group.to_string(), vec![i])),
        }
    }
    sections
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Left,
    Right,
    Up,
    Down,
}

/// Where the arrow keys lead in a grid of sections (`sizes`: emoji per section, each section
/// starting a new row of [`COLUMNS`]): left and right in reading order, up and down to the same
/// column in the row above or below, into the neighbouring section, or to the end of a shorter
/// row. `at` and the answer are positions in reading order.
pub fn grid_move(sizes: &[usize], at: usize, step: Step) -> usize {
    let total: usize = sizes.iter().sum();
    if total == 0 {
        return 0;
    }
    let at = at.min(total - 1);
    let (mut section, mut start) = (0, 0);
    while at >= start + sizes[section] {
        start += sizes[section];
        section += 1;
    }
    let (offset, len) = (at - start, sizes[section]);
    let column = offset % COLUMNS;
    match step {
        Step::Left => at.saturating_sub(1),
        Step::Right => (at + 1).min(total - 1),
        Step::Down if offset + COLUMNS < len => at + COLUMNS,
        // A shorter last row below, in this section.
        Step::Down if offset / COLUMNS < (len - 1) / COLUMNS => start + len - 1,
        Step::Down => match sizes.get(section + 1) {
            Some(&next) => start + len + column.min(next - 1),
            None => at,
        },
        Step::Up if offset >= COLUMNS => at - COLUMNS,
        Step::Up if section > 0 => {
            let above = sizes[section - 1];
            let last_row = (above - 1) / COLUMNS;
            start - above + (last_row * COLUMNS + column).min(above - 1)
        }
        Step::Up => at,
    }
}

/// The picker, from its own WASM chunk (see [`crate::lazy`]).
#[wasm_split(emoji_picker, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn emoji_picker(room: RoomId, message: MessageId) -> Loaded {
    Ok(view! { <EmojiPicker room message /> }.into_any())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_filters_by_name_and_shortcode_and_keeps_groups() {
        let emoji = |emoji: &str, group: &str, name: &str, keywords: &str| Emoji {
            emoji: emoji.into(),
            name: name.into(),
            keywords: keywords.into(),
            group: group.into(),
        };
        let list = [
            emoji("😀", "Smileys", "grinning face", "grinning"),
            emoji("😉", "Smileys", "Winking Face", "wink"),
            emoji("🍕", "Food", "pizza", "pizza"),
            emoji("🍞", "Food", "face of bread", "bread"),
            emoji("😄", "Smileys", "grinning face with smiling eyes", "smile"),
            emoji("❤\u{fe0f}", "Smileys", "red heart", "heart"),
        ];
        let all = sections_of(&list, "");
        let smileys = |ids: Vec<usize>| ("Smileys".to_string(), ids);
        assert_eq!(all, vec![smileys(vec![0, 1]), ("Food".to_string(), vec![2, 3]), smileys(vec![4, 5])]);
        let faces = sections_of(&list, "face");
        assert_eq!(faces, vec![smileys(vec![0, 1]), ("Food".to_string(), vec![3]), smileys(vec![4])]);
        assert_eq!(sections_of(&list, "smile"), vec![smileys(vec![4])], "by its shortcode");
        assert_eq!(sections_of(&list, "❤"), vec![smileys(vec![5])], "pasted, without its selector");
        assert!(sections_of(&list, "zebra").is_empty());
    }

    #[test]
    fn arrows_move_through_the_grid() {
        // Sections of 10 (rows of 8 and 2) and 3.
        let sizes = [10, 3];
        assert_eq!(grid_move(&sizes, 0, Step::Left), 0);
        assert_eq!(grid_move(&sizes, 0, Step::Right), 1);
        assert_eq!(grid_move(&sizes, 1, Step::Down), 9);
        assert_eq!(grid_move(&sizes, 5, Step::Down), 9, "to the end of the shorter row");
        assert_eq!(grid_move(&sizes, 9, Step::Down), 11, "into the next section, same column");
        assert_eq!(grid_move(&sizes, 8, Step::Down), 10);
        assert_eq!(grid_move(&sizes, 12, Step::Down), 12, "nothing below");
        assert_eq!(grid_move(&sizes, 12, Step::Right), 12);
        assert_eq!(grid_move(&sizes, 11, Step::Up), 9, "into the last row above");
        assert_eq!(grid_move(&sizes, 10, Step::Up), 8);
        assert_eq!(grid_move(&sizes, 9, Step::Up), 1);
        assert_eq!(grid_move(&sizes, 3, Step::Up), 3, "nothing above");
        assert_eq!(grid_move(&[], 0, Step::Down), 0);
    }
}
