//! Who is logged in, readable by every page.
//!
//! The server's answer (`GET /api/me`) is fetched during SSR, so guards can redirect before the
//! first byte. Once hydrated, logging in, registering or logging out sets the answer directly:
//! the page that did it knows, and no guard may act on a stale answer in between.

use leptos::prelude::*;

use crate::{api, types::User, AppError};

#[derive(Clone, Copy)]
pub struct Session {
    fetched: Resource<Result<Option<User>, AppError>>,
    known: RwSignal<Option<Option<User>>>,
    /// My profile as changed on the settings page. Kept apart from [`Session::state`], which
    /// guards pages: a new display name must not rebuild the page that saved it.
    profile: RwSignal<Option<User>>,
}

impl Session {
    /// `None` while unknown; `Some(None)` logged out; `Some(Some(user))` logged in.
    pub fn state(&self) -> Option<Option<User>> {
        if let Some(known) = self.known.get() {
            return Some(known);
        }
        self.fetched.get().map(|r| r.ok().flatten())
    }

    /// Records the outcome of a login, registration (`Some`) or logout (`None`).
    pub fn set_user(&self, user: Option<User>) {
        self.profile.set(None);
        self.known.set(Some(user));
    }

    /// Records a change to my own profile (a new display name).
    pub fn set_profile(&self, user: User) {
        self.profile.set(Some(user));
    }

    /// The logged-in user as the navbar shows them: with any profile change made since.
    pub fn shown(&self) -> Option<Option<User>> {
        let state = self.state()?;
        let profile = self.profile.get();
        Some(state.map(|u| profile.filter(|p| p.id == u.id).unwrap_or(u)))
    }
}

pub fn provide_session() {
    let fetched = Resource::new(|| (), |_| api::me());
    provide_context(Session { fetched, known: RwSignal::new(None), profile: RwSignal::new(None) });
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// After a login or registration succeeds (`result` is the action's value): record the user
/// and go to the page named by `?next=`.
pub fn follow_login(result: impl Get<Value = Option<Result<User, AppError>>> + Send + Sync + 'static) {
    let session = use_session();
    let query = leptos_router::hooks::use_query_map();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move || {
        if let Some(Ok(user)) = result.get() {
            session.set_user(Some(user));
            navigate(&crate::nav::safe_next(query.read_untracked().get("next")), Default::default());
        }
    });
}
