//! Bino's own model of what Meta's webhooks carry, after the tolerant parse in
//! [`super::payload`]. These types are what the inbox worker queues per customer and what
//! the conversation sees; Meta's wire format stays inside the parser.
//!
//! Everything here is serialisable because parsed updates wait in the store, in a queue per
//! customer, between the parse and the turn that handles them.

use serde::{Deserialize, Serialize};

/// Who a traveller is on WhatsApp. Meta identifies users by phone number (`wa_id`) and, since
/// usernames arrived, by a business-scoped user id (BSUID) that may be the only identifier of
/// a user who hides their number. Both are kept when known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The business-scoped user id (`US.13491208655302741918`), stable for this business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The phone number as WhatsApp knows it, digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    /// The parent BSUID, when the business has linked portfolios.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_user_id: Option<String>,
}

impl Identity {
    /// The customer key: the BSUID when present (it survives a change of number), else the
    /// phone number. `None` when the update names nobody.
    pub fn key(&self) -> Option<&str> {
        self.user_id.as_deref().or(self.wa_id.as_deref())
    }

    /// How to address a reply: to the phone number when we have it (Meta's advice, so later
    /// webhooks keep carrying it), else to the BSUID through the `recipient` field.
    pub fn address(&self) -> Option<Recipient> {
        match (&self.wa_id, &self.user_id) {
            (Some(phone), _) => Some(Recipient::Phone(phone.clone())),
            (None, Some(user)) => Some(Recipient::UserId(user.clone())),
            (None, None) => None,
        }
    }

    /// Adds what `other` knows and this does not; a later message may reveal more of a user.
    pub fn merge(&mut self, other: &Identity) {
        if self.user_id.is_none() {
            self.user_id.clone_from(&other.user_id);
        }
        if self.wa_id.is_none() {
            self.wa_id.clone_from(&other.wa_id);
        }
        if self.parent_user_id.is_none() {
            self.parent_user_id.clone_from(&other.parent_user_id);
        }
    }
}

/// The identifier a message is sent to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Recipient {
    /// Sent in the `to` field.
    Phone(String),
    /// Sent in the `recipient` field.
    UserId(String),
}

/// One item of a webhook batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "update", rename_all = "snake_case")]
pub enum Update {
    /// Something a traveller sent.
    Message(InboundMessage),
    /// What became of a message we sent.
    Status(StatusUpdate),
    /// An error Meta reports at the level of a change, not tied to one message.
    Error(ValueError),
    /// A change of a field Bino does not act on (account updates, template reviews, ...),
    /// acknowledged so Meta stops retrying it.
    Ignored { field: String },
}

impl Update {
    /// The customer the update belongs to, if any.
    pub fn customer(&self) -> Option<&str> {
        match self {
            Update::Message(message) => message.from.key(),
            Update::Status(status) => status.recipient.key(),
            Update::Error(_) | Update::Ignored { .. } => None,
        }
    }
}

/// A message from a traveller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Meta's message id (`wamid.…`); duplicates of a delivery share it.
    pub id: String,
    pub from: Identity,
    /// The profile name, when the batch had a contact for the sender. Personal data: never log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    /// When the traveller sent it, in Unix seconds.
    pub timestamp: i64,
    /// The business number it was sent to (`metadata.phone_number_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// The message this one answers or quotes, e.g. the list a row was picked from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<MessageContext>,
    pub content: Content,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContext {
    /// The id of the message replied to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub forwarded: bool,
}

/// What a message carries. Media are referenced by id only: Bino never downloads them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        body: String,
    },
    /// A row picked from an interactive list.
    ListReply {
        id: String,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// A reply button tapped.
    ButtonReply {
        id: String,
        title: String,
    },
    /// A WhatsApp Flow submitted (`nfm_reply`); `response_json` is Meta's string as sent.
    FlowReply {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_json: Option<String>,
    },
    /// A quick-reply button of a template tapped.
    TemplateButton {
        payload: String,
        text: String,
    },
    Media {
        kind: MediaKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Shared contact cards; only their number is kept.
    Contacts {
        count: usize,
    },
    /// A reaction to one of our messages; `emoji: None` removes an earlier reaction.
    Reaction {
        message_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        emoji: Option<String>,
    },
    /// A cart sent from a catalog.
    Order {
        items: usize,
    },
    /// A system notice, e.g. the user changed number or BSUID.
    System {
        kind: String,
        /// The user's new phone number, when the notice says so.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_wa_id: Option<String>,
        /// The user's new BSUID, when the notice says so.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_user_id: Option<String>,
    },
    /// The user opened the chat for the first time (a welcome request).
    RequestWelcome,
    /// The user deleted a message they had sent.
    Revoke {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original_message_id: Option<String>,
    },
    /// The user edited a message; `content` is the new version when Meta sends it.
    Edit {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original_message_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<Box<Content>>,
    },
    /// A message WhatsApp could not hand over (Meta's `unsupported` type), with its error codes.
    Unsupported {
        #[serde(default)]
        error_codes: Vec<i64>,
    },
    /// A type not known when this was written; kept by name so nothing fails on it.
    Unknown {
        kind: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Audio,
    /// A voice note (an `audio` message with `voice: true`).
    Voice,
    Video,
    Document,
    Sticker,
}

/// What Meta reports about a message we sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The id Meta gave our message when we sent it.
    pub message_id: String,
    pub recipient: Identity,
    pub status: DeliveryStatus,
    pub timestamp: i64,
    /// Why a message failed; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorDetail>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    /// A voice message was played.
    Played,
    Failed,
    /// A status not known when this was written, by name.
    Other(String),
}

impl DeliveryStatus {
    pub fn as_str(&self) -> &str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Played => "played",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Other(name) => name,
        }
    }
}

/// One of Meta's error objects (`{code, title, message, error_data: {details}}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// Errors reported for a whole change (`value.errors`), e.g. a webhook Meta could not build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    pub errors: Vec<ErrorDetail>,
}
