//! `/register`: creates an account and logs it in. Field errors (a taken username, a weak
//! password) are shown next to the form, with or without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    api::Register,
    components::form_error::{error_until_edited, FormError, LeaveIfLoggedIn},
    state::session::follow_login,
    types::limits,
};

#[component]
pub fn Register() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/chat".to_string());
    let (error, on_edit) = error_until_edited(action);
    let invalid = move |field: &'static str| move || error.get().is_some_and(|e| e.field() == Some(field));
    follow_login(action.value());

    view! {
        <Title text="Create an account" />
        <LeaveIfLoggedIn next=Signal::derive(next) />
        <section class="auth-card" on:input=on_edit>
            <h1>"Create your account"</h1>
            <ActionForm action attr:class="form" attr:data-testid="register-form">
                <input type="hidden" name="next" value=next />
                <label>
                    "Username"
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
                        {format!(
                            "{} to {} characters: letters a–z, digits, and _ . -",
                            limits::USERNAME_MIN,
                            limits::USERNAME_MAX,
                        )}
                    </small>
                </label>
                <label>
                    "Display name"
                    <input name="display_name" autocomplete="name" maxlength=limits::DISPLAY_NAME_MAX />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        autocomplete="new-password"
                        required
                        aria-describedby="password-rule"
                        aria-invalid=move || invalid("password")().to_string()
                    />
                    <small class="muted" id="password-rule">"At least " {limits::PASSWORD_MIN} " characters."</small>
                </label>
                <FormError error />
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    "Create account"
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}
