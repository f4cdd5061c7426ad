//! Numbers written in words by scripts without spaces: Han numerals ("三", "十五",
//! "二十", "两三"), Thai digits and number words ("๕", "สอง", "สิบห้า"), and the two Korean
//! counting systems ("이" in "이주일", "한" in "한 달").
//!
//! Each reader looks at the start of a piece of text and returns the value with the number
//! of bytes it used, so that [`super::amounts`] can look for a unit right after it.

/// A number at the start of a text: its value and its length in bytes.
pub(super) type Numeral = (u32, usize);

/// Largest value read; a trip is never longer than this many units.
const MAX_VALUE: u32 = 999;

/// Han digits, shared by Chinese and Japanese; 两, 兩, 俩 and 倆 are the counting "two".
fn han_digit(c: char) -> Option<u32> {
    let digit = match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' | '两' | '兩' | '俩' | '倆' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    };
    Some(digit)
}

fn han_multiplier(c: char) -> Option<u32> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        _ => None,
    }
}

/// "三" is 3, "十五" 15, "二十" 20, "一百二十" 120; two digits side by side are a range and
/// keep the larger ("两三天", two or three days).
pub(super) fn han_at(text: &str) -> Option<Numeral> {
    positional_at(text, han_digit, han_multiplier, true)
}

/// Sino-Korean digits ("일", "이", "삼"): they count weeks ("이주일") and months ("삼개월").
/// Two digits side by side are no range here: "일" is also the day ("십오일", fifteen days).
pub(super) fn sino_korean_at(text: &str) -> Option<Numeral> {
    let digit = |c: char| {
        let digit = match c {
            '영' | '공' => 0,
            '일' => 1,
            '이' => 2,
            '삼' => 3,
            '사' => 4,
            '오' => 5,
            '육' => 6,
            '칠' => 7,
            '팔' => 8,
            '구' => 9,
            _ => return None,
        };
        Some(digit)
    };
    let multiplier = |c: char| match c {
        '십' => Some(10),
        '백' => Some(100),
        _ => None,
    };
    positional_at(text, digit, multiplier, false)
}

/// Digits and multipliers read the Chinese way: a multiplier takes the digit before it (or
/// one), and what is left over is added. With `ranges`, a digit after a digit makes a range
/// whose larger end is kept; without, it ends the number.
fn positional_at(
    text: &str,
    digit_of: impl Fn(char) -> Option<u32>,
    multiplier_of: impl Fn(char) -> Option<u32>,
    ranges: bool,
) -> Option<Numeral> {
    let mut total = 0u32;
    let mut pending: Option<u32> = None;
    let mut len = 0;
    for c in text.chars() {
        if let Some(digit) = digit_of(c) {
            pending = match pending {
                None => Some(digit),
                Some(before) if ranges => Some(before.max(digit)),
                Some(_) => break,
            };
        } else if let Some(multiplier) = multiplier_of(c) {
            total = total.saturating_add(pending.take().unwrap_or(1).saturating_mul(multiplier));
        } else {
            break;
        }
        len += c.len_utf8();
    }
    let value = total.saturating_add(pending.unwrap_or(0));
    (len > 0 && (1..=MAX_VALUE).contains(&value)).then_some((value, len))
}

/// Native Korean numbers, which count months ("한 달", "두 달") and weeks ("한 주").
const NATIVE_KOREAN: &[(&str, u32)] = &[
    ("다섯", 5),
    ("여섯", 6),
    ("일곱", 7),
    ("여덟", 8),
    ("아홉", 9),
    ("열한", 11),
    ("열두", 12),
    ("하나", 1),
    ("한", 1),
    ("두", 2),
    ("둘", 2),
    ("세", 3),
    ("셋", 3),
    ("네", 4),
    ("넷", 4),
    ("열", 10),
];

/// A native Korean number at the start of `text`, longest form first.
pub(super) fn native_korean_at(text: &str) -> Option<Numeral> {
    NATIVE_KOREAN
        .iter()
        .find(|(word, _)| text.starts_with(word))
        .map(|(word, value)| (*value, word.len()))
}

/// Thai number words; "ยี่" is two only before "สิบ" and "เอ็ด" one only after it.
const THAI_DIGITS: &[(&str, u32)] = &[
    ("หนึ่ง", 1),
    ("สอง", 2),
    ("สาม", 3),
    ("สี่", 4),
    ("ห้า", 5),
    ("หก", 6),
    ("เจ็ด", 7),
    ("แปด", 8),
    ("เก้า", 9),
];

/// Thai digits ("๑๔") or number words ("สอง", "สิบห้า", "ยี่สิบเอ็ด").
pub(super) fn thai_at(text: &str) -> Option<Numeral> {
    let digits: String = text
        .chars()
        .take_while(|c| ('๐'..='๙').contains(c))
        .collect();
    if !digits.is_empty() {
        let mut value = 0u32;
        for c in digits.chars() {
            value = value
                .saturating_mul(10)
                .saturating_add(c as u32 - '๐' as u32);
        }
        return (1..=MAX_VALUE)
            .contains(&value)
            .then_some((value, digits.len()));
    }

    let mut rest = text;
    let mut tens = 0;
    let mut units = None;
    if let Some(after) = rest.strip_prefix("ยี่สิบ") {
        tens = 2;
        rest = after;
    } else {
        if let Some((word, value)) = THAI_DIGITS.iter().find(|(word, _)| rest.starts_with(word)) {
            units = Some(*value);
            rest = &rest[word.len()..];
        }
        if let Some(after) = rest.strip_prefix("สิบ") {
            tens = units.take().unwrap_or(1);
            rest = after;
        }
    }
    if tens > 0 {
        if let Some(after) = rest.strip_prefix("เอ็ด") {
            units = Some(1);
            rest = after;
        } else if let Some((word, value)) =
            THAI_DIGITS.iter().find(|(word, _)| rest.starts_with(word))
        {
            units = Some(*value);
            rest = &rest[word.len()..];
        }
    }
    let value = tens * 10 + units.unwrap_or(0);
    (value > 0).then_some((value, text.len() - rest.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_numerals_read_the_chinese_way() {
        let cases = [
            ("三天", Some((3, 3))),
            ("十天", Some((10, 3))),
            ("十五天", Some((15, 6))),
            ("二十天", Some((20, 6))),
            ("二十五", Some((25, 9))),
            ("一百二十天", Some((120, 12))),
            ("两周", Some((2, 3))),
            ("兩週", Some((2, 3))),
            ("两三天", Some((3, 6))),
            ("天", None),
            ("零", None),
        ];
        for (text, expected) in cases {
            assert_eq!(han_at(text), expected, "{text:?}");
        }
    }

    #[test]
    fn korean_numerals_read_both_counting_systems() {
        assert_eq!(sino_korean_at("이주일"), Some((2, "이".len())));
        assert_eq!(sino_korean_at("십오일"), Some((15, "십오".len())));
        assert_eq!(native_korean_at("한달"), Some((1, "한".len())));
        assert_eq!(native_korean_at("다섯 달"), Some((5, "다섯".len())));
        assert_eq!(native_korean_at("달"), None);
    }

    #[test]
    fn thai_numbers_read_digits_and_words() {
        let cases = [
            ("๕วัน", Some((5, "๕".len()))),
            ("๑๔วัน", Some((14, "๑๔".len()))),
            ("สองสัปดาห์", Some((2, "สอง".len()))),
            ("สิบวัน", Some((10, "สิบ".len()))),
            ("สิบห้าวัน", Some((15, "สิบห้า".len()))),
            ("ยี่สิบเอ็ดวัน", Some((21, "ยี่สิบเอ็ด".len()))),
            ("วัน", None),
        ];
        for (text, expected) in cases {
            assert_eq!(thai_at(text), expected, "{text:?}");
        }
    }
}
