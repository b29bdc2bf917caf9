//! Guards a page: logged-out visitors are sent to `/login?next=<this page>` (a real 302 during
//! SSR, a client-side navigation once hydrated) and come back here after logging in.

use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_location};

use crate::{i18n::use_i18n, state::session::use_session, tr, types::User};

#[component]
pub fn RequireUser<F, IV>(children: F) -> impl IntoView
where
    F: Fn(User) -> IV + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    let session = use_session();
    let location = use_location();
    let children = std::sync::Arc::new(children);
    let i18n = use_i18n();
    view! {
        <Transition fallback=move || view! { <p class="loading">{tr!(i18n, common.loading)}</p> }>
            {move || {
                let children = children.clone();
                session
                    .state()
                    .map(move |user| match user {
                        Some(user) => children(user).into_any(),
                        // Logging out goes to /login itself: by the time this runs, the page
                        // to come back to would be /login.
                        None if location.pathname.with_untracked(|p| p == "/login") => ().into_any(),
                        None => {
                            let next = location.pathname.get_untracked();
                            view! { <Redirect path=format!("/login?next={}", encode_path(&next)) /> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// Percent-encodes the few characters that would break a `next=` query value.
pub fn encode_path(path: &str) -> String {
    path.chars()
        .map(|c| match c {
            '%' => "%25".to_string(),
            '&' => "%26".to_string(),
            '?' => "%3F".to_string(),
            '#' => "%23".to_string(),
            '+' => "%2B".to_string(),
            ' ' => "%20".to_string(),
            c => c.to_string(),
        })
        .collect()
}
