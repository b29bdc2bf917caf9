//! Where the app may send people: pure helpers shared by the API and the pages.

/// Only same-site paths are followed after login, never another origin.
pub fn safe_next(next: Option<String>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/chat".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_this_site() {
        use super::safe_next;
        assert_eq!(safe_next(Some("/chat/5".into())), "/chat/5");
        assert_eq!(safe_next(Some("//evil.example".into())), "/chat");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/chat");
        assert_eq!(safe_next(Some("/\\evil".into())), "/chat");
        assert_eq!(safe_next(None), "/chat");
    }
}
