//! Money as an integer count of 1/10,000 US dollar, the supplier's own unit.
//!
//! Prices are added, multiplied by quantities and marked up; floats would drift by a
//! fraction of a cent somewhere along that path, so no price is ever a float. The public
//! API shows prices as decimal strings ("6.84") produced from the integer.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Mul};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Units of 1/10,000 USD per dollar, as in eSIM Access (`10000` = $1.00).
const UNITS_PER_DOLLAR: i64 = 10_000;
/// Units per cent: retail prices are rounded to whole cents.
const UNITS_PER_CENT: i64 = 100;

/// An amount of US dollars held as an integer of 1/10,000 USD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// Wraps a count in the supplier's unit (1/10,000 USD).
    pub const fn from_units(units: i64) -> Self {
        Money(units)
    }

    /// Whole cents, for payment providers that count in cents.
    pub const fn from_cents(cents: i64) -> Self {
        Money(cents * UNITS_PER_CENT)
    }

    pub const fn units(self) -> i64 {
        self.0
    }

    /// The amount in whole cents, for payment providers that count in cents; `None` when
    /// it holds a fraction of a cent, which no provider could charge exactly.
    pub const fn cents(self) -> Option<i64> {
        if self.0 % UNITS_PER_CENT == 0 {
            Some(self.0 / UNITS_PER_CENT)
        } else {
            None
        }
    }

    /// This price raised by `percent`, rounded half-up to a whole cent, because a price
    /// shown to a buyer with fractions of a cent would be odd and unpayable.
    pub fn with_margin(self, percent: u32) -> Self {
        let raised = i128::from(self.0) * i128::from(100 + percent);
        let cents = (raised + 50 * i128::from(UNITS_PER_CENT)) / (100 * i128::from(UNITS_PER_CENT));
        Money(i64::try_from(cents).unwrap_or(i64::MAX / UNITS_PER_CENT) * UNITS_PER_CENT)
    }

    pub fn checked_mul(self, factor: u32) -> Option<Self> {
        self.0.checked_mul(i64::from(factor)).map(Money)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Mul<u32> for Money {
    type Output = Money;
    fn mul(self, rhs: u32) -> Money {
        Money(self.0.saturating_mul(i64::from(rhs)))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

/// Dollars with two decimals when the amount is whole cents, four otherwise.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let dollars = abs / UNITS_PER_DOLLAR as u64;
        let fraction = abs % UNITS_PER_DOLLAR as u64;
        if fraction.is_multiple_of(UNITS_PER_CENT as u64) {
            write!(f, "{sign}{dollars}.{:02}", fraction / UNITS_PER_CENT as u64)
        } else {
            write!(f, "{sign}{dollars}.{fraction:04}")
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a dollar amount with at most four decimals: {0:?}")]
pub struct InvalidMoney(String);

/// Parses "12", "12.5", "12.50" or "0.0125" as dollars, exactly.
impl FromStr for Money {
    type Err = InvalidMoney;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidMoney(text.to_owned());
        let (negative, digits) = match text.trim().strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.trim()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 4 {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction: i64 = format!("{fraction:0<4}").parse().map_err(|_| invalid())?;
        let units = whole
            .checked_mul(UNITS_PER_DOLLAR)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(invalid)?;
        Ok(Money(if negative { -units } else { units }))
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Accepts a decimal string ("6.84") or a JSON number (6.84). A number is read through
/// its shortest decimal text, so 6.84 means exactly 6.84 and never 6.8399999.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Text(String),
            Integer(i64),
            Number(f64),
        }
        let text = match Wire::deserialize(deserializer)? {
            Wire::Text(text) => text,
            Wire::Integer(whole) => whole.to_string(),
            Wire::Number(number) => number.to_string(),
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_rounds_half_up_to_whole_cents() {
        let cases = [
            (57_000, 20, 68_400), // $5.70 + 20% = $6.84
            (15_000, 20, 18_000),
            (12_345, 20, 14_800), // $1.4814 -> $1.48
            (12_375, 20, 14_900), // $1.485 -> $1.49
            (10_000, 0, 10_000),
            (1, 20, 0),
        ];
        for (cost, percent, expected) in cases {
            assert_eq!(
                Money::from_units(cost).with_margin(percent),
                Money::from_units(expected),
                "{cost} + {percent}%"
            );
        }
    }

    #[test]
    fn display_shows_cents_or_four_decimals() {
        assert_eq!(Money::from_units(68_400).to_string(), "6.84");
        assert_eq!(Money::from_units(10_000).to_string(), "1.00");
        assert_eq!(Money::from_units(125).to_string(), "0.0125");
        assert_eq!(Money::from_units(-500).to_string(), "-0.05");
    }

    #[test]
    fn parsing_is_exact_and_rejects_junk() {
        assert_eq!("6.84".parse(), Ok(Money::from_units(68_400)));
        assert_eq!("12".parse(), Ok(Money::from_units(120_000)));
        assert_eq!("0.0125".parse(), Ok(Money::from_units(125)));
        for junk in [
            "",
            ".5",
            "1.23456",
            "abc",
            "1,50",
            "1e3",
            "99999999999999999",
        ] {
            assert!(
                junk.parse::<Money>().is_err(),
                "{junk:?} should be rejected"
            );
        }
    }

    #[test]
    fn json_numbers_and_strings_both_deserialize_exactly() {
        let from_number: Money = serde_json::from_str("6.84").unwrap();
        let from_string: Money = serde_json::from_str("\"6.84\"").unwrap();
        let from_integer: Money = serde_json::from_str("7").unwrap();
        assert_eq!(from_number, Money::from_units(68_400));
        assert_eq!(from_string, from_number);
        assert_eq!(from_integer, Money::from_units(70_000));
        assert_eq!(serde_json::to_string(&from_number).unwrap(), "\"6.84\"");
    }
}
