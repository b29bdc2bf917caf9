//! Search: substring search in every script, only in the rooms the searcher is in now.
//!
//! Thai and Chinese put no spaces between words, so word-based full-text search finds nothing
//! inside a sentence. Confab matches substrings instead: a message is found by its
//! `search_text`, its text (and file name) folded here, in Rust ([`normalize`]), so SQLite's
//! FTS5 trigram index and PostgreSQL's pg_trgm compare exactly the same strings and agree on
//! every result. Matching ignores case in every script with case, how a character is encoded
//! (composed or decomposed), compatibility forms (full-width `ＡＢＣ` is `abc`) and accents
//! (`cafe` finds `café`), but never the vowel and tone marks of scripts such as Thai.
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

/// Before the server listens: messages without a search text get theirs (after an upgrade
/// that changed the folding, every message), and SQLite's index takes in every message not in
/// it yet. Searches would otherwise scan the messages beyond the index in one statement, on
/// SQLite's one connection (about 3 s for a million), stalling the writer; after an upgrade,
/// or a stop in the middle of rebuilding, that is every message. Otherwise there are the
/// last half second's at most, and this takes a step or two.
pub async fn catch_up(storage: &Storage) -> Result<(), AppError> {
    let started = std::time::Instant::now();
    let filled = storage.fill_search_text(search_text).await?;
    if filled > 0 {
        tracing::info!(messages = filled, "computed search texts again (once, after an upgrade)");
    }
    let mut steps = 0_u64;
    while storage.search_index_step().await? {
        steps += 1;
    }
    if filled > 0 || steps > 10 {
        tracing::info!(steps, seconds = started.elapsed().as_secs(), "search index ready");
    }
    Ok(())
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

/// What both the indexed text and the terms go through: NFC, then each character folded
/// (see [`fold_char`]). Folding goes character by character so that a snippet can map every
/// folded character back to the one shown (see [`snippet`]).
pub fn normalize(s: &str) -> String {
    // ASCII is its own NFC form and folds to itself but for case: most messages skip the
    // Unicode tables.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    let mut scratch = String::new();
    for c in s.nfc() {
        fold_char(c, &mut out, &mut scratch);
    }
    out
}

/// One character as search compares it, pushed onto `out`: its compatibility form (NFKC:
/// full-width `Ａ` is `A`, `ﬁ` is `fi`, `①` is `1`), without accents (`é` is `e`, `ñ` is `n`),
/// in lower case. Accents are the generic combining diacritics that Latin, Greek and Cyrillic
/// letters carry; the marks of scripts such as Thai are combining characters too, but they
/// spell different words (`ข้าว` rice, `ขาว` white) and are kept.
///
/// Returns where in `out` this character's part begins: before the end when it joined the
/// character before it (half-width `ｶﾞ` is `ガ`, as its full-width spelling is).
fn fold_char(c: char, out: &mut String, scratch: &mut String) -> usize {
    let start = out.len();
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return start;
    }
    scratch.clear();
    unicode_normalization::char::decompose_compatible(c, |d| {
        for l in d.to_lowercase() {
            if !is_accent(l) {
                scratch.push(l);
            }
        }
    });
    let mut chars = scratch.chars();
    match (chars.next(), chars.next()) {
        // A mark left on its own (the half-width sound marks) composes with the character
        // before it where Unicode has the pair.
        (Some(mark), None) if unicode_normalization::char::is_combining_mark(mark) => {
            let joined = out
                .chars()
                .next_back()
                .and_then(|before| unicode_normalization::char::compose(before, mark).map(|joined| (before, joined)));
            match joined {
                Some((before, joined)) => {
                    out.truncate(start - before.len_utf8());
                    out.push(joined);
                    return out.len() - joined.len_utf8();
                }
                None => out.push(mark),
            }
        }
        // One character is composed already: most non-Latin text is that.
        (Some(only), None) => out.push(only),
        // Composed again, so that what had no accent to lose (a Hangul syllable) comes out as
        // it went in.
        _ => out.extend(scratch.nfc()),
    }
    start
}

/// The combining diacritical mark blocks (U+0300–036F and their supplements and extension).
/// Combining marks of particular scripts (Thai vowels and tones, Devanagari signs), and the
/// marks for symbols (the keycap of `1️⃣`), lie outside them.
fn is_accent(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{fe20}'..='\u{fe2f}')
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
                // Folding can leave less than a word: a lone accent folds to nothing, a
                // spacing one (`´`) to a space. Neither may match every message.
                for term in normalize(word).split_whitespace() {
                    if !p.terms.iter().any(|t| t == term) {
                        p.terms.push(term.to_string());
                    }
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
        let empty = SearchResults::default();
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
        let page = crate::metrics::timed("search", self.storage.search(me.id, &filter, limit + 1)).await?;
        let more = page.hits.len() > limit as usize;
        let hits: Vec<SearchHit> = page
            .hits
            .into_iter()
            .take(limit as usize)
            .map(|(message, room_title)| {
                let snippet =
                    snippet(&message.content, message.attachment.as_ref().map(|a| a.name.as_str()), &filter.terms);
                SearchHit { message, room_title, snippet }
            })
            .collect();
        // A full page goes on after its last hit; a page cut short by the scan's budget goes
        // on from where the scan stopped reading.
        let (next_cursor, searched_back_to) = match page.read_back_to {
            _ if more => (hits.last().map(|h| h.message.id), None),
            Some(read) => (Some(read.id), Some(read.created_at)),
            None => (None, None),
        };
        Ok(SearchResults { hits, next_cursor, searched_back_to })
    }
}

/// Characters of context shown before the first match.
const CONTEXT_BEFORE: usize = 40;
/// Characters a snippet shows at most.
const SNIPPET_CHARS: usize = 160;

/// The part of a message's text around its first match, in pieces, with every occurrence of
/// a term marked. Matching is on the folded text, mapped back to the characters shown.
pub fn snippet(content: &str, file_name: Option<&str>, terms: &[String]) -> Vec<Snippet> {
    let text: Vec<char> = match file_name {
        Some(name) if content.is_empty() => name.nfc().collect(),
        _ => content.nfc().collect(),
    };
    // The folded text, and for each of its bytes the shown characters it came from (two, where
    // a mark joined the character before it).
    let mut folded = String::new();
    let mut origin: Vec<(usize, usize)> = Vec::new();
    let mut scratch = String::new();
    for (i, &c) in text.iter().enumerate() {
        let from = fold_char(c, &mut folded, &mut scratch);
        let first = if from < origin.len() { origin[from].0 } else { i };
        origin.truncate(from);
        origin.resize(folded.len(), (first, i));
    }
    let mut hit = vec![false; text.len()];
    for term in terms.iter().filter(|t| !t.is_empty()) {
        for (at, _) in folded.match_indices(term.as_str()) {
            for &(first, last) in &origin[at..at + term.len()] {
                hit[first..=last].fill(true);
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
        assert_eq!(normalize("Hello ÉCOLE"), "hello ecole");
        assert_eq!(normalize("Plain ASCII, 42!"), "plain ascii, 42!");
        // "é" as e + combining acute is the same as the precomposed letter.
        assert_eq!(normalize("e\u{301}"), normalize("\u{e9}"));
        assert_eq!(search_text("", Some("Report.PDF")).as_deref(), Some("report.pdf"));
        assert_eq!(search_text("ดูนี่", Some("a.png")).as_deref(), Some("ดูนี่\na.png"));
        assert_eq!(search_text("  ", None), None);
    }

    #[test]
    fn width_compatibility_forms_and_accents_fold_away() {
        assert_eq!(normalize("Café CRÈME brûlée"), "cafe creme brulee");
        assert_eq!(normalize("ＡＢＣ ｶﾀｶﾅ ﬁle ① x²"), "abc カタカナ file 1 x2");
        assert_eq!(normalize("Tiếng Việt, Ñandú, Ελληνικά, Ёлка"), "tieng viet, nandu, ελληνικα, елка");
        // The dotted capital I lower-cases to i with a combining dot, which goes too.
        assert_eq!(normalize("İstanbul"), "istanbul");
        // Thai vowel and tone marks spell different words and stay (ข้าว is not ขาว); SARA AM
        // is its compatibility spelling, NIKHAHIT + SARA AA, as a query of either spelling is.
        assert_eq!(normalize("ข้าวขาว"), "ข้าวขาว");
        assert_eq!(normalize("น้ำ"), normalize("น้\u{e4d}\u{e32}"));
        // Half-width katakana with a sound mark is its full-width letter.
        assert_eq!(normalize("ｶﾞｷﾞ ﾊﾟ"), normalize("ガギ パ"));
        assert_eq!(normalize("ガギ パ"), "ガギ パ");
        // Hangul, CJK, emoji and keycaps come out as they went in.
        assert_eq!(normalize("한국어 上海 🎉 1\u{fe0f}\u{20e3}"), "한국어 上海 🎉 1\u{fe0f}\u{20e3}");
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
        // What folds to nothing is no term; what folds to a space splits.
        assert_eq!(parse(&req("\u{301} a\u{b4}b")).unwrap().terms, vec!["a".to_string(), "b".to_string()]);
        assert!(parse(&req("\u{301}")).unwrap().terms.is_empty());
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
        let s = snippet("Un CAFÉ, ＣＡＦＥ", None, &[normalize("cafe")]);
        let hits: Vec<&str> = s.iter().filter(|p| p.hit).map(|p| p.text.as_str()).collect();
        assert_eq!(hits, ["CAFÉ", "ＣＡＦＥ"]);
        let s = snippet("ｶﾞｲﾄﾞ", None, &[normalize("ガイ")]);
        assert_eq!(s, vec![Snippet { text: "ｶﾞｲ".into(), hit: true }, Snippet { text: "ﾄﾞ".into(), hit: false }]);
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
