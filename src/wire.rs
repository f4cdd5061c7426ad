//! Tolerant readers for other people's JSON.
//!
//! Suppliers and platforms send numbers as strings, strings as numbers, `null` where a
//! value is expected, and times in more than one format. These helpers turn all of that
//! into `Option`s instead of failing the whole document, so one odd field never loses an
//! event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The characters of a caller's value an error message may quote back: the first few
/// dozen, and how many more there were. An error that echoes a megabyte back helps no one.
pub fn excerpt(text: &str) -> String {
    const QUOTED_CHARS: usize = 40;
    match text.char_indices().nth(QUOTED_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let more = text[cut..].chars().count();
            format!("{}… ({more} more characters)", &text[..cut])
        }
    }
}

/// A string, a number written as text, or nothing. Empty strings count as nothing.
pub fn opt_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) if text.trim().is_empty() => None,
        Value::String(text) => Some(text),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    })
}

/// Like [`opt_string`], with absent values read as an empty string.
pub fn string_or_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    opt_string(deserializer).map(Option::unwrap_or_default)
}

/// A non-negative integer given as a number or as text; anything else is nothing.
pub fn opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(value_as_u64(&Value::deserialize(deserializer)?))
}

/// Like [`opt_u64`], with absent or unreadable values read as zero.
pub fn u64_or_zero<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    opt_u64(deserializer).map(Option::unwrap_or_default)
}

/// An integer given as a number or as text.
pub fn opt_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    })
}

/// A boolean given as `true`, `1`, `"true"` or `"1"`.
pub fn opt_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(flag) => Some(flag),
        Value::Number(number) => number.as_i64().map(|n| n != 0),
        Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// A decimal number given as a number or as text (thresholds such as `0.8`).
pub fn opt_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    })
}

/// A time in any of the supplier's formats; unreadable times are nothing.
pub fn opt_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(opt_string(deserializer)?.as_deref().and_then(parse_time))
}

/// A list that may also arrive as `null` or as something else entirely.
pub fn vec_or_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

pub fn value_as_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number
            .as_u64()
            .or_else(|| number.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Reads `2024-05-29T18:34:17+0000`, `2025-07-21T10:57:28Z`, RFC 3339 with a colon in the
/// offset, and the same without seconds.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%z",
    ]
    .iter()
    .find_map(|format| DateTime::parse_from_str(text, format).ok())
    .map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_keeps_short_values_and_cuts_long_ones_on_a_character() {
        assert_eq!(excerpt("JP"), "JP");
        let forty = "é".repeat(40);
        assert_eq!(excerpt(&forty), forty);
        let long = format!("{forty}日本語");
        assert_eq!(excerpt(&long), format!("{forty}… (3 more characters)"));
        assert!(excerpt(&"x".repeat(900_000)).len() < 80);
    }

    #[derive(Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "opt_u64")]
        volume: Option<u64>,
        #[serde(default, deserialize_with = "opt_string")]
        code: Option<String>,
        #[serde(default, deserialize_with = "opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "opt_time")]
        at: Option<DateTime<Utc>>,
    }

    #[test]
    fn odd_types_become_options_instead_of_errors() {
        let cases = [
            (
                r#"{"volume": 5368709120, "code": "0", "flag": true}"#,
                Some(5_368_709_120),
                Some("0"),
                Some(true),
            ),
            (
                r#"{"volume": "5368709120", "code": 0, "flag": "1"}"#,
                Some(5_368_709_120),
                Some("0"),
                Some(true),
            ),
            (
                r#"{"volume": null, "code": null, "flag": null}"#,
                None,
                None,
                None,
            ),
            (
                r#"{"volume": {"x": 1}, "code": [], "flag": "maybe"}"#,
                None,
                None,
                None,
            ),
            (
                r#"{"volume": -3, "code": "", "flag": 0}"#,
                None,
                None,
                Some(false),
            ),
            (r#"{}"#, None, None, None),
        ];
        for (json, volume, code, flag) in cases {
            let sample: Sample = serde_json::from_str(json).unwrap();
            assert_eq!(sample.volume, volume, "{json}");
            assert_eq!(sample.code.as_deref(), code, "{json}");
            assert_eq!(sample.flag, flag, "{json}");
        }
    }

    #[test]
    fn supplier_time_formats_all_parse() {
        let expected = "2024-05-29T18:34:17Z";
        for text in [
            "2024-05-29T18:34:17+0000",
            "2024-05-29T18:34:17Z",
            "2024-05-29T20:34:17+02:00",
        ] {
            assert_eq!(
                parse_time(text)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                expected,
                "{text}"
            );
        }
        assert_eq!(
            parse_time("2010-06-30T01:20+00:00").unwrap().to_rfc3339(),
            "2010-06-30T01:20:00+00:00"
        );
        assert!(parse_time("yesterday").is_none());
        let sample: Sample = serde_json::from_str(r#"{"at": "not a time"}"#).unwrap();
        assert!(sample.at.is_none());
    }
}
