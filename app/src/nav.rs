//! Where the app may send people: pure helpers shared by the API and the pages.

/// Only same-site paths are followed after login, never another origin, and never back to a
/// login or registration form (a logged-in reader there would be sent on anyway).
pub fn safe_next(next: Option<String>) -> String {
    match next {
        // Browsers drop tabs and line breaks from a URL, so `/\t/evil` would become `//evil`;
        // a line break would not even fit in a `Location` header.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace())
                && !is_auth_form(&n) =>
        {
            n
        }
        _ => "/chat".to_string(),
    }
}

/// `/login` and `/register`, with or without a query.
pub fn is_auth_form(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/');
    path == "/login" || path == "/register"
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
        assert_eq!(safe_next(Some("/login".into())), "/chat", "logging in must not lead back to the form");
        assert_eq!(safe_next(Some("/login?next=/login".into())), "/chat");
        assert_eq!(safe_next(Some("/register/".into())), "/chat");
        assert_eq!(safe_next(Some("/settings".into())), "/settings");
        assert_eq!(safe_next(Some("/\t/evil.example".into())), "/chat", "a tab browsers would drop");
        assert_eq!(safe_next(Some("/\n".into())), "/chat");
        assert_eq!(safe_next(Some("/ /evil.example".into())), "/chat");
    }
}
