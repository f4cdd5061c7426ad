//! `Bino-Signature`: how a receiver knows a delivery came from Bino and was not replayed.
//!
//! The header is `t=<unix seconds>,v1=<hex HMAC-SHA256>`, the MAC taken with the
//! subscriber's secret over `<t>.<body>`: the timestamp as sent, a full stop, and the body
//! bytes exactly as sent. A receiver recomputes it, compares in constant time and refuses
//! timestamps too far from its clock, so a captured delivery cannot be replayed later.
//! Several `v1=` values may appear (one per secret while a secret is rotated); any match
//! counts.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The name of the signature header.
pub const SIGNATURE_HEADER: &str = "bino-signature";
/// The name of the header carrying the event's id, for receivers to deduplicate by.
pub const EVENT_ID_HEADER: &str = "bino-event-id";

/// Why a signature was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is not of the form t=<unix seconds>,v1=<64 hex digits>")]
    Malformed,
    #[error("the signature's timestamp is too far from now")]
    Stale,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// The value of `Bino-Signature` for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// Checks a `Bino-Signature` header against `body` with `secret`: the timestamp within
/// `tolerance_secs` of `now` (Unix seconds) and a `v1` MAC that matches, compared in
/// constant time. This is what a receiver does; Bino's tests do it too.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp: Option<&str> = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                // One timestamp, of digits only: the MAC covers it as sent, so a sign or a
                // second value could make two headers mean different things.
                if timestamp.is_some()
                    || value.is_empty()
                    || !value.bytes().all(|byte| byte.is_ascii_digit())
                {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(value);
            }
            Some(("v1", value)) => {
                // A value that is no MAC at all cannot match; the others may.
                let mut digest = [0u8; 32];
                if hex::decode_to_slice(value, &mut digest).is_ok() {
                    candidates.push(digest);
                }
            }
            // Other schemes may be added later; a receiver ignores what it does not know.
            _ => {}
        }
    }
    let signed_at = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let seconds = signed_at
        .parse::<i64>()
        .map_err(|_| SignatureError::Malformed)?;
    if now.abs_diff(seconds) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = mac(secret, signed_at, body);
    if candidates
        .iter()
        .any(|candidate| expected.clone().verify_slice(candidate).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1"}"#;
    const AT: i64 = 1_700_000_000;
    /// HMAC-SHA256("whsec_test", "1700000000.{\"id\":\"evt_1\"}"), computed independently
    /// (Python's `hmac` module).
    const KNOWN: &str = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925";

    #[test]
    fn a_signature_matches_the_known_vector() {
        assert_eq!(sign(SECRET, AT, BODY), format!("t={AT},v1={KNOWN}"));
    }

    #[test]
    fn signatures_are_checked_for_shape_age_and_match() {
        let good = sign(SECRET, AT, BODY);
        // (name, header, body, now, expected)
        type Case<'a> = (&'a str, String, &'a [u8], i64, Result<(), SignatureError>);
        let cases: [Case; 13] = [
            ("as signed", good.clone(), BODY, AT, Ok(())),
            ("within tolerance", good.clone(), BODY, AT + 300, Ok(())),
            (
                "several v1, one good",
                format!("t={AT},v1={},v1={KNOWN}", "0".repeat(64)),
                BODY,
                AT,
                Ok(()),
            ),
            (
                "too old",
                good.clone(),
                BODY,
                AT + 301,
                Err(SignatureError::Stale),
            ),
            (
                "another body",
                good.clone(),
                b"{}",
                AT,
                Err(SignatureError::Mismatch),
            ),
            (
                "another timestamp",
                format!("t={},v1={KNOWN}", AT + 1),
                BODY,
                AT,
                Err(SignatureError::Mismatch),
            ),
            (
                "no timestamp",
                format!("v1={KNOWN}"),
                BODY,
                AT,
                Err(SignatureError::Malformed),
            ),
            (
                "no mac",
                format!("t={AT}"),
                BODY,
                AT,
                Err(SignatureError::Malformed),
            ),
            (
                "not hex",
                format!("t={AT},v1=xyz"),
                BODY,
                AT,
                Err(SignatureError::Malformed),
            ),
            (
                "one v1 that is no mac beside a good one",
                format!("t={AT},v1=xyz,v1={KNOWN}"),
                BODY,
                AT,
                Ok(()),
            ),
            (
                "a signed timestamp",
                format!("t=+{AT},v1={KNOWN}"),
                BODY,
                AT,
                Err(SignatureError::Malformed),
            ),
            (
                "two timestamps",
                format!("t={AT},t={},v1={KNOWN}", AT + 1),
                BODY,
                AT,
                Err(SignatureError::Malformed),
            ),
            (
                "a leading zero is part of what was signed",
                format!("t=0{AT},v1={KNOWN}"),
                BODY,
                AT,
                Err(SignatureError::Mismatch),
            ),
        ];
        for (name, header, body, now, expected) in cases {
            assert_eq!(verify(SECRET, &header, body, now, 300), expected, "{name}");
        }
    }

    #[test]
    fn another_secret_does_not_verify() {
        let header = sign(b"whsec_other", AT, BODY);
        assert_eq!(
            verify(SECRET, &header, BODY, AT, 300),
            Err(SignatureError::Mismatch)
        );
    }
}
