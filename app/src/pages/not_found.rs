//! The fallback page (served with status 404).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    i18n::{t_string, use_i18n},
    tr,
};

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, common.not_found.title).to_string() />
        <section class="auth-card">
            <h1>{tr!(i18n, common.not_found.heading)}</h1>
            <p>{tr!(i18n, common.not_found.text)} " " <A href="/chat">{tr!(i18n, common.not_found.back)}</A></p>
        </section>
    }
}
