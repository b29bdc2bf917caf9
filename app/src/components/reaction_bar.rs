//! The reactions under a message: one chip per emoji with its count, pressed when I am among
//! those who reacted, naming them all in its tooltip and accessible name; a click toggles mine.

use leptos::prelude::*;

use crate::{
    state::{actions::react, store::use_chat},
    types::{MessageId, Reaction, RoomId, UserId},
};

#[component]
pub fn ReactionBar(room: RoomId, message: MessageId, reactions: Vec<Reaction>, me: UserId) -> impl IntoView {
    let store = use_chat();
    (!reactions.is_empty()).then(|| {
        let chips = reactions
            .into_iter()
            .map(|r| {
                let mine = r.includes(me);
                let count = r.users.len();
                let names = r.users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ");
                let label = format!("{} {count}: {names}", r.emoji);
                let emoji = r.emoji.clone();
                view! {
                    <button
                        type="button"
                        class="reaction"
                        class=("mine", mine)
                        aria-pressed=mine.to_string()
                        aria-label=label.clone()
                        title=label
                        data-testid="reaction"
                        data-emoji=r.emoji.clone()
                        on:click=move |_| {
                            react(store, room, message, emoji.clone(), !mine);
                        }
                    >
                        <span aria-hidden="true">{r.emoji.clone()}</span>
                        <span class="reaction-count" aria-hidden="true">{count}</span>
                    </button>
                }
            })
            .collect_view();
        view! { <div class="reactions" data-testid="reactions">{chips}</div> }
    })
}
