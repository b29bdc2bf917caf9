//! Message text: Markdown rendered once, on the server, into sanitized HTML stored beside the
//! source; and the `@mentions` in it, which never count inside code.
//!
//! pulldown-cmark parses (CommonMark plus strikethrough); before HTML is written, raw HTML is
//! turned into text, images into links, line breaks kept as typed, bare URLs and e-mail
//! addresses into links and mentions of members into `<span class="mention">`. ammonia then
//! keeps only the tags chat needs, links only to http, https and mailto, and adds
//! `rel="noopener noreferrer nofollow"`. Text that renders as itself (most messages) gets no
//! HTML at all: the browser shows the plain text, and frames stay small.

use std::{collections::HashMap, sync::LazyLock};

use app::types::UserId;
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// `@room` mentions everyone in the room.
pub const ROOM_MENTION: &str = "room";

/// What a message's source renders to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitized HTML, or `None` when the source shows as plain text.
    pub html: Option<String>,
    /// Members mentioned by `@username`, in order of first mention.
    pub mentions: Vec<UserId>,
    pub mentions_room: bool,
}

/// The usernames `@mentioned` outside code and links (lower-cased, each once) and whether
/// `@room` is among them, so the caller can look up who of them is in the room.
pub fn mentioned_names(source: &str) -> (Vec<String>, bool) {
    if plainly_text(source) {
        return (Vec::new(), false);
    }
    let mut names = Vec::new();
    let mut room = false;
    for_each_text(source, |text| {
        for piece in pieces(text) {
            if let Piece::Mention(name) = piece {
                if name == ROOM_MENTION {
                    room = true;
                } else if !names.iter().any(|n| n == &name) {
                    names.push(name);
                }
            }
        }
    });
    (names, room)
}

/// Renders `source`; `members` maps the usernames that may be mentioned (the room's members)
/// to their ids. A name not in it stays plain text.
pub fn render(source: &str, members: &HashMap<String, UserId>) -> Rendered {
    let mut out = Rendered::default();
    if plainly_text(source) {
        return out;
    }
    let mut events: Vec<Event> = Vec::new();
    let mut plain = true;
    let mut paragraphs = 0;
    let mut in_code_block = false;
    let mut link_depth = 0usize;
    let mut text = String::new();

    let flush = |text: &mut String, events: &mut Vec<Event>, out: &mut Rendered, plain: &mut bool, linkify: bool| {
        if text.is_empty() {
            return;
        }
        let taken = std::mem::take(text);
        if !linkify {
            events.push(Event::Text(CowStr::from(taken)));
            return;
        }
        // Only raw HTML blocks (shown as text) bring newlines here: they stay line breaks.
        for piece in pieces(taken.trim_end_matches('\n')) {
            match piece {
                Piece::Text(t) => {
                    for (k, line) in t.split('\n').enumerate() {
                        if k > 0 {
                            events.push(Event::HardBreak);
                        }
                        if !line.is_empty() {
                            events.push(Event::Text(CowStr::from(line.to_string())));
                        }
                    }
                }
                Piece::Link { href, text } => {
                    *plain = false;
                    let dest = CowStr::from(href);
                    events.push(Event::Start(Tag::Link {
                        link_type: LinkType::Autolink,
                        dest_url: dest,
                        title: CowStr::from(""),
                        id: CowStr::from(""),
                    }));
                    events.push(Event::Text(CowStr::from(text.to_string())));
                    events.push(Event::End(TagEnd::Link));
                }
                Piece::Mention(name) if name == ROOM_MENTION => {
                    *plain = false;
                    out.mentions_room = true;
                    events.push(Event::InlineHtml(CowStr::from(
                        r#"<span class="mention" data-room="true">@room</span>"#.to_string(),
                    )));
                }
                Piece::Mention(name) => match members.get(&name) {
                    Some(&id) => {
                        *plain = false;
                        if !out.mentions.contains(&id) {
                            out.mentions.push(id);
                        }
                        // Usernames are [a-z0-9_.-]: nothing to escape.
                        events.push(Event::InlineHtml(CowStr::from(format!(
                            r#"<span class="mention" data-user-id="{id}">@{name}</span>"#
                        ))));
                    }
                    None => events.push(Event::Text(CowStr::from(format!("@{name}")))),
                },
            }
        }
    };

    for event in Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) => {
                text.push_str(&t);
                continue;
            }
            // Raw HTML is shown as what it is: text.
            Event::Html(t) | Event::InlineHtml(t) => {
                text.push_str(&t);
                continue;
            }
            _ => {}
        }
        flush(&mut text, &mut events, &mut out, &mut plain, !in_code_block && link_depth == 0);
        match event {
            Event::Start(Tag::Paragraph) => {
                paragraphs += 1;
                events.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::Paragraph) => events.push(Event::End(TagEnd::Paragraph)),
            // A block of raw HTML is a paragraph of text.
            Event::Start(Tag::HtmlBlock) => {
                paragraphs += 1;
                events.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::HtmlBlock) => events.push(Event::End(TagEnd::Paragraph)),
            // Chat keeps line breaks as typed.
            Event::SoftBreak | Event::HardBreak => {
                events.push(Event::HardBreak);
            }
            // An image is never loaded from someone else's server by merely reading a message:
            // it becomes a link to it.
            Event::Start(Tag::Image { dest_url, title, id, .. }) => {
                plain = false;
                link_depth += 1;
                events.push(Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id }));
            }
            Event::End(TagEnd::Image) => {
                link_depth = link_depth.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(tag) => {
                plain = false;
                match &tag {
                    Tag::CodeBlock(_) => in_code_block = true,
                    Tag::Link { .. } => link_depth += 1,
                    _ => {}
                }
                events.push(Event::Start(tag));
            }
            Event::End(tag) => {
                match tag {
                    TagEnd::CodeBlock => in_code_block = false,
                    TagEnd::Link => link_depth = link_depth.saturating_sub(1),
                    _ => {}
                }
                events.push(Event::End(tag));
            }
            other => {
                plain = false;
                events.push(other);
            }
        }
    }
    flush(&mut text, &mut events, &mut out, &mut plain, !in_code_block && link_depth == 0);

    if plain && paragraphs <= 1 && shown_text(&events) == source {
        return out;
    }
    let mut html = String::with_capacity(source.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    out.html = Some(SANITIZER.clean(&html).to_string());
    out
}

/// Whether `source` is certainly plain text (one line with nothing Markdown, a link (`:` of a
/// scheme, `www.`) or a mention could start with), so most messages skip parsing. Anything
/// else is parsed.
fn plainly_text(source: &str) -> bool {
    let special = |b: u8| b"*_~`[]<>&#!|\\@:\n\r".contains(&b);
    let starts_block = |s: &str| {
        let after_digits = s.trim_start_matches(|c: char| c.is_ascii_digit());
        s.starts_with(['-', '+', '=', ' ', '\t'])
            || (after_digits.len() < s.len() && after_digits.starts_with(['.', ')']))
    };
    !source.bytes().any(special) && !starts_block(source) && find_www(source.as_bytes()).is_none()
}

/// The text a plain paragraph shows, line breaks as newlines.
fn shown_text(events: &[Event]) -> String {
    let mut s = String::new();
    for e in events {
        match e {
            Event::Text(t) => s.push_str(t),
            Event::HardBreak => s.push('\n'),
            _ => {}
        }
    }
    s
}

/// Calls `f` with each run of text outside code and links (where mentions count).
fn for_each_text(source: &str, mut f: impl FnMut(&str)) {
    let mut in_code_block = false;
    let mut link_depth = 0usize;
    let mut text = String::new();
    for event in Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH) {
        if let Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) = &event {
            text.push_str(t);
            continue;
        }
        // The text gathered so far belongs to the state before this event changes it.
        if !text.is_empty() {
            if !in_code_block && link_depth == 0 {
                f(&text);
            }
            text.clear();
        }
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => link_depth += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => link_depth = link_depth.saturating_sub(1),
            _ => {}
        }
    }
    if !text.is_empty() && !in_code_block && link_depth == 0 {
        f(&text);
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Link {
        href: String,
        text: &'a str,
    },
    /// A lower-cased username after `@`.
    Mention(String),
}

static LINKS: LazyLock<linkify::LinkFinder> = LazyLock::new(linkify::LinkFinder::new);

/// Finds an address without a scheme, for text that starts with `www.`: looked for only there,
/// since without a scheme linkify takes any dotted word (`main.rs`, `@john_doe.smith`) for one.
static WWW: LazyLock<linkify::LinkFinder> = LazyLock::new(|| {
    let mut finder = linkify::LinkFinder::new();
    finder.url_must_have_scheme(false).kinds(&[linkify::LinkKind::Url]);
    finder
});

/// Splits text into plain runs, links (http, https, `www.` and e-mail addresses) and
/// `@mentions`.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    for span in LINKS.spans(text) {
        let s = span.as_str();
        match span.kind() {
            Some(linkify::LinkKind::Url) if is_web_url(s) => {
                let link = url_end(s);
                out.push(Piece::Link { href: link.to_string(), text: link });
                www_in(&s[link.len()..], &mut out);
            }
            Some(linkify::LinkKind::Email) => out.push(Piece::Link { href: format!("mailto:{s}"), text: s }),
            _ => www_in(s, &mut out),
        }
    }
    out
}

/// Text with the `www.` addresses in it made links (to https), and its mentions found. An
/// address starts a word, or follows a script written without spaces (`ดูที่www.example.org`).
fn www_in<'a>(text: &'a str, out: &mut Vec<Piece<'a>>) {
    let mut plain_from = 0;
    let mut search_from = 0;
    while let Some(at) = find_www(&text.as_bytes()[search_from..]) {
        let at = search_from + at;
        let starts_word = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| written_without_spaces(c) || !(c.is_alphanumeric() || "_.-@/".contains(c)));
        let link = WWW
            .links(&text[at..])
            .next()
            .filter(|l| starts_word && l.start() == 0)
            .map(|l| url_end(l.as_str()))
            .filter(|l| l.len() > 4);
        match link {
            Some(link) => {
                mentions_in(&text[plain_from..at], out);
                out.push(Piece::Link { href: format!("https://{link}"), text: link });
                plain_from = at + link.len();
                search_from = plain_from;
            }
            None => search_from = at + 4,
        }
    }
    mentions_in(&text[plain_from..], out);
}

/// Where `www.` (any case) first appears in `bytes`.
fn find_www(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w.eq_ignore_ascii_case(b"www."))
}

/// Where a link found in running text ends. Thai (like Lao, Khmer, Burmese, Chinese and
/// Japanese) is written without spaces, so a word can follow a URL directly ("ดูที่
/// https://example.comครับ"): the link ends where such a script follows a letter, digit or
/// punctuation of the URL, with the punctuation left to the sentence. After `/`, `=`, `#` and
/// the like, the script is part of the address (`/wiki/ประเทศไทย`, `?q=ไทย`).
fn url_end(url: &str) -> &str {
    let mut prev = None::<char>;
    for (i, c) in url.char_indices() {
        if prev.is_some_and(|p| p.is_ascii_alphanumeric() || ".,;:!)".contains(p)) && written_without_spaces(c) {
            return url[..i].trim_end_matches(['.', ',', ';', ':', '!']);
        }
        prev = Some(c);
    }
    url
}

fn written_without_spaces(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3000..=0x30FF // CJK punctuation, kana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF // CJK ideographs
        | 0xFF00..=0xFFEF) // full-width forms
}

fn is_web_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `@name` where `@` starts the text or follows a character that cannot be part of a word or
/// an address, and the name is a username (3 to 32 of `a-z 0-9 _ . -`, any case; a trailing
/// `.` ends the sentence, not the name).
fn mentions_in<'a>(text: &'a str, out: &mut Vec<Piece<'a>>) {
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i] == b'@'
            && text[..i].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || "_.-@".contains(c)));
        if starts {
            let name_len = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                .count();
            let name = text[i + 1..i + 1 + name_len].trim_end_matches('.');
            if (3..=32).contains(&name.len()) {
                if plain_from < i {
                    out.push(Piece::Text(&text[plain_from..i]));
                }
                out.push(Piece::Mention(name.to_ascii_lowercase()));
                i += 1 + name.len();
                plain_from = i;
                continue;
            }
        }
        i += 1;
    }
    if plain_from < text.len() {
        out.push(Piece::Text(&text[plain_from..]));
    }
}

/// The only tags rendered Markdown may keep.
const ALLOWED_TAGS: [&str; 20] = [
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "span",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags(ALLOWED_TAGS)
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("ol", ["start"])
        .add_tag_attributes("span", ["data-user-id", "data-room"])
        .add_allowed_classes("span", ["mention"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    b
});

#[cfg(test)]
mod tests {
    use super::*;

    fn members() -> HashMap<String, UserId> {
        [("bob".to_string(), UserId(2)), ("carol.k".to_string(), UserId(3))].into_iter().collect()
    }

    fn html(source: &str) -> String {
        render(source, &members()).html.unwrap_or_else(|| format!("(plain) {source}"))
    }

    #[test]
    fn plain_text_needs_no_html() {
        for s in ["hello", "สวัสดีครับ ทุกคน", "two\nlines", "1 + 1 = 2, isn't it?", "price: 5$ (approx)", "12 34"]
        {
            assert_eq!(render(s, &members()), Rendered::default(), "{s:?}");
        }
        for s in ["hello", "12 34", "a-b", "3 items"] {
            assert!(plainly_text(s), "{s:?} skips parsing");
        }
        for s in ["1. a", "2) b", "- x", "    code", "a *b*", "@bob", "x:y", "a\nb", "# h", "==="] {
            assert!(!plainly_text(s), "{s:?} is parsed");
        }
    }

    #[test]
    fn markdown_renders() {
        assert_eq!(
            html("**bold** _it_ ~~gone~~ `x<y`"),
            "<p><strong>bold</strong> <em>it</em> <del>gone</del> <code>x&lt;y</code></p>\n"
        );
        let code = html("```rust\nfn main() {\n    let a = 1;\n}\n```");
        assert!(code.starts_with("<pre><code>fn main() {\n    let a = 1;\n}\n</code></pre>"), "{code}");
        assert_eq!(html("> quoted"), "<blockquote>\n<p>quoted</p>\n</blockquote>\n");
        assert_eq!(html("- a\n- b"), "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
        assert_eq!(html("3. c\n4. d"), "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>\n");
        assert_eq!(html("line one\nline two\n\nnext"), "<p>line one<br>\nline two</p>\n<p>next</p>\n");
    }

    #[test]
    fn links_are_safe_and_bare_urls_become_links() {
        assert_eq!(
            html("[docs](https://example.com/a?b=1&c=2)"),
            "<p><a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\">docs</a></p>\n"
        );
        assert_eq!(
            html("see https://example.com/x_y_z."),
            "<p>see <a href=\"https://example.com/x_y_z\" rel=\"noopener noreferrer nofollow\">https://example.com/x_y_z</a>.</p>\n"
        );
        // Thai runs on after a URL without a space; a Thai path stays in the link.
        assert_eq!(
            html("ดูที่https://example.comครับ"),
            "<p>ดูที่<a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">https://example.com</a>ครับ</p>\n"
        );
        assert_eq!(
            html("อ่าน https://example.com/a.ก่อนนะ"),
            "<p>อ่าน <a href=\"https://example.com/a\" rel=\"noopener noreferrer nofollow\">https://example.com/a</a>.ก่อนนะ</p>\n"
        );
        assert_eq!(
            html("看https://example.com/x这个"),
            "<p>看<a href=\"https://example.com/x\" rel=\"noopener noreferrer nofollow\">https://example.com/x</a>这个</p>\n"
        );
        // `www.` addresses are links too (to https); other dotted words are not.
        assert_eq!(
            html("and www.example.org/a, or main.rs and v1.2 or file.txt"),
            "<p>and <a href=\"https://www.example.org/a\" rel=\"noopener noreferrer nofollow\">www.example.org/a</a>, \
             or main.rs and v1.2 or file.txt</p>\n"
        );
        // Only `www.` starts an address without a scheme: a dotted username stays a mention,
        // and an address cut to nothing by Thai after its dot stays text.
        let john = [("john_doe.smith".to_string(), UserId(4))].into_iter().collect();
        let r = render("hi @john_doe.smith, see www.ไทย.com or xwww.example.org", &john);
        assert_eq!(r.mentions, vec![UserId(4)]);
        assert_eq!(
            r.html.as_deref(),
            Some(
                "<p>hi <span class=\"mention\" data-user-id=\"4\">@john_doe.smith</span>, see www.ไทย.com or \
                 xwww.example.org</p>\n"
            )
        );
        assert_eq!(
            html("ดูที่www.example.orgครับ"),
            "<p>ดูที่<a href=\"https://www.example.org\" rel=\"noopener noreferrer nofollow\">www.example.org</a>ครับ</p>\n"
        );
        let wiki = "https://th.wikipedia.org/wiki/ประเทศไทย";
        assert!(html(wiki).contains(&format!(">{wiki}</a>")), "{}", html(wiki));
        assert_eq!(
            html("mail bob@example.com"),
            "<p>mail <a href=\"mailto:bob@example.com\" rel=\"noopener noreferrer nofollow\">bob@example.com</a></p>\n"
        );
        assert_eq!(html("ftp://example.com/file"), "(plain) ftp://example.com/file");
        assert_eq!(
            html("![cat](https://example.com/cat.png)"),
            "<p><a href=\"https://example.com/cat.png\" rel=\"noopener noreferrer nofollow\">cat</a></p>\n"
        );
    }

    #[test]
    fn raw_html_shows_as_text() {
        assert_eq!(render("<b>hi</b>", &members()), Rendered::default(), "shown as typed, with no HTML");
        assert_eq!(html("**x** <b>hi</b>"), "<p><strong>x</strong> &lt;b&gt;hi&lt;/b&gt;</p>\n");
        assert_eq!(render("<div>\n*block*\n</div>", &members()), Rendered::default());
        assert_eq!(
            html("<div>\n**block**\n</div>\n\n**x**"),
            "<p>&lt;div&gt;<br>\n**block**<br>\n&lt;/div&gt;</p>\n<p><strong>x</strong></p>\n"
        );
    }

    /// Every tag in `html` (text is escaped, so each `<` starts one): its name and attributes.
    fn tags(html: &str) -> Vec<(String, String)> {
        html.split('<')
            .skip(1)
            .map(|t| {
                let t = t.split('>').next().unwrap_or_default().trim_start_matches('/');
                let (name, attrs) = t.split_once(' ').unwrap_or((t, ""));
                (name.to_ascii_lowercase(), attrs.to_ascii_lowercase())
            })
            .collect()
    }

    /// None of these may leave a script, an event handler, a dangerous URL or an active
    /// element in the output.
    #[test]
    fn xss_vectors_do_not_survive() {
        let vectors = [
            "<script>alert(1)</script>",
            "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
            "<img src=x onerror=alert(1)>",
            "<svg onload=alert(1)><circle/></svg>",
            "<svg><script>alert(1)</script></svg>",
            "<iframe src=\"javascript:alert(1)\"></iframe>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](java\nscript:alert(1))",
            "[x](  javascript:alert(1) )",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![x](javascript:alert(1))",
            "![x](data:image/svg+xml,<svg onload=alert(1)>)",
            "[x](vbscript:msgbox(1))",
            "[x](//evil.example)",
            "[x](/relative)",
            "<div style=\"background:url(javascript:alert(1))\">",
            "<<script>script>alert(1)<</script>/script>",
            "<scr<script>ipt>alert(1)</script>",
            "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</a>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<style>*{display:none}</style>",
            "<form action=javascript:alert(1)><input type=submit></form>",
            "[x](https://example.com \"title\" onmouseover=alert(1))",
            "[x](https://example.com\" onmouseover=\"alert(1))",
            "`<script>` ``<img src=x onerror=alert(1)>``",
            "```html\n<script>alert(1)</script>\n```",
            "<!-- <script>alert(1)</script> -->",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "https://example.com/\"><script>alert(1)</script>",
            "@bob<script>alert(1)</script>",
        ];
        for v in vectors {
            let Some(out) = render(v, &members()).html else {
                continue; // Plain text: the browser shows it as text.
            };
            for (name, attrs) in tags(&out) {
                assert!(ALLOWED_TAGS.contains(&name.as_str()), "{v:?} rendered {out:?}: tag {name}");
                for bad in ["on", "style", "javascript:", "vbscript:", "data:", "href=\"//", "href=\"/"] {
                    let attr_names: Vec<&str> =
                        attrs.split_whitespace().map(|a| a.split('=').next().unwrap_or_default()).collect();
                    let hit = if bad == "on" || bad == "style" {
                        attr_names.iter().any(|a| a.starts_with(bad) && *a != "on")
                    } else {
                        attrs.contains(bad)
                    };
                    assert!(!hit, "{v:?} rendered {out:?}: <{name} {attrs}> has {bad:?}");
                }
            }
        }
    }

    #[test]
    fn mentions_are_found_outside_code_only() {
        let (names, room) =
            mentioned_names("hi @Bob and @carol.k. `@dave` @room\n```\n@erin\n```\n[@frank](https://x.y)");
        assert_eq!(names, vec!["bob".to_string(), "carol.k".to_string()]);
        assert!(room);
        assert_eq!(mentioned_names("mail bob@example.com, @x or @@bob"), (vec![], false));
        assert_eq!(mentioned_names("(@bob) @bob!"), (vec!["bob".to_string()], false));
        assert_eq!(mentioned_names("**@bob**").0, vec!["bob".to_string()]);
    }

    #[test]
    fn mentions_of_members_are_marked_up() {
        let r = render("hey @bob, @nobody and @room", &members());
        assert_eq!(r.mentions, vec![UserId(2)]);
        assert!(r.mentions_room);
        assert_eq!(
            r.html.as_deref(),
            Some(
                "<p>hey <span class=\"mention\" data-user-id=\"2\">@bob</span>, @nobody and <span class=\"mention\" \
                 data-room=\"true\">@room</span></p>\n"
            )
        );
        let code = render("`@bob`", &members());
        assert!(code.mentions.is_empty());
    }
}
