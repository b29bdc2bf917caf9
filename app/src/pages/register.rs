//! `/register`: creates an account and logs it in. Field errors (a taken username, a weak
//! password) are shown next to the form, with or without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{api::Register, components::form_error::FormError, state::session::follow_login, types::limits};

#[component]
pub fn Register() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/chat".to_string());
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let invalid = move |field: &'static str| move || error.get().is_some_and(|e| e.field() == Some(field));
    follow_login(action.value());

    view! {
        <Title text="Create an account" />
        <section class="auth-card">
            <h1>"Create your account"</h1>
            <ActionForm action attr:class="form" attr:data-testid="register-form">
                <input type="hidden" name="next" value=next />
                <label>
                    "Username"
                    <input
                        name="username"
                        autocomplete="username"
                        required
                        minlength=limits::USERNAME_MIN
                        maxlength=limits::USERNAME_MAX
                        pattern="[A-Za-z0-9_.\\-]+"
                        title="3–32 characters: letters, digits, _ . -"
                        aria-invalid=move || invalid("username")().to_string()
                    />
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
                        aria-invalid=move || invalid("password")().to_string()
                    />
                    <small class="muted">"At least " {limits::PASSWORD_MIN} " characters."</small>
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
