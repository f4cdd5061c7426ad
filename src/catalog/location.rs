//! Where a plan works: ISO 3166-1 alpha-2 countries, regional bundles and global plans.
//!
//! The ISO table comes from the `keshvar` crate; only the travel-specific exception ("UK",
//! which ISO reserves but everyone types for Great Britain) is ours.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 3166-1 alpha-2 country code, upper case and known to the ISO table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The country's everyday name in a language (ISO 639-1 code, "en" for English), as
    /// people write it ("South Korea", "Corea del Sur"); the ISO short name when no
    /// translation is known.
    pub fn name_in(&self, language: &str) -> String {
        let Ok(alpha2) = keshvar::Alpha2::try_from(self.as_str()) else {
            return self.as_str().to_owned();
        };
        let country = alpha2.to_country();
        let translations = country.translations();
        translations
            .get(language)
            .or_else(|| translations.get("en"))
            .map(|name| (*name).to_owned())
            .unwrap_or_else(|| country.iso_short_name().to_owned())
    }

    /// The country's English short name from the ISO table.
    pub fn english_name(&self) -> String {
        keshvar::Alpha2::try_from(self.as_str())
            .map(|alpha2| alpha2.to_country().iso_short_name().to_owned())
            .unwrap_or_else(|_| self.as_str().to_owned())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidLocation {
    #[error("{0:?} is not an ISO 3166-1 alpha-2 country code, \"!RG\" or \"!GL\"")]
    Unknown(String),
}

impl FromStr for CountryCode {
    type Err = InvalidLocation;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let upper = text.trim().to_ascii_uppercase();
        // "UK" is exceptionally reserved by ISO for the United Kingdom, whose code is GB.
        let upper = if upper == "UK" {
            "GB".to_owned()
        } else {
            upper
        };
        if upper.len() != 2 || keshvar::Alpha2::try_from(upper.as_str()).is_err() {
            return Err(InvalidLocation::Unknown(crate::wire::excerpt(text)));
        }
        let bytes = upper.as_bytes();
        Ok(CountryCode([bytes[0], bytes[1]]))
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code equals its text, so lists of codes read plainly in comparisons.
impl PartialEq<&str> for CountryCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a catalog search asks for, in the supplier's vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LocationCode {
    Country(CountryCode),
    /// `!RG`: every multi-country regional bundle.
    Regional,
    /// `!GL`: plans that work (almost) everywhere.
    Global,
}

impl LocationCode {
    /// The code as the supplier expects it in `package/list`.
    pub fn as_supplier_code(&self) -> &str {
        match self {
            LocationCode::Country(code) => code.as_str(),
            LocationCode::Regional => "!RG",
            LocationCode::Global => "!GL",
        }
    }
}

impl FromStr for LocationCode {
    type Err = InvalidLocation;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_uppercase().as_str() {
            "!RG" => Ok(LocationCode::Regional),
            "!GL" => Ok(LocationCode::Global),
            _ => text.parse().map(LocationCode::Country),
        }
    }
}

impl fmt::Display for LocationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_supplier_code())
    }
}

/// Reads the supplier's `location` field, a comma list such as `"MX,US,CA"`, keeping the
/// codes the ISO table knows. Unknown entries are dropped rather than failing the whole
/// package, because the supplier's lists carry the odd non-ISO code.
pub fn parse_country_list(list: &str) -> Vec<CountryCode> {
    let mut codes: Vec<CountryCode> = list
        .split([',', ';', '/'])
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_accept_any_case_and_uk() {
        let cases = [
            ("jp", "JP"),
            ("Jp", "JP"),
            ("UK", "GB"),
            ("uk", "GB"),
            (" de ", "DE"),
        ];
        for (input, expected) in cases {
            let code: CountryCode = input.parse().unwrap();
            assert_eq!(code.as_str(), expected, "{input:?}");
        }
    }

    #[test]
    fn unknown_codes_are_rejected_with_the_input_in_the_message() {
        for input in ["XX", "JPN", "", "1A", "!ZZ"] {
            let error = input.parse::<LocationCode>().unwrap_err();
            assert!(error.to_string().contains(&format!("{input:?}")), "{error}");
        }
    }

    #[test]
    fn regional_and_global_filters_parse() {
        assert_eq!("!rg".parse(), Ok(LocationCode::Regional));
        assert_eq!("!GL".parse(), Ok(LocationCode::Global));
        assert_eq!(
            "GL".parse::<LocationCode>().unwrap().as_supplier_code(),
            "GL",
            "GL is Greenland, not the global filter"
        );
    }

    #[test]
    fn supplier_location_lists_are_split_sorted_and_cleaned() {
        let codes = parse_country_list("MX,US,CA,,zz-9, us");
        let text: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        assert_eq!(text, ["CA", "MX", "US"]);
    }

    #[test]
    fn english_names_come_from_the_iso_table() {
        let japan: CountryCode = "JP".parse().unwrap();
        assert_eq!(japan.english_name(), "Japan");
    }
}
