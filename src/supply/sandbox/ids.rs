//! Identifiers the sandbox mints, shaped like the real supplier's: order and eSIM numbers,
//! ICCIDs with a valid Luhn digit, activation codes, notify ids, and its time format.
//!
//! Everything random comes from one seeded generator, so a run with the same seed and the
//! same calls mints the same identifiers (order and eSIM numbers also carry the time).

use chrono::{DateTime, Utc};

/// The host in activation codes and QR links: reserved for examples, so never routable.
pub(super) const SANDBOX_HOST: &str = "sandbox.bino.example";

/// A small seeded generator (SplitMix64). It is ours rather than `rand`'s so that the
/// sequence for a seed can never change under a dependency upgrade.
#[derive(Clone, Debug)]
pub(super) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(super) fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `count` decimal digits, leading zeros included.
    pub(super) fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| char::from(b'0' + (self.next_u64() % 10) as u8))
            .collect()
    }

    /// 32 lower-case hex digits, the shape of the supplier's notify ids and QR file names.
    pub(super) fn hex32(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

/// The Luhn check digit that completes `payload` (digits only).
pub(super) fn luhn_check_digit(payload: &str) -> char {
    // Counting from the right of the payload, every first, third, ... digit is doubled,
    // because the check digit will take the rightmost place.
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| luhn_term(u32::from(byte - b'0'), position % 2 == 0))
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// Whether `number` (digits only, check digit last) passes the Luhn check.
#[cfg(test)]
pub(super) fn is_luhn_valid(number: &str) -> bool {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| luhn_term(u32::from(byte - b'0'), position % 2 == 1))
        .sum();
    sum.is_multiple_of(10)
}

fn luhn_term(digit: u32, doubled: bool) -> u32 {
    match (doubled, digit * 2) {
        (false, _) => digit,
        (true, twice) if twice > 9 => twice - 9,
        (true, twice) => twice,
    }
}

/// A 19-digit ICCID: telecom prefix 89, a Hong Kong issuer as on many of the supplier's
/// profiles, a random serial and the Luhn digit.
pub(super) fn iccid(rng: &mut SplitMix64) -> String {
    let payload = format!("8985200{}", rng.digits(11));
    let check = luhn_check_digit(&payload);
    format!("{payload}{check}")
}

/// An eUICC id as a phone reports it when it downloads the profile.
pub(super) fn eid(rng: &mut SplitMix64) -> String {
    format!("89049032{}", rng.digits(24))
}

/// The LPA string a phone scans: `LPA:1$<SM-DP+ host>$<matching id>`.
pub(super) fn activation_code(rng: &mut SplitMix64) -> String {
    format!(
        "LPA:1$rsp.{SANDBOX_HOST}${}",
        rng.hex32().to_ascii_uppercase()
    )
}

/// The QR image link and its short form, as the supplier pairs them.
pub(super) fn qr_links(rng: &mut SplitMix64) -> (String, String) {
    let name = rng.hex32();
    (
        format!("https://{SANDBOX_HOST}/qr/{name}.png"),
        format!("https://{SANDBOX_HOST}/qr/{name}"),
    )
}

/// The 14 digits the supplier uses for both order and eSIM numbers: the minute of
/// creation (`yyMMddHHmm`) followed by a 4-digit sequence.
pub(super) fn minute_number(now: DateTime<Utc>, sequence: u64) -> String {
    format!("{}{:04}", now.format("%y%m%d%H%M"), sequence % 10_000)
}

/// `2025-07-21T10:57:28+0000`: the supplier's usual format, with no colon in the offset.
pub(super) fn supplier_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_digits_match_known_numbers() {
        let valid = [
            "79927398713",
            "8943108170003131575",
            "89852000263320905385",
            "89852245280001354019",
        ];
        for number in valid {
            assert!(is_luhn_valid(number), "{number}");
            let (payload, check) = number.split_at(number.len() - 1);
            assert_eq!(luhn_check_digit(payload).to_string(), check, "{number}");
        }
        for number in ["79927398710", "8943108170003131576", "", "89x5"] {
            assert!(!is_luhn_valid(number), "{number:?}");
        }
    }

    #[test]
    fn minted_iccids_are_19_digits_from_89_and_pass_luhn() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..500 {
            let iccid = iccid(&mut rng);
            assert_eq!(iccid.len(), 19, "{iccid}");
            assert!(iccid.starts_with("89"), "{iccid}");
            assert!(is_luhn_valid(&iccid), "{iccid}");
        }
    }

    #[test]
    fn the_same_seed_mints_the_same_identifiers() {
        let mint = |seed| {
            let mut rng = SplitMix64::new(seed);
            (
                iccid(&mut rng),
                activation_code(&mut rng),
                qr_links(&mut rng),
                rng.hex32(),
            )
        };
        assert_eq!(mint(42), mint(42));
        assert_ne!(mint(42), mint(43));
    }

    #[test]
    fn activation_codes_are_lpa_strings_with_an_upper_hex_matching_id() {
        let code = activation_code(&mut SplitMix64::new(1));
        let matching_id = code
            .strip_prefix("LPA:1$rsp.sandbox.bino.example$")
            .unwrap();
        assert_eq!(matching_id.len(), 32);
        assert!(
            matching_id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
    }

    #[test]
    fn times_and_numbers_are_written_like_the_suppliers() {
        let time = DateTime::parse_from_rfc3339("2025-07-21T10:57:28Z")
            .unwrap()
            .to_utc();
        assert_eq!(supplier_time(time), "2025-07-21T10:57:28+0000");
        assert_eq!(minute_number(time, 4), "25072110570004");
        assert_eq!(minute_number(time, 10_007), "25072110570007");
    }
}
