//! `/settings`: my display name, my password (changing it logs out every other session), my
//! notification defaults and sound, and whether this browser may show notifications.

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

use crate::{
    api,
    components::require_user::RequireUser,
    state::{
        alerts::{ask_permission, permission, Permission},
        session::use_session,
    },
    types::{limits, NotifyLevel, Settings, SettingsChange, Theme},
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Created here, once on both sides, not under the guard's Transition (see `pages::chat`).
    let settings = Resource::new(|| (), |_| api::get_settings());
    view! {
        <Title text="Settings" />
        <RequireUser children=move |_| {
            view! {
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || {
                        settings
                            .get()
                            .map(|s| match s {
                                Ok(settings) => view! { <SettingsForms settings /> }.into_any(),
                                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                            })
                    }}
                </Transition>
            }
        } />
    }
}

/// The outcome of saving one section: `Ok` says what was done.
type Outcome = Option<Result<&'static str, String>>;

#[component]
fn SettingsForms(settings: Settings) -> impl IntoView {
    let session = use_session();
    let display_name = RwSignal::new(settings.user.display_name.clone());
    let notify = RwSignal::new(settings.notify);
    let sound = RwSignal::new(settings.sound);
    let profile_outcome = RwSignal::new(None::<Result<&'static str, String>>);
    let notify_outcome = RwSignal::new(None::<Result<&'static str, String>>);
    // Saves what one section changed; `outcome` is that section's.
    let save = move |change: SettingsChange, outcome: RwSignal<Outcome>| {
        spawn_local(async move {
            let SettingsChange { display_name: name, notify: level, sound: on, theme, language } = change;
            match api::save_settings(name, level, on, theme, language).await {
                Ok(saved) => {
                    display_name.try_set(saved.user.display_name.clone());
                    session.set_profile(saved.user);
                    outcome.try_set(Some(Ok("Saved.")));
                }
                Err(e) => {
                    outcome.try_set(Some(Err(e.to_string())));
                }
            }
        });
    };
    let theme = RwSignal::new(settings.theme);
    let theme_outcome = RwSignal::new(None::<Result<&'static str, String>>);
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

    view! {
        <div class="settings" data-testid="settings">
            <h1>"Settings"</h1>
            <section aria-labelledby="profile-heading">
                <h2 id="profile-heading">"Profile"</h2>
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
                        "Display name"
                        <input
                            name="display_name"
                            autocomplete="name"
                            maxlength=limits::DISPLAY_NAME_MAX
                            prop:value=move || display_name.get()
                            on:input=move |ev| display_name.set(event_target_value(&ev))
                        />
                        <small class="muted">{format!("Empty: your username, @{}.", settings.user.username)}</small>
                    </label>
                    <OutcomeLine outcome=profile_outcome />
                    <div>
                        <button type="submit" class="button">"Save"</button>
                    </div>
                </form>
            </section>
            <section aria-labelledby="theme-heading">
                <h2 id="theme-heading">"Appearance"</h2>
                <fieldset class="form" data-testid="theme-choices">
                    <legend>"Theme"</legend>
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
                                    {choice.label()}
                                </label>
                            }
                        })
                        .collect_view()}
                    <small class="muted">"System follows your device's light or dark setting."</small>
                </fieldset>
                <OutcomeLine outcome=theme_outcome />
            </section>
            <PasswordForm />
            <section aria-labelledby="notify-heading">
                <h2 id="notify-heading">"Notifications"</h2>
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
                        <legend>"By default, notify me about"</legend>
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
                                        {level.label()}
                                    </label>
                                }
                            })
                            .collect_view()}
                        <small class="muted">"Each room's menu can say otherwise, or mute it for a while."</small>
                    </fieldset>
                    <label class="check">
                        <input
                            type="checkbox"
                            name="sound"
                            data-testid="sound"
                            prop:checked=move || sound.get()
                            on:change=move |ev| sound.set(event_target_checked(&ev))
                        />
                        "Play a sound for new messages"
                    </label>
                    <OutcomeLine outcome=notify_outcome />
                    <div>
                        <button type="submit" class="button">"Save"</button>
                    </div>
                </form>
                <BrowserNotifications />
            </section>
        </div>
    }
}

#[component]
fn OutcomeLine(outcome: RwSignal<Outcome>) -> impl IntoView {
    move || {
        outcome.get().map(|o| match o {
            Ok(done) => view! { <p class="form-ok" role="status">"✓ " {done}</p> }.into_any(),
            Err(e) => view! { <p class="form-error" role="alert">{e}</p> }.into_any(),
        })
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<&'static str, String>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != confirm.get_untracked() {
            outcome.try_set(Some(Err("The new password and its confirmation differ.".to_string())));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::change_password(current.get_untracked(), new.get_untracked()).await {
                Ok(()) => {
                    for field in [current, new, confirm] {
                        field.try_set(String::new());
                    }
                    outcome.try_set(Some(Ok("Password changed. Your other sessions have been logged out.")));
                }
                Err(e) => {
                    outcome.try_set(Some(Err(e.to_string())));
                }
            }
            busy.try_set(false);
        });
    };
    let field = move |label: &'static str, value: RwSignal<String>, name: &'static str, complete: &'static str| {
        view! {
            <label>
                {label}
                <input
                    type="password"
                    name=name
                    autocomplete=complete
                    required
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <section aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <form class="form" data-testid="password-form" on:input=move |_| outcome.set(None) on:submit=submit>
                {field("Current password", current, "current_password", "current-password")}
                {field("New password", new, "new_password", "new-password")}
                {field("Confirm the new password", confirm, "confirm_password", "new-password")}
                <small class="muted">
                    {format!("At least {} characters. Other devices will be logged out.", limits::PASSWORD_MIN)}
                </small>
                <OutcomeLine outcome />
                <div>
                    <button type="submit" class="button" disabled=move || busy.get()>"Change password"</button>
                </div>
            </form>
        </section>
    }
}

/// The browser's permission to show notifications, with a button to ask for it.
#[component]
fn BrowserNotifications() -> impl IntoView {
    // Known only in the browser: both renders start from "checking", then an effect looks.
    let state = RwSignal::new(None::<Permission>);
    Effect::new(move || state.set(Some(permission())));
    let ask = move |_| {
        spawn_local(async move {
            state.try_set(Some(ask_permission().await));
        })
    };
    view! {
        <div class="browser-notifications" data-testid="browser-notifications">
            <h3>"Browser notifications"</h3>
            {move || match state.get() {
                None => view! { <p class="muted">"Checking…"</p> }.into_any(),
                Some(Permission::Granted) => {
                    view! {
                        <p data-testid="notify-permission">
                            "On: new messages notify you while Confab is in the background."
                        </p>
                    }
                        .into_any()
                }
                Some(Permission::Denied) => {
                    view! {
                        <p data-testid="notify-permission">
                            "Blocked in this browser. Allow them in the site's settings (the icon beside the address)."
                        </p>
                    }
                        .into_any()
                }
                Some(Permission::Ask) => {
                    view! {
                        <p data-testid="notify-permission">"Off: this browser has not been asked yet."</p>
                        <button class="button ghost" data-testid="ask-notifications" on:click=ask>
                            "Allow notifications"
                        </button>
                    }
                        .into_any()
                }
                Some(Permission::Unsupported) => {
                    view! { <p data-testid="notify-permission">"This browser cannot show notifications."</p> }
                        .into_any()
                }
            }}
        </div>
    }
}
