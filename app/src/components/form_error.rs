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
