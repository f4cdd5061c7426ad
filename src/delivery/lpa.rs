//! The eSIM activation code: the string a phone needs to download its profile.
//!
//! GSMA SGP.22 writes it as
//! `LPA:1$<SM-DP+ address>$<matching id>[$<SM-DP+ OID>[$<confirmation code required flag>]]`.
//! Suppliers pass it on with small liberties (a lowercase prefix, whitespace around it, empty
//! or missing trailing fields, a final `$`), so the parser accepts those and refuses only text
//! that is not an activation code at all.
//!
//! The matching id is a secret: whoever holds it can install the eSIM. Nothing here prints it,
//! and the `Debug` of [`ActivationCode`] hides it.

use std::fmt;
use std::str::FromStr;

/// The scheme prefix every activation code starts with, compared without regard to case.
const PREFIX: &str = "LPA:";

/// The only activation code format SGP.22 defines so far.
const SUPPORTED_VERSION: &str = "1";

/// The value of the last field that asks the phone for a confirmation code.
const CONFIRMATION_REQUIRED: &str = "1";

/// An activation code, split into the fields a traveller may have to type by hand.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivationCode {
    /// The host of the SM-DP+ server the phone downloads the profile from; the
    /// "SM-DP+ address" of a manual install.
    pub smdp_address: String,
    /// The token that names this profile on the SM-DP+; the "activation code" of a manual
    /// install. Absent when the SM-DP+ identifies the phone by its EID instead.
    pub matching_id: Option<String>,
    /// The SM-DP+ object identifier, which phones use to check the server's certificate.
    pub oid: Option<String>,
    /// Whether the phone must also ask the traveller for a confirmation code.
    pub confirmation_code_required: bool,
}

/// Why a string was not accepted as an activation code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LpaError {
    /// The text does not start with `LPA:`, so it is not an activation code.
    #[error("activation code does not start with LPA:")]
    MissingPrefix,
    /// A format other than `1`, which this parser cannot read safely.
    #[error("activation code has an unsupported format version")]
    UnsupportedVersion,
    /// The SM-DP+ address is missing or empty, so there is nowhere to download from.
    #[error("activation code has no sm-dp+ address")]
    MissingAddress,
}

impl ActivationCode {
    /// Reads an activation code, tolerating whitespace, case and empty or extra fields.
    pub fn parse(text: &str) -> Result<Self, LpaError> {
        let text = text.trim();
        let body = text
            .get(..PREFIX.len())
            .filter(|prefix| prefix.eq_ignore_ascii_case(PREFIX))
            .map(|_| &text[PREFIX.len()..])
            .ok_or(LpaError::MissingPrefix)?;

        let mut fields = body.split('$').map(str::trim);
        if fields.next() != Some(SUPPORTED_VERSION) {
            return Err(LpaError::UnsupportedVersion);
        }
        let smdp_address = non_empty(fields.next()).ok_or(LpaError::MissingAddress)?;
        let matching_id = non_empty(fields.next());
        let oid = non_empty(fields.next());
        let confirmation_code_required = fields.next() == Some(CONFIRMATION_REQUIRED);

        // Fields after the fifth are ignored, so a later revision of the format still
        // yields the parts a phone needs today.
        Ok(Self {
            smdp_address,
            matching_id,
            oid,
            confirmation_code_required,
        })
    }

    /// The canonical string, `LPA:1$address$matching id` plus only the optional fields that
    /// carry something. This is a secret: put it in front of the traveller, never in a log.
    pub fn to_lpa_string(&self) -> String {
        let mut text = format!(
            "{PREFIX}{SUPPORTED_VERSION}${}${}",
            self.smdp_address,
            self.matching_id.as_deref().unwrap_or_default()
        );
        if self.oid.is_some() || self.confirmation_code_required {
            text.push('$');
            text.push_str(self.oid.as_deref().unwrap_or_default());
        }
        if self.confirmation_code_required {
            text.push('$');
            text.push_str(CONFIRMATION_REQUIRED);
        }
        text
    }
}

impl FromStr for ActivationCode {
    type Err = LpaError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Debug for ActivationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivationCode")
            .field("smdp_address", &self.smdp_address)
            .field(
                "matching_id",
                &self.matching_id.as_ref().map(|_| "[redacted]"),
            )
            .field("oid", &self.oid)
            .field(
                "confirmation_code_required",
                &self.confirmation_code_required,
            )
            .finish()
    }
}

fn non_empty(field: Option<&str>) -> Option<String> {
    field.filter(|field| !field.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of a parsed code, in the order of the string, for table comparisons.
    type Fields<'a> = (&'a str, Option<&'a str>, Option<&'a str>, bool);

    fn fields(code: &ActivationCode) -> Fields<'_> {
        (
            &code.smdp_address,
            code.matching_id.as_deref(),
            code.oid.as_deref(),
            code.confirmation_code_required,
        )
    }

    #[test]
    fn well_formed_and_loosely_formed_codes_are_read() {
        let cases: &[(&str, Fields)] = &[
            // Shaped like the supplier's `ac` field.
            (
                "LPA:1$rsp-eu.example-sm-dp.com$5A1F0C3B9E7D42A6B8C1D0E2F3A4B5C6",
                (
                    "rsp-eu.example-sm-dp.com",
                    Some("5A1F0C3B9E7D42A6B8C1D0E2F3A4B5C6"),
                    None,
                    false,
                ),
            ),
            (
                "LPA:1$smdp.example.net$K2-1ABCD-XYZ9$1.3.6.1.4.1.31746$1",
                (
                    "smdp.example.net",
                    Some("K2-1ABCD-XYZ9"),
                    Some("1.3.6.1.4.1.31746"),
                    true,
                ),
            ),
            (
                "LPA:1$smdp.example.net$TOKEN$1.3.6.1.4.1.31746",
                (
                    "smdp.example.net",
                    Some("TOKEN"),
                    Some("1.3.6.1.4.1.31746"),
                    false,
                ),
            ),
            (
                "LPA:1$smdp.example.net$TOKEN$$1",
                ("smdp.example.net", Some("TOKEN"), None, true),
            ),
            (
                "LPA:1$smdp.example.net$TOKEN$1.2.3$0",
                ("smdp.example.net", Some("TOKEN"), Some("1.2.3"), false),
            ),
            (
                "lpa:1$smdp.example.net$token",
                ("smdp.example.net", Some("token"), None, false),
            ),
            (
                "Lpa:1$smdp.example.net$TOKEN",
                ("smdp.example.net", Some("TOKEN"), None, false),
            ),
            (
                "  \tLPA:1$smdp.example.net$TOKEN\r\n",
                ("smdp.example.net", Some("TOKEN"), None, false),
            ),
            (
                "LPA: 1 $ smdp.example.net $ TOKEN ",
                ("smdp.example.net", Some("TOKEN"), None, false),
            ),
            (
                "LPA:1$smdp.example.net$TOKEN$",
                ("smdp.example.net", Some("TOKEN"), None, false),
            ),
            (
                "LPA:1$smdp.example.net$$",
                ("smdp.example.net", None, None, false),
            ),
            (
                "LPA:1$smdp.example.net$",
                ("smdp.example.net", None, None, false),
            ),
            (
                "LPA:1$smdp.example.net",
                ("smdp.example.net", None, None, false),
            ),
            (
                "LPA:1$smdp.example.net$$$$",
                ("smdp.example.net", None, None, false),
            ),
            (
                "LPA:1$smdp.example.net$TOKEN$1.2.3$1$future$fields",
                ("smdp.example.net", Some("TOKEN"), Some("1.2.3"), true),
            ),
            (
                "LPA:1$10.0.0.7:8443$TOKEN",
                ("10.0.0.7:8443", Some("TOKEN"), None, false),
            ),
        ];

        for (text, expected) in cases {
            let code = ActivationCode::parse(text)
                .unwrap_or_else(|error| panic!("{text:?} was refused: {error}"));

            assert_eq!(fields(&code), *expected, "{text:?}");
        }
    }

    #[test]
    fn text_that_is_not_an_activation_code_is_refused() {
        let cases: &[(&str, LpaError)] = &[
            ("", LpaError::MissingPrefix),
            ("   ", LpaError::MissingPrefix),
            ("1$smdp.example.net$TOKEN", LpaError::MissingPrefix),
            ("LPA1$smdp.example.net$TOKEN", LpaError::MissingPrefix),
            ("https://smdp.example.net/TOKEN", LpaError::MissingPrefix),
            ("xLPA:1$smdp.example.net$TOKEN", LpaError::MissingPrefix),
            ("LP", LpaError::MissingPrefix),
            ("LPA€1$smdp.example.net$TOKEN", LpaError::MissingPrefix),
            ("LPA:", LpaError::UnsupportedVersion),
            ("LPA:$smdp.example.net$TOKEN", LpaError::UnsupportedVersion),
            ("LPA:2$smdp.example.net$TOKEN", LpaError::UnsupportedVersion),
            (
                "LPA:01$smdp.example.net$TOKEN",
                LpaError::UnsupportedVersion,
            ),
            ("LPA:smdp.example.net$TOKEN", LpaError::UnsupportedVersion),
            ("LPA:1", LpaError::MissingAddress),
            ("LPA:1$", LpaError::MissingAddress),
            ("LPA:1$$TOKEN", LpaError::MissingAddress),
            ("LPA:1$   $TOKEN", LpaError::MissingAddress),
        ];

        for (text, expected) in cases {
            assert_eq!(ActivationCode::parse(text), Err(*expected), "{text:?}");
        }
    }

    #[test]
    fn the_canonical_string_reads_back_as_the_same_code() {
        let cases = [
            "LPA:1$smdp.example.net$TOKEN",
            "LPA:1$smdp.example.net$",
            "LPA:1$smdp.example.net$TOKEN$1.2.3",
            "LPA:1$smdp.example.net$TOKEN$$1",
            "LPA:1$smdp.example.net$$1.2.3$1",
        ];

        for text in cases {
            let code = ActivationCode::parse(text).unwrap();

            let canonical = code.to_lpa_string();

            assert_eq!(canonical, text);
            assert_eq!(canonical.parse::<ActivationCode>(), Ok(code));
        }
    }

    #[test]
    fn a_loose_code_is_written_back_in_canonical_form() {
        let code = ActivationCode::parse(" lpa:1$smdp.example.net$TOKEN$$0$extra$ ").unwrap();

        assert_eq!(code.to_lpa_string(), "LPA:1$smdp.example.net$TOKEN");
    }

    #[test]
    fn debug_output_hides_the_matching_id() {
        let code = ActivationCode::parse("LPA:1$smdp.example.net$SECRET-TOKEN-42").unwrap();

        let debug = format!("{code:?}");

        assert!(!debug.contains("SECRET-TOKEN-42"), "{debug}");
        assert!(debug.contains("smdp.example.net"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::damage::config;

        /// A field as a supplier writes one: no `$` (the separator) and no whitespace at its
        /// ends (which the parser trims).
        fn field() -> impl Strategy<Value = String> {
            "[A-Za-z0-9.:_-][A-Za-z0-9.:_ -]{0,30}[A-Za-z0-9.:_-]|[A-Za-z0-9.:_-]"
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_text_is_read_or_refused_without_panicking(text in any::<String>()) {
                let _ = ActivationCode::parse(&text);
            }

            #[test]
            fn text_after_the_prefix_is_read_or_refused_without_panicking(
                rest in r"[$1 \t\PC]{0,40}",
                prefix in "(?i:lpa:)",
            ) {
                let _ = ActivationCode::parse(&format!("{prefix}{rest}"));
            }

            #[test]
            fn a_code_built_from_its_parts_reads_back_as_those_parts(
                smdp_address in field(),
                matching_id in proptest::option::of(field()),
                oid in proptest::option::of(field()),
                confirmation_code_required in any::<bool>(),
            ) {
                let code = ActivationCode {
                    smdp_address,
                    matching_id,
                    oid,
                    confirmation_code_required,
                };

                let read = ActivationCode::parse(&code.to_lpa_string());

                prop_assert_eq!(read, Ok(code));
            }

            #[test]
            fn whatever_is_read_is_written_back_to_a_string_that_reads_the_same(
                text in r"(?i:lpa:)[ ]?1[ ]?(\$[A-Za-z0-9. -]{0,12}){0,6}",
            ) {
                if let Ok(code) = ActivationCode::parse(&text) {
                    let canonical = code.to_lpa_string();

                    prop_assert_eq!(ActivationCode::parse(&canonical), Ok(code.clone()));
                    prop_assert_eq!(code.to_lpa_string(), canonical);
                }
            }
        }
    }
}
