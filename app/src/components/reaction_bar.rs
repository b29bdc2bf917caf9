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
    // Most messages have no reactions: the list of chips is made only for those that do.
    let any = Memo::new(move |_| {
        let any = reactions.with(|all| !all.is_empty());
        if !any {
            focus_message_if_chip_goes(message, &[]);
        }
        any
    });
    move || {
        any.get().then(|| {
            let emojis = Memo::new(move |_| {
                let now = reactions.with(|all| all.iter().map(|r| r.emoji.clone()).collect::<Vec<_>>());
                focus_message_if_chip_goes(message, &now);
                now
            });
            view! {
                <div class="reactions" data-testid="reactions">
                    <For each=move || emojis.get() key=String::clone children=chip />
                </div>
            }
        })
    }
}

/// Called with the chips to come, before the page changes: a chip of this message with focus,
/// if it is not among them, is about to go.
fn focus_message_if_chip_goes(message: MessageId, chips: &[String]) {
    if !cfg!(feature = "hydrate") {
        return;
    }
    let Some(focused) = document().active_element() else { return };
    let Some(emoji) = focused.get_attribute("data-emoji") else { return };
    let row = focused.closest(".message").ok().flatten();
    let here = row.and_then(|r| r.get_attribute("data-message-id")) == Some(message.0.to_string());
    if here && focused.closest(".reactions").ok().flatten().is_some() && !chips.contains(&emoji) {
        super::keep_focus_in_message(&focused);
    }
}
