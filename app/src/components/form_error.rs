//! The error line under a form, shown whether the form was sent by JavaScript or posted plainly
//! (then the error comes back in the redirect URL, which `ServerAction` reads for us).

use leptos::prelude::*;

use crate::AppError;

#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <p class="form-error" role="alert" data-code=e.code()>
                    {e.to_string()}
                </p>
            }
        })
    }
}
