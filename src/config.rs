//! Typed settings read once at startup from `BINO_*` environment variables.
//!
//! Every setting is parsed up front and every problem is reported together, so a wrong
//! deployment fails at once with one message instead of one error per restart. Secrets are
//! `SecretString`: they cannot be printed or logged by accident.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use figment::providers::Env;
use secrecy::{ExposeSecret, SecretString};

use crate::discovery::LlmMode;

/// Which wholesaler supplies the eSIMs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupplierKind {
    /// Offline and deterministic; the default, so Bino runs with no credentials.
    Sandbox,
    EsimAccess,
}

/// How the traveller pays in the chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentsKind {
    None,
    Stripe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Compact,
    Json,
}

/// Credentials of the eSIM Access API.
#[derive(Clone)]
pub struct EsimAccessSettings {
    pub base_url: String,
    pub access_code: SecretString,
    pub secret_key: SecretString,
    /// How long one call may take before it is retried (with the same `transactionId`, for
    /// an order).
    pub timeout: Duration,
}

/// Everything Bino can be told, with defaults applied.
#[derive(Clone)]
pub struct Settings {
    /// Where `bino serve` listens.
    pub listen: SocketAddr,
    /// Redis for shared state; `None` selects the in-process store (single process only).
    pub redis_url: Option<SecretString>,
    /// Prepended to every store key, so several deployments can share one Redis.
    pub redis_prefix: String,
    pub supplier: SupplierKind,
    pub esimaccess: Option<EsimAccessSettings>,
    /// The secret that must appear as `?token=` on supplier webhook calls.
    pub supplier_webhook_token: Option<SecretString>,
    /// Bearer keys accepted by the supply API.
    pub api_keys: Vec<SecretString>,
    /// Supply API requests one key may make per second, on average.
    pub api_rate_per_second: u32,
    /// Requests one key may make at once before the per-second pace applies.
    pub api_rate_burst: u32,
    /// Markup over the supplier's cost, in percent.
    pub margin_percent: u32,
    /// How long a cached catalog answer is served before it is refreshed in the background.
    pub catalog_ttl: Duration,
    /// How long to wait for the supplier's GOT_RESOURCE event before polling for profiles.
    pub allocation_poll_after: Duration,
    /// Sandbox only: time from order to allocated profiles.
    pub sandbox_allocation_delay: Duration,
    /// Sandbox only: time between simulated lifecycle events (install, usage, expiry).
    pub sandbox_event_interval: Duration,
    /// A chat silent this long starts over (orders are kept).
    pub conversation_idle_restart: Duration,
    /// Searches one chat customer may run per minute.
    pub searches_per_minute: u32,
    /// eSIM orders one chat customer may place per day.
    pub orders_per_day: u32,
    pub log_format: LogFormat,
    pub public_url: Option<String>,
    pub payments: PaymentsKind,
    pub whatsapp_token: Option<SecretString>,
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_app_secret: Option<SecretString>,
    pub whatsapp_verify_token: Option<SecretString>,
    pub graph_base_url: String,
    pub llm_base_url: Option<String>,
    pub llm_api_key: Option<SecretString>,
    pub llm_model: Option<String>,
    /// Whether the LLM reads every message or only those the local reader is unsure of.
    pub llm_mode: crate::discovery::LlmMode,
    pub stripe_secret_key: Option<SecretString>,
    pub stripe_webhook_secret: Option<SecretString>,
    pub stripe_base_url: String,
    pub allowed_customers: Vec<String>,
    /// Where the support desk hears of chat orders and hand-offs.
    pub support_webhook_url: Option<String>,
    /// Signs the support desk's deliveries; set together with the URL.
    pub support_webhook_secret: Option<SecretString>,
    /// Opens the admin routes (`/admin/...`); without it they answer 403.
    pub admin_key: Option<SecretString>,
    /// The wait before the first retry of a failed event delivery, doubled for each next.
    pub event_retry_base: Duration,
    /// Data left, in percent of a plan, below which the traveller is offered a top-up.
    pub low_data_percent: u32,
    /// Approved WhatsApp templates for news outside the 24-hour window.
    pub template_esim_ready: String,
    pub template_data_low: String,
    pub template_expiring: String,
}

/// Every problem found in the settings, reported together.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings:\n  - {}", .problems.join("\n  - "))]
pub struct SettingsError {
    pub problems: Vec<String>,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        let env = Env::prefixed("BINO_");
        let vars: Vec<(String, String)> = env
            .iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect();
        Settings::from_vars(vars)
    }

    /// Reads settings from `(name without the BINO_ prefix, value)` pairs, as tests do.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, SettingsError> {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .map(|(key, value)| (key.to_ascii_uppercase(), value))
            .filter(|(_, value)| !value.trim().is_empty())
            .collect();
        let mut reader = Reader {
            vars: &vars,
            problems: Vec::new(),
        };
        let settings = reader.read();
        if reader.problems.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError {
                problems: reader.problems,
            })
        }
    }

    /// True when no key was configured and the supply API accepts the well-known sandbox
    /// key, which only happens with the sandbox supplier.
    pub fn uses_sandbox_api_key(&self) -> bool {
        self.supplier == SupplierKind::Sandbox
            && self.api_keys.len() == 1
            && self.api_keys[0].expose_secret() == SANDBOX_API_KEY
    }
}

/// The supply API key accepted when the sandbox runs without `BINO_API_KEYS`, so the
/// README's curl examples work on a fresh machine. It can buy nothing real.
pub const SANDBOX_API_KEY: &str = "sandbox";

struct Reader<'a> {
    vars: &'a BTreeMap<String, String>,
    problems: Vec<String>,
}

impl Reader<'_> {
    fn read(&mut self) -> Settings {
        let supplier = self.choice(
            "SUPPLIER",
            &[
                ("sandbox", SupplierKind::Sandbox),
                ("esimaccess", SupplierKind::EsimAccess),
            ],
            SupplierKind::Sandbox,
        );
        let payments = self.choice(
            "PAYMENTS",
            &[
                ("none", PaymentsKind::None),
                ("stripe", PaymentsKind::Stripe),
            ],
            PaymentsKind::None,
        );
        let log_format = self.choice(
            "LOG_FORMAT",
            &[("compact", LogFormat::Compact), ("json", LogFormat::Json)],
            LogFormat::Compact,
        );

        let esimaccess = match supplier {
            SupplierKind::Sandbox => None,
            SupplierKind::EsimAccess => {
                let access_code =
                    self.required_secret("ESIMACCESS_ACCESS_CODE", "BINO_SUPPLIER=esimaccess");
                let secret_key =
                    self.required_secret("ESIMACCESS_SECRET_KEY", "BINO_SUPPLIER=esimaccess");
                let base_url = self
                    .url("ESIMACCESS_BASE_URL")
                    .unwrap_or_else(|| "https://api.esimaccess.com".to_owned());
                let timeout = Duration::from_millis(u64::from(self.bounded(
                    "ESIMACCESS_TIMEOUT_MS",
                    1,
                    120_000,
                    20_000,
                )));
                access_code
                    .zip(secret_key)
                    .map(|(access_code, secret_key)| EsimAccessSettings {
                        base_url,
                        access_code,
                        secret_key,
                        timeout,
                    })
            }
        };

        let mut api_keys: Vec<SecretString> = self
            .get("API_KEYS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|key| !key.is_empty())
                    .map(|key| SecretString::from(key.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if api_keys.is_empty() {
            match supplier {
                SupplierKind::Sandbox => api_keys.push(SecretString::from(SANDBOX_API_KEY)),
                SupplierKind::EsimAccess => self.problems.push(
                    "BINO_API_KEYS is required when BINO_SUPPLIER=esimaccess (comma-separated keys)"
                        .to_owned(),
                ),
            }
        }

        let supplier_webhook_token = self.secret("SUPPLIER_WEBHOOK_TOKEN");
        if supplier == SupplierKind::EsimAccess && supplier_webhook_token.is_none() {
            self.problems.push(
                "BINO_SUPPLIER_WEBHOOK_TOKEN is required when BINO_SUPPLIER=esimaccess".to_owned(),
            );
        }

        let stripe_secret_key = self.secret("STRIPE_SECRET_KEY");
        let stripe_webhook_secret = self.secret("STRIPE_WEBHOOK_SECRET");
        let public_url = self.url("PUBLIC_URL");
        if payments == PaymentsKind::Stripe {
            // A value that is set but invalid has been reported already.
            for (name, missing) in [
                ("BINO_STRIPE_SECRET_KEY", stripe_secret_key.is_none()),
                (
                    "BINO_STRIPE_WEBHOOK_SECRET",
                    stripe_webhook_secret.is_none(),
                ),
                ("BINO_PUBLIC_URL", self.get("PUBLIC_URL").is_none()),
            ] {
                if missing {
                    self.problems
                        .push(format!("{name} is required when BINO_PAYMENTS=stripe"));
                }
            }
        }

        let support_webhook_url = self.url("SUPPORT_WEBHOOK_URL");
        let support_webhook_secret = self.secret("SUPPORT_WEBHOOK_SECRET");
        if support_webhook_url.is_some() != support_webhook_secret.is_some() {
            self.problems.push(
                "BINO_SUPPORT_WEBHOOK_URL and BINO_SUPPORT_WEBHOOK_SECRET go together: set both to notify the support desk, or neither"
                    .to_owned(),
            );
        }

        let llm_base_url = self.url("LLM_BASE_URL");
        let llm_model = self.get("LLM_MODEL").map(str::to_owned);
        if llm_base_url.is_some() != llm_model.is_some() {
            self.problems.push(
                "BINO_LLM_BASE_URL and BINO_LLM_MODEL go together: set both to use an LLM, or neither"
                    .to_owned(),
            );
        }

        Settings {
            listen: self.parsed(
                "LISTEN",
                "an address such as 127.0.0.1:8080",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            ),
            redis_url: self.redis_url(),
            redis_prefix: self.get("REDIS_PREFIX").unwrap_or("bino:").to_owned(),
            supplier,
            esimaccess,
            supplier_webhook_token,
            api_keys,
            api_rate_per_second: self.bounded("API_RATE_PER_SECOND", 1, 100_000, 50),
            api_rate_burst: self.bounded("API_RATE_BURST", 1, 1_000_000, 100),
            margin_percent: self.bounded("MARGIN_PERCENT", 0, 1000, 20),
            catalog_ttl: self.seconds("CATALOG_TTL_SECS", 15 * 60),
            allocation_poll_after: self.seconds("ALLOCATION_POLL_AFTER_SECS", 60),
            sandbox_allocation_delay: self.millis("SANDBOX_ALLOCATION_DELAY_MS", 2_000),
            sandbox_event_interval: self.millis("SANDBOX_EVENT_INTERVAL_MS", 5_000),
            conversation_idle_restart: Duration::from_secs(
                60 * u64::from(self.bounded("CONVERSATION_IDLE_MINUTES", 1, 7 * 24 * 60, 30)),
            ),
            searches_per_minute: self.bounded("SEARCHES_PER_MINUTE", 1, 10_000, 10),
            orders_per_day: self.bounded("ORDERS_PER_DAY", 1, 10_000, 5),
            log_format,
            public_url,
            payments,
            whatsapp_token: self.secret("WHATSAPP_TOKEN"),
            whatsapp_phone_number_id: self.get("WHATSAPP_PHONE_NUMBER_ID").map(str::to_owned),
            whatsapp_app_secret: self.secret("WHATSAPP_APP_SECRET"),
            whatsapp_verify_token: self.secret("WHATSAPP_VERIFY_TOKEN"),
            graph_base_url: self
                .url("GRAPH_BASE_URL")
                .unwrap_or_else(|| "https://graph.facebook.com/v25.0".to_owned()),
            llm_base_url,
            llm_api_key: self.secret("LLM_API_KEY"),
            llm_model,
            llm_mode: self.choice(
                "LLM_MODE",
                &[
                    ("when_unsure", LlmMode::WhenUnsure),
                    ("always", LlmMode::Always),
                ],
                LlmMode::WhenUnsure,
            ),
            stripe_secret_key,
            stripe_webhook_secret,
            stripe_base_url: self
                .url("STRIPE_BASE_URL")
                .unwrap_or_else(|| "https://api.stripe.com".to_owned()),
            allowed_customers: self
                .get("ALLOWED_CUSTOMERS")
                .map(|list| {
                    list.split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            support_webhook_url,
            support_webhook_secret,
            admin_key: self.secret("ADMIN_KEY"),
            event_retry_base: Duration::from_millis(u64::from(self.bounded(
                "EVENT_RETRY_BASE_MS",
                1,
                3_600_000,
                30_000,
            ))),
            low_data_percent: self.bounded("LOW_DATA_PERCENT", 1, 99, 20),
            template_esim_ready: self.template("TEMPLATE_ESIM_READY", "esim_ready"),
            template_data_low: self.template("TEMPLATE_DATA_LOW", "esim_data_low"),
            template_expiring: self.template("TEMPLATE_EXPIRING", "esim_expiring"),
        }
    }

    /// A template name as Meta's Business Manager accepts it: lowercase letters, digits and
    /// underscores.
    fn template(&mut self, name: &str, default: &str) -> String {
        match self.get(name) {
            None => default.to_owned(),
            Some(value)
                if value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
            {
                value.to_owned()
            }
            Some(_) => {
                self.problems.push(format!(
                    "BINO_{name} must be a template name: lowercase letters, digits and underscores"
                ));
                default.to_owned()
            }
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|value| value.trim())
    }

    fn secret(&self, name: &str) -> Option<SecretString> {
        self.get(name)
            .map(|value| SecretString::from(value.to_owned()))
    }

    /// `BINO_REDIS_URL`: one URL, or a cluster's nodes separated by commas. Each is checked
    /// here so a typo is reported with the other settings; the value is never quoted, as
    /// it may hold a password.
    fn redis_url(&mut self) -> Option<SecretString> {
        let url = self.secret("REDIS_URL")?;
        let value = url.expose_secret();
        if value.is_empty() {
            return Some(url);
        }
        let nodes: Vec<&str> = value.split(',').map(str::trim).collect();
        for (position, node) in nodes.iter().enumerate() {
            if redis::parse_redis_url(node).is_none() {
                let which = if nodes.len() == 1 {
                    String::new()
                } else {
                    format!(" (entry {} of {})", position + 1, nodes.len())
                };
                self.problems.push(format!(
                    "BINO_REDIS_URL{which} must be a redis:// or rediss:// URL, \
                     such as redis://localhost:6379"
                ));
            }
        }
        Some(url)
    }

    fn required_secret(&mut self, name: &str, because: &str) -> Option<SecretString> {
        let value = self.secret(name);
        if value.is_none() {
            self.problems
                .push(format!("BINO_{name} is required when {because}"));
        }
        value
    }

    fn url(&mut self, name: &str) -> Option<String> {
        let value = self.get(name)?.trim_end_matches('/').to_owned();
        if value.starts_with("http://") || value.starts_with("https://") {
            Some(value)
        } else {
            self.problems
                .push(format!("BINO_{name} must be an http:// or https:// URL"));
            None
        }
    }

    fn parsed<T: std::str::FromStr>(&mut self, name: &str, expected: &str, default: T) -> T {
        let Some(text) = self.get(name).map(str::to_owned) else {
            return default;
        };
        text.parse().unwrap_or_else(|_| {
            self.problems
                .push(format!("BINO_{name} must be {expected} (got {text:?})"));
            default
        })
    }

    fn bounded(&mut self, name: &str, min: u64, max: u64, default: u64) -> u32 {
        let value: u64 = match self.get(name).map(str::to_owned) {
            None => default,
            Some(text) => match text.parse::<u64>() {
                Ok(number) if (min..=max).contains(&number) => number,
                _ => {
                    self.problems.push(format!(
                        "BINO_{name} must be a whole number from {min} to {max} (got {text:?})"
                    ));
                    default
                }
            },
        };
        u32::try_from(value).unwrap_or(u32::MAX)
    }

    fn seconds(&mut self, name: &str, default: u64) -> Duration {
        Duration::from_secs(u64::from(self.bounded(name, 1, 7 * 24 * 3600, default)))
    }

    fn millis(&mut self, name: &str, default: u64) -> Duration {
        Duration::from_millis(u64::from(self.bounded(name, 0, 24 * 3600 * 1000, default)))
    }

    fn choice<T: Copy>(&mut self, name: &str, options: &[(&str, T)], default: T) -> T {
        let Some(text) = self.get(name).map(str::to_owned) else {
            return default;
        };
        let wanted = text.to_ascii_lowercase();
        match options.iter().find(|(word, _)| *word == wanted) {
            Some((_, value)) => *value,
            None => {
                let words: Vec<&str> = options.iter().map(|(word, _)| *word).collect();
                self.problems.push(format!(
                    "BINO_{name} must be one of {} (got {text:?})",
                    words.join(", ")
                ));
                default
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn no_settings_at_all_gives_a_working_sandbox() {
        let settings = Settings::from_vars(Vec::new()).unwrap();
        assert_eq!(settings.supplier, SupplierKind::Sandbox);
        assert_eq!(settings.margin_percent, 20);
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.catalog_ttl, Duration::from_secs(900));
        assert!(settings.redis_url.is_none());
        assert!(settings.uses_sandbox_api_key());
    }

    #[test]
    fn every_problem_is_named_in_one_error() {
        let error = Settings::from_vars(vars(&[
            ("SUPPLIER", "esimaccess"),
            ("MARGIN_PERCENT", "lots"),
            ("LISTEN", "nowhere"),
            ("PAYMENTS", "cash"),
        ]))
        .err()
        .unwrap()
        .to_string();
        for expected in [
            "BINO_ESIMACCESS_ACCESS_CODE",
            "BINO_ESIMACCESS_SECRET_KEY",
            "BINO_API_KEYS",
            "BINO_SUPPLIER_WEBHOOK_TOKEN",
            "BINO_MARGIN_PERCENT",
            "BINO_LISTEN",
            "BINO_PAYMENTS",
        ] {
            assert!(error.contains(expected), "{expected} missing from: {error}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output_or_errors() {
        let settings = Settings::from_vars(vars(&[
            ("SUPPLIER", "esimaccess"),
            ("ESIMACCESS_ACCESS_CODE", "code-123"),
            ("ESIMACCESS_SECRET_KEY", "very-secret-456"),
            ("API_KEYS", "k1, k2"),
            ("SUPPLIER_WEBHOOK_TOKEN", "hook-789"),
        ]))
        .unwrap();
        let esimaccess = settings.esimaccess.as_ref().unwrap();
        let shown = format!("{:?} {:?}", esimaccess.secret_key, settings.api_keys);
        assert!(
            !shown.contains("very-secret-456") && !shown.contains("k1"),
            "{shown}"
        );
        assert_eq!(settings.api_keys.len(), 2);
        assert!(!settings.uses_sandbox_api_key());
    }

    #[test]
    fn a_redis_url_or_list_of_nodes_is_checked_without_quoting_it() {
        for good in [
            "redis://127.0.0.1:6379",
            "rediss://:pw@cache.example:6380/0",
            "redis://127.0.0.1:7000, redis://127.0.0.1:7001",
        ] {
            let settings = Settings::from_vars(vars(&[("REDIS_URL", good)]));
            assert!(settings.is_ok(), "{good}");
        }
        for (bad, says) in [
            ("garbage", "BINO_REDIS_URL must be"),
            (
                "redis://:s3cret@127.0.0.1:1,garbage",
                "BINO_REDIS_URL (entry 2 of 2)",
            ),
            (
                "redis://:s3cret@127.0.0.1:1,",
                "BINO_REDIS_URL (entry 2 of 2)",
            ),
        ] {
            let error = Settings::from_vars(vars(&[("REDIS_URL", bad), ("MARGIN_PERCENT", "abc")]))
                .err()
                .unwrap()
                .to_string();
            assert!(error.contains(says), "{bad}: {error}");
            assert!(
                error.contains("BINO_MARGIN_PERCENT"),
                "reported together: {error}"
            );
            assert!(
                !error.contains("s3cret") && !error.contains("garbage"),
                "{error}"
            );
        }
    }

    #[test]
    fn the_support_webhook_needs_its_secret_and_the_secret_its_url() {
        let url = ("SUPPORT_WEBHOOK_URL", "https://desk.example/bino");
        let secret = ("SUPPORT_WEBHOOK_SECRET", "desk-secret");

        let both = Settings::from_vars(vars(&[url, secret])).unwrap();
        let url_alone = Settings::from_vars(vars(&[url])).err().unwrap().to_string();
        let secret_alone = Settings::from_vars(vars(&[secret]))
            .err()
            .unwrap()
            .to_string();

        assert_eq!(
            both.support_webhook_url.as_deref(),
            Some("https://desk.example/bino")
        );
        assert!(!format!("{:?}", both.support_webhook_secret).contains("desk-secret"));
        assert!(
            url_alone.contains("BINO_SUPPORT_WEBHOOK_SECRET"),
            "{url_alone}"
        );
        assert!(
            secret_alone.contains("BINO_SUPPORT_WEBHOOK_URL"),
            "{secret_alone}"
        );
    }

    #[test]
    fn the_api_rate_limit_is_fifty_a_second_with_a_burst_of_a_hundred_unless_set() {
        let default = Settings::from_vars(Vec::new()).unwrap();
        let set = Settings::from_vars(vars(&[
            ("API_RATE_PER_SECOND", "5"),
            ("API_RATE_BURST", "7"),
        ]))
        .unwrap();

        assert_eq!(
            (default.api_rate_per_second, default.api_rate_burst),
            (50, 100)
        );
        assert_eq!((set.api_rate_per_second, set.api_rate_burst), (5, 7));
        assert!(Settings::from_vars(vars(&[("API_RATE_PER_SECOND", "0")])).is_err());
        assert!(Settings::from_vars(vars(&[("API_RATE_BURST", "many")])).is_err());
    }

    #[test]
    fn the_event_retry_base_is_thirty_seconds_unless_set() {
        let default = Settings::from_vars(Vec::new()).unwrap();
        let short = Settings::from_vars(vars(&[("EVENT_RETRY_BASE_MS", "50")])).unwrap();

        assert_eq!(default.event_retry_base, Duration::from_secs(30));
        assert_eq!(short.event_retry_base, Duration::from_millis(50));
        assert!(Settings::from_vars(vars(&[("EVENT_RETRY_BASE_MS", "0")])).is_err());
    }

    #[test]
    fn urls_lose_their_trailing_slash_and_must_be_http() {
        let settings =
            Settings::from_vars(vars(&[("GRAPH_BASE_URL", "http://127.0.0.1:9/v25.0/")])).unwrap();
        assert_eq!(settings.graph_base_url, "http://127.0.0.1:9/v25.0");
        assert!(Settings::from_vars(vars(&[("LLM_BASE_URL", "ftp://x")])).is_err());
    }
}
