//! Where the bot's messages go: WhatsApp through the Graph API, or a terminal for
//! `bino chat`. The conversation and its executor are the same for both.

use async_trait::async_trait;

use crate::whatsapp::Identity;
use crate::whatsapp::graph::ErrorClass;
use crate::whatsapp::message::Outbound;
use crate::whatsapp::outbox::{Outbox, OutboxError};

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// Worth trying the whole turn again later (a network failure, Meta busy).
    #[error("message not sent, retry later: {0}")]
    Retry(String),
    /// Trying again would fail the same way (the customer's window closed, the recipient
    /// blocked us, the request was refused); the turn goes on without this message.
    #[error("message not sent: {0}")]
    Dropped(String),
}

#[async_trait]
pub trait Channel: Send + Sync + 'static {
    /// Sends `message` to the customer. `purpose` says why, for the record of what was sent.
    async fn send(
        &self,
        customer: &str,
        to: &Identity,
        message: &Outbound,
        purpose: &str,
    ) -> Result<(), ChannelError>;

    /// Sends the eSIM's activation string as a QR code image, with a caption.
    async fn send_qr(
        &self,
        customer: &str,
        to: &Identity,
        activation_code: &str,
        caption: &str,
        purpose: &str,
    ) -> Result<(), ChannelError>;

    /// Shows the customer their message was read and, with `typing`, that a reply is
    /// coming. Best effort.
    async fn acknowledge(&self, message_id: &str, typing: bool);

    /// Whether free-form messages reach the customer now; when not, only a template does.
    /// A channel without such a rule (a terminal) is always open.
    async fn window_open(&self, _customer: &str) -> Result<bool, ChannelError> {
        Ok(true)
    }
}

/// WhatsApp, through the outbox (which checks the 24-hour window and records what was sent).
pub struct WhatsAppChannel {
    outbox: std::sync::Arc<Outbox>,
}

impl WhatsAppChannel {
    pub fn new(outbox: std::sync::Arc<Outbox>) -> Self {
        WhatsAppChannel { outbox }
    }
}

fn channel_error(error: OutboxError) -> ChannelError {
    match error {
        OutboxError::WindowClosed => ChannelError::Dropped(error.to_string()),
        OutboxError::Store(error) => ChannelError::Retry(error.to_string()),
        OutboxError::Graph(error) => match error.class {
            ErrorClass::Retry | ErrorClass::PairRateLimited | ErrorClass::AlertAndStop => {
                ChannelError::Retry(error.to_string())
            }
            // Meta may have delivered it: sending again risks a duplicate, which confuses
            // a traveller more than a reply that may be missing.
            ErrorClass::Unconfirmed
            | ErrorClass::UseTemplate
            | ErrorClass::NeverRetry
            | ErrorClass::FixRequest
            | ErrorClass::Unknown => ChannelError::Dropped(error.to_string()),
        },
    }
}

#[async_trait]
impl Channel for WhatsAppChannel {
    async fn send(
        &self,
        customer: &str,
        to: &Identity,
        message: &Outbound,
        purpose: &str,
    ) -> Result<(), ChannelError> {
        let Some(recipient) = to.address() else {
            return Err(ChannelError::Dropped(
                "the customer has no address".to_owned(),
            ));
        };
        self.outbox
            .send(customer, &recipient, message, purpose)
            .await
            .map(drop)
            .map_err(channel_error)
    }

    async fn send_qr(
        &self,
        customer: &str,
        to: &Identity,
        activation_code: &str,
        caption: &str,
        purpose: &str,
    ) -> Result<(), ChannelError> {
        let png = crate::delivery::render_png(activation_code)
            .map_err(|error| ChannelError::Dropped(error.to_string()))?;
        let media_id = self
            .outbox
            .graph()
            .upload_png(png, "esim-qr.png")
            .await
            .map_err(|error| channel_error(OutboxError::Graph(error)))?;
        let image = Outbound::image(&media_id, Some(caption))
            .map_err(|error| ChannelError::Dropped(error.to_string()))?;
        self.send(customer, to, &image, purpose).await
    }

    async fn acknowledge(&self, message_id: &str, typing: bool) {
        if let Err(error) = self.outbox.acknowledge(message_id, typing).await {
            tracing::debug!(%error, "read receipt not sent");
        }
    }

    async fn window_open(&self, customer: &str) -> Result<bool, ChannelError> {
        self.outbox
            .window_open(customer)
            .await
            .map_err(|error| ChannelError::Retry(error.to_string()))
    }
}

/// Used when no Graph API token and phone number id are configured: every message is
/// dropped with a warning, so the rest of the service (and the supply API) still runs.
pub struct Unconfigured;

#[async_trait]
impl Channel for Unconfigured {
    async fn send(
        &self,
        _customer: &str,
        _to: &Identity,
        _message: &Outbound,
        _purpose: &str,
    ) -> Result<(), ChannelError> {
        Err(ChannelError::Dropped(
            "no WhatsApp token and phone number id are configured".to_owned(),
        ))
    }

    async fn send_qr(
        &self,
        _customer: &str,
        _to: &Identity,
        _activation_code: &str,
        _caption: &str,
        _purpose: &str,
    ) -> Result<(), ChannelError> {
        Err(ChannelError::Dropped(
            "no WhatsApp token and phone number id are configured".to_owned(),
        ))
    }

    async fn acknowledge(&self, _message_id: &str, _typing: bool) {}
}
