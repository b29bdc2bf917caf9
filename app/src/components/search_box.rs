//! Message search, in the navbar of every chat screen: a field that searches as you type and a
//! panel under it with filters, the syntax hint, and the results. Ctrl+K (⌘K) or `/` (when not
//! typing elsewhere) focuses it. The field is an ARIA combobox that keeps the focus: ↑/↓ move
//! over the results, Enter opens one (or searches at once), Escape closes the panel and gives
//! the focus back to where it was. Choosing a result opens its room at the message (see
//! [`open_at`]) and then moves the focus to it.
//!
//! Typing is debounced, and only the latest query's answer is shown: answers to superseded
//! queries are dropped on arrival ([`Sequencer`]). The results are component state, not the
//! store's: nothing else reads them, and the store would keep them after the panel is gone.

use std::time::Duration;

use leptos::{
    ev::{FocusEvent, KeyboardEvent},
    html,
    prelude::*,
    task::spawn_local,
    wasm_bindgen::JsCast,
    web_sys::{EventTarget, HtmlElement, Node},
};
use leptos_router::hooks::use_navigate;

use super::search_result::{option_id, SearchResult};
use crate::{
    api,
    i18n::{t_string, td_string, use_i18n, Locale},
    state::{actions::open_at, store::use_chat},
    tr,
    types::{limits::SEARCH_TEXT_MAX, MessageId, RoomId, SearchHit, SearchQuery, SearchResults},
    AppError,
};

/// How long typing must pause before the query is sent.
const DEBOUNCE: Duration = Duration::from_millis(250);

const LISTBOX_ID: &str = "search-listbox";
const HINT_ID: &str = "search-hint";

#[component]
pub fn SearchBox() -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let navigate = StoredValue::new_local(use_navigate());
    let root = NodeRef::<html::Div>::new();
    let field = NodeRef::<html::Input>::new();
    let text = RwSignal::new(String::new());
    let here = RwSignal::new(false);
    let kind = RwSignal::new(Kind::Any);
    let from_user = RwSignal::new(String::new());
    let after = RwSignal::new(String::new());
    let before = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let found = RwSignal::new(Found::default());
    let sequence = StoredValue::new(Sequencer::<SearchQuery>::default());
    // Where the focus was before the field took it: Escape gives it back.
    let return_to = StoredValue::new_local(None::<HtmlElement>);
    // The result chosen last: it takes the focus once its room shows it highlighted.
    let focus_on = StoredValue::new(None::<MessageId>);

    let room_filter = Memo::new(move |_| if here.get() { store.open_room.get() } else { None });
    let request = Memo::new(move |_| {
        let query = query_for(&text.get(), room_filter.get(), kind.get());
        with_filters(query, &from_user.get(), &after.get(), &before.get())
    });
    let hits = Memo::new(move |_| found.with(|f| f.hits.clone()));

    // Sends the queued query if `ticket` is still the latest (the debounce ran out, or Enter).
    let send = move |ticket: u64| {
        let Some(query) = sequence.try_update_value(|s| s.take(ticket)).flatten() else { return };
        spawn_local(async move {
            let answer = fetch(query.clone()).await;
            if sequence.try_with_value(|s| s.is_current(ticket)) == Some(true) {
                active.set(None);
                found.update(|f| f.answered(query, answer));
            }
        });
    };
    Effect::new(move || {
        let query = request.get();
        let ticket = sequence.try_update_value(|s| s.queue(query.clone())).unwrap_or_default();
        active.set(None);
        if query.is_some() {
            found.update(|f| f.searching = true);
            set_timeout(move || send(ticket), DEBOUNCE);
        } else {
            found.set(Found::default());
        }
    });

    let load_more = move || {
        let Some((query, cursor)) = found.with_untracked(Found::next_page) else { return };
        let ticket = sequence.with_value(Sequencer::latest);
        found.update(|f| f.loading_more = true);
        spawn_local(async move {
            let answer = fetch(SearchQuery { cursor: Some(cursor), ..query }).await;
            if sequence.try_with_value(|s| s.is_current(ticket)) == Some(true) {
                found.update(|f| f.more(cursor, answer));
            }
        });
    };

    let close = move |give_back: bool| {
        open.set(false);
        active.set(None);
        if give_back {
            restore_focus(field, return_to);
        }
    };
    let pick = move |index: usize| {
        let Some((room, id)) = hits.with_untracked(|h| h.get(index).map(|h| (h.message.room_id, h.message.id))) else {
            return;
        };
        close(false);
        focus_on.set_value(Some(id));
        open_at(store, room, id, move || {
            navigate.with_value(|go| go(&format!("/chat/{room}"), Default::default()));
        });
    };
    // The chosen message takes the focus once it is on screen and highlighted.
    Effect::new(move || {
        let Some(id) = store.highlight.get() else { return };
        if focus_on.get_value() == Some(id) {
            focus_on.set_value(None);
            focus_message(id);
        }
    });
    // The active result stays in view.
    Effect::new(move || {
        if let Some(i) = active.get() {
            super::reveal_option(&option_id(i));
        }
    });

    let on_keydown = move |ev: KeyboardEvent| {
        if super::composing(&ev) {
            return;
        }
        match ev.key().as_str() {
            key @ ("ArrowDown" | "ArrowUp") => {
                ev.prevent_default();
                open.set(true);
                let down = key == "ArrowDown";
                let len = hits.with_untracked(Vec::len);
                let now = active.get_untracked();
                if down && len > 0 && now == Some(len - 1) {
                    load_more();
                }
                active.set(step(now, len, down));
            }
            "Enter" => {
                ev.prevent_default();
                match active.get_untracked() {
                    Some(i) => pick(i),
                    None => {
                        open.set(true);
                        send(sequence.with_value(Sequencer::latest));
                    }
                }
            }
            "Escape" => {
                ev.prevent_default();
                close(true);
            }
            _ => {}
        }
    };
    let on_focus = move |ev: FocusEvent| {
        open.set(true);
        let from = ev.related_target().and_then(|t| t.dyn_into().ok());
        let inside = |el: &HtmlElement| root.get_untracked().is_some_and(|r| r.contains(Some(el.as_ref())));
        if let Some(from) = from.filter(|el| !inside(el)) {
            return_to.set_value(Some(from));
        }
    };
    // The panel closes when the focus leaves the search (a click elsewhere, Tab past the end).
    let on_focusout = move |ev: FocusEvent| {
        let to = ev.related_target().and_then(|t| t.dyn_into::<Node>().ok());
        if !to.is_some_and(|to| root.get_untracked().is_some_and(|r| r.contains(Some(&to)))) {
            open.set(false);
        }
    };

    // Ctrl+K / ⌘K anywhere; `/` when not typing in a field.
    let keys = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        let modifier = ev.ctrl_key() || ev.meta_key();
        let shortcut = (modifier && !ev.alt_key() && !ev.shift_key() && ev.key().eq_ignore_ascii_case("k"))
            || (ev.key() == "/" && !modifier && !ev.alt_key() && !typing_in(ev.target()));
        if shortcut {
            ev.prevent_default();
            if let Some(input) = field.get_untracked() {
                let _ = input.focus();
                input.select();
            }
        }
    });
    on_cleanup(move || keys.remove());

    let can_filter_room = move || store.open_room.with(Option::is_some);
    let clock = crate::time::use_clock();
    let status = move || {
        let locale = i18n.get_locale();
        found.with(|f| f.status(locale, |ms| clock.date_time(ms)))
    };
    let shortcut_label = if is_mac() { "⌘K" } else { "Ctrl K" };

    view! {
        <div class="search" class=("open", move || open.get()) node_ref=root on:focusout=on_focusout>
            <div class="search-field">
                <svg class="search-icon" viewBox="0 0 20 20" aria-hidden="true">
                    <circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" stroke-width="2" />
                    <path d="M13 13l4.5 4.5" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                </svg>
                <input
                    type="search"
                    node_ref=field
                    role="combobox"
                    aria-label=move || t_string!(i18n, rooms.search.label)
                    aria-autocomplete="list"
                    aria-haspopup="listbox"
                    aria-controls=LISTBOX_ID
                    aria-expanded=move || open.get().to_string()
                    aria-activedescendant=move || active.get().map(option_id)
                    aria-describedby=HINT_ID
                    placeholder=move || t_string!(i18n, rooms.search.label)
                    autocomplete="off"
                    spellcheck="false"
                    enterkeyhint="search"
                    maxlength=SEARCH_TEXT_MAX
                    data-testid="search-input"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        open.set(true);
                    }
                    on:focus=on_focus
                    on:click=move |_| open.set(true)
                    on:keydown=on_keydown
                />
                <kbd class="search-shortcut" aria-hidden="true">{shortcut_label}</kbd>
            </div>
            <div class="search-panel" data-testid="search-panel" hidden=move || !open.get()>
                <div class="search-filters" role="group" aria-label=move || t_string!(i18n, rooms.search.filters)>
                    <button
                        type="button"
                        class="search-chip"
                        aria-pressed=move || (here.get() && can_filter_room()).to_string()
                        disabled=move || !can_filter_room()
                        data-testid="search-here"
                        on:click=move |_| here.update(|h| *h = !*h)
                    >
                        {tr!(i18n, rooms.search.here)}
                    </button>
                    <label class="search-kind">
                        {tr!(i18n, rooms.search.show)}
                        " "
                        <select
                            data-testid="search-kind"
                            prop:value=move || kind.get().value()
                            on:change=move |ev| kind.set(Kind::from_value(&event_target_value(&ev)))
                        >
                            <option value="">{tr!(i18n, rooms.search.kind_all)}</option>
                            <option value="image">{tr!(i18n, rooms.search.kind_images)}</option>
                            <option value="file">{tr!(i18n, rooms.search.kind_files)}</option>
                        </select>
                    </label>
                    <label class="search-from">
                        {tr!(i18n, rooms.search.from)}
                        " "
                        <input
                            type="text"
                            placeholder=move || t_string!(i18n, rooms.search.from_placeholder)
                            data-testid="search-from"
                            prop:value=move || from_user.get()
                            on:input=move |ev| from_user.set(event_target_value(&ev))
                        />
                    </label>
                    <label class="search-date">
                        {tr!(i18n, rooms.search.after)}
                        " "
                        <input
                            type="date"
                            data-testid="search-after"
                            prop:value=move || after.get()
                            on:change=move |ev| after.set(event_target_value(&ev))
                        />
                    </label>
                    <label class="search-date">
                        {tr!(i18n, rooms.search.before)}
                        " "
                        <input
                            type="date"
                            data-testid="search-before"
                            prop:value=move || before.get()
                            on:change=move |ev| before.set(event_target_value(&ev))
                        />
                    </label>
                    // On a phone the panel covers the screen: this is the way out without a keyboard.
                    <button
                        type="button"
                        class="icon-button search-close"
                        aria-label=move || t_string!(i18n, rooms.search.close)
                        on:click=move |_| {
                            return_to.set_value(None);
                            close(true);
                        }
                    >
                        "✕"
                    </button>
                </div>
                <p class="search-hint" id=HINT_ID>
                    // The operators are typed as they are in any language; only the words that
                    // stand for a value are translated.
                    {tr!(i18n, rooms.search.hint)}
                    " "
                    <code>"from:" {tr!(i18n, rooms.search.hint_name)}</code>
                    " "
                    <code>"in:" {tr!(i18n, rooms.search.hint_room)}</code>
                    " "
                    <code>"before:2026-01-31"</code>
                    " "
                    <code>"after:2026-01-01"</code>
                    " "
                    <code>"has:image"</code>
                    " "
                    <code>"has:file"</code>
                </p>
                <p class="search-status" role="status" data-testid="search-status">{status}</p>
                {move || {
                    found
                        .with(|f| f.error.clone())
                        .map(|e| view! { <p class="form-error search-error" role="alert" data-testid="search-error">{crate::error::localize(&e, i18n.get_locale())}</p> })
                }}
                <ul
                    class="search-results"
                    class=("stale", move || found.with(|f| f.searching))
                    role="listbox"
                    id=LISTBOX_ID
                    aria-label=move || t_string!(i18n, rooms.search.results)
                >
                    <For
                        each=move || hits.get().into_iter().enumerate()
                        key=|(i, hit)| (*i, hit.message.id, hit.message.change_seq)
                        children=move |(i, hit)| {
                            view! { <SearchResult hit index=i active=Signal::derive(move || active.get() == Some(i)) on_pick=pick /> }
                        }
                    />
                </ul>
                <Show when=move || found.with(|f| f.next.is_some())>
                    <button
                        type="button"
                        class="button small ghost search-more"
                        data-testid="search-more"
                        // Not `disabled`: a focused button that is disabled drops the focus, which
                        // would close the panel. A click while loading asks for nothing.
                        aria-disabled=move || found.with(|f| f.loading_more).to_string()
                        // The field keeps the focus, and with it ↑/↓ over the longer list.
                        on:mousedown=|ev| ev.prevent_default()
                        on:click=move |_| load_more()
                    >
                        {move || {
                            if found.with(|f| f.loading_more) {
                                t_string!(i18n, rooms.search.loading)
                            } else if found.with(|f| f.searched_back_to.is_some()) {
                                t_string!(i18n, rooms.search.search_older)
                            } else {
                                t_string!(i18n, rooms.search.load_more)
                            }
                        }}
                    </button>
                </Show>
            </div>
        </div>
    }
}

/// `GET /api/search` for a query.
async fn fetch(q: SearchQuery) -> Result<SearchResults, AppError> {
    api::search(q.q, q.room_id, q.from, q.before, q.after, q.has, q.cursor).await
}

/// The "Show" control: every message, or only those with an image or a file (`has=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    Any,
    Images,
    Files,
}

impl Kind {
    pub fn value(self) -> &'static str {
        match self {
            Self::Any => "",
            Self::Images => "image",
            Self::Files => "file",
        }
    }

    pub fn from_value(value: &str) -> Self {
        match value {
            "image" => Self::Images,
            "file" => Self::Files,
            _ => Self::Any,
        }
    }
}

/// The request for what the reader has set, or `None` while there is nothing to search for
/// (an empty field and no kind: the server would refuse it). The text is sent with its
/// whitespace collapsed, so a space typed between words asks nothing new.
pub fn query_for(text: &str, room: Option<RoomId>, kind: Kind) -> Option<SearchQuery> {
    let q = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if q.is_empty() && kind == Kind::Any {
        return None;
    }
    let has = (kind != Kind::Any).then(|| kind.value().to_string());
    Some(SearchQuery { q, room_id: room, has, ..SearchQuery::default() })
}

/// Adds the From, After and Before controls to `query`. A sender alone is something to
/// search for; dates only narrow a search.
pub fn with_filters(query: Option<SearchQuery>, from: &str, after: &str, before: &str) -> Option<SearchQuery> {
    let from = from.trim().trim_start_matches('@');
    if query.is_none() && from.is_empty() {
        return None;
    }
    let set = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let mut q = query.unwrap_or_default();
    q.from = set(from);
    q.after = set(after);
    q.before = set(before);
    Some(q)
}

/// Which query may still be sent and whose answer may still show. Each new query (or the
/// field being emptied) takes a ticket and supersedes every earlier one, queued or in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequencer<Q> {
    latest: u64,
    queued: Option<Q>,
}

impl<Q> Default for Sequencer<Q> {
    fn default() -> Self {
        Self { latest: 0, queued: None }
    }
}

impl<Q> Sequencer<Q> {
    /// A new query (`None`: nothing to send); returns its ticket.
    pub fn queue(&mut self, query: Option<Q>) -> u64 {
        self.latest += 1;
        self.queued = query;
        self.latest
    }

    /// The query to send now, if `ticket` is still the latest and its query was not sent yet:
    /// a debounce that ran out after a newer query, or a second Enter, sends nothing.
    pub fn take(&mut self, ticket: u64) -> Option<Q> {
        if ticket == self.latest {
            self.queued.take()
        } else {
            None
        }
    }

    /// Whether an answer to the query of `ticket` may show.
    pub fn is_current(&self, ticket: u64) -> bool {
        ticket == self.latest
    }

    pub fn latest(&self) -> u64 {
        self.latest
    }
}

/// What the panel shows: the latest query's results, page after page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// The query the hits answer (with no cursor); `None` before the first answer.
    pub query: Option<SearchQuery>,
    pub hits: Vec<SearchHit>,
    /// The cursor of the next page, if there is one.
    pub next: Option<MessageId>,
    /// The last page was cut short: the server searched the messages since then and no older
    /// ones yet (see [`SearchResults::searched_back_to`]).
    pub searched_back_to: Option<i64>,
    /// A newer query is waiting for its first page (the hits shown answer an older one).
    pub searching: bool,
    pub loading_more: bool,
    /// The last answer's error (the server's words: a bad date, an unknown room).
    pub error: Option<String>,
}

impl Found {
    /// The first page of `query`'s results, or why there is none. An error keeps nothing of
    /// the previous results: they would answer another question.
    pub fn answered(&mut self, query: SearchQuery, answer: Result<SearchResults, AppError>) {
        *self = match answer {
            Ok(page) => Self {
                query: Some(query),
                hits: page.hits,
                next: page.next_cursor,
                searched_back_to: page.searched_back_to,
                ..Self::default()
            },
            Err(e) => Self { error: Some(e.to_string()), ..Self::default() },
        };
    }

    /// The page after `cursor`, appended unless the results changed meanwhile. A message
    /// already shown is not shown twice.
    pub fn more(&mut self, cursor: MessageId, answer: Result<SearchResults, AppError>) {
        self.loading_more = false;
        if self.next != Some(cursor) {
            return;
        }
        match answer {
            Ok(page) => {
                let fresh: Vec<SearchHit> = page
                    .hits
                    .into_iter()
                    .filter(|h| !self.hits.iter().any(|old| old.message.id == h.message.id))
                    .collect();
                self.hits.extend(fresh);
                self.next = page.next_cursor;
                self.searched_back_to = page.searched_back_to;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The query and cursor of the next page, unless none is left or a request is under way.
    pub fn next_page(&self) -> Option<(SearchQuery, MessageId)> {
        if self.searching || self.loading_more {
            return None;
        }
        Some((self.query.clone()?, self.next?))
    }

    /// The status line (read out by screen readers): searching, how many, how far back the
    /// server searched (a time as `date` writes it), or the empty state.
    pub fn status(&self, locale: Locale, date: impl Fn(i64) -> String) -> String {
        if self.searching {
            return td_string!(locale, rooms.search.searching).to_string();
        }
        let Some(query) = &self.query else { return String::new() };
        if let Some(since) = self.searched_back_to {
            let (n, date) = (self.hits.len(), date(since));
            return match n {
                0 => td_string!(locale, rooms.search.none_since, date),
                n => td_string!(locale, rooms.search.found_since, n, date),
            };
        }
        match (self.hits.len(), self.next.is_some()) {
            (0, _) => nothing_found(locale, query),
            (1, false) => td_string!(locale, rooms.search.result_single).to_string(),
            (n, false) => td_string!(locale, rooms.search.result_count, n),
            (n, true) => td_string!(locale, rooms.search.result_count_more, n),
        }
    }
}

/// The empty state: no messages, images or files (in this room), matching the text if any.
fn nothing_found(locale: Locale, query: &SearchQuery) -> String {
    let here = query.room_id.is_some();
    let text = &query.q;
    let plain = match (query.has.as_deref(), here) {
        (Some("image"), false) => td_string!(locale, rooms.search.status.no_images),
        (Some("image"), true) => td_string!(locale, rooms.search.status.no_images_here),
        (Some("file"), false) => td_string!(locale, rooms.search.status.no_files),
        (Some("file"), true) => td_string!(locale, rooms.search.status.no_files_here),
        (_, false) => td_string!(locale, rooms.search.status.no_messages),
        (_, true) => td_string!(locale, rooms.search.status.no_messages_here),
    };
    if text.is_empty() {
        return plain.to_string();
    }
    match (query.has.as_deref(), here) {
        (Some("image"), false) => td_string!(locale, rooms.search.status.no_images_match, query = text),
        (Some("image"), true) => td_string!(locale, rooms.search.status.no_images_here_match, query = text),
        (Some("file"), false) => td_string!(locale, rooms.search.status.no_files_match, query = text),
        (Some("file"), true) => td_string!(locale, rooms.search.status.no_files_here_match, query = text),
        (_, false) => td_string!(locale, rooms.search.status.no_messages_match, query = text),
        (_, true) => td_string!(locale, rooms.search.status.no_messages_here_match, query = text),
    }
}

/// The active result after ↓ or ↑ among `len`: ↓ from the field goes to the first and stops at
/// the last; ↑ from the first goes back to the field (`None`).
pub fn step(active: Option<usize>, len: usize, down: bool) -> Option<usize> {
    if len == 0 {
        return None;
    }
    match (active, down) {
        (None, true) => Some(0),
        (None, false) => None,
        (Some(i), true) => Some((i + 1).min(len - 1)),
        (Some(i), false) => i.checked_sub(1),
    }
}

/// Whether a key went to something that takes text (where `/` is typed, not a shortcut).
fn typing_in(target: Option<EventTarget>) -> bool {
    let Some(el) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) else {
        return false;
    };
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.is_content_editable()
}

/// Gives the focus back to where it was before the search took it, if that is still on the
/// page; otherwise it just leaves the field.
fn restore_focus(field: NodeRef<html::Input>, return_to: StoredValue<Option<HtmlElement>, LocalStorage>) {
    let back = return_to.try_update_value(Option::take).flatten().filter(|el| el.is_connected());
    match back {
        Some(el) => {
            let _ = el.focus();
        }
        None => {
            if let Some(input) = field.get_untracked() {
                let _ = input.blur();
            }
        }
    }
}

/// Moves the focus to a message in the open room's list (it is focusable, not tabbable).
fn focus_message(id: MessageId) {
    let selector = format!("[data-testid=\"message-list\"] [data-message-id=\"{}\"]", id.0);
    let found = document().query_selector(&selector).ok().flatten();
    if let Some(el) = found.and_then(|el| el.dyn_into::<HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

/// Whether the reader is on a Mac, where the shortcut is ⌘K.
fn is_mac() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().navigator().user_agent().is_ok_and(|ua| ua.contains("Mac OS X") && !ua.contains("iPhone"))
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::timeline::tests::msg;

    fn page(ids: &[i64], next: Option<i64>) -> SearchResults {
        SearchResults {
            hits: ids
                .iter()
                .map(|&i| SearchHit { message: msg(i), room_title: "Food".into(), snippet: Vec::new() })
                .collect(),
            next_cursor: next.map(MessageId),
            searched_back_to: None,
        }
    }

    /// A time as the status line would write it, kept recognisable.
    fn day(ms: i64) -> String {
        format!("day {ms}")
    }

    fn ids(found: &Found) -> Vec<i64> {
        found.hits.iter().map(|h| h.message.id.0).collect()
    }

    #[test]
    fn the_controls_add_sender_and_dates() {
        assert_eq!(with_filters(None, " ", "2026-01-01", ""), None, "dates alone are no search");
        let q = with_filters(None, "@bob", "", "").unwrap();
        assert_eq!((q.q.as_str(), q.from.as_deref()), ("", Some("bob")));
        let q = with_filters(query_for("hi", None, Kind::Any), "", "2026-01-01", "2026-02-01").unwrap();
        assert_eq!((q.after.as_deref(), q.before.as_deref(), q.from), (Some("2026-01-01"), Some("2026-02-01"), None));
    }

    #[test]
    fn nothing_is_asked_until_there_is_something_to_search_for() {
        assert_eq!(query_for("", None, Kind::Any), None);
        assert_eq!(query_for("   ", Some(RoomId(3)), Kind::Any), None, "the room toggle alone is no search");
        let q = query_for("  ข้าวมันไก่ \t from:bob ", Some(RoomId(3)), Kind::Any).unwrap();
        assert_eq!((q.q.as_str(), q.room_id, q.has), ("ข้าวมันไก่ from:bob", Some(RoomId(3)), None));
        assert_eq!(
            query_for("hi", None, Kind::Any),
            query_for("hi ", None, Kind::Any),
            "a trailing space asks nothing new"
        );
        let images = query_for("", None, Kind::Images).unwrap();
        assert_eq!((images.q.as_str(), images.has.as_deref()), ("", Some("image")));
        assert_eq!(Kind::from_value(Kind::Files.value()), Kind::Files);
        assert_eq!(Kind::from_value("anything"), Kind::Any);
    }

    #[test]
    fn only_the_latest_query_is_sent_and_answered() {
        let mut s = Sequencer::default();
        let first = s.queue(Some("ข้"));
        let second = s.queue(Some("ข้าว"));
        assert_eq!(s.take(first), None, "the first debounce ran out after the second query");
        assert_eq!(s.take(second), Some("ข้าว"));
        assert_eq!(s.take(second), None, "sent once (Enter, then the debounce)");
        assert!(s.is_current(second));
        let third = s.queue(Some("ข้าวมัน"));
        assert!(!s.is_current(second), "the answer to a superseded query is dropped");
        assert!(s.is_current(third));
        let cleared = s.queue(None);
        assert_eq!(s.take(cleared), None);
        assert!(!s.is_current(third), "emptying the field drops the answer in flight");
        assert_eq!(s.latest(), cleared);
    }

    #[test]
    fn pages_follow_one_another_and_an_error_replaces_the_results() {
        let query = query_for("hello", None, Kind::Any).unwrap();
        let mut found = Found { searching: true, ..Found::default() };
        assert_eq!(found.next_page(), None);
        found.answered(query.clone(), Ok(page(&[9, 8], Some(8))));
        assert_eq!((ids(&found), found.searching), (vec![90, 80], false));
        assert_eq!(found.status(Locale::en, day), "2+ results");
        let (q, cursor) = found.next_page().unwrap();
        assert_eq!((q, cursor), (query.clone(), MessageId(8)));
        found.loading_more = true;
        assert_eq!(found.next_page(), None, "one page at a time");
        found.more(MessageId(8), Ok(page(&[8, 7], None)));
        assert_eq!(ids(&found), [90, 80, 70], "no message twice");
        assert_eq!((found.next, found.loading_more), (None, false));
        assert_eq!(found.status(Locale::en, day), "3 results");
        found.more(MessageId(8), Ok(page(&[1], None)));
        assert_eq!(ids(&found).len(), 3, "a page that no longer follows is dropped");

        let bad = AppError::invalid("q", "\"2026-13-01\" is not a date: write it as 2026-01-31.");
        found.answered(query, Err(bad));
        assert!(found.hits.is_empty());
        assert_eq!(found.error.as_deref(), Some("\"2026-13-01\" is not a date: write it as 2026-01-31."));
        assert_eq!(found.status(Locale::en, day), "");
    }

    #[test]
    fn the_status_says_searching_counts_or_what_matched_nothing() {
        assert_eq!(Found::default().status(Locale::en, day), "");
        assert_eq!(Found { searching: true, ..Found::default() }.status(Locale::en, day), "Searching…");
        let mut found = Found::default();
        found.answered(query_for("zzz", None, Kind::Any).unwrap(), Ok(page(&[], None)));
        assert_eq!(found.status(Locale::en, day), "No messages match “zzz”.");
        found.answered(query_for("zzz", Some(RoomId(1)), Kind::Files).unwrap(), Ok(page(&[], None)));
        assert_eq!(found.status(Locale::en, day), "No files in this room match “zzz”.");
        assert_eq!(found.status(Locale::th, day), "ไม่พบไฟล์ในห้องนี้ที่ตรงกับ “zzz”");
        found.answered(query_for("", None, Kind::Images).unwrap(), Ok(page(&[], None)));
        assert_eq!(found.status(Locale::en, day), "No images.");
        found.answered(query_for("a", None, Kind::Any).unwrap(), Ok(page(&[1], None)));
        assert_eq!(found.status(Locale::en, day), "1 result");
        assert_eq!(found.status(Locale::th, day), "พบ 1 รายการ");
    }

    #[test]
    fn a_page_cut_short_says_how_far_back_it_searched_and_reads_on() {
        let query = query_for("zq", None, Kind::Any).unwrap();
        let cut = |ids: &[i64], next: i64, since: i64| SearchResults {
            searched_back_to: Some(since),
            ..page(ids, Some(next))
        };
        let mut found = Found::default();
        found.answered(query.clone(), Ok(cut(&[], 500, 1_000)));
        assert_eq!(found.status(Locale::en, day), "No matching messages since day 1000.");
        assert_eq!(found.status(Locale::th, day), "ไม่พบข้อความที่ตรงกันตั้งแต่ day 1000");
        assert_eq!(found.next_page(), Some((query.clone(), MessageId(500))), "an empty page still reads on");
        found.more(MessageId(500), Ok(cut(&[4], 200, 400)));
        assert_eq!(found.status(Locale::en, day), "1 found in messages since day 400");
        assert_eq!(found.status(Locale::th, day), "พบ 1 รายการในข้อความตั้งแต่ day 400");
        found.more(MessageId(200), Ok(page(&[2], None)));
        assert_eq!((ids(&found), found.searched_back_to), (vec![40, 20], None), "the last page read to the start");
        assert_eq!(found.status(Locale::en, day), "2 results");
    }

    #[test]
    fn arrows_move_over_the_results_and_back_to_the_field() {
        assert_eq!(step(None, 0, true), None);
        assert_eq!(step(None, 3, true), Some(0));
        assert_eq!(step(Some(0), 3, true), Some(1));
        assert_eq!(step(Some(2), 3, true), Some(2), "stops at the last");
        assert_eq!(step(Some(1), 3, false), Some(0));
        assert_eq!(step(Some(0), 3, false), None, "back to the field");
        assert_eq!(step(None, 3, false), None);
    }
}
