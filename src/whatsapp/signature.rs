//! Checks `X-Hub-Signature-256`: Meta signs each webhook body with the app secret
//! (HMAC-SHA256, hex, prefixed `sha256=`).
//!
//! The check runs on the bytes exactly as received. Meta escapes `/` and non-ASCII characters
//! in the body it signs, so any re-serialised JSON would fail; nothing is parsed before this.
//! Several secrets may be configured, comma-separated, so a secret can be rotated without
//! refusing the deliveries signed with the old one while Meta switches over.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The app secrets a signature may be made with, keyed once at start-up.
#[derive(Clone)]
pub struct SignatureVerifier {
    keys: Vec<HmacSha256>,
}

impl std::fmt::Debug for SignatureVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "SignatureVerifier({} secrets)", self.keys.len())
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not of the form sha256=<64 hex digits>")]
    Malformed,
    #[error("the X-Hub-Signature-256 header does not match the body")]
    Mismatch,
}

impl SignatureVerifier {
    /// `secrets` is one secret or several separated by commas; blanks are ignored. With no
    /// secret at all every signature fails, so an unconfigured webhook stays closed.
    pub fn new(secrets: &SecretString) -> Self {
        let keys = secrets
            .expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|secret| !secret.is_empty())
            .map(|secret| {
                HmacSha256::new_from_slice(secret.as_bytes())
                    .expect("HMAC accepts keys of any length")
            })
            .collect();
        SignatureVerifier { keys }
    }

    /// Whether any secret is configured.
    pub fn is_configured(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Checks `header` (the value of `X-Hub-Signature-256`) against `body`, in constant time
    /// for each configured secret.
    pub fn verify(&self, header: Option<&[u8]>, body: &[u8]) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let hex_digest = header
            .strip_prefix(b"sha256=")
            .ok_or(SignatureError::Malformed)?;
        let mut expected = [0u8; 32];
        hex::decode_to_slice(hex_digest.trim_ascii(), &mut expected)
            .map_err(|_| SignatureError::Malformed)?;
        let matched = self.keys.iter().any(|key| {
            let mut mac = key.clone();
            mac.update(body);
            mac.verify_slice(&expected).is_ok()
        });
        if matched {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// The header value Meta would send for `body` signed with `secret`; for tests and tools
    /// that stand in for Meta.
    pub fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac =
            HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(secrets: &str) -> SignatureVerifier {
        SignatureVerifier::new(&SecretString::from(secrets))
    }

    #[test]
    fn a_known_vector_verifies() {
        // HMAC-SHA256 of "The quick brown fox jumps over the lazy dog" with key "key", from
        // the published examples of the algorithm.
        let header = SignatureVerifier::sign("key", b"The quick brown fox jumps over the lazy dog");
        assert_eq!(
            header,
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert_eq!(
            verifier("key").verify(
                Some(header.as_bytes()),
                b"The quick brown fox jumps over the lazy dog"
            ),
            Ok(())
        );
    }

    #[test]
    fn any_of_several_secrets_verifies_during_a_rotation() {
        let body = br#"{"object":"whatsapp_business_account"}"#;
        let both = verifier(" old-secret , new-secret ,");
        for secret in ["old-secret", "new-secret"] {
            let header = SignatureVerifier::sign(secret, body);
            assert_eq!(both.verify(Some(header.as_bytes()), body), Ok(()));
        }
        let other = SignatureVerifier::sign("another", body);
        assert_eq!(
            both.verify(Some(other.as_bytes()), body),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn tampering_with_one_byte_fails() {
        let body = br#"{"text":{"body":"caf\u00e9 10\/12"}}"#;
        let header = SignatureVerifier::sign("s3cret", body);
        let mut tampered = body.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            verifier("s3cret").verify(Some(header.as_bytes()), &tampered),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        let check = verifier("s3cret");
        assert_eq!(check.verify(None, b"{}"), Err(SignatureError::Missing));
        for bad in [
            &b"sha1=abcd"[..],
            b"sha256=",
            b"sha256=zz",
            b"sha256=abcd",
            b"f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
        ] {
            assert_eq!(
                check.verify(Some(bad), b"{}"),
                Err(SignatureError::Malformed),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn no_secret_means_nothing_verifies() {
        let closed = verifier(" , ");
        assert!(!closed.is_configured());
        let header = SignatureVerifier::sign("", b"{}");
        assert_eq!(
            closed.verify(Some(header.as_bytes()), b"{}"),
            Err(SignatureError::Mismatch)
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::damage::config;

        const SECRET: &str = "test-app-secret";

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn an_arbitrary_signature_header_is_refused_without_panicking(
                header in proptest::collection::vec(any::<u8>(), 0..96),
                body in proptest::collection::vec(any::<u8>(), 0..64),
            ) {
                let verifier = verifier(SECRET);

                prop_assert!(verifier.verify(Some(&header), &body).is_err());
            }

            #[test]
            fn a_body_verifies_only_with_its_own_signature(
                body in proptest::collection::vec(any::<u8>(), 1..256),
                at in any::<usize>(),
                flip in 1u8..,
            ) {
                let verifier = verifier(SECRET);
                let header = SignatureVerifier::sign(SECRET, &body);
                let mut tampered = body.clone();
                let at = at % tampered.len();
                tampered[at] ^= flip;

                prop_assert!(verifier.verify(Some(header.as_bytes()), &body).is_ok());
                prop_assert!(verifier.verify(Some(header.as_bytes()), &tampered).is_err());
            }
        }
    }
}
