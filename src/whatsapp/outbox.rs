//! Sending to a customer: the 24-hour window checked first, and every message sent
//! remembered, so that what Meta later reports about it (a failed delivery arrives by
//! webhook, minutes later) can be tied back to the customer and to why we sent it.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::graph::{GraphClient, GraphError};
use super::message::Outbound;
use super::model::{DeliveryStatus, Recipient, StatusUpdate};
use crate::jobs::whatsapp::window_open;
use crate::store::{SharedStore, Store, StoreError};

/// Sent messages are remembered this long; Meta reports on a message within days.
const SENT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// What Bino remembers of a message it sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRecord {
    /// The customer key it went to.
    pub customer: String,
    /// Why it was sent, in Bino's words (`plan_list`, `esim_qr`, ...): lets the
    /// conversation or the order react when it fails.
    pub purpose: String,
    /// The message type: `text`, `list`, `buttons`, `image` or `template`.
    pub kind: String,
    pub sent_at: i64,
    /// The latest status Meta reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Meta's error code, when the message failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// More than 24 hours since the customer's last message: only a template may be sent.
    #[error("the customer's 24-hour window is closed; send a template")]
    WindowClosed,
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends through the Graph API and keeps the record of what was sent.
pub struct Outbox {
    graph: Arc<GraphClient>,
    store: SharedStore,
}

impl Outbox {
    pub fn new(graph: Arc<GraphClient>, store: SharedStore) -> Self {
        Outbox { graph, store }
    }

    /// Sends `message` to `customer` at `to`, and returns Meta's message id. Anything but a
    /// template is refused outside the 24-hour window without calling Meta, which would
    /// refuse it too (error 131047) after counting it against our quality.
    pub async fn send(
        &self,
        customer: &str,
        to: &Recipient,
        message: &Outbound,
        purpose: &str,
    ) -> Result<String, OutboxError> {
        let now = chrono::Utc::now().timestamp();
        if !matches!(message, Outbound::Template(_))
            && !window_open(self.store.as_ref(), customer, now).await?
        {
            return Err(OutboxError::WindowClosed);
        }
        let sent = self.graph.send(to, message).await?;
        let record = SentRecord {
            customer: customer.to_owned(),
            purpose: purpose.to_owned(),
            kind: message.kind().to_owned(),
            sent_at: now,
            status: None,
            error_code: None,
        };
        // Meta accepted the message; failing to remember it only loses the link to a later
        // status, so it must not turn the send into an error that would resend it.
        if let Err(error) = remember(self.store.as_ref(), &sent.id, &record).await {
            tracing::warn!(%error, "sent WhatsApp message not recorded");
        }
        Ok(sent.id)
    }

    /// Marks the customer's message as read, with "typing…" while a reply is prepared when
    /// `typing`.
    pub async fn acknowledge(&self, message_id: &str, typing: bool) -> Result<(), GraphError> {
        self.graph.mark_read(message_id, typing).await
    }

    /// Whether free-form messages reach the customer now: their last message is less than
    /// 24 hours old.
    pub async fn window_open(&self, customer: &str) -> Result<bool, StoreError> {
        window_open(
            self.store.as_ref(),
            customer,
            chrono::Utc::now().timestamp(),
        )
        .await
    }

    pub fn graph(&self) -> &GraphClient {
        &self.graph
    }
}

fn sent_key(message_id: &str) -> String {
    format!("wa:sent:{message_id}")
}

async fn remember(
    store: &dyn Store,
    message_id: &str,
    record: &SentRecord,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(record).expect("a sent record serialises");
    store
        .set(&sent_key(message_id), &bytes, Some(SENT_TTL))
        .await
}

/// What Bino sent as `message_id`, if it still remembers.
pub async fn sent_record(
    store: &dyn Store,
    message_id: &str,
) -> Result<Option<SentRecord>, StoreError> {
    crate::store::get_json(store, &sent_key(message_id)).await
}

/// Records what Meta reports about one of our messages and returns the updated record, or
/// `None` for a message Bino does not remember (sent by another tool, or long ago). A
/// status never downgrades a failure: Meta may report `sent` after `failed`.
pub async fn note_status(
    store: &dyn Store,
    status: &StatusUpdate,
) -> Result<Option<SentRecord>, StoreError> {
    let Some(mut record) = sent_record(store, &status.message_id).await? else {
        return Ok(None);
    };
    if record.error_code.is_some() {
        return Ok(Some(record));
    }
    record.status = Some(status.status.as_str().to_owned());
    if status.status == DeliveryStatus::Failed {
        record.error_code = Some(status.errors.first().map_or(0, |error| error.code));
    }
    remember(store, &status.message_id, &record).await?;
    Ok(Some(record))
}
