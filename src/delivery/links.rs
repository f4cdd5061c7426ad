//! One-tap install links: on the phone that bought the eSIM, tapping one opens the
//! system's eSIM setup with the activation code already filled in.
//!
//! Apple and Google each host a page that takes the activation code in its `carddata`
//! query parameter. A phone whose system does not handle the link just opens the page in a
//! browser, which is why the QR code and the manual fields are sent as well.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Apple's eSIM setup page, up to the start of the activation code.
const IOS_PREFIX: &str = "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=";

/// Google's eSIM setup page, up to the start of the activation code.
const ANDROID_PREFIX: &str = "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=";

/// Everything except the RFC 3986 unreserved characters. `$`, `:` and `+` are encoded too,
/// so no URL parser, chat app or link detector along the way can change their meaning.
const CARD_DATA: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The install links for one activation code, one per phone platform.
///
/// Both carry the activation code, so they are secrets like it: `Debug` prints neither.
#[derive(Clone, PartialEq, Eq)]
pub struct InstallLinks {
    /// Opens eSIM setup on an iPhone.
    pub ios: String,
    /// Opens eSIM setup on an Android phone.
    pub android: String,
}

/// Builds the install links for an activation string, which goes into both links unchanged
/// (percent-encoded).
pub fn install_links(activation: &str) -> InstallLinks {
    let card_data = utf8_percent_encode(activation, CARD_DATA).to_string();

    InstallLinks {
        ios: format!("{IOS_PREFIX}{card_data}"),
        android: format!("{ANDROID_PREFIX}{card_data}"),
    }
}

impl fmt::Debug for InstallLinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstallLinks").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use percent_encoding::percent_decode_str;

    use super::*;

    /// The decoded `carddata` of a link, after checking the link starts with `prefix`.
    fn card_data(link: &str, prefix: &str) -> String {
        let encoded = link
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{link} does not start with {prefix}"));

        percent_decode_str(encoded)
            .decode_utf8()
            .expect("card data is utf-8")
            .into_owned()
    }

    #[test]
    fn both_links_carry_the_exact_activation_string() {
        let cases = [
            "LPA:1$rsp-eu.example-sm-dp.com$5A1F0C3B9E7D42A6B8C1D0E2F3A4B5C6",
            "LPA:1$smdp.example.net$K2-1ABCD-XYZ9$1.3.6.1.4.1.31746$1",
            "LPA:1$smdp.example.net$$",
            "LPA:1$smdp.example.net$a+b/c=d?e&f#g%h i~j",
            " lpa:1$smdp.example.net$token ",
            "",
        ];

        for activation in cases {
            let links = install_links(activation);

            assert_eq!(card_data(&links.ios, IOS_PREFIX), activation);
            assert_eq!(card_data(&links.android, ANDROID_PREFIX), activation);
        }
    }

    #[test]
    fn only_unreserved_characters_are_left_unencoded() {
        let links = install_links("LPA:1$smdp.example.net$A-b_c.d~e+f/g");

        assert_eq!(
            links.ios,
            "https://esimsetup.apple.com/esim_qrcode_provisioning\
             ?carddata=LPA%3A1%24smdp.example.net%24A-b_c.d~e%2Bf%2Fg"
        );
        assert_eq!(
            links.android,
            "https://esimsetup.android.com/esim_qrcode_provisioning\
             ?carddata=LPA%3A1%24smdp.example.net%24A-b_c.d~e%2Bf%2Fg"
        );
    }

    #[test]
    fn debug_output_hides_the_links() {
        let links = install_links("LPA:1$smdp.example.net$SECRET-TOKEN-42");

        let debug = format!("{links:?}");

        assert!(!debug.contains("SECRET"), "{debug}");
    }
}
