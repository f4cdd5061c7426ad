//! Events the supplier pushes to us: profile ready, status changes, usage thresholds.
//!
//! Supplier webhooks are not signed and may arrive twice, late or never, so an event is
//! only a hint to re-read state from the API. Older payloads have no `notifyId`; their
//! identity is then a hash of the body, which makes an exact re-delivery a duplicate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::wire;

/// The kind of a supplier event. Unknown kinds are kept so they can be logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum NotifyType {
    CheckHealth,
    OrderStatus,
    EsimStatus,
    SmdpEvent,
    DataUsage,
    ValidityUsage,
    Other(String),
}

impl From<String> for NotifyType {
    fn from(word: String) -> Self {
        match word.to_ascii_uppercase().as_str() {
            "CHECK_HEALTH" => NotifyType::CheckHealth,
            "ORDER_STATUS" => NotifyType::OrderStatus,
            "ESIM_STATUS" => NotifyType::EsimStatus,
            "SMDP_EVENT" => NotifyType::SmdpEvent,
            "DATA_USAGE" => NotifyType::DataUsage,
            "VALIDITY_USAGE" => NotifyType::ValidityUsage,
            _ => NotifyType::Other(word),
        }
    }
}

impl From<NotifyType> for String {
    fn from(kind: NotifyType) -> String {
        kind.as_str().to_owned()
    }
}

impl NotifyType {
    pub fn as_str(&self) -> &str {
        match self {
            NotifyType::CheckHealth => "CHECK_HEALTH",
            NotifyType::OrderStatus => "ORDER_STATUS",
            NotifyType::EsimStatus => "ESIM_STATUS",
            NotifyType::SmdpEvent => "SMDP_EVENT",
            NotifyType::DataUsage => "DATA_USAGE",
            NotifyType::ValidityUsage => "VALIDITY_USAGE",
            NotifyType::Other(word) => word,
        }
    }
}

/// The `content` of any supplier event; which fields are present depends on the kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventContent {
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub order_no: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub order_status: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub transaction_id: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub esim_tran_no: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub iccid: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub esim_status: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub smdp_status: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub total_volume: Option<u64>,
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub order_usage: Option<u64>,
    /// Remaining data in bytes for DATA_USAGE, remaining days for VALIDITY_USAGE.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub remain: Option<u64>,
    /// Fraction of data left or used at which the supplier fired (0.1, 0.5, 0.8, 0.9).
    #[serde(default, deserialize_with = "wire::opt_f64")]
    pub remain_threshold: Option<f64>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub duration_unit: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub total_duration: Option<u64>,
    #[serde(default, deserialize_with = "wire::opt_time")]
    pub expired_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "wire::opt_time")]
    pub last_update_time: Option<DateTime<Utc>>,
}

/// One supplier event, read tolerantly from its raw body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupplierEvent {
    /// The supplier's `notifyId`, or `body-<sha256>` when the payload has none.
    pub event_id: String,
    pub notify_type: NotifyType,
    pub generated_at: Option<DateTime<Utc>>,
    pub content: EventContent,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidEvent {
    #[error("body is not a JSON object: {0}")]
    NotJson(String),
    #[error("event has no notifyType")]
    MissingType,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    #[serde(default, deserialize_with = "wire::opt_string")]
    notify_type: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    notify_id: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_time")]
    event_generate_time: Option<DateTime<Utc>>,
    #[serde(default)]
    content: serde_json::Value,
}

impl SupplierEvent {
    /// Reads an event from the bytes the supplier sent. Only a body that is not a JSON
    /// object, or has no `notifyType`, is refused; every other oddity is tolerated.
    pub fn parse(body: &[u8]) -> Result<SupplierEvent, InvalidEvent> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|error| InvalidEvent::NotJson(error.to_string()))?;
        if !value.is_object() {
            return Err(InvalidEvent::NotJson("expected an object".to_owned()));
        }
        let raw: RawEvent = serde_json::from_value(value)
            .map_err(|error| InvalidEvent::NotJson(error.to_string()))?;
        let notify_type = raw.notify_type.ok_or(InvalidEvent::MissingType)?;
        let content = serde_json::from_value(raw.content).unwrap_or_default();
        let event_id = raw
            .notify_id
            .unwrap_or_else(|| format!("body-{}", hex::encode(Sha256::digest(body))));
        Ok(SupplierEvent {
            event_id,
            notify_type: NotifyType::from(notify_type),
            generated_at: raw.event_generate_time,
            content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_status_event_without_notify_id_gets_a_body_hash_id() {
        let body = br#"{"notifyType":"ORDER_STATUS","content":{"orderNo":"B23072016497499","orderStatus":"GOT_RESOURCE"}}"#;
        let event = SupplierEvent::parse(body).unwrap();
        assert_eq!(event.notify_type, NotifyType::OrderStatus);
        assert_eq!(event.content.order_no.as_deref(), Some("B23072016497499"));
        assert!(event.event_id.starts_with("body-"));
        assert_eq!(event.event_id, SupplierEvent::parse(body).unwrap().event_id);
    }

    #[test]
    fn a_data_usage_event_reads_large_volumes_and_z_times() {
        let body = br#"{"notifyType":"DATA_USAGE","eventGenerateTime":"2025-07-21T10:57:28Z",
            "notifyId":"f776267e8d6745db8cc316e4c146ea0c","content":{"orderNo":"B25052822150009",
            "esimTranNo":"25052822150009","totalVolume":53687091200,"orderUsage":"48335585458",
            "remain":5351505742,"lastUpdateTime":"2025-07-21T09:38:25Z","remainThreshold":0.1,
            "somethingNew":{"nested":true}}}"#;
        let event = SupplierEvent::parse(body).unwrap();
        assert_eq!(event.event_id, "f776267e8d6745db8cc316e4c146ea0c");
        assert_eq!(event.content.total_volume, Some(53_687_091_200));
        assert_eq!(event.content.order_usage, Some(48_335_585_458));
        assert_eq!(event.content.remain_threshold, Some(0.1));
        assert!(event.generated_at.is_some());
    }

    #[test]
    fn unknown_types_are_kept_and_bad_content_is_tolerated() {
        let event =
            SupplierEvent::parse(br#"{"notifyType":"LOW_BALANCE","content":"oops"}"#).unwrap();
        assert_eq!(
            event.notify_type,
            NotifyType::Other("LOW_BALANCE".to_owned())
        );
        assert_eq!(event.content, EventContent::default());
    }

    #[test]
    fn bodies_that_are_not_events_are_refused() {
        assert!(matches!(
            SupplierEvent::parse(b"not json"),
            Err(InvalidEvent::NotJson(_))
        ));
        assert!(matches!(
            SupplierEvent::parse(b"[1,2]"),
            Err(InvalidEvent::NotJson(_))
        ));
        assert_eq!(
            SupplierEvent::parse(br#"{"content":{}}"#),
            Err(InvalidEvent::MissingType)
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::damage::{config, hostile_bodies};

        const FIXTURES: [&[u8]; 3] = [
            br#"{"notifyType":"ORDER_STATUS","notifyId":"a1","content":{"orderNo":"B23072016497499","orderStatus":"GOT_RESOURCE"}}"#,
            br#"{"notifyType":"DATA_USAGE","eventGenerateTime":"2025-07-21T10:57:28Z","content":{"esimTranNo":"25052822150009","totalVolume":53687091200,"orderUsage":"48335585458","remain":5351505742,"remainThreshold":0.1}}"#,
            br#"{"notifyType":"VALIDITY_USAGE","content":{"iccid":"8944000000000000001","durationUnit":"DAY","totalDuration":7,"expiredTime":"2025-07-28T10:00:00+0000","remain":1}}"#,
        ];

        fn check(body: &[u8]) -> Result<(), TestCaseError> {
            let value = serde_json::from_slice::<serde_json::Value>(body).ok();
            match SupplierEvent::parse(body) {
                Ok(event) => {
                    // Only an object with a notifyType is an event, and its id is never empty
                    // so deduplication always has something to go by.
                    prop_assert!(value.as_ref().is_some_and(serde_json::Value::is_object));
                    prop_assert!(!event.event_id.is_empty());
                    prop_assert_eq!(SupplierEvent::parse(body), Ok(event));
                }
                Err(InvalidEvent::MissingType) => {
                    prop_assert!(value.as_ref().is_some_and(serde_json::Value::is_object));
                }
                Err(InvalidEvent::NotJson(_)) => {}
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_body_or_damaged_real_event_is_read_or_refused_consistently(
                body in hostile_bodies(FIXTURES.map(<[u8]>::to_vec).to_vec()),
            ) {
                check(&body)?;
            }

            #[test]
            fn fields_of_any_type_are_tolerated_in_an_event_with_a_type(
                text in any::<String>(),
                number in any::<f64>(),
                big in any::<i128>(),
            ) {
                let body = serde_json::json!({
                    "notifyType": format!("X{text}"),
                    "notifyId": number,
                    "eventGenerateTime": text,
                    "content": {"totalVolume": number, "remain": big.to_string(),
                                "orderUsage": text, "expiredTime": number, "iccid": [text]},
                });

                let event = SupplierEvent::parse(body.to_string().as_bytes());

                prop_assert!(event.is_ok(), "{:?}", event);
            }

            #[test]
            fn a_notify_type_reads_back_as_itself(word in any::<String>()) {
                let kind = NotifyType::from(word);

                prop_assert_eq!(NotifyType::from(kind.as_str().to_owned()), kind);
            }
        }
    }
}
