//! `/settings`: my display name, the theme and the language, my password (changing it logs out
//! every other session), my notification defaults and sound, and whether this browser may show
//! notifications.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use crate::{
    api,
    components::{
        form_error::{focus_on_error, FormError},
        require_user::RequireUser,
    },
    i18n::{t, t_string, td_string, use_i18n, Locale},
    lazy::{wasm_split, LazyPage, Loaded},
    state::{
        alerts::{ask_permission, permission, Permission},
        session::use_session,
    },
    tr,
    types::{limits, Language, NotifyLevel, Settings, SettingsChange, Theme},
    AppError,
};

type I18n = leptos_i18n::I18nContext<Locale>;

/// A theme's name, in the UI's language.
fn theme_label(i18n: I18n, theme: Theme) -> &'static str {
    match theme {
        Theme::System => t_string!(i18n, settings.appearance.theme_system),
        Theme::Light => t_string!(i18n, settings.appearance.theme_light),
        Theme::Dark => t_string!(i18n, settings.appearance.theme_dark),
    }
}

/// A notification level's name, in the UI's language.
fn notify_label(i18n: I18n, level: NotifyLevel) -> &'static str {
    match level {
        NotifyLevel::All => t_string!(i18n, settings.notify.level_all),
        NotifyLevel::Mentions => t_string!(i18n, settings.notify.level_mentions),
        NotifyLevel::Nothing => t_string!(i18n, settings.notify.level_nothing),
    }
}

/// A language choice as the list shows it: a language by its own name, whatever the UI's
/// language; "same as the browser" in the UI's.
fn language_label(i18n: I18n, language: Language) -> &'static str {
    match language.locale() {
        Some(locale) => td_string!(locale, common.language_name),
        None => t_string!(i18n, settings.appearance.language_auto),
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, settings.title).to_string() />
        <RequireUser children=move |_| view! { <LazyPage load=settings_view /> } />
    }
}

/// The page's forms, from a WASM chunk of their own (see [`crate::lazy`]).
#[wasm_split(settings_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn settings_view() -> Loaded {
    // In the browser only (see `LazyPage`): asked for when the page is shown.
    let settings = Resource::new(|| (), |_| api::get_settings());
    let i18n = use_i18n();
    Ok(view! {
        <Transition fallback=move || view! { <p class="loading">{tr!(i18n, common.loading)}</p> }>
            {move || {
                settings
                    .get()
                    .map(|s| match s {
                        Ok(settings) => view! { <SettingsForms settings /> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.localized(i18n.get_locale())}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
    .into_any())
}

/// What a section did, said in the UI's language when shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Saved,
    PasswordChanged,
}

/// The outcome of saving one section: done, or why not (the server's answer, or a check made
/// here).
type Outcome = Option<Result<Done, AppError>>;

/// Applies a saved language: a pinned one at once; "same as the browser" by loading the page
/// again, so the server resolves it from the browser's languages (the cookie is gone).
fn apply_language(i18n: I18n, language: Language) {
    match language.locale() {
        Some(locale) => i18n.set_locale(locale),
        None => reload(),
    }
}

fn reload() {
    #[cfg(feature = "hydrate")]
    let _ = window().location().reload();
}

#[component]
fn SettingsForms(settings: Settings) -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    let display_name = RwSignal::new(settings.user.display_name.clone());
    let notify = RwSignal::new(settings.notify);
    let sound = RwSignal::new(settings.sound);
    let profile_outcome = RwSignal::new(None::<Result<Done, AppError>>);
    let notify_outcome = RwSignal::new(None::<Result<Done, AppError>>);
    // Saves what one section changed; `outcome` is that section's.
    let save = move |change: SettingsChange, outcome: RwSignal<Outcome>| {
        spawn_local(async move {
            let SettingsChange { display_name: name, notify: level, sound: on, theme, language } = change;
            match api::save_settings(name, level, on, theme, language).await {
                Ok(saved) => {
                    display_name.try_set(saved.user.display_name.clone());
                    session.set_profile(saved.user);
                    outcome.try_set(Some(Ok(Done::Saved)));
                    if let Some(language) = language {
                        apply_language(i18n, language);
                    }
                }
                Err(e) => {
                    outcome.try_set(Some(Err(e)));
                }
            }
        });
    };
    let theme = RwSignal::new(settings.theme);
    let theme_outcome = RwSignal::new(None::<Result<Done, AppError>>);
    // A theme applies at once, here and (by its cookie) on every page the server renders.
    let choose_theme = move |chosen: Theme| {
        theme.set(chosen);
        #[cfg(feature = "hydrate")]
        {
            let root = document().document_element();
            if let Some(root) = root {
                let _ = root.set_attribute("data-theme", chosen.as_str());
            }
            if let Ok(Some(meta)) = document().query_selector("meta[name=color-scheme]") {
                let _ = meta.set_attribute("content", chosen.color_scheme());
            }
        }
        save(SettingsChange { theme: Some(chosen), ..Default::default() }, theme_outcome);
    };
    let language = RwSignal::new(settings.language);
    let language_outcome = RwSignal::new(None::<Result<Done, AppError>>);
    // Saved on its own; the UI switches once the server has it (see `apply_language`).
    let choose_language = move |chosen: Language| {
        language.set(chosen);
        language_outcome.set(None);
        save(SettingsChange { language: Some(chosen), ..Default::default() }, language_outcome);
    };
    let username = settings.user.username.clone();

    view! {
        <div class="settings" data-testid="settings">
            <h1>{tr!(i18n, settings.title)}</h1>
            {settings.admin.then(|| view! {
                <p><a href="/admin" data-testid="admin-link">{tr!(i18n, settings.admin_link)}</a></p>
            })}
            <section aria-labelledby="profile-heading">
                <h2 id="profile-heading">{tr!(i18n, settings.profile.heading)}</h2>
                <form
                    class="form"
                    data-testid="profile-form"
                    on:input=move |_| profile_outcome.set(None)
                    on:submit=move |ev| {
                        ev.prevent_default();
                        save(
                            SettingsChange { display_name: Some(display_name.get_untracked()), ..Default::default() },
                            profile_outcome,
                        );
                    }
                >
                    <label>
                        {tr!(i18n, settings.profile.display_name)}
                        <input
                            name="display_name"
                            autocomplete="name"
                            maxlength=limits::DISPLAY_NAME_MAX
                            aria-invalid=is_invalid(profile_outcome, "display_name")
                            prop:value=move || display_name.get()
                            on:input=move |ev| display_name.set(event_target_value(&ev))
                        />
                        <small class="muted">
                            {t!(i18n, settings.profile.display_name_hint, username = move || username.clone())}
                        </small>
                    </label>
                    <OutcomeLine outcome=profile_outcome />
                    <div>
                        <button type="submit" class="button">{tr!(i18n, settings.save)}</button>
                    </div>
                </form>
            </section>
            <section aria-labelledby="theme-heading">
                <h2 id="theme-heading">{tr!(i18n, settings.appearance.heading)}</h2>
                <fieldset class="form" data-testid="theme-choices">
                    <legend>{tr!(i18n, settings.appearance.theme)}</legend>
                    {Theme::ALL
                        .into_iter()
                        .map(|choice| {
                            view! {
                                <label class="check">
                                    <input
                                        type="radio"
                                        name="theme"
                                        value=choice.as_str()
                                        prop:checked=move || theme.get() == choice
                                        on:change=move |_| choose_theme(choice)
                                    />
                                    {move || theme_label(i18n, choice)}
                                </label>
                            }
                        })
                        .collect_view()}
                    <small class="muted">{tr!(i18n, settings.appearance.theme_hint)}</small>
                </fieldset>
                <OutcomeLine outcome=theme_outcome />
                <fieldset class="form" data-testid="language-choices">
                    <legend>{tr!(i18n, settings.appearance.language)}</legend>
                    {Language::ALL
                        .into_iter()
                        .map(|choice| {
                            view! {
                                <label class="check">
                                    <input
                                        type="radio"
                                        name="language"
                                        value=choice.as_str()
                                        prop:checked=move || language.get() == choice
                                        on:change=move |_| choose_language(choice)
                                    />
                                    // A language's own name is in that language.
                                    <span lang=(choice != Language::Auto).then_some(choice.as_str())>
                                        {move || language_label(i18n, choice)}
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <OutcomeLine outcome=language_outcome />
            </section>
            <PasswordForm />
            <section aria-labelledby="notify-heading">
                <h2 id="notify-heading">{tr!(i18n, settings.notify.heading)}</h2>
                <form
                    class="form"
                    data-testid="notify-form"
                    on:change=move |_| notify_outcome.set(None)
                    on:submit=move |ev| {
                        ev.prevent_default();
                        let change = SettingsChange {
                            notify: Some(notify.get_untracked()),
                            sound: Some(sound.get_untracked()),
                            ..Default::default()
                        };
                        save(change, notify_outcome);
                    }
                >
                    <fieldset>
                        <legend>{tr!(i18n, settings.notify.default_level)}</legend>
                        {NotifyLevel::ALL
                            .into_iter()
                            .map(|level| {
                                view! {
                                    <label class="check">
                                        <input
                                            type="radio"
                                            name="notify"
                                            value=level.as_str()
                                            prop:checked=move || notify.get() == level
                                            on:change=move |_| notify.set(level)
                                        />
                                        {move || notify_label(i18n, level)}
                                    </label>
                                }
                            })
                            .collect_view()}
                        <small class="muted">{tr!(i18n, settings.notify.level_hint)}</small>
                    </fieldset>
                    <label class="check">
                        <input
                            type="checkbox"
                            name="sound"
                            data-testid="sound"
                            prop:checked=move || sound.get()
                            on:change=move |ev| sound.set(event_target_checked(&ev))
                        />
                        {tr!(i18n, settings.notify.sound)}
                    </label>
                    <OutcomeLine outcome=notify_outcome />
                    <div>
                        <button type="submit" class="button">{tr!(i18n, settings.save)}</button>
                    </div>
                </form>
                <BrowserNotifications />
            </section>
        </div>
    }
}

#[component]
fn OutcomeLine(outcome: RwSignal<Outcome>) -> impl IntoView {
    let i18n = use_i18n();
    let done = move || {
        outcome.get().and_then(Result::ok).map(|done| {
            let text = move || match done {
                Done::Saved => t_string!(i18n, settings.saved),
                Done::PasswordChanged => t_string!(i18n, settings.password.changed),
            };
            view! { <p class="form-ok" role="status">"✓ " {text}</p> }
        })
    };
    view! {
        {done}
        <FormError error=failure(outcome) />
    }
}

/// `aria-invalid` of the field `name`: whether the section's last save failed because of it.
fn is_invalid(outcome: RwSignal<Outcome>, name: &'static str) -> impl Fn() -> &'static str + Copy {
    move || if outcome.with(|o| matches!(o, Some(Err(e)) if e.is_about(name))) { "true" } else { "false" }
}

/// Why a section's last save failed, while it shows.
fn failure(outcome: RwSignal<Outcome>) -> Signal<Option<AppError>> {
    Signal::derive(move || outcome.get().and_then(Result::err))
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let i18n = use_i18n();
    let outcome = RwSignal::new(None::<Result<Done, AppError>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != confirm.get_untracked() {
            let mismatch = AppError::invalid("confirm_password", "The new password and its confirmation differ.");
            outcome.try_set(Some(Err(mismatch)));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::change_password(current.get_untracked(), new.get_untracked()).await {
                Ok(()) => {
                    for field in [current, new, confirm] {
                        field.try_set(String::new());
                    }
                    outcome.try_set(Some(Ok(Done::PasswordChanged)));
                }
                Err(e) => {
                    outcome.try_set(Some(Err(e)));
                }
            }
            busy.try_set(false);
        });
    };
    let form = NodeRef::new();
    focus_on_error(form, failure(outcome), "current_password");
    let field =
        move |label: fn(I18n) -> &'static str, value: RwSignal<String>, name: &'static str, complete: &'static str| {
            view! {
                <label>
                    {move || label(i18n)}
                    <input
                        type="password"
                        name=name
                        autocomplete=complete
                        aria-invalid=is_invalid(outcome, name)
                        required
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                </label>
            }
        };
    view! {
        <section aria-labelledby="password-heading">
            <h2 id="password-heading">{tr!(i18n, settings.password.heading)}</h2>
            <form class="form" data-testid="password-form" node_ref=form on:input=move |_| outcome.set(None) on:submit=submit>
                {field(|i18n| t_string!(i18n, settings.password.current_password), current, "current_password", "current-password")}
                {field(|i18n| t_string!(i18n, settings.password.new_password), new, "new_password", "new-password")}
                {field(|i18n| t_string!(i18n, settings.password.confirm_password), confirm, "confirm_password", "new-password")}
                <small class="muted">
                    {t!(i18n, settings.password.hint, min = move || limits::PASSWORD_MIN)}
                </small>
                <OutcomeLine outcome />
                <div>
                    <button type="submit" class="button" disabled=move || busy.get()>
                        {tr!(i18n, settings.password.submit)}
                    </button>
                </div>
            </form>
        </section>
    }
}

/// The browser's permission to show notifications, with a button to ask for it.
#[component]
fn BrowserNotifications() -> impl IntoView {
    // Known only in the browser: both renders start from "checking", then an effect looks.
    let i18n = use_i18n();
    let state = RwSignal::new(None::<Permission>);
    Effect::new(move || state.set(Some(permission())));
    let ask = move |_| {
        spawn_local(async move {
            state.try_set(Some(ask_permission().await));
        })
    };
    view! {
        <div class="browser-notifications" data-testid="browser-notifications">
            <h3>{tr!(i18n, settings.browser.heading)}</h3>
            {move || match state.get() {
                None => view! { <p class="muted">{tr!(i18n, settings.browser.checking)}</p> }.into_any(),
                Some(Permission::Granted) => {
                    view! {
                        <p data-testid="notify-permission">{tr!(i18n, settings.browser.granted)}</p>
                    }
                        .into_any()
                }
                Some(Permission::Denied) => {
                    view! {
                        <p data-testid="notify-permission">{tr!(i18n, settings.browser.denied)}</p>
                    }
                        .into_any()
                }
                Some(Permission::Ask) => {
                    view! {
                        <p data-testid="notify-permission">{tr!(i18n, settings.browser.ask)}</p>
                        <button class="button ghost" data-testid="ask-notifications" on:click=ask>
                            {tr!(i18n, settings.browser.allow)}
                        </button>
                    }
                        .into_any()
                }
                Some(Permission::Unsupported) => {
                    view! { <p data-testid="notify-permission">{tr!(i18n, settings.browser.unsupported)}</p> }
                        .into_any()
                }
            }}
        </div>
    }
}
