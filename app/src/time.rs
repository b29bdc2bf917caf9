//! Dates and times as the reader sees them: in their time zone and language.
//!
//! The server renders a page with times in it and the browser hydrates it, so both must write
//! the same text. The time zone is the browser's own (an IANA name such as `Asia/Bangkok`),
//! which the browser keeps in a cookie for the server to read; both then turn a timestamp into
//! the same wall-clock fields (the server with jiff's bundled zone database, the browser with
//! `Intl`), and one function here writes those fields out in the reader's language.

use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::i18n::{td_string, Locale};

/// The cookie that carries the browser's time zone.
pub const TZ_COOKIE: &str = "confab_tz";

/// A moment on the reader's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallClock {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
}

impl WallClock {
    /// The days since 1970-01-01 of this date, to tell today from yesterday.
    pub fn day_number(&self) -> i64 {
        // Howard Hinnant's days-from-civil.
        let (y, m, d) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

/// The wall clock in `zone` (the browser's own zone when `None` in the browser; UTC on the
/// server, which has no better guess).
pub fn wall_clock(ms: i64, zone: Option<&str>) -> WallClock {
    #[cfg(feature = "ssr")]
    {
        let tz = zone.and_then(|z| jiff::tz::TimeZone::get(z).ok()).unwrap_or(jiff::tz::TimeZone::UTC);
        match jiff::Timestamp::from_millisecond(ms) {
            Ok(ts) => {
                let z = tz.to_datetime(ts);
                WallClock {
                    year: i32::from(z.year()),
                    month: z.month() as u8,
                    day: z.day() as u8,
                    hour: z.hour() as u8,
                    minute: z.minute() as u8,
                }
            }
            Err(_) => utc(ms),
        }
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        browser::wall_clock(ms, zone).unwrap_or_else(|| utc(ms))
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = zone;
        utc(ms)
    }
}

/// The UTC wall clock, from arithmetic alone.
pub fn utc(ms: i64) -> WallClock {
    let days = ms.div_euclid(86_400_000);
    let minutes = ms.rem_euclid(86_400_000) / 60_000;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    WallClock {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour: (minutes / 60) as u8,
        minute: (minutes % 60) as u8,
    }
}

/// The moment for machines (`<time datetime>`): "2026-11-26T14:05Z".
pub fn iso(ms: i64) -> String {
    let t = utc(ms);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}Z", t.year, t.month, t.day, t.hour, t.minute)
}

/// "2:05 PM" in English, "14:05" in Thai.
pub fn format_time(t: WallClock, locale: Locale) -> String {
    match locale {
        Locale::en => {
            let hour = match t.hour % 12 {
                0 => 12,
                h => h,
            };
            let period = if t.hour < 12 { td_string!(locale, time.am) } else { td_string!(locale, time.pm) };
            format!("{hour}:{:02} {period}", t.minute)
        }
        Locale::th => format!("{:02}:{:02}", t.hour, t.minute),
    }
}

/// "Nov 26, 2026" in English; "26 พ.ย. 2569" in Thai, in the Buddhist era Thai readers use.
pub fn format_date(t: WallClock, locale: Locale) -> String {
    let month = month_name(t.month, locale);
    match locale {
        Locale::en => format!("{month} {}, {}", t.day, t.year),
        Locale::th => format!("{} {month} {}", t.day, t.year + 543),
    }
}

/// What a day divider in the history says: "Today", "Yesterday", or the date.
pub fn format_day(t: WallClock, today: WallClock, locale: Locale) -> String {
    match today.day_number() - t.day_number() {
        0 => td_string!(locale, chat.list.today).to_string(),
        1 => td_string!(locale, chat.list.yesterday).to_string(),
        _ => format_date(t, locale),
    }
}

/// "Nov 26" / "26 พ.ย.": a date in the current year.
pub fn format_day_month(t: WallClock, locale: Locale) -> String {
    let month = month_name(t.month, locale);
    match locale {
        Locale::en => format!("{month} {}", t.day),
        Locale::th => format!("{} {month}", t.day),
    }
}

fn month_name(month: u8, locale: Locale) -> &'static str {
    match month {
        1 => td_string!(locale, time.month.m1),
        2 => td_string!(locale, time.month.m2),
        3 => td_string!(locale, time.month.m3),
        4 => td_string!(locale, time.month.m4),
        5 => td_string!(locale, time.month.m5),
        6 => td_string!(locale, time.month.m6),
        7 => td_string!(locale, time.month.m7),
        8 => td_string!(locale, time.month.m8),
        9 => td_string!(locale, time.month.m9),
        10 => td_string!(locale, time.month.m10),
        11 => td_string!(locale, time.month.m11),
        _ => td_string!(locale, time.month.m12),
    }
}

/// What components format times with: the reader's language and time zone, both followed
/// reactively. The zone is the one the page was rendered for until the page has hydrated, then
/// the browser's own (on a first visit there is no cookie yet and the server wrote UTC; a
/// reader who has travelled brings last trip's zone).
#[derive(Clone, Copy)]
pub struct Clock {
    language: Memo<Locale>,
    zone: RwSignal<Option<String>>,
}

impl Clock {
    pub fn locale(&self) -> Locale {
        self.language.get()
    }

    pub fn wall_clock(&self, ms: i64) -> WallClock {
        self.zone.with(|zone| wall_clock(ms, zone.as_deref()))
    }

    /// The time of day ("2:05 PM" / "14:05").
    pub fn time(&self, ms: i64) -> String {
        format_time(self.wall_clock(ms), self.locale())
    }

    /// As short as it can be next to `now`: the time today, the day and time this year, and
    /// the full date before.
    pub fn short(&self, ms: i64, now: i64) -> String {
        let (t, today, locale) = (self.wall_clock(ms), self.wall_clock(now), self.locale());
        if t.day_number() == today.day_number() {
            format_time(t, locale)
        } else if t.year == today.year {
            format!("{} {}", format_day_month(t, locale), format_time(t, locale))
        } else {
            format_date(t, locale)
        }
    }

    /// The day of `ms` as a divider in the history says it, next to `now`.
    pub fn day(&self, ms: i64, now: i64) -> String {
        format_day(self.wall_clock(ms), self.wall_clock(now), self.locale())
    }

    /// The date and time ("Nov 26, 2026, 2:05 PM" / "26 พ.ย. 2569 14:05").
    pub fn date_time(&self, ms: i64) -> String {
        let (t, locale) = (self.wall_clock(ms), self.locale());
        match locale {
            Locale::en => format!("{}, {}", format_date(t, locale), format_time(t, locale)),
            Locale::th => format!("{} {}", format_date(t, locale), format_time(t, locale)),
        }
    }
}

/// Provides the [`Clock`] for the page: call once under the i18n context.
pub fn provide_clock(i18n: I18nContext<Locale>) {
    #[cfg(feature = "ssr")]
    let zone = crate::api::ssr::request_cookie(TZ_COOKIE);
    // Without the cookie the server wrote UTC: so does the hydrating page, to agree with it.
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let zone = Some(browser::zone_cookie().unwrap_or_else(|| "UTC".to_string()));
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let zone = None;
    let zone = RwSignal::new(zone);
    // Effects run once the page has hydrated: from then on, times are in the browser's zone.
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    Effect::new(move || {
        let Some(system) = browser::system_zone() else { return };
        browser::remember_zone(&system);
        if zone.with_untracked(|z| z.as_deref() != Some(system.as_str())) {
            zone.set(Some(system));
        }
    });
    provide_context(Clock { language: crate::text::language(i18n), zone });
}

pub fn use_clock() -> Clock {
    expect_context::<Clock>()
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
mod browser {
    use js_sys::{Array, Intl, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    use super::{WallClock, TZ_COOKIE};

    pub fn zone_cookie() -> Option<String> {
        let cookies = web_sys::window()?.document()?.dyn_into::<web_sys::HtmlDocument>().ok()?.cookie().ok()?;
        cookies.split(';').find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == TZ_COOKIE && !value.is_empty()).then(|| value.to_string())
        })
    }

    pub fn system_zone() -> Option<String> {
        let options = Intl::DateTimeFormat::new(&Array::new(), &Object::new()).resolved_options();
        Reflect::get(&options, &JsValue::from_str("timeZone")).ok()?.as_string()
    }

    /// Keeps the browser's zone in the cookie, so the server renders the next page in it.
    pub fn remember_zone(zone: &str) {
        if zone_cookie().as_deref() == Some(zone) {
            return;
        }
        if let Some(doc) =
            web_sys::window().and_then(|w| w.document()).and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        {
            let _ = doc.set_cookie(&format!("{TZ_COOKIE}={zone}; Path=/; Max-Age=31536000; SameSite=Lax"));
        }
    }

    thread_local! {
        static FORMATS: std::cell::RefCell<Vec<(String, Intl::DateTimeFormat)>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    pub fn wall_clock(ms: i64, zone: Option<&str>) -> Option<WallClock> {
        let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
        let Some(zone) = zone else {
            return Some(WallClock {
                year: date.get_full_year() as i32,
                month: date.get_month() as u8 + 1,
                day: date.get_date() as u8,
                hour: date.get_hours() as u8,
                minute: date.get_minutes() as u8,
            });
        };
        let parts = FORMATS.with(|formats| {
            let mut formats = formats.borrow_mut();
            let format = match formats.iter().find(|(z, _)| z == zone) {
                Some((_, f)) => f.clone(),
                None => {
                    let options = Object::new();
                    for (key, value) in [
                        ("timeZone", zone),
                        ("hourCycle", "h23"),
                        ("year", "numeric"),
                        ("month", "numeric"),
                        ("day", "numeric"),
                        ("hour", "numeric"),
                        ("minute", "numeric"),
                    ] {
                        Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
                    }
                    let locales = Array::of1(&JsValue::from_str("en-US"));
                    let f = Intl::DateTimeFormat::new(&locales, &options);
                    formats.push((zone.to_string(), f.clone()));
                    f
                }
            };
            Some(format.format_to_parts(&date))
        })?;
        let mut t = WallClock { year: 1970, month: 1, day: 1, hour: 0, minute: 0 };
        for part in parts.iter() {
            let kind = Reflect::get(&part, &JsValue::from_str("type")).ok()?.as_string()?;
            let value = Reflect::get(&part, &JsValue::from_str("value")).ok()?.as_string()?;
            let Ok(n) = value.parse::<i32>() else { continue };
            match kind.as_str() {
                "year" => t.year = n,
                "month" => t.month = n as u8,
                "day" => t.day = n as u8,
                "hour" => t.hour = n as u8,
                "minute" => t.minute = n as u8,
                _ => {}
            }
        }
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_arithmetic_matches_the_calendar() {
        // 2026-11-26 14:05 UTC.
        let ms = 1_795_701_900_000;
        assert_eq!(utc(ms), WallClock { year: 2026, month: 11, day: 26, hour: 14, minute: 5 });
        assert_eq!(utc(0), WallClock { year: 1970, month: 1, day: 1, hour: 0, minute: 0 });
        assert_eq!(utc(951_782_400_000).day, 29, "2000-02-29 exists");
        assert_eq!(utc(ms).day_number(), ms.div_euclid(86_400_000));
    }

    #[test]
    fn a_day_divider_says_today_yesterday_or_the_date() {
        let day = |ms: i64| utc(ms);
        let now = day(1_795_701_900_000); // 2026-11-26 14:05 UTC
        let d = 86_400_000;
        let said = |ms, locale| format_day(day(ms), now, locale);
        assert_eq!(said(1_795_701_900_000 - 14 * 3_600_000, Locale::en), "Today", "midnight is today");
        assert_eq!(said(1_795_701_900_000 - d, Locale::en), "Yesterday");
        assert_eq!(said(1_795_701_900_000 - d, Locale::th), "เมื่อวาน");
        assert_eq!(said(1_795_701_900_000 - 2 * d, Locale::en), "Nov 24, 2026");
        assert_eq!(said(1_795_701_900_000 - 2 * d, Locale::th), "24 พ.ย. 2569");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_zone_moves_the_wall_clock() {
        let ms = 1_795_701_900_000;
        let bangkok = wall_clock(ms, Some("Asia/Bangkok"));
        assert_eq!((bangkok.hour, bangkok.minute), (21, 5));
        let new_york = wall_clock(ms, Some("America/New_York"));
        assert_eq!((new_york.day, new_york.hour), (26, 9));
        assert_eq!(wall_clock(ms, Some("Not/A_Zone")), utc(ms), "an unknown zone is UTC");
    }

    #[test]
    fn formats_follow_the_language() {
        let t = WallClock { year: 2026, month: 11, day: 26, hour: 14, minute: 5 };
        assert_eq!(format_time(t, Locale::en), "2:05 PM");
        assert_eq!(format_time(t, Locale::th), "14:05");
        assert_eq!(format_time(WallClock { hour: 0, ..t }, Locale::en), "12:05 AM");
        assert_eq!(format_date(t, Locale::en), "Nov 26, 2026");
        assert_eq!(format_date(t, Locale::th), "26 พ.ย. 2569");
        assert_eq!(format_day_month(t, Locale::th), "26 พ.ย.");
    }
}
