//! Translated texts shown in views, and the page's language as they read it.

use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::i18n::Locale;

/// The page's language as a memo: it tells its readers only when the language really changes.
///
/// leptos_i18n's context sets its language signal once more, to the same value, in an effect
/// that runs right after hydration, and every text that reads the signal runs again then: on
/// a room page, hundreds of them (a message's toolbar alone has a dozen labels), each
/// unsubscribing and subscribing again, which made that task the page's longest. Texts read
/// this memo instead.
#[derive(Clone, Copy)]
struct Language(Memo<Locale>);

/// Provides [`language`] for the page: call once under the i18n context.
pub fn provide_language(i18n: I18nContext<Locale>) {
    provide_context(Language(Memo::new(move |_| i18n.get_locale())));
}

/// The page's language (see [`Language`]); `i18n`'s own signal where none was provided.
pub fn language(i18n: I18nContext<Locale>) -> Memo<Locale> {
    use_context::<Language>().map_or_else(|| Memo::new(move |_| i18n.get_locale()), |l| l.0)
}

/// A translated text that follows the language, as [`tr!`](crate::tr) writes it.
///
/// leptos_i18n's `t!` makes a closure of its own type at each use, and the renderer's code is
/// instantiated again for each of those types; this closure is the same type for every key
/// (141 uses: 13 KB less brotli'd WASM).
pub fn view(i18n: I18nContext<Locale>, text: fn(Locale) -> &'static str) -> impl IntoView + Copy {
    let language = language(i18n);
    move || text(language.get())
}

/// `tr!(i18n, chat.file.download)`: the key's text as a view that follows the language, like
/// `t!` for a key without values to interpolate.
#[macro_export]
macro_rules! tr {
    ($i18n:expr, $($key:ident).+) => {
        $crate::text::view($i18n, |locale| $crate::i18n::td_string!(locale, $($key).+))
    };
}
