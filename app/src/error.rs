//! [`AppError`]: the error every server function and WebSocket frame reports.
//!
//! It serializes as `{"code": "...", "message": "...", ...}` so that curl users, the WASM client
//! and the WebSocket protocol all see the same shape. Internal causes never reach it: the server
//! logs them and sends [`AppError::Internal`] with a generic message.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// Malformed request (e.g. a form field missing or of the wrong type).
    #[error("{message}")]
    BadRequest { message: String },
    /// Input that parsed but breaks a rule; `field` names the form field to highlight. `more`
    /// holds other fields' problems found by the same check: a form is told all it must fix
    /// at once, not one complaint per try.
    #[error("{message}")]
    Invalid {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        message: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more: Vec<FieldProblem>,
    },
    #[error("{message}")]
    Unauthorized { message: String },
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    Conflict {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    PayloadTooLarge { message: String },
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    /// Something failed on the server; the cause is in the server log, not here.
    #[error("{message}")]
    Internal { message: String },
    /// The request never got an answer (offline, server down, unreadable response).
    #[error("{message}")]
    Network { message: String },
}

/// A form field's problem, besides the one an [`AppError::Invalid`] leads with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest { message: message.into() }
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: Some(field.to_string()), message: message.into(), more: Vec::new() }
    }

    /// One error for several checks' failures, in order: the first leads, and the problems of
    /// the fields after it go along in `more`. `None` when every check passed.
    pub fn together(errors: impl IntoIterator<Item = Option<AppError>>) -> Option<AppError> {
        let mut errors = errors.into_iter().flatten();
        let mut first = errors.next()?;
        if let Self::Invalid { more, .. } = &mut first {
            for e in errors {
                more.extend(e.problems().into_iter().filter_map(|(field, message)| {
                    Some(FieldProblem { field: field?.to_string(), message: message.to_string() })
                }));
            }
        }
        Some(first)
    }

    /// Every problem this error reports, the lead first: the field it is about (if any) and
    /// its message.
    pub fn problems(&self) -> Vec<(Option<&str>, &str)> {
        let mut all = vec![(self.field(), self.message())];
        if let Self::Invalid { more, .. } = self {
            all.extend(more.iter().map(|p| (Some(p.field.as_str()), p.message.as_str())));
        }
        all
    }

    /// The same error about the field `name`: a shared rule (a password's length) checked
    /// for a form that calls the field its own way.
    pub fn about(mut self, name: &str) -> Self {
        if let Self::Invalid { field, .. } | Self::Conflict { field, .. } = &mut self {
            *field = Some(name.to_string());
        }
        self
    }

    /// Whether the same request may succeed if made again: the server was busy or failed, could
    /// not be reached, or wants the session renewed first. Not a refusal of the request itself
    /// (a rule it breaks), which Retry cannot mend.
    pub fn is_transient(&self) -> bool {
        Self::is_transient_code(self.code())
    }

    /// [`Self::is_transient`] for an error known only by its code (a WebSocket `error` frame's).
    pub fn is_transient_code(code: &str) -> bool {
        matches!(code, "network" | "internal" | "rate_limited" | "unauthorized")
    }

    /// Whether this error is about the form field `name` (the lead's or one in `more`).
    pub fn is_about(&self, name: &str) -> bool {
        self.problems().iter().any(|(field, _)| *field == Some(name))
    }
    pub fn unauthorized() -> Self {
        Self::Unauthorized { message: "Please log in.".into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden { message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound { message: message.into() }
    }
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict { field: Some(field.to_string()), message: message.into() }
    }
    pub fn internal() -> Self {
        Self::Internal { message: "Something went wrong on our side. Please try again.".into() }
    }

    /// The HTTP status this error is sent with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::Unauthorized { .. } => 401,
            Self::Forbidden { .. } => 403,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::PayloadTooLarge { .. } => 413,
            Self::Invalid { .. } => 422,
            Self::RateLimited { .. } => 429,
            Self::Internal { .. } => 500,
            Self::Network { .. } => 503,
        }
    }

    /// A stable machine-readable code, as sent in the `code` field.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad_request",
            Self::Invalid { .. } => "invalid",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal { .. } => "internal",
            Self::Network { .. } => "network",
        }
    }

    /// The message as sent: English, for logs and non-browser clients.
    pub fn message(&self) -> &str {
        match self {
            Self::BadRequest { message }
            | Self::Invalid { message, .. }
            | Self::Unauthorized { message }
            | Self::Forbidden { message }
            | Self::NotFound { message }
            | Self::Conflict { message, .. }
            | Self::PayloadTooLarge { message }
            | Self::RateLimited { message, .. }
            | Self::Internal { message }
            | Self::Network { message } => message,
        }
    }

    /// The message in the reader's language, as the UI shows it.
    pub fn localized(&self, locale: crate::i18n::Locale) -> String {
        localize(self.message(), locale)
    }

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } | Self::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                Self::bad_request(format!("Invalid request: {m}"))
            }
            // On the server it is the request's body that could not be read: the caller's
            // mistake (an unknown value, say), not the network.
            ServerFnErrorErr::Deserialization(m) if cfg!(feature = "ssr") => {
                Self::bad_request(format!("Invalid request: {m}"))
            }
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) | ServerFnErrorErr::Deserialization(m) => {
                Self::Network { message: format!("Could not reach Confab ({m}). Check your connection.") }
            }
            _ => Self::internal(),
        }
    }
}

/// An error message in `locale`'s words.
///
/// Errors are written once, in English, where the rule is (on the server or in shared
/// validation), and travel as English so logs and curl users read them. The `errors` namespace
/// of the catalogue holds each message as a template (`"Messages are at most {{ max }}
/// characters."`); the UI finds the template an English message was made from, takes its
/// values and fills the same key's template in the reader's language. Values that are
/// messages themselves ("15 minutes") are translated too; a message no template matches is
/// shown as it came.
pub fn localize(message: &str, locale: crate::i18n::Locale) -> String {
    let lang = match locale {
        crate::i18n::Locale::en => return message.to_string(),
        crate::i18n::Locale::th => &catalogue().th,
    };
    localize_in(message, &catalogue().en, lang, 0).unwrap_or_else(|| message.to_string())
}

/// Templates by key: English in the order most specific first, and each other language's.
struct Catalogue {
    en: Vec<(String, Vec<Part>)>,
    th: std::collections::HashMap<String, Vec<Part>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(String),
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let load = |json: &str| -> Vec<(String, Vec<Part>)> {
            let map: std::collections::BTreeMap<String, String> = serde_json::from_str(json).unwrap_or_default();
            map.into_iter().map(|(key, template)| (key, parse_template(&template))).collect()
        };
        let mut en = load(include_str!("../locales/en/errors.json"));
        // Longer fixed text first: "No such room." before a template that is mostly a value.
        en.sort_by_key(|(_, parts)| {
            std::cmp::Reverse(parts.iter().map(|p| if let Part::Text(t) = p { t.len() } else { 0 }).sum::<usize>())
        });
        let th = load(include_str!("../locales/th/errors.json")).into_iter().collect();
        Catalogue { en, th }
    })
}

/// `"at most {{ max }} characters"` → text, value `max`, text.
fn parse_template(template: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else { break };
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_string()));
        }
        parts.push(Part::Value(rest[start + 2..start + len].trim().to_string()));
        rest = &rest[start + len + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    parts
}

fn localize_in(
    message: &str,
    en: &[(String, Vec<Part>)],
    lang: &std::collections::HashMap<String, Vec<Part>>,
    depth: u8,
) -> Option<String> {
    let (key, values) = en.iter().find_map(|(key, parts)| {
        let mut values = Vec::new();
        matches(parts, message, &mut values).then_some((key, values))
    })?;
    let mut out = String::new();
    for part in lang.get(key)? {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Value(name) => {
                let value = values.iter().find(|(n, _)| n == name).map_or("", |(_, v)| *v);
                let translated = (depth < 2).then(|| localize_in(value, en, lang, depth + 1)).flatten();
                out.push_str(translated.as_deref().unwrap_or(value));
            }
        }
    }
    Some(out)
}

/// Whether `text` is what `parts` produce, collecting each value (the shortest that fits).
fn matches<'a>(parts: &[Part], text: &'a str, values: &mut Vec<(String, &'a str)>) -> bool {
    match parts.split_first() {
        None => text.is_empty(),
        Some((Part::Text(fixed), rest)) => text.strip_prefix(fixed.as_str()).is_some_and(|t| matches(rest, t, values)),
        Some((Part::Value(name), rest)) => {
            for (end, _) in text.char_indices().skip(1).chain([(text.len(), ' ')]) {
                values.push((name.clone(), &text[..end]));
                if matches(rest, &text[end..], values) {
                    return true;
                }
                values.pop();
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn messages_are_shown_in_the_readers_language() {
        assert_eq!(localize("No such room.", Locale::th), "ไม่พบห้องนี้");
        assert_eq!(localize("No such room.", Locale::en), "No such room.");
        assert_eq!(localize("Messages are at most 4000 characters.", Locale::th), "ข้อความยาวได้ไม่เกิน 4000 ตัวอักษร");
        // Two values, and a value that is a message of its own.
        assert_eq!(localize("Usernames are 3 to 32 characters long.", Locale::th), "ชื่อผู้ใช้ต้องยาว 3 ถึง 32 ตัวอักษร");
        assert_eq!(
            localize("Messages can only be edited for 15 minutes after sending.", Locale::th),
            "แก้ไขข้อความได้ภายใน 15 นาที หลังส่งเท่านั้น"
        );
        // What no template makes stays as it came.
        assert_eq!(localize("Something new.", Locale::th), "Something new.");
    }

    #[test]
    fn several_fields_problems_travel_in_one_error() {
        let name = crate::types::normalize_username("a!").err();
        let password = crate::types::validate_password("x").err();
        let e = AppError::together([name, None, password]).unwrap();
        assert_eq!(e.status_code(), 422);
        assert_eq!(e.field(), Some("username"));
        assert!(e.is_about("username") && e.is_about("password") && !e.is_about("display_name"));
        let problems = e.problems();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[1], (Some("password"), "Passwords need at least 8 characters."));
        // As the wire carries it, and back.
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["more"][0]["field"], "password");
        assert_eq!(serde_json::from_value::<AppError>(json).unwrap(), e);
        // One problem: no `more` on the wire.
        let one = AppError::together([None, crate::types::validate_password("x").err()]).unwrap();
        assert!(serde_json::to_value(&one).unwrap().get("more").is_none());
        assert_eq!(AppError::together([None, None]), None);
    }

    #[test]
    fn every_message_written_in_the_code_has_a_translation() {
        let e = AppError::invalid("content", "A message can't be empty.");
        assert_ne!(e.localized(Locale::th), e.message());
        for e in [AppError::unauthorized(), AppError::internal()] {
            assert_ne!(e.localized(Locale::th), e.message(), "{e:?}");
        }
        // The shared validation rules, with their limits filled in.
        for err in [
            crate::types::normalize_username("a").unwrap_err(),
            crate::types::normalize_username("Bad Name").unwrap_err(),
            crate::types::validate_password("x").unwrap_err(),
        ] {
            assert_ne!(err.localized(Locale::th), err.message(), "{err:?}");
        }
    }

    /// Every literal message an `AppError` is built with, in the app and the server, has a
    /// template: a new message without a translation fails here, not on a Thai screen.
    #[test]
    fn every_error_literal_in_the_sources_is_in_the_catalogue() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        let mut dirs = vec![root.join("app/src"), root.join("server/src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut checked = 0;
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            // Tests build errors with placeholder text.
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            for literal in error_literals(source) {
                // Format arguments become a sample value.
                let sample = sample_of(&literal);
                assert_ne!(
                    localize(&sample, Locale::th),
                    sample,
                    "{}: {literal:?} has no template in app/locales/*/errors.json",
                    file.display()
                );
                checked += 1;
            }
        }
        assert!(checked > 50, "found only {checked} messages: the scan is broken");
    }

    /// The first string literal after each error constructor that is a sentence.
    fn error_literals(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        for start in [
            "AppError::bad_request(",
            "AppError::invalid(",
            "AppError::forbidden(",
            "AppError::not_found(",
            "AppError::conflict(",
            "message: ",
        ] {
            for (at, _) in source.match_indices(start) {
                let after = &source[at + start.len()..];
                let window = &after[..after.len().min(300)];
                // Literals are the odd pieces; one cut off by the window's end is not one.
                let pieces: Vec<&str> = window.split('"').collect();
                let literal = (1..pieces.len().saturating_sub(1))
                    .step_by(2)
                    .map(|i| pieces[i])
                    .find(|s| s.contains(' ') || s.ends_with('.'));
                if let Some(literal) = literal.filter(|s| s.chars().next().is_some_and(|c| !c.is_whitespace())) {
                    found.push(literal.replace("\\u{201c}", "\u{201c}").replace("\\u{201d}", "\u{201d}"));
                }
            }
        }
        found
    }

    fn sample_of(literal: &str) -> String {
        let literal = literal.replace("\\u{201c}", "\u{201c}").replace("\\u{201d}", "\u{201d}");
        let mut out = String::new();
        let mut in_arg = false;
        for c in literal.chars() {
            match (c, in_arg) {
                ('{', false) => in_arg = true,
                ('}', true) => {
                    in_arg = false;
                    out.push('7');
                }
                (_, true) => {}
                (c, false) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn serializes_with_code_tag() {
        let e = AppError::conflict("username", "That username is taken.");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "conflict", "field": "username", "message": "That username is taken."})
        );
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.status_code(), 409);
    }

    #[test]
    fn code_matches_serialized_tag() {
        for e in [
            AppError::bad_request("x"),
            AppError::invalid("f", "x"),
            AppError::unauthorized(),
            AppError::forbidden("x"),
            AppError::not_found("x"),
            AppError::internal(),
            AppError::RateLimited { message: "x".into(), retry_after_secs: 3 },
        ] {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["code"], e.code());
        }
    }
}
