//! The fallback page (served with status 404).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <section class="auth-card">
            <h1>"Page not found"</h1>
            <p>"There is nothing here. " <A href="/chat">"Back to your chats"</A></p>
        </section>
    }
}
