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

/// Every emoji (without skin-tone variants) as JSON: `[{"e": "😄", "n": "grinning face with
/// smiling eyes", "k": "smile", "g": "Smileys & Emotion"}, …]`, built once (about 1,900 entries;
/// the server compresses it). `k` is the emoji's GitHub/Slack shortcodes, so the picker finds 😄
/// by `smile` and 👍 by `+1`, as users of those apps search.
pub fn catalog_json() -> &'static str {
    static CATALOG: LazyLock<String> = LazyLock::new(|| {
        let entries: Vec<serde_json::Value> = emojis::iter()
            .filter(|e| e.skin_tone().is_none_or(|t| t == emojis::SkinTone::Default))
            .map(|e| {
                let keywords = e.shortcodes().collect::<Vec<_>>().join(" ");
                serde_json::json!({"e": e.as_str(), "n": e.name(), "k": keywords, "g": group_name(e.group())})
            })
            .collect();
        serde_json::Value::Array(entries).to_string()
    });
    &CATALOG
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
    fn the_catalog_is_json_with_names() {
        let v: serde_json::Value = serde_json::from_str(catalog_json()).unwrap();
        let all = v.as_array().unwrap();
        assert!(all.len() > 1500);
        assert!(all.iter().any(|e| e["e"] == "👍" && e["n"] == "thumbs up" && e["k"] == "+1 thumbsup"));
        assert!(all.iter().any(|e| e["e"] == "😄" && e["k"] == "smile"));
        assert!(all.iter().all(|e| canonical(e["e"].as_str().unwrap()).is_ok()));
    }
}
