//! `/`: logged-in people go straight to their chats; everyone else sees what Confab is.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::state::session::use_session;

#[component]
pub fn Home() -> impl IntoView {
    let session = use_session();
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
                                    <h1>"Team chat you run yourself."</h1>
                                    <p>
                                        "Private and group rooms, instant delivery, typing and presence — one binary, your data."
                                    </p>
                                    <p class="hero-actions">
                                        <A href="/register" attr:class="button">"Create an account"</A>
                                        <A href="/login" attr:class="button ghost">"Log in"</A>
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
