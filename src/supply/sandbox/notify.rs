//! The bodies of the events the sandbox pushes, shaped exactly like the real supplier's
//! webhook posts so the webhook worker cannot tell the two apart.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::ids::supplier_time;
use crate::supply::Profile;

/// One lifecycle step of an allocated profile. The compressed clock plays them one
/// `event_interval` apart, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// The phone starts downloading the profile from the SM-DP+.
    Download,
    Installation,
    /// The profile is switched on in the phone.
    Enabled,
    /// The profile attached to a network: the validity clock starts.
    InUse,
    /// Percent of the data used, at the thresholds the supplier reports.
    DataUsed(u8),
    /// One day of validity is left.
    LastDay,
}

pub(super) const LIFECYCLE: [Step; 8] = [
    Step::Download,
    Step::Installation,
    Step::Enabled,
    Step::InUse,
    Step::DataUsed(50),
    Step::DataUsed(80),
    Step::DataUsed(90),
    Step::LastDay,
];

/// The envelope every event shares.
fn envelope(notify_type: &str, notify_id: &str, at: DateTime<Utc>, content: Value) -> Vec<u8> {
    let body = json!({
        "notifyType": notify_type,
        "notifyId": notify_id,
        "eventGenerateTime": supplier_time(at),
        "content": content,
    });
    body.to_string().into_bytes()
}

/// Fields that name the profile, present in every per-profile event.
fn profile_fields(profile: &Profile) -> serde_json::Map<String, Value> {
    let mut fields = serde_json::Map::new();
    fields.insert("orderNo".into(), json!(profile.order_no));
    fields.insert("esimTranNo".into(), json!(profile.esim_tran_no));
    fields.insert("transactionId".into(), json!(profile.transaction_id));
    fields.insert("iccid".into(), json!(profile.iccid));
    fields
}

fn with(mut fields: serde_json::Map<String, Value>, extra: Value) -> Value {
    if let Value::Object(extra) = extra {
        fields.extend(extra);
    }
    Value::Object(fields)
}

/// ORDER_STATUS: every profile of the order is allocated and can be read back.
pub(super) fn order_ready(notify_id: &str, at: DateTime<Utc>, order_no: &str) -> Vec<u8> {
    let content = json!({ "orderNo": order_no, "orderStatus": "GOT_RESOURCE" });
    envelope("ORDER_STATUS", notify_id, at, content)
}

/// SMDP_EVENT: a download, installation or enablement on the phone with this `eid`.
pub(super) fn smdp_event(
    notify_id: &str,
    at: DateTime<Utc>,
    profile: &Profile,
    eid: &str,
) -> Vec<u8> {
    let esim_status: String = profile.esim_status.clone().into();
    let content = with(
        profile_fields(profile),
        json!({ "eid": eid, "esimStatus": esim_status, "smdpStatus": profile.smdp_status }),
    );
    envelope("SMDP_EVENT", notify_id, at, content)
}

/// ESIM_STATUS: the profile's status changed (in use, cancelled, ...).
pub(super) fn esim_status(notify_id: &str, at: DateTime<Utc>, profile: &Profile) -> Vec<u8> {
    let esim_status: String = profile.esim_status.clone().into();
    let content = with(
        profile_fields(profile),
        json!({ "esimStatus": esim_status, "smdpStatus": profile.smdp_status }),
    );
    envelope("ESIM_STATUS", notify_id, at, content)
}

/// DATA_USAGE: `threshold` of the data is used. The supplier's documentation gives the
/// threshold as the fraction used (0.5, 0.8, 0.9), which is what is sent here.
pub(super) fn data_usage(
    notify_id: &str,
    at: DateTime<Utc>,
    profile: &Profile,
    threshold: f64,
) -> Vec<u8> {
    let content = with(
        profile_fields(profile),
        json!({
            "totalVolume": profile.total_volume_bytes,
            "orderUsage": profile.used_bytes,
            "remain": profile.total_volume_bytes.saturating_sub(profile.used_bytes),
            "lastUpdateTime": supplier_time(at),
            "remainThreshold": threshold,
        }),
    );
    envelope("DATA_USAGE", notify_id, at, content)
}

/// VALIDITY_USAGE: one day of validity is left before `expiredTime`.
pub(super) fn validity_usage(notify_id: &str, at: DateTime<Utc>, profile: &Profile) -> Vec<u8> {
    let content = with(
        profile_fields(profile),
        json!({
            "durationUnit": "DAY",
            "totalDuration": profile.total_duration,
            "expiredTime": profile.expires_at.map(supplier_time),
            "remain": 1,
        }),
    );
    envelope("VALIDITY_USAGE", notify_id, at, content)
}
