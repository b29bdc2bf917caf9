//! `/`: logged-in people go straight to their chats; everyone else sees what Confab is.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::{i18n::use_i18n, state::session::use_session, tr};

#[component]
pub fn Home() -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    view! {
        <Title text="" />
        <Transition fallback=|| ()>
            {move || {
                session
                    .state()
                    .map(|user| match user {
                        Some(_) => view! { <Redirect path="/chat" /> }.into_any(),
                        None => {
                            view! {
                                <section class="hero">
                                    <h1>{tr!(i18n, common.home.headline)}</h1>
                                    <p>{tr!(i18n, common.home.pitch)}</p>
                                    <p class="hero-actions">
                                        <A href="/register" attr:class="button">{tr!(i18n, common.create_account)}</A>
                                        <A href="/login" attr:class="button ghost">{tr!(i18n, common.log_in)}</A>
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}
