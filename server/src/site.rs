//! The web client's files (WASM, JS, CSS, fonts, icons, sounds, and their precompressed
//! variants), served from inside the binary.
//!
//! A release build embeds the directory `.ci/build.sh` (or cargo-leptos) built (see
//! `build.rs`), so the binary runs from any directory with nothing but its data directory. A
//! debug build reads that directory at run time, so `cargo leptos watch` serves each rebuild
//! as it lands.

use std::borrow::Cow;

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use leptos::config::LeptosOptions;
use percent_encoding::percent_decode_str;
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "$CONFAB_SITE_DIR"]
struct Site;

/// Whether this binary holds the WASM its pages load. A plain `cargo build` of the server,
/// without the site having been built first, does not.
pub fn has_client(options: &LeptosOptions) -> bool {
    Site::get(&format!("{}/{}.wasm", options.site_pkg_dir, options.output_name)).is_some()
}

/// The file at a request's path, in the best encoding the client accepts that has a
/// precompressed variant; `None` when there is no such file (or the method is not a read).
pub fn file(method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let path = percent_decode_str(path.trim_start_matches('/')).decode_utf8().ok()?;
    if path.is_empty() || path.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    let original = Site::get(&path)?;
    let (body, encoding) = [("br", ".br"), ("gzip", ".gz")]
        .into_iter()
        .filter(|(coding, _)| accepts(headers, coding))
        .find_map(|(coding, suffix)| Site::get(&format!("{path}{suffix}")).map(|f| (f, Some(coding))))
        .unwrap_or((original.clone(), None));
    let coding_tag = encoding.map(|c| format!("-{c}")).unwrap_or_default();
    let etag = format!("\"{}{coding_tag}\"", hex(&body.metadata.sha256_hash()[..16]));
    let mut res = if matches(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let bytes = match body.data {
            // Embedded: served from the binary's own pages, never copied.
            Cow::Borrowed(data) => Bytes::from_static(data),
            Cow::Owned(data) => Bytes::from(data),
        };
        let mut res = Response::new(Body::from(bytes));
        let mime = HeaderValue::from_str(original.metadata.mimetype());
        res.headers_mut()
            .insert(header::CONTENT_TYPE, mime.unwrap_or(HeaderValue::from_static("application/octet-stream")));
        if let Some(coding) = encoding {
            res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        res
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // The build output keeps its names across builds: revalidated every time (a 304 while
    // unchanged). Icons, fonts and sounds change rarely.
    let cache = if path.starts_with("pkg/") { "no-cache" } else { "public, max-age=3600" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(res)
}

/// In front of the pages of a binary without the client: a browser asking for a page gets a
/// plain explanation (status 503) instead of a page whose script is missing; server functions
/// still answer.
pub async fn without_client(req: Request<Body>, next: Next) -> Response {
    if !wants_page(&req) {
        return next.run(req).await;
    }
    let page = "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Confab</title>\
        <h1>This Confab binary was built without its web client</h1>\
        <p>Build it with <code>bash .ci/build.sh</code> (or <code>cargo leptos build --release \
        --precompress</code>), which builds the client first and embeds it. The API and WebSocket work as usual.</p></html>";
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
        page,
    )
        .into_response()
}

/// A browser asking for a page (rather than a script asking for data).
pub fn wants_page(req: &Request<Body>) -> bool {
    req.method() == Method::GET
        && req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |item| {
            let mut parts = item.split(';').map(str::trim);
            let named = parts.next().is_some_and(|name| name.eq_ignore_ascii_case(coding));
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
            named && !refused
        },
    )
}

fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        },
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap())).collect()
    }

    #[test]
    fn encodings_are_negotiated_with_their_weights() {
        let h = headers(&[(header::ACCEPT_ENCODING, "gzip, deflate, br;q=0.9")]);
        assert!(accepts(&h, "br") && accepts(&h, "gzip"));
        let h = headers(&[(header::ACCEPT_ENCODING, "gzip, br;q=0")]);
        assert!(!accepts(&h, "br") && accepts(&h, "gzip"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }

    #[test]
    fn entity_tags_match_lists_weak_forms_and_stars() {
        let tag = "\"abc\"";
        assert!(matches(&headers(&[(header::IF_NONE_MATCH, "\"x\", W/\"abc\"")]), tag));
        assert!(matches(&headers(&[(header::IF_NONE_MATCH, "*")]), tag));
        assert!(!matches(&headers(&[(header::IF_NONE_MATCH, "\"abcd\"")]), tag));
    }

    #[test]
    fn paths_outside_the_site_are_not_files() {
        let h = HeaderMap::new();
        for path in ["/../Cargo.toml", "/pkg/../../x", "/", "//etc/passwd", "/%2e%2e/x"] {
            assert!(file(&Method::GET, path, &h).is_none(), "{path}");
        }
    }
}
