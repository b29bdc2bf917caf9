//! Getting the reader's attention: the store queues an [`Alert`] for each new message whose
//! room's level and mute allow it; this layer shows it as the reader can best notice it.
//!
//! - Looking at another room of this tab: a toast (announced to screen readers).
//! - The tab hidden or the window in the background: a browser notification, when permitted
//!   (one per room, replaced as more arrive; clicking it focuses the tab and opens the room).
//! - Either way, the sound, if switched on, at most once every [`SOUND_GAP_MS`].
//!
//! It also keeps the favicon's unread badge, and tells the store when the page is visible (a
//! hidden page reads nothing).

use leptos::prelude::*;

use super::store::{Alert, ChatStore, Toast};
use crate::i18n::{td_string, Locale};
use crate::types::RoomId;

/// How long a toast stays on screen.
pub const TOAST_MS: u32 = 6_000;
/// Toasts shown at once; the oldest goes first.
pub const MAX_TOASTS: usize = 3;
/// The least time between two sounds: a busy room must not ring like a phone.
pub const SOUND_GAP_MS: f64 = 3_000.0;
/// The notification sound (public/sounds).
pub const SOUND_URL: &str = "/sounds/notify.wav";

/// Whether this browser may show notifications, as the settings page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Granted,
    Denied,
    /// Not asked yet.
    Ask,
    /// No notifications in this browser (or not in this context).
    Unsupported,
}

/// The browser's notification permission now.
pub fn permission() -> Permission {
    imp::permission()
}

/// Asks the browser for permission to notify; call it only from a click, never on load.
pub async fn ask_permission() -> Permission {
    imp::ask_permission().await
}

/// Starts showing the store's alerts, until the chat screen goes.
pub fn install(store: ChatStore) {
    Effect::new(move || {
        if store.alerts.with(Vec::is_empty) {
            return;
        }
        let alerts = store.alerts.try_update(std::mem::take).unwrap_or_default();
        for alert in alerts {
            show(store, alert);
        }
    });
    #[cfg(feature = "hydrate")]
    imp::install(store);
}

fn show(store: ChatStore, alert: Alert) {
    let watching = store.visible.get_untracked() && imp::focused();
    if watching && store.open_room.get_untracked() == Some(alert.room) {
        // In sight, only scrolled up: the list's "new messages" pill says it.
        return;
    }
    if store.prefs.get_untracked().sound {
        imp::chime();
    }
    if watching {
        toast(store, alert);
    } else {
        imp::notify(store, &alert);
    }
}

fn toast(store: ChatStore, alert: Alert) {
    let id = imp::next_id();
    let room = alert.room;
    store.toasts.update(|t| {
        // One toast per room: the newest message replaces the room's older one.
        t.retain(|t| t.alert.room != room);
        t.push(Toast { id, alert });
        let extra = t.len().saturating_sub(MAX_TOASTS);
        t.drain(..extra);
    });
    #[cfg(feature = "hydrate")]
    gloo_timers::callback::Timeout::new(TOAST_MS, move || dismiss(store, id)).forget();
}

pub fn dismiss(store: ChatStore, id: u64) {
    store.toasts.try_update(|t| t.retain(|t| t.id != id));
}

/// The room is open now: its toast has nothing left to say.
pub fn dismiss_room(store: ChatStore, room: RoomId) {
    if store.toasts.with_untracked(|t| t.iter().any(|t| t.alert.room == room)) {
        store.toasts.update(|t| t.retain(|t| t.alert.room != room));
    }
}

/// The title of an alert, in `locale`: who wrote, and where (a group's name).
pub fn heading(locale: Locale, alert: &Alert) -> String {
    if alert.private {
        alert.message.sender_name.clone()
    } else {
        td_string!(
            locale,
            common.alerts.in_room,
            sender = alert.message.sender_name.clone(),
            room = alert.room_title.clone()
        )
    }
}

/// The favicon with a badge of `count` unread messages (none at 0), as a data URL.
pub fn badged_icon(count: i64) -> Option<String> {
    let label = match count {
        ..=0 => return None,
        1..=9 => count.to_string(),
        _ => "9+".to_string(),
    };
    let size = if label.len() > 1 { 10 } else { 13 };
    Some(format!(
        "data:image/svg+xml,{}",
        percent(&format!(
            "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>\
             <rect width='32' height='32' rx='8' fill='#4f46e5'/><path d='M9 11h14v8H15l-4 3v-3H9z' fill='#fff'/>\
             <circle cx='23' cy='9' r='9' fill='#dc2626'/>\
             <text x='23' y='13.5' font-size='{size}' font-family='sans-serif' font-weight='700' \
             text-anchor='middle' fill='#fff'>{label}</text></svg>"
        ))
    ))
}

/// Percent-encodes what a data URL cannot hold as is.
fn percent(svg: &str) -> String {
    svg.replace('%', "%25").replace('#', "%23").replace('<', "%3C").replace('>', "%3E").replace(' ', "%20")
}

#[cfg(feature = "hydrate")]
mod imp {
    use std::cell::{Cell, RefCell};

    use leptos::prelude::*;
    use wasm_bindgen::{prelude::*, JsCast};
    use web_sys::{HtmlAudioElement, Notification, NotificationOptions, NotificationPermission, VisibilityState};

    use super::{badged_icon, heading, Alert, ChatStore, Permission, SOUND_GAP_MS, SOUND_URL};
    use crate::state::actions::report_read;

    thread_local! {
        static NEXT_ID: Cell<u64> = const { Cell::new(0) };
        static LAST_CHIME: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
        static AUDIO: RefCell<Option<HtmlAudioElement>> = const { RefCell::new(None) };
    }

    pub fn next_id() -> u64 {
        NEXT_ID.with(|n| {
            n.set(n.get() + 1);
            n.get()
        })
    }

    pub fn focused() -> bool {
        document().has_focus().unwrap_or(true)
    }

    pub fn install(store: ChatStore) {
        let visible = || document().visibility_state() == VisibilityState::Visible;
        store.visible.set(visible());
        let on_change = Closure::<dyn Fn()>::new(move || {
            let now_visible = visible();
            store.visible.try_set(now_visible);
            if let Some(room) = store.open_room.try_get_untracked().flatten().filter(|_| now_visible) {
                if store.at_bottom.get_untracked() {
                    report_read(store, room);
                }
            }
        });
        let listener: js_sys::Function = on_change.into_js_value().unchecked_into();
        let _ = document().add_event_listener_with_callback("visibilitychange", &listener);
        let icon = document().query_selector("link[rel=icon]").ok().flatten();
        let original = icon.as_ref().and_then(|i| i.get_attribute("href"));
        Effect::new({
            let icon = icon.clone();
            let original = original.clone();
            move || {
                let href = badged_icon(store.unread_unmuted()).or_else(|| original.clone());
                if let (Some(icon), Some(href)) = (&icon, href) {
                    let _ = icon.set_attribute("href", &href);
                }
            }
        });
        on_cleanup(move || {
            let _ = document().remove_event_listener_with_callback("visibilitychange", &listener);
            if let (Some(icon), Some(href)) = (icon, original) {
                let _ = icon.set_attribute("href", &href);
            }
        });
    }

    pub fn chime() {
        let now = js_sys::Date::now();
        if now - LAST_CHIME.get() < SOUND_GAP_MS {
            return;
        }
        LAST_CHIME.set(now);
        let audio = AUDIO.with_borrow_mut(|a| {
            if a.is_none() {
                *a = HtmlAudioElement::new_with_src(SOUND_URL).ok();
            }
            a.clone()
        });
        let Some(audio) = audio else { return };
        audio.set_current_time(0.0);
        if let Ok(playing) = audio.play() {
            // Refused until the reader has interacted with the page: not an error.
            leptos::task::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(playing).await;
            });
        }
    }

    fn supported() -> bool {
        js_sys::Reflect::has(&window(), &JsValue::from_str("Notification")).unwrap_or(false)
    }

    pub fn permission() -> Permission {
        if !supported() {
            return Permission::Unsupported;
        }
        match Notification::permission() {
            NotificationPermission::Granted => Permission::Granted,
            NotificationPermission::Denied => Permission::Denied,
            _ => Permission::Ask,
        }
    }

    pub async fn ask_permission() -> Permission {
        if !supported() {
            return Permission::Unsupported;
        }
        if let Ok(asking) = Notification::request_permission() {
            let _ = wasm_bindgen_futures::JsFuture::from(asking).await;
        }
        permission()
    }

    pub fn notify(store: ChatStore, alert: &Alert) {
        if permission() != Permission::Granted {
            return;
        }
        let options = NotificationOptions::new();
        let locale = store.locale.get_untracked();
        options.set_body(&alert.message.preview(locale));
        // The same tag replaces the room's earlier notification.
        options.set_tag(&format!("confab-room-{}", alert.room.0));
        options.set_icon("/favicon.svg");
        let title = heading(locale, alert);
        let Ok(notification) = Notification::new_with_options(&title, &options) else { return };
        let room = alert.room;
        let clicked = notification.clone();
        let on_click = Closure::once_into_js(move || {
            let _ = window().focus();
            // The chat screen it came from may be gone (another page): load the room then.
            if store.open_request.try_set(Some(room)).is_some() {
                let _ = window().location().set_href(&format!("/chat/{room}"));
            }
            clicked.close();
        });
        notification.set_onclick(Some(on_click.unchecked_ref()));
    }
}

/// Without a browser there is nothing to show.
#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::{Alert, ChatStore, Permission};

    pub fn next_id() -> u64 {
        0
    }
    pub fn permission() -> Permission {
        Permission::Unsupported
    }
    pub async fn ask_permission() -> Permission {
        Permission::Unsupported
    }
    pub fn focused() -> bool {
        true
    }
    pub fn chime() {}
    pub fn notify(_: ChatStore, _: &Alert) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_counts_to_nine_then_says_more() {
        assert_eq!(badged_icon(0), None);
        let one = badged_icon(3).unwrap();
        assert!(one.starts_with("data:image/svg+xml,%3Csvg"));
        assert!(one.contains("%3E3%3C/text%3E"), "{one}");
        assert!(!one.contains('#') && !one.contains('<') && !one.contains(' '));
        assert!(badged_icon(12).unwrap().contains("%3E9+%3C/text%3E"));
    }
}
