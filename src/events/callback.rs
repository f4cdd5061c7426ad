//! Business callbacks: the URL an API key registers to hear of its orders, and the secret
//! its deliveries are signed with.
//!
//! A key has at most one callback URL, under `callback:{owner}:url`. Its signing secret is
//! made the first time the key registers a URL and kept under `callback:{owner}:secret`
//! for good: changing or removing the URL keeps it, so a receiver's configuration stays
//! valid. Secrets are never logged.

use std::fmt;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::store::{Store, StoreError};

/// The longest callback URL accepted.
pub const MAX_URL_CHARS: usize = 2_048;

/// A callback URL that was checked: absolute, `http` or `https`, with a host, without
/// credentials or a fragment, at most [`MAX_URL_CHARS`] long.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackUrl(String);

/// Why a callback URL was refused; the message is shown to the business.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCallbackUrl {
    #[error("url is empty")]
    Empty,
    #[error("url is longer than {MAX_URL_CHARS} characters")]
    TooLong,
    #[error("url is not an absolute URL")]
    NotAbsolute,
    #[error("url must start with http:// or https://")]
    Scheme,
    #[error("url has no host")]
    NoHost,
    #[error("url must not hold a user name or password")]
    Credentials,
    #[error("url must not have a #fragment")]
    Fragment,
}

impl CallbackUrl {
    pub fn parse(text: &str) -> Result<CallbackUrl, InvalidCallbackUrl> {
        let text = text.trim();
        if text.is_empty() {
            return Err(InvalidCallbackUrl::Empty);
        }
        if text.chars().count() > MAX_URL_CHARS {
            return Err(InvalidCallbackUrl::TooLong);
        }
        let url = url::Url::parse(text).map_err(|_| InvalidCallbackUrl::NotAbsolute)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(InvalidCallbackUrl::Scheme);
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(InvalidCallbackUrl::NoHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidCallbackUrl::Credentials);
        }
        if url.fragment().is_some() {
            return Err(InvalidCallbackUrl::Fragment);
        }
        // TODO: refuse hosts that resolve to private or loopback addresses, because a
        // business could otherwise point deliveries into Bino's own network; until then
        // Bino sends only signed event JSON there and never shows what comes back.
        Ok(CallbackUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL without its query string, which may carry a receiver's token: the only form
    /// that may appear in logs.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

/// `url` without its query string (and fragment), for logs.
pub fn redact(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].to_owned()
}

impl fmt::Debug for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallbackUrl({})", self.redacted())
    }
}

/// A key's callback as registered: where its events go and what signs them.
pub struct Callback {
    pub url: String,
    pub secret: SecretString,
}

fn url_key(owner: &str) -> String {
    format!("callback:{owner}:url")
}

fn secret_key(owner: &str) -> String {
    format!("callback:{owner}:secret")
}

/// Registers `url` as the callback of `owner`, replacing any; returns the callback with
/// the key's signing secret (made now if the key never had one).
pub async fn register(
    store: &dyn Store,
    owner: &str,
    url: &CallbackUrl,
) -> Result<Callback, StoreError> {
    let secret = secret_of(store, owner).await?;
    store
        .set(&url_key(owner), url.as_str().as_bytes(), None)
        .await?;
    tracing::info!(callback.url = %url.redacted(), "callback registered");
    Ok(Callback {
        url: url.as_str().to_owned(),
        secret,
    })
}

/// The callback `owner` registered, if any.
pub async fn registered(store: &dyn Store, owner: &str) -> Result<Option<Callback>, StoreError> {
    let Some(url) = store.get(&url_key(owner)).await? else {
        return Ok(None);
    };
    let secret = secret_of(store, owner).await?;
    Ok(Some(Callback {
        url: String::from_utf8_lossy(&url).into_owned(),
        secret,
    }))
}

/// Removes the callback of `owner`; its secret stays for the next one. True when there was
/// one.
pub async fn remove(store: &dyn Store, owner: &str) -> Result<bool, StoreError> {
    store.delete(&url_key(owner)).await
}

/// The signing secret of `owner`, made on first use. Two requests racing to make it agree
/// on the first one written.
async fn secret_of(store: &dyn Store, owner: &str) -> Result<SecretString, StoreError> {
    let key = secret_key(owner);
    if let Some(secret) = store.get(&key).await? {
        return Ok(SecretString::from(
            String::from_utf8_lossy(&secret).into_owned(),
        ));
    }
    let made = new_secret();
    store
        .set_if_absent(&key, made.expose_secret().as_bytes(), None)
        .await?;
    let secret = store
        .get(&key)
        .await?
        .ok_or_else(|| StoreError::Protocol("callback secret vanished".to_owned()))?;
    Ok(SecretString::from(
        String::from_utf8_lossy(&secret).into_owned(),
    ))
}

/// 32 random bytes from a cryptographic generator seeded by the system, hex, with a
/// recognisable prefix.
fn new_secret() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(format!("whsec_{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_must_be_absolute_http_with_a_host_and_no_credentials() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        let cases = [
            ("https://example.com/hooks/bino", Ok(())),
            ("http://127.0.0.1:8080/cb?token=abc", Ok(())),
            ("  https://example.com  ", Ok(())),
            ("", Err(InvalidCallbackUrl::Empty)),
            ("/relative/path", Err(InvalidCallbackUrl::NotAbsolute)),
            ("example.com/hook", Err(InvalidCallbackUrl::NotAbsolute)),
            ("ftp://example.com/hook", Err(InvalidCallbackUrl::Scheme)),
            ("javascript:alert(1)", Err(InvalidCallbackUrl::Scheme)),
            (
                "https://user:pw@example.com/",
                Err(InvalidCallbackUrl::Credentials),
            ),
            (
                "https://example.com/#top",
                Err(InvalidCallbackUrl::Fragment),
            ),
            (long.as_str(), Err(InvalidCallbackUrl::TooLong)),
        ];
        for (text, expected) in cases {
            assert_eq!(CallbackUrl::parse(text).map(drop), expected, "{text:?}");
        }
    }

    #[test]
    fn logs_see_urls_without_their_query_string() {
        let url = CallbackUrl::parse("https://example.com/cb?token=s3cret").unwrap();

        assert_eq!(url.redacted(), "https://example.com/cb");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(redact("https://example.com/a#b"), "https://example.com/a");
    }

    #[test]
    fn secrets_are_random_and_prefixed() {
        let one = new_secret();
        let two = new_secret();

        assert!(one.expose_secret().starts_with("whsec_"));
        assert_eq!(one.expose_secret().len(), 6 + 64);
        assert_ne!(one.expose_secret(), two.expose_secret());
    }
}
