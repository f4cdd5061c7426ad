//! Outbound events: what Bino tells businesses and its support desk about orders.
//!
//! One mechanism serves both kinds of subscriber:
//! 1. [`EventPublisher`] observes [`OrderService`](crate::orders::OrderService) (and hears
//!    of chat hand-offs). It turns each change into [`Event`]s whose ids are stable, so the
//!    same change always yields the same id, and appends each event once to [`OUTBOUND`]
//!    (an atomic append guarded by `events:seen:{id}`).
//! 2. The fan-out worker (`jobs::outbound`) reads that stream through a consumer group. A
//!    business's event goes into the key's log ([`log`], read by `GET /esim/events`) and,
//!    when the key registered a callback ([`callback`]), becomes a delivery; a chat order's
//!    event becomes a delivery to the support desk when one is configured.
//! 3. The delivery worker POSTs each delivery, signed ([`signature`]), and schedules
//!    retries ([`backoff`]) without holding up other deliveries ([`delivery`]).
//!
//! A delivery id is derived from the event and the subscriber, so an event reaches a
//! subscriber through one delivery, however often it was announced.

pub mod backoff;
pub mod callback;
pub mod delivery;
pub mod log;
mod publish;
pub mod sender;
pub mod signature;

pub use publish::EventPublisher;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::bot;
use crate::catalog::Money;
use crate::orders::{OrderChange, OrderRecord, OrderStatus, ProfileUpdate, ProfileView};
use crate::telemetry::hash_id;

/// The stream of events waiting to be fanned out to logs and subscribers. Its hash tag is
/// shared by the marks of published events ([`published_mark`]), which are written in one
/// step with the entry.
pub const OUTBOUND: &str = "events:{outbound}";
/// Outbound entries that failed fan-out repeatedly, with their error.
pub const OUTBOUND_DEAD: &str = "events:{outbound}:dead";

/// The key that marks event `event_id` as appended to [`OUTBOUND`] and holds its entry id.
pub fn published_mark(event_id: &str) -> String {
    format!("events:{{outbound}}:seen:{event_id}")
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// The supplier accepted the order (or applied the top-up).
    #[serde(rename = "order.submitted")]
    OrderSubmitted,
    /// The supplier refused a chat order (support desk only; the supply API answers 502).
    #[serde(rename = "order.failed")]
    OrderFailed,
    /// An eSIM is allocated: ICCID, QR code and activation string are known.
    #[serde(rename = "esim.ready")]
    EsimReady,
    /// An eSIM's status changed, or the phone downloaded, installed or enabled it.
    #[serde(rename = "esim.status")]
    EsimStatus,
    /// An eSIM crossed a data-usage threshold.
    #[serde(rename = "esim.data_usage")]
    EsimDataUsage,
    /// An eSIM's validity is running out.
    #[serde(rename = "esim.validity_usage")]
    EsimValidityUsage,
    /// A chat customer asked for a person (support desk only).
    #[serde(rename = "handoff.requested")]
    HandoffRequested,
    /// A chat customer paid for an order (support desk only).
    #[serde(rename = "order.paid")]
    OrderPaid,
    /// A chat order's payment link expired or its payment failed (support desk only).
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    /// The eSIM was sent to the chat customer (support desk only).
    #[serde(rename = "esim.delivered")]
    EsimDelivered,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderSubmitted => "order.submitted",
            EventType::OrderFailed => "order.failed",
            EventType::EsimReady => "esim.ready",
            EventType::EsimStatus => "esim.status",
            EventType::EsimDataUsage => "esim.data_usage",
            EventType::EsimValidityUsage => "esim.validity_usage",
            EventType::HandoffRequested => "handoff.requested",
            EventType::OrderPaid => "order.paid",
            EventType::OrderCancelled => "order.cancelled",
            EventType::EsimDelivered => "esim.delivered",
        }
    }
}

/// One event, as logged and as delivered (the body of a delivery is this JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// `evt_` and 32 hex digits, derived from the order, the type and what changed: the
    /// same change always has the same id, so receivers deduplicate by it.
    #[schema(example = "evt_5f2b9c0d6e1a4b7c8d9e0f1a2b3c4d5e")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "esim.ready")]
    pub event_type: EventType,
    /// When Bino first saw the change (RFC 3339, UTC).
    #[schema(value_type = String, example = "2025-06-01T12:00:00.123Z")]
    pub created_at: DateTime<Utc>,
    /// The order's id as its buyer chose it; `null` for a hand-off outside any order.
    pub bino_transaction_id: Option<String>,
    /// What changed; its fields depend on the type (see the README).
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Support desk events only: the plan and the customer, without personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<SupportContext>,
}

/// What the support desk needs to place a chat event, and nothing personal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupportContext {
    /// The plan (or plans) of the order, when there is one.
    pub plan_name: Option<String>,
    /// What the customer pays, in US dollars.
    #[schema(value_type = Option<String>, example = "6.84")]
    pub price: Option<Money>,
    pub currency: String,
    /// A stable hash of the customer (not the phone number), to tie events together.
    pub customer: String,
}

/// Who an event is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// The business whose API key placed the order (`owner`: the key's hash).
    Business { owner: String },
    /// A chat customer's order: the support desk hears of it.
    Chat,
}

/// An event on its way out, as the outbound stream holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outbound {
    pub audience: Audience,
    pub event: Event,
}

/// The events one order change makes, for whom. Pure, so every mapping is a unit test.
pub fn events_for(record: &OrderRecord, change: &OrderChange, now: DateTime<Utc>) -> Vec<Outbound> {
    let customer = bot::customer_of(&record.owner);
    let audience = match customer {
        Some(_) => Audience::Chat,
        None => Audience::Business {
            owner: record.owner.clone(),
        },
    };
    let context = customer.map(|customer| support_context(Some(record), customer));
    let event = |event_type: EventType, version: &str, payload: Value| Outbound {
        audience: audience.clone(),
        event: Event {
            id: event_id(
                &record.owner,
                &record.bino_transaction_id,
                event_type,
                version,
            ),
            event_type,
            created_at: now.trunc_subsecs(3),
            bino_transaction_id: Some(record.bino_transaction_id.clone()),
            payload,
            context: context.clone(),
        },
    };

    match change {
        OrderChange::Submitted => vec![event(
            EventType::OrderSubmitted,
            "",
            submitted_payload(record),
        )],
        // A business hears of a refusal in the answer to its order; the desk hears here.
        OrderChange::Failed if customer.is_some() => vec![event(
            EventType::OrderFailed,
            "",
            json!({
                "reason": record.failure,
                "status": record.status,
                "refundNeeded": record.status == OrderStatus::RefundNeeded,
            }),
        )],
        // Payments and delivery in chat concern the support desk; a business pays by its
        // account and receives its eSIMs in `esim.ready`.
        OrderChange::Paid if customer.is_some() => vec![event(
            EventType::OrderPaid,
            "",
            json!({ "status": record.status, "totalPrice": record.total_price, "currency": "USD" }),
        )],
        OrderChange::Cancelled if customer.is_some() => vec![event(
            EventType::OrderCancelled,
            "",
            json!({ "reason": "the payment link expired or the payment failed; nothing was charged" }),
        )],
        OrderChange::Delivered if customer.is_some() => vec![event(
            EventType::EsimDelivered,
            "",
            json!({ "status": record.status }),
        )],
        OrderChange::Failed
        | OrderChange::Paid
        | OrderChange::Cancelled
        | OrderChange::Delivered => Vec::new(),
        OrderChange::Allocated => record
            .profiles
            .iter()
            .map(|profile| {
                event(
                    EventType::EsimReady,
                    &profile.esim_tran_no,
                    ready_payload(profile, customer.is_none()),
                )
            })
            .collect(),
        OrderChange::ProfileUpdated {
            esim_tran_no,
            update,
            source_event_id,
        } => {
            let Some(profile) = record
                .profiles
                .iter()
                .find(|profile| &profile.esim_tran_no == esim_tran_no)
            else {
                return Vec::new();
            };
            let (event_type, payload) = update_payload(profile, *update);
            vec![event(
                event_type,
                &format!("{source_event_id}\0{esim_tran_no}"),
                payload,
            )]
        }
    }
}

/// The event of a chat customer asking for a person, with their latest order if any.
/// `input_id` is the message that asked, so the same request is always the same event.
pub fn handoff_event(
    customer: &str,
    latest_order: Option<&OrderRecord>,
    input_id: &str,
    now: DateTime<Utc>,
) -> Outbound {
    Outbound {
        audience: Audience::Chat,
        event: Event {
            id: event_id(
                &bot::order_owner(customer),
                "",
                EventType::HandoffRequested,
                input_id,
            ),
            event_type: EventType::HandoffRequested,
            created_at: now.trunc_subsecs(3),
            bino_transaction_id: latest_order.map(|order| order.bino_transaction_id.clone()),
            payload: json!({ "reason": "the customer asked to talk to a person" }),
            context: Some(support_context(latest_order, customer)),
        },
    }
}

/// `evt_` and 32 hex digits of SHA-256 over what identifies the change.
fn event_id(
    owner: &str,
    bino_transaction_id: &str,
    event_type: EventType,
    version: &str,
) -> String {
    let mut hasher = Sha256::new();
    for part in [owner, bino_transaction_id, event_type.as_str(), version] {
        hasher.update(part.as_bytes());
        hasher.update(b"\0");
    }
    format!("evt_{}", hex::encode(&hasher.finalize()[..16]))
}

fn support_context(record: Option<&OrderRecord>, customer: &str) -> SupportContext {
    SupportContext {
        plan_name: record.map(|record| {
            record
                .items
                .iter()
                .map(|item| item.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }),
        price: record.map(|record| record.total_price),
        currency: "USD".to_owned(),
        customer: hash_id(customer),
    }
}

fn submitted_payload(record: &OrderRecord) -> Value {
    let items: Vec<Value> = record
        .items
        .iter()
        .map(|item| {
            json!({
                "packageCode": item.package_code,
                "name": item.name,
                "quantity": item.quantity,
                "periodDays": item.period_days,
                "esimTranNo": item.esim_tran_no,
                "unitPrice": item.unit_price,
            })
        })
        .collect();
    json!({
        "status": record.status,
        "kind": record.kind,
        "providerOrderReference": record.provider_order_reference,
        "items": items,
        "totalPrice": record.total_price,
        "currency": "USD",
    })
}

/// An allocated eSIM. The activation details go to the business that bought it, never to
/// the support desk, which has no use for a credential that installs the eSIM.
fn ready_payload(profile: &ProfileView, with_activation: bool) -> Value {
    let mut payload = json!({
        "esimTranNo": profile.esim_tran_no,
        "iccid": profile.iccid,
        "status": profile.status,
    });
    if with_activation {
        payload["qrCodeUrl"] = json!(profile.qr_code_url);
        payload["shortUrl"] = json!(profile.short_url);
        payload["activationCode"] = json!(profile.activation_code);
    }
    payload
}

fn update_payload(profile: &ProfileView, update: ProfileUpdate) -> (EventType, Value) {
    match update {
        ProfileUpdate::Status | ProfileUpdate::Smdp => (
            EventType::EsimStatus,
            json!({
                "esimTranNo": profile.esim_tran_no,
                "iccid": profile.iccid,
                "status": profile.status,
                "smdpStatus": profile.smdp_status,
            }),
        ),
        ProfileUpdate::DataUsage => (
            EventType::EsimDataUsage,
            json!({
                "esimTranNo": profile.esim_tran_no,
                "iccid": profile.iccid,
                "totalVolumeBytes": profile.total_volume_bytes,
                "usedBytes": profile.used_bytes,
                "remainingBytes": profile.total_volume_bytes.saturating_sub(profile.used_bytes),
            }),
        ),
        ProfileUpdate::ValidityUsage => (
            EventType::EsimValidityUsage,
            json!({
                "esimTranNo": profile.esim_tran_no,
                "iccid": profile.iccid,
                "status": profile.status,
                "expiresAt": profile.expires_at,
            }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::{OrderItem, OrderKind};
    use crate::supply::EsimStatus;

    fn record(owner: &str) -> OrderRecord {
        OrderRecord {
            bino_transaction_id: "order-1".to_owned(),
            owner: owner.to_owned(),
            fingerprint: "f".to_owned(),
            kind: OrderKind::NewEsims,
            items: vec![OrderItem {
                package_code: "JP-1".to_owned(),
                name: "Japan 1GB 7Days".to_owned(),
                quantity: 1,
                esim_tran_no: None,
                period_days: None,
                listed_cost: Money::from_units(10_000),
                unit_cost: Money::from_units(10_000),
                unit_price: Money::from_units(12_000),
            }],
            total_price: Money::from_units(12_000),
            status: OrderStatus::Allocated,
            provider_order_reference: Some("B1".to_owned()),
            profiles: vec![profile("T1"), profile("T2")],
            failure: None,
            created_at_ms: 0,
            updated_at_ms: 0,
            lease_until_ms: 0,
            payment: None,
        }
    }

    fn profile(esim_tran_no: &str) -> ProfileView {
        ProfileView {
            esim_tran_no: esim_tran_no.to_owned(),
            iccid: Some("8900000000000000001".to_owned()),
            activation_code: Some("LPA:1$smdp.example$MATCH".to_owned()),
            qr_code_url: Some("https://qr.example/1.png".to_owned()),
            short_url: None,
            status: EsimStatus::from("GOT_RESOURCE".to_owned()),
            smdp_status: None,
            total_volume_bytes: 1 << 30,
            used_bytes: 1 << 28,
            expires_at: None,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-01T12:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn update(update: ProfileUpdate, source: &str) -> OrderChange {
        OrderChange::ProfileUpdated {
            esim_tran_no: "T1".to_owned(),
            update,
            source_event_id: source.to_owned(),
        }
    }

    #[test]
    fn each_change_makes_the_events_of_its_type() {
        let business = record("a1b2c3d4e5f6");
        let cases = [
            (OrderChange::Submitted, vec![EventType::OrderSubmitted]),
            (OrderChange::Failed, vec![]),
            (
                OrderChange::Allocated,
                vec![EventType::EsimReady, EventType::EsimReady],
            ),
            (
                update(ProfileUpdate::Status, "n1"),
                vec![EventType::EsimStatus],
            ),
            (
                update(ProfileUpdate::Smdp, "n2"),
                vec![EventType::EsimStatus],
            ),
            (
                update(ProfileUpdate::DataUsage, "n3"),
                vec![EventType::EsimDataUsage],
            ),
            (
                update(ProfileUpdate::ValidityUsage, "n4"),
                vec![EventType::EsimValidityUsage],
            ),
        ];
        for (change, expected) in cases {
            let types: Vec<EventType> = events_for(&business, &change, now())
                .into_iter()
                .map(|outbound| outbound.event.event_type)
                .collect();
            assert_eq!(types, expected, "{change:?}");
        }
    }

    #[test]
    fn the_same_change_always_has_the_same_id_and_different_changes_differ() {
        let business = record("a1b2c3d4e5f6");
        let later = now() + chrono::Duration::minutes(5);
        let id = |change: &OrderChange, at| {
            events_for(&business, change, at)
                .into_iter()
                .map(|outbound| outbound.event.id)
                .collect::<Vec<_>>()
        };

        assert_eq!(
            id(&OrderChange::Allocated, now()),
            id(&OrderChange::Allocated, later)
        );
        let ready = id(&OrderChange::Allocated, now());
        assert_ne!(ready[0], ready[1], "one event per eSIM");
        assert_ne!(
            id(&update(ProfileUpdate::DataUsage, "n1"), now()),
            id(&update(ProfileUpdate::DataUsage, "n2"), now()),
        );
        let other_owner = events_for(&record("ffffffffffff"), &OrderChange::Submitted, now());
        assert_ne!(
            id(&OrderChange::Submitted, now())[0],
            other_owner[0].event.id
        );
        assert!(ready[0].starts_with("evt_") && ready[0].len() == 36);
    }

    #[test]
    fn a_business_event_carries_activation_details_in_camel_case() {
        let events = events_for(&record("a1b2c3d4e5f6"), &OrderChange::Allocated, now());
        let body = serde_json::to_value(&events[0].event).unwrap();

        assert_eq!(
            events[0].audience,
            Audience::Business {
                owner: "a1b2c3d4e5f6".to_owned()
            }
        );
        assert_eq!(body["type"], "esim.ready");
        assert_eq!(body["createdAt"], "2025-06-01T12:00:00.123Z");
        assert_eq!(body["binoTransactionId"], "order-1");
        assert_eq!(body["payload"]["iccid"], "8900000000000000001");
        assert_eq!(
            body["payload"]["activationCode"],
            "LPA:1$smdp.example$MATCH"
        );
        assert_eq!(body["payload"]["qrCodeUrl"], "https://qr.example/1.png");
        assert!(body.get("context").is_none());
    }

    #[test]
    fn a_chat_event_carries_plan_context_and_no_personal_data() {
        let chat = record(&bot::order_owner("15550001234"));

        let events = events_for(&chat, &OrderChange::Allocated, now());
        let failed = events_for(&chat, &OrderChange::Failed, now());

        assert_eq!(events[0].audience, Audience::Chat);
        let body = serde_json::to_string(&events[0].event).unwrap();
        assert!(!body.contains("15550001234"), "{body}");
        assert!(
            !body.contains("activationCode") && !body.contains("MATCH"),
            "{body}"
        );
        let context = events[0].event.context.as_ref().unwrap();
        assert_eq!(context.plan_name.as_deref(), Some("Japan 1GB 7Days"));
        assert_eq!(context.price, Some(Money::from_units(12_000)));
        assert_eq!(context.customer, hash_id("15550001234"));
        assert_eq!(failed[0].event.event_type, EventType::OrderFailed);
    }

    #[test]
    fn a_handoff_is_one_event_per_request() {
        let chat = record(&bot::order_owner("15550001234"));

        let first = handoff_event("15550001234", Some(&chat), "wamid.1", now());
        let again = handoff_event("15550001234", Some(&chat), "wamid.1", now());
        let other = handoff_event("15550001234", None, "wamid.2", now());

        assert_eq!(first.event.id, again.event.id);
        assert_ne!(first.event.id, other.event.id);
        assert_eq!(first.event.bino_transaction_id.as_deref(), Some("order-1"));
        assert_eq!(other.event.bino_transaction_id, None);
        assert_eq!(other.event.context.unwrap().plan_name, None);
    }
}
