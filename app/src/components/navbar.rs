//! The top bar: the app name, the "Chat" link, the page's own tools (the chat screen's search)
//! and the user menu.

use leptos::prelude::*;
use leptos_router::components::A;

use super::nav_slot::SLOT_ID;
use crate::{
    api::Logout,
    i18n::{t_string, use_i18n},
    state::session::use_session,
    tr,
};

#[component]
pub fn Navbar() -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    let logout = ServerAction::<Logout>::new();
    let navigate = leptos_router::hooks::use_navigate();
    let menu = NodeRef::<leptos::html::Details>::new();
    Effect::new(move || {
        if let Some(Ok(())) = logout.value().get() {
            if let Some(Some(user)) = untrack(|| session.state()) {
                crate::state::drafts::forget_all(user.id);
            }
            session.set_user(None);
            navigate("/login", Default::default());
        }
    });

    view! {
        <header class="navbar">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Confab"
            </A>
            <nav class="nav-links">
                <A href="/chat">{tr!(i18n, common.nav.chat)}</A>
            </nav>
            // Filled by the page in the browser (the chat screen's search; see `nav_slot`).
            <div id=SLOT_ID class="nav-slot"></div>
            <div class="nav-user">
                <Transition fallback=|| ()>
                    {move || {
                        session
                            .shown()
                            .map(|user| match user {
                                Some(user) => {
                                    let name = user.display_name.clone();
                                    view! {
                                        <details
                                            class="user-menu"
                                            node_ref=menu
                                            on:keydown=super::close_on_escape
                                            on:focusout=super::close_when_focus_leaves
                                        >
                                            <summary
                                                data-testid="user-menu"
                                                aria-label=move || {
                                                    t_string!(i18n, common.nav.account_menu, name = name.clone())
                                                }
                                            >
                                                // The letter is drawn by the stylesheet: the menu's
                                                // visible text is then the name its label contains.
                                                <span
                                                    class="avatar"
                                                    aria-hidden="true"
                                                    data-initial=initial(&user.display_name)
                                                ></span>
                                                <span class="user-name">{user.display_name.clone()}</span>
                                            </summary>
                                            // Choosing anything closes the menu.
                                            <div
                                                class="menu"
                                                on:click=move |_| {
                                                    if let Some(m) = menu.get_untracked() {
                                                        m.set_open(false);
                                                    }
                                                }
                                            >
                                                <p class="menu-username">"@" {user.username.clone()}</p>
                                                <A href="/settings" attr:class="menu-item" attr:data-testid="settings-link">
                                                    {tr!(i18n, common.nav.settings)}
                                                </A>
                                                <ActionForm action=logout>
                                                    <button type="submit" class="menu-item">
                                                        {tr!(i18n, common.nav.log_out)}
                                                    </button>
                                                </ActionForm>
                                            </div>
                                        </details>
                                    }
                                        .into_any()
                                }
                                None => {
                                    view! {
                                        <A href="/login" attr:class="button ghost">{tr!(i18n, common.log_in)}</A>
                                        <A href="/register" attr:class="button">{tr!(i18n, common.sign_up)}</A>
                                    }
                                        .into_any()
                                }
                            })
                    }}
                </Transition>
            </div>
        </header>
    }
}

/// The first letter of a name, for avatars.
pub fn initial(name: &str) -> String {
    name.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_default()
}
