//! Emoji for reactions: which strings count as one (only real emoji, in one canonical form) and
//! the catalog the browser's picker loads when it is first opened, so the emoji data never
//! ships in the WASM bundle.

use std::sync::LazyLock;

use app::{types::limits, AppError};

/// The canonical form of a reaction: the fully-qualified emoji (Unicode's recommended form).
/// Variation selectors (U+FE0F) are ignored on the way in, so 👍 typed with and without one,
/// or ❤ and ❤️, are the same reaction.
pub fn canonical(raw: &str) -> Result<&'static str, AppError> {
    let invalid = || AppError::invalid("emoji", "Reactions must be a single emoji.");
    if raw.is_empty() || raw.len() > limits::EMOJI_MAX_BYTES {
        return Err(invalid());
    }
    let bare: String = raw.chars().filter(|&c| c != '\u{fe0f}').collect();
    emojis::get(&bare).or_else(|| emojis::get(raw)).map(|e| e.as_str()).ok_or_else(invalid)
}

/// The languages the catalog has names in besides English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    English,
    Thai,
}

impl Names {
    /// From `?lang=`: `th`, else English.
    pub fn of(lang: Option<&str>) -> Self {
        if lang == Some("th") {
            Self::Thai
        } else {
            Self::English
        }
    }
}

/// Every emoji (without skin-tone variants) as JSON: `[{"e": "😄", "n": "grinning face with
/// smiling eyes", "k": "smile", "g": "Smileys & Emotion"}, …]`, built once per language (about
/// 1,900 entries; the server compresses it). `k` is what a search finds it by besides its name:
/// its GitHub/Slack shortcodes (`smile`, `+1`), as users of those apps search. In Thai, `n` is
/// the Thai name (CLDR's), and `k` adds the Thai keywords and the English name, so a Thai reader
/// finds 😄 by `ยิ้ม` as well as by `smile`.
pub fn catalog_json(names: Names) -> &'static str {
    static ENGLISH: LazyLock<String> = LazyLock::new(|| catalog(|_| None));
    static THAI: LazyLock<String> = LazyLock::new(|| {
        let thai = thai_names();
        catalog(|e| thai.get(e.as_str().replace('\u{fe0f}', "").as_str()).copied())
    });
    match names {
        Names::English => &ENGLISH,
        Names::Thai => &THAI,
    }
}

/// The catalog, with `local` giving an emoji's name and keywords in another language.
fn catalog(local: impl Fn(&emojis::Emoji) -> Option<(&'static str, &'static str)>) -> String {
    let entries: Vec<serde_json::Value> = emojis::iter()
        .filter(|e| e.skin_tone().is_none_or(|t| t == emojis::SkinTone::Default))
        .map(|e| {
            let mut keywords = e.shortcodes().collect::<Vec<_>>().join(" ");
            let name = match local(e) {
                Some((name, words)) => {
                    keywords = format!("{keywords} | {} | {words}", e.name().to_lowercase());
                    name
                }
                None => e.name(),
            };
            serde_json::json!({"e": e.as_str(), "n": name, "k": keywords, "g": group_name(e.group())})
        })
        .collect();
    serde_json::Value::Array(entries).to_string()
}

/// Thai names and keywords by emoji (without U+FE0F), from CLDR: see `.ci/emoji-names.sh`.
fn thai_names() -> std::collections::HashMap<&'static str, (&'static str, &'static str)> {
    include_str!("emoji-th.tsv")
        .lines()
        .filter(|line| !line.starts_with("# "))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((fields.next()?, (fields.next()?, fields.next().unwrap_or_default())))
        })
        .collect()
}

fn group_name(group: emojis::Group) -> &'static str {
    use emojis::Group::*;
    match group {
        SmileysAndEmotion => "Smileys & Emotion",
        PeopleAndBody => "People & Body",
        AnimalsAndNature => "Animals & Nature",
        FoodAndDrink => "Food & Drink",
        TravelAndPlaces => "Travel & Places",
        Activities => "Activities",
        Objects => "Objects",
        Symbols => "Symbols",
        Flags => "Flags",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variation_selectors_do_not_make_a_second_reaction() {
        assert_eq!(canonical("👍").unwrap(), canonical("👍\u{fe0f}").unwrap());
        assert_eq!(canonical("❤").unwrap(), "❤\u{fe0f}");
        assert_eq!(canonical("❤\u{fe0f}").unwrap(), "❤\u{fe0f}");
    }

    #[test]
    fn sequences_and_skin_tones_are_emoji() {
        assert_eq!(canonical("👍🏽").unwrap(), "👍🏽");
        assert_eq!(canonical("👩‍💻").unwrap(), "👩‍💻");
        assert_eq!(canonical("🇹🇭").unwrap(), "🇹🇭");
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in ["", "a", ":+1:", "👍👍", "👍 ", "<b>", "\u{fe0f}", &"👍".repeat(40)] {
            let err = canonical(bad).unwrap_err();
            assert_eq!(err.field(), Some("emoji"), "{bad:?}");
        }
    }

    #[test]
    fn the_thai_catalog_has_thai_names_and_finds_by_both_languages() {
        let v: serde_json::Value = serde_json::from_str(catalog_json(Names::Thai)).unwrap();
        let all = v.as_array().unwrap();
        let grin = all.iter().find(|e| e["e"] == "😄").unwrap();
        assert_eq!(grin["n"], "หน้ายิ้มตายิ้ม และอ้าปาก");
        let keywords = grin["k"].as_str().unwrap();
        for word in ["smile", "grinning face with smiling eyes", "ยิ้ม", "หัวเราะ"] {
            assert!(keywords.contains(word), "{word} in {keywords}");
        }
        // Emoji written with U+FE0F are found too, and a flag by its country.
        assert_eq!(all.iter().find(|e| e["e"] == "❤\u{fe0f}").unwrap()["n"], "หัวใจสีแดง");
        assert_eq!(all.iter().find(|e| e["e"] == "🇹🇭").unwrap()["n"], "ธง: ไทย");
        // Nearly every emoji has a Thai name; newer ones than CLDR 41 keep the English one.
        let thai =
            all.iter().filter(|e| e["n"].as_str().unwrap().chars().any(|c| ('\u{e00}'..='\u{e7f}').contains(&c)));
        assert!(thai.count() * 100 / all.len() >= 90);
        assert_eq!(
            all.len(),
            serde_json::from_str::<Vec<serde_json::Value>>(catalog_json(Names::English)).unwrap().len()
        );
    }

    #[test]
    fn the_catalog_is_json_with_names() {
        let v: serde_json::Value = serde_json::from_str(catalog_json(Names::English)).unwrap();
        let all = v.as_array().unwrap();
        assert!(all.len() > 1500);
        assert!(all.iter().any(|e| e["e"] == "👍" && e["n"] == "thumbs up" && e["k"] == "+1 thumbsup"));
        assert!(all.iter().any(|e| e["e"] == "😄" && e["k"] == "smile"));
        assert!(all.iter().all(|e| canonical(e["e"].as_str().unwrap()).is_ok()));
    }
}
