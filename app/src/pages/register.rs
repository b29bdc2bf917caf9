//! `/register`: creates an account and logs it in. Field errors (a taken username, a weak
//! password) are shown next to the form, with or without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    api::Register,
    components::form_error::{error_until_edited, focus_on_error, FormError, LeaveIfLoggedIn},
    i18n::{t, t_string, use_i18n},
    state::session::follow_login,
    tr,
    types::limits,
};

#[component]
pub fn Register() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/chat".to_string());
    let (error, on_edit) = error_until_edited(action);
    let form = NodeRef::new();
    focus_on_error(form, error, "username");
    let invalid = move |field: &'static str| move || error.get().is_some_and(|e| e.is_about(field));
    follow_login(action.value());
    let i18n = use_i18n();

    view! {
        <Title text=move || t_string!(i18n, auth.create_account).to_string() />
        <LeaveIfLoggedIn next=Signal::derive(next) />
        <section class="auth-card" on:input=on_edit>
            <h1>{tr!(i18n, auth.register.heading)}</h1>
            <ActionForm action node_ref=form attr:class="form" attr:data-testid="register-form">
                <input type="hidden" name="next" value=next />
                <label>
                    {tr!(i18n, auth.username)}
                    <input
                        name="username"
                        autocomplete="username"
                        required
                        maxlength=limits::USERNAME_MAX
                        aria-describedby="username-rule"
                        aria-invalid=move || invalid("username")().to_string()
                    />
                    // The rule in words, not a pattern the browser would only hint at.
                    <small class="muted" id="username-rule">
                        {t!(
                            i18n,
                            auth.register.username_rule,
                            min = move || limits::USERNAME_MIN,
                            max = move || limits::USERNAME_MAX,
                        )}
                    </small>
                </label>
                <label>
                    {tr!(i18n, auth.display_name)}
                    <input
                        name="display_name"
                        autocomplete="name"
                        maxlength=limits::DISPLAY_NAME_MAX
                        aria-invalid=move || invalid("display_name")().to_string()
                    />
                </label>
                <label>
                    {tr!(i18n, auth.password)}
                    <input
                        type="password"
                        name="password"
                        autocomplete="new-password"
                        required
                        aria-describedby="password-rule"
                        aria-invalid=move || invalid("password")().to_string()
                    />
                    <small class="muted" id="password-rule">
                        {t!(i18n, auth.register.password_rule, min = move || limits::PASSWORD_MIN)}
                    </small>
                </label>
                <FormError error />
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {tr!(i18n, auth.register.submit)}
                </button>
            </ActionForm>
            <p class="muted">
                {tr!(i18n, auth.register.have_account)}
                " "
                <A href="/login">{tr!(i18n, auth.log_in)}</A>
            </p>
        </section>
    }
}
