//! Search: substring search in every script, only in the rooms the searcher is in now.
//!
//! Thai and Chinese put no spaces between words, so word-based full-text search finds nothing
//! inside a sentence. Confab matches substrings instead: a message is found by its
//! `search_text`, its text (and file name) NFC-normalized and lower-cased here, in Rust, so
//! SQLite's FTS5 trigram index and PostgreSQL's pg_trgm compare exactly the same strings and
//! agree on every result. Matching is case-insensitive for every script with case (Unicode
//! lower-casing), and canonically equivalent spellings (NFC) match each other.
//!
//! A query is terms separated by whitespace, all required, and filters: `from:username`,
//! `in:room` (its name, the start of it, or the other person's username), `before:YYYY-MM-DD`, `after:YYYY-MM-DD` (UTC days), `has:image`, `has:file`.

use std::sync::Arc;

use app::{
    types::{limits, MessageKind, SearchHit, SearchQuery, SearchResults, Snippet, User},
    AppError,
};
use unicode_normalization::UnicodeNormalization;

use super::access::Access;
use crate::storage::{search::Filter, Storage};

pub struct Search {
    storage: Arc<Storage>,
    access: Arc<Access>,
}

/// How often new messages are added to SQLite's search index. Until then a search scans them.
const INDEX_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Between two steps while a backlog is worked off.
const INDEX_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// Keeps SQLite's search index in batches, off the message commits, for as long as the storage
/// is in use: new messages in, removed ones out, its segments merged a little at a time
/// (PostgreSQL indexes by itself: nothing to do there).
pub async fn index_loop(storage: std::sync::Weak<Storage>) {
    let mut tick = tokio::time::interval(INDEX_EVERY);
    loop {
        tick.tick().await;
        let Some(storage) = storage.upgrade() else { return };
        if storage.dialect() != crate::storage::Dialect::Sqlite {
            return;
        }
        // A full step means more are waiting: the next follows after a pause that lets the
        // writer commit in between.
        loop {
            match storage.search_index_step().await {
                Ok(true) => tokio::time::sleep(INDEX_PAUSE).await,
                Ok(false) => break,
                Err(e) => {
                    if storage.pool().is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "search indexing failed; will retry");
                    break;
                }
            }
        }
    }
}

/// The text a message is found by, or `None` when there is none.
pub fn search_text(content: &str, file_name: Option<&str>) -> Option<String> {
    let text = match file_name {
        Some(name) if content.is_empty() => name.to_string(),
        Some(name) => format!("{content}\n{name}"),
        None => content.to_string(),
    };
    (!text.trim().is_empty()).then(|| normalize(&text))
}

/// NFC, then lower case: what both the indexed text and the terms go through.
pub fn normalize(s: &str) -> String {
    // ASCII is its own NFC form: most messages skip the Unicode tables.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.nfc().flat_map(char::to_lowercase).collect()
}

/// A query's pieces before they are resolved against the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Parsed {
    terms: Vec<String>,
    from: Option<String>,
    room: Option<String>,
    before: Option<i64>,
    after: Option<i64>,
    kind: Option<MessageKind>,
}

fn parse(req: &SearchQuery) -> Result<Parsed, AppError> {
    if req.q.chars().count() > limits::SEARCH_TEXT_MAX {
        return Err(AppError::invalid("q", format!("Searches are at most {} characters.", limits::SEARCH_TEXT_MAX)));
    }
    let mut p = Parsed::default();
    let set_date = |slot: &mut Option<i64>, value: &str| -> Result<(), AppError> {
        let day = parse_day(value)
            .ok_or_else(|| AppError::invalid("q", format!("{value:?} is not a date: write it as 2026-01-31.")))?;
        *slot = Some(day);
        Ok(())
    };
    for word in req.q.split_whitespace() {
        match word.split_once(':') {
            Some(("from", v)) if !v.is_empty() => p.from = Some(v.trim_start_matches('@').to_lowercase()),
            Some(("in", v)) if !v.is_empty() => p.room = Some(v.to_string()),
            // `before:` a day excludes it; `after:` a day includes it.
            Some(("before", v)) if !v.is_empty() => set_date(&mut p.before, v)?,
            Some(("after", v)) if !v.is_empty() => set_date(&mut p.after, v)?,
            Some(("has", v)) if !v.is_empty() => p.kind = Some(parse_has(v)?),
            _ => {
                let term = normalize(word);
                if !p.terms.contains(&term) {
                    p.terms.push(term);
                }
            }
        }
    }
    if let Some(from) = &req.from {
        p.from = Some(from.trim_start_matches('@').to_lowercase());
    }
    if let Some(v) = &req.before {
        set_date(&mut p.before, v)?;
    }
    if let Some(v) = &req.after {
        set_date(&mut p.after, v)?;
    }
    if let Some(v) = &req.has {
        p.kind = Some(parse_has(v)?);
    }
    Ok(p)
}

fn parse_has(v: &str) -> Result<MessageKind, AppError> {
    match v {
        "image" | "images" => Ok(MessageKind::Image),
        "file" | "files" => Ok(MessageKind::File),
        _ => Err(AppError::invalid("q", format!("has:{v} is not a filter: use has:image or has:file."))),
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// `YYYY-MM-DD` as Unix milliseconds at 00:00 UTC.
fn parse_day(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, '-');
    let (y, m, d): (i64, i64, i64) =
        (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from the civil calendar (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * DAY_MS)
}

impl Search {
    pub fn new(storage: Arc<Storage>, access: Arc<Access>) -> Self {
        Self { storage, access }
    }

    pub async fn search(&self, me: &User, req: &SearchQuery) -> Result<SearchResults, AppError> {
        let parsed = parse(req)?;
        let empty = SearchResults { hits: Vec::new(), next_cursor: None };
        if parsed.terms.is_empty() && parsed.from.is_none() && parsed.kind.is_none() {
            return Err(AppError::invalid("q", "Type something to search for."));
        }
        let mut filter = Filter {
            terms: parsed.terms.clone(),
            room: req.room_id,
            after: parsed.after,
            before: parsed.before,
            kind: parsed.kind,
            cursor: req.cursor,
            from: None,
        };
        if let Some(room) = req.room_id {
            self.access.require_role(me, room).await?;
        }
        if let Some(name) = &parsed.room {
            let needle = normalize(name);
            let rooms = self.storage.room_summaries(me.id, None).await?;
            // The room called that, or whose name starts with it (`in:food` for "Food club"),
            // or the private room with that username; the most recent first.
            let found = rooms
                .iter()
                .find(|s| normalize(&s.title) == needle)
                .or_else(|| rooms.iter().find(|s| s.peer.as_ref().is_some_and(|p| p.username == needle)))
                .or_else(|| rooms.iter().find(|s| normalize(&s.title).starts_with(&needle)));
            match found {
                Some(s) => filter.room = Some(s.room.id),
                None => {
                    return Err(AppError::invalid("q", format!("You are in no room called \u{201c}{name}\u{201d}.")))
                }
            }
        }
        if let Some(username) = &parsed.from {
            match self.storage.user_by_username(username).await? {
                Some(user) => filter.from = Some(user.id),
                None => return Ok(empty),
            }
        }
        let limit = limits::SEARCH_PAGE;
        let found = crate::metrics::timed("search", self.storage.search(me.id, &filter, limit + 1)).await?;
        let more = found.len() > limit as usize;
        let hits: Vec<SearchHit> = found
            .into_iter()
            .take(limit as usize)
            .map(|(message, room_title)| {
                let snippet =
                    snippet(&message.content, message.attachment.as_ref().map(|a| a.name.as_str()), &filter.terms);
                SearchHit { message, room_title, snippet }
            })
            .collect();
        let next_cursor = if more { hits.last().map(|h| h.message.id) } else { None };
        Ok(SearchResults { hits, next_cursor })
    }
}

/// Characters of context shown before the first match.
const CONTEXT_BEFORE: usize = 40;
/// Characters a snippet shows at most.
const SNIPPET_CHARS: usize = 160;

/// The part of a message's text around its first match, in pieces, with every occurrence of
/// a term marked. Matching is on the normalized text, mapped back to the characters shown.
pub fn snippet(content: &str, file_name: Option<&str>, terms: &[String]) -> Vec<Snippet> {
    let text: Vec<char> = match file_name {
        Some(name) if content.is_empty() => name.nfc().collect(),
        _ => content.nfc().collect(),
    };
    // The lower-cased text, and for each of its bytes the shown character it came from.
    let mut lower = String::new();
    let mut origin: Vec<usize> = Vec::new();
    for (i, c) in text.iter().enumerate() {
        for l in c.to_lowercase() {
            let start = lower.len();
            lower.push(l);
            origin.extend(std::iter::repeat_n(i, lower.len() - start));
        }
    }
    let mut hit = vec![false; text.len()];
    for term in terms.iter().filter(|t| !t.is_empty()) {
        for (at, _) in lower.match_indices(term.as_str()) {
            for &i in &origin[at..at + term.len()] {
                hit[i] = true;
            }
        }
    }
    let first = hit.iter().position(|&h| h).unwrap_or(0);
    let start = first.saturating_sub(CONTEXT_BEFORE);
    let end = (start + SNIPPET_CHARS).min(text.len());
    let mut pieces: Vec<Snippet> = Vec::new();
    for i in start..end {
        let c = if text[i] == '\n' { ' ' } else { text[i] };
        match pieces.last_mut() {
            Some(p) if p.hit == hit[i] => p.text.push(c),
            _ => pieces.push(Snippet { text: c.to_string(), hit: hit[i] }),
        }
    }
    if start > 0 {
        pieces.insert(0, Snippet { text: "…".into(), hit: false });
    }
    if end < text.len() {
        match pieces.last_mut() {
            Some(p) if !p.hit => p.text.push('…'),
            _ => pieces.push(Snippet { text: "…".into(), hit: false }),
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(q: &str) -> SearchQuery {
        SearchQuery { q: q.into(), ..SearchQuery::default() }
    }

    #[test]
    fn text_is_normalized_and_lower_cased() {
        assert_eq!(normalize("Hello ÉCOLE"), "hello école");
        assert_eq!(normalize("Plain ASCII, 42!"), "plain ascii, 42!");
        // "é" as e + combining acute is the same as the precomposed letter.
        assert_eq!(normalize("e\u{301}"), "\u{e9}");
        assert_eq!(search_text("", Some("Report.PDF")).as_deref(), Some("report.pdf"));
        assert_eq!(search_text("ดูนี่", Some("a.png")).as_deref(), Some("ดูนี่\na.png"));
        assert_eq!(search_text("  ", None), None);
    }

    #[test]
    fn queries_have_terms_and_filters() {
        let p =
            parse(&req("Hello  ข้าว from:@Alice in:Ops before:2026-01-02 after:2025-12-31 has:image hello")).unwrap();
        assert_eq!(p.terms, vec!["hello".to_string(), "ข้าว".to_string()]);
        assert_eq!(p.from.as_deref(), Some("alice"));
        assert_eq!(p.room.as_deref(), Some("Ops"));
        assert_eq!(p.before, Some(1_767_312_000_000));
        assert_eq!(p.after, Some(1_767_139_200_000));
        assert_eq!(p.kind, Some(MessageKind::Image));
        assert!(parse(&req("before:yesterday")).is_err());
        assert!(parse(&req("has:video")).is_err());
        assert_eq!(parse(&req("http://x.y")).unwrap().terms, vec!["http://x.y".to_string()]);
    }

    #[test]
    fn days_are_utc_midnights() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2000-03-01"), Some(951_868_800_000));
        assert_eq!(parse_day("2026-13-01"), None);
    }

    #[test]
    fn snippets_mark_matches_in_the_shown_text() {
        let s = snippet("ฉันชอบกินข้าวมันไก่มาก", None, &["ข้าวมันไก่".to_string()]);
        assert_eq!(
            s,
            vec![
                Snippet { text: "ฉันชอบกิน".into(), hit: false },
                Snippet { text: "ข้าวมันไก่".into(), hit: true },
                Snippet { text: "มาก".into(), hit: false },
            ]
        );
        let s = snippet("Say HELLO and hello", None, &["hello".to_string()]);
        let hits: Vec<&str> = s.iter().filter(|p| p.hit).map(|p| p.text.as_str()).collect();
        assert_eq!(hits, ["HELLO", "hello"]);
        let long = format!("{}needle{}", "a".repeat(100), "b".repeat(300));
        let s = snippet(&long, None, &["needle".to_string()]);
        assert_eq!(s[0].text, "…");
        assert!(s.iter().any(|p| p.hit && p.text == "needle"));
        assert!(s.last().unwrap().text.ends_with('…'));
    }
}
