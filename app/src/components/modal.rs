//! A modal dialog on the native `<dialog>`: the page behind it is inert, Escape closes it, and
//! focus starts on its first field. Tab wraps around inside it (the browser alone would let
//! focus leave for its own toolbar), and closing gives focus back to what opened it. It opens
//! when mounted; its owner unmounts it on `on_close`, which every way of closing ends in
//! (Escape, a button calling [`close`]).

use leptos::{html, prelude::*};

#[component]
pub fn Modal(
    /// The dialog's accessible name: a string, or a closure that follows the language.
    #[prop(into)]
    label: Signal<String>,
    #[prop(into)] on_close: Callback<()>,
    /// Lets buttons inside close it with [`close`].
    node: NodeRef<html::Dialog>,
    #[prop(optional, into)] class: String,
    #[prop(optional)] test_id: &'static str,
    children: Children,
) -> impl IntoView {
    let focus = FocusReturn::new();
    Effect::new(move || {
        if let Some(d) = node.get() {
            if !d.open() {
                focus.open(&d);
            }
        }
    });
    let closed = move |_| {
        focus.give_back();
        on_close.run(())
    };
    view! {
        <dialog
            node_ref=node
            class=format!("dialog {class}")
            role="dialog"
            aria-modal="true"
            aria-label=move || label.get()
            data-testid=test_id
            on:close=closed
            on:keydown=keep_focus_inside
        >
            {children()}
        </dialog>
    }
}

/// What had focus before a dialog opened: it gets focus back when the dialog closes.
#[derive(Clone, Copy)]
pub struct FocusReturn {
    #[cfg(feature = "hydrate")]
    opener: StoredValue<Option<web_sys::HtmlElement>, LocalStorage>,
}

impl FocusReturn {
    pub fn new() -> Self {
        Self {
            #[cfg(feature = "hydrate")]
            opener: StoredValue::new_local(None),
        }
    }

    /// Shows `dialog` as a modal. The browser focuses its first control, often a tab or a close
    /// button; a dialog that asks for something starts on its first field.
    pub fn open(&self, dialog: &<html::Dialog as leptos::tachys::html::element::ElementType>::Output) {
        #[cfg(feature = "hydrate")]
        {
            self.opener.set_value(focused());
            let _ = dialog.show_modal();
            if let Some(field) = dialog
                .query_selector("input:not([type=hidden]):not([disabled]), textarea, select")
                .ok()
                .flatten()
                .and_then(|f| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(f).ok())
            {
                let _ = field.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = dialog.show_modal();
    }

    pub fn give_back(&self) {
        #[cfg(feature = "hydrate")]
        if let Some(el) = self.opener.try_get_value().flatten() {
            let _ = el.focus();
        }
    }
}

impl Default for FocusReturn {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "hydrate")]
fn focused() -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    document().active_element()?.dyn_into::<web_sys::HtmlElement>().ok()
}

/// Tab from the last control goes to the first, Shift+Tab from the first to the last.
pub fn keep_focus_inside(ev: leptos::ev::KeyboardEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if ev.key() != "Tab" {
            return;
        }
        let Some(dialog) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        let Ok(list) = dialog.query_selector_all(
            "a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), \
             select:not([disabled]), [tabindex]:not([tabindex='-1'])",
        ) else {
            return;
        };
        let controls: Vec<web_sys::HtmlElement> = (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
            .filter(|el| el.offset_parent().is_some())
            .collect();
        let (Some(first), Some(last)) = (controls.first(), controls.last()) else { return };
        let active = focused();
        let target = match (ev.shift_key(), active.as_ref()) {
            (false, Some(a)) if a == last => first,
            (true, Some(a)) if a == first => last,
            (_, None) => first,
            _ => return,
        };
        ev.prevent_default();
        let _ = target.focus();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

/// Closes the dialog the way Escape does, so focus goes back and `on_close` runs.
pub fn close(node: NodeRef<html::Dialog>) {
    if let Some(d) = node.get_untracked() {
        d.close();
    }
}
