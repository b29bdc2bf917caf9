//! Puts a page's own tools in the navbar (the chat screen's search field). The navbar is
//! outside the page, so it cannot render what needs the page's context (the chat store); the
//! page renders it here, and it is moved into the navbar's empty slot. Browser only: the
//! server renders the slot empty, and nothing in place of this component, so hydration is
//! unaffected. These tools need the WASM anyway.

use leptos::prelude::*;

/// The id of the navbar's empty element the children are moved into.
pub const SLOT_ID: &str = "nav-slot";

#[component]
pub fn NavSlot(children: ChildrenFn) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    if let Some(mount) = document().get_element_by_id(SLOT_ID) {
        // The portal mounts its children from an effect and unmounts them with this owner;
        // in place it renders nothing.
        let _in_place = view! { <leptos::portal::Portal mount>{children()}</leptos::portal::Portal> };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = children;
}
