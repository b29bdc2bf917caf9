//! `/login`: works as a plain HTML form and, once hydrated, without a page load.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    api::Login,
    components::form_error::{error_until_edited, focus_on_error, FormError, LeaveIfLoggedIn},
    i18n::{t_string, use_i18n},
    state::session::follow_login,
    tr,
};

#[component]
pub fn Login() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/chat".to_string());
    let (error, on_edit) = error_until_edited(action);
    let form = NodeRef::new();
    focus_on_error(form, error, "password");
    follow_login(action.value());
    let i18n = use_i18n();

    view! {
        <Title text=move || t_string!(i18n, auth.log_in).to_string() />
        <LeaveIfLoggedIn next=Signal::derive(next) />
        <section class="auth-card" on:input=on_edit>
            <h1>{tr!(i18n, auth.log_in)}</h1>
            <ActionForm action node_ref=form attr:class="form" attr:data-testid="login-form">
                <input type="hidden" name="next" value=next />
                <label>
                    {tr!(i18n, auth.username)}
                    <input name="username" autocomplete="username" required autofocus />
                </label>
                <label>
                    {tr!(i18n, auth.password)}
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                <FormError error />
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {tr!(i18n, auth.log_in)}
                </button>
            </ActionForm>
            <p class="muted">
                {tr!(i18n, auth.login.new_here)}
                " "
                <A href=move || format!("/register?next={}", crate::components::require_user::encode_path(&next()))>
                    {tr!(i18n, auth.create_account)}
                </A>
            </p>
        </section>
    }
}
