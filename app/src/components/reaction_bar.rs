//! The reactions under a message: one chip per emoji with its count, pressed when I am among
//! those who reacted, naming them all in its tooltip and accessible name; a click toggles mine.

use leptos::prelude::*;

use crate::{
    state::{actions::react, store::use_chat},
    types::{MessageId, Reaction, RoomId, UserId},
};

#[component]
pub fn ReactionBar(room: RoomId, message: MessageId, reactions: Memo<Vec<Reaction>>, me: UserId) -> impl IntoView {
    let store = use_chat();
    let bar = NodeRef::<leptos::html::Div>::new();
    let emojis = Memo::new(move |_| {
        let now = reactions.with(|all| all.iter().map(|r| r.emoji.clone()).collect::<Vec<_>>());
        focus_message_if_chip_goes(bar, &now);
        now
    });
    // A chip stays in the page while its count changes, so focus stays on it.
    let chip = move |emoji: String| {
        let reaction = Memo::new({
            let emoji = emoji.clone();
            move |_| reactions.with(|all| all.iter().find(|r| r.emoji == emoji).cloned())
        });
        let mine = move || reaction.with(|r| r.as_ref().is_some_and(|r| r.includes(me)));
        let count = move || reaction.with(|r| r.as_ref().map_or(0, |r| r.users.len()));
        let label = move || {
            reaction.with(|r| {
                r.as_ref().map(|r| {
                    let names = r.users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ");
                    format!("{} {}: {names}", r.emoji, r.users.len())
                })
            })
        };
        let shown = emoji.clone();
        view! {
            <button
                type="button"
                class="reaction"
                class=("mine", mine)
                aria-pressed=move || mine().to_string()
                aria-label=label
                title=label
                data-testid="reaction"
                data-emoji=emoji.clone()
                on:click=move |_| {
                    react(store, room, message, emoji.clone(), !mine());
                }
            >
                <span aria-hidden="true">{shown}</span>
                <span class="reaction-count" aria-hidden="true">{count}</span>
            </button>
        }
    };
    let any = Memo::new(move |_| !emojis.with(Vec::is_empty));
    move || {
        any.get().then(|| {
            view! {
                <div class="reactions" data-testid="reactions" node_ref=bar>
                    <For each=move || emojis.get() key=String::clone children=chip />
                </div>
            }
        })
    }
}

/// Called with the chips to come, before the page changes: the chip with focus, if it is not
/// among them, is about to go.
fn focus_message_if_chip_goes(bar: NodeRef<leptos::html::Div>, chips: &[String]) {
    let Some(focused) = bar.get_untracked().and_then(|bar| super::focused_within(&bar)) else { return };
    if focused.get_attribute("data-emoji").is_some_and(|emoji| !chips.contains(&emoji)) {
        super::keep_focus_in_message(&focused);
    }
}
