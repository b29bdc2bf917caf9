//! The error line under a form, shown whether the form was sent by JavaScript or posted plainly
//! (then the error comes back in the redirect URL, which `ServerAction` reads for us).

use leptos::prelude::*;

use crate::AppError;

/// Every problem the error names, one per line, in the reader's language.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    move || {
        error.get().map(|e| {
            let locale = i18n.get_locale();
            let lines = e
                .problems()
                .into_iter()
                .map(|(_, message)| view! { <span class="form-error-line">{crate::error::localize(message, locale)}</span> })
                .collect_view();
            view! {
                <p class="form-error" role="alert" data-code=e.code()>
                    {lines}
                </p>
            }
        })
    }
}

/// After a refused submission, focus goes to the first field the error is about, else to
/// `fallback` (the password, after a failed login), with its text selected to type over.
/// Focus would otherwise stay on the submit button, or fall to the page when the button is
/// disabled while the form is sent.
pub fn focus_on_error(form: NodeRef<leptos::html::Form>, error: Signal<Option<AppError>>, fallback: &'static str) {
    Effect::new(move |_| {
        let Some(e) = error.get() else { return };
        let Some(form) = form.get_untracked() else { return };
        let name = e.problems().into_iter().find_map(|(field, _)| field).unwrap_or(fallback);
        let field = form.query_selector(&format!("[name=\"{name}\"]")).ok().flatten();
        if let Some(field) =
            field.and_then(|f| leptos::wasm_bindgen::JsCast::dyn_into::<leptos::web_sys::HtmlInputElement>(f).ok())
        {
            let _ = field.focus();
            field.select();
        }
    });
}

/// An action's error until the form is edited again: a field that has been fixed should not
/// keep its complaint on screen. Put the returned handler on the form's `input` events.
pub fn error_until_edited<S>(action: ServerAction<S>) -> (Signal<Option<AppError>>, impl Fn(leptos::ev::Event) + Copy)
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let edited = RwSignal::new(false);
    Effect::new(move || {
        action.version().track();
        edited.set(false);
    });
    let error = Signal::derive(move || action.value().get().and_then(Result::err).filter(|_| !edited.get()));
    (error, move |_| edited.set(true))
}

/// Sends a reader who is already logged in on from a login or registration form, to `next`
/// (a real redirect while the server renders).
#[component]
pub fn LeaveIfLoggedIn(#[prop(into)] next: Signal<String>) -> impl IntoView {
    let session = crate::state::session::use_session();
    view! {
        <Transition fallback=|| ()>
            {move || {
                session
                    .state()
                    .flatten()
                    .map(|_| view! { <leptos_router::components::Redirect path=crate::nav::safe_next(Some(next.get())) /> })
            }}
        </Transition>
    }
}
