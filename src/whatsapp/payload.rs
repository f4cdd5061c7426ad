//! The tolerant reader of Meta's webhook bodies: one POST in, a list of [`Update`]s out.
//!
//! Meta batches. A body holds entries, an entry holds changes, and a change of the `messages`
//! field holds messages, statuses and errors: up to a thousand items in one POST. Each item is
//! read on its own from its `serde_json::Value`, so an item with an odd shape is left out and
//! recorded in [`Parsed::skipped`] while the rest of the batch still goes through. Only a body
//! that is not a JSON object at all is an error.
//!
//! Fields are optional unless Meta always sends them; numbers may arrive as text and text as
//! numbers; unknown fields are ignored and unknown message types, statuses and change fields
//! are kept by name. This module logs nothing: what it reads is personal data, and the inbox
//! worker logs the skip reasons.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::whatsapp::model::{
    Content, DeliveryStatus, ErrorDetail, Identity, InboundMessage, MediaKind, MessageContext,
    StatusUpdate, Update, ValueError,
};
use crate::wire::{opt_bool, opt_f64, opt_i64, opt_string, vec_or_empty};

/// The `object` of WhatsApp Business Account webhooks; any other is another product's.
const WABA_OBJECT: &str = "whatsapp_business_account";

/// The change field that carries messages, statuses and errors.
const MESSAGES_FIELD: &str = "messages";

/// The longest name (of a field, a type or a status) kept from a body: these names end up in
/// logs and metric labels, so a runaway one must not.
const NAME_LIMIT_BYTES: usize = 64;

/// What a webhook body held.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// The updates, in the order of the body.
    pub updates: Vec<Update>,
    /// The items left out, with why. They hold no personal data, so they can be logged.
    pub skipped: Vec<Skipped>,
}

impl Parsed {
    fn skip(&mut self, reason: SkipReason, message_id: Option<String>) {
        self.skipped.push(Skipped { reason, message_id });
    }
}

/// An item of the body that did not become an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub reason: SkipReason,
    /// Meta's id of the item (`wamid.…`), when it had a readable one: enough to find it in
    /// Meta's tools without logging its content.
    pub message_id: Option<String>,
}

/// Why an item was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// A message naming neither a phone number nor a BSUID, not even through the contacts
    /// of its change: there is nobody to answer.
    NoSender,
    /// A message without a readable, non-negative Unix time (missing, not a number, negative).
    InvalidTimestamp,
    /// A message or status without an id: it cannot be deduplicated or matched.
    NoId,
    /// A status without the name of the status.
    NoStatus,
    /// An item that is not an object, or whose content does not fit its type (a text without
    /// a body, an `interactive` that is an array, a reaction naming no message, ...).
    MalformedItem,
    /// An entry, a change or a list of items that is not the object or array Meta sends.
    MalformedChange,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NoSender => "no_sender",
            SkipReason::InvalidTimestamp => "invalid_timestamp",
            SkipReason::NoId => "no_id",
            SkipReason::NoStatus => "no_status",
            SkipReason::MalformedItem => "malformed_item",
            SkipReason::MalformedChange => "malformed_change",
        }
    }
}

/// A body that cannot be read at all. Meta never sends one, so the request came from
/// someone else or was cut short.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("webhook body is not valid json")]
    NotJson(#[source] serde_json::Error),
    #[error("webhook body is not a json object")]
    NotAnObject,
}

/// Reads every entry, change and item of a webhook body.
pub fn parse(body: &[u8]) -> Result<Parsed, PayloadError> {
    let mut body: Value = serde_json::from_slice(body).map_err(PayloadError::NotJson)?;
    let envelope = body.as_object_mut().ok_or(PayloadError::NotAnObject)?;
    let mut parsed = Parsed::default();

    // A webhook of another product (a Page, Instagram) sent to this endpoint by mistake is
    // acknowledged once, not read: its shape is not this one.
    if let Some(Value::String(object)) = envelope.get("object")
        && object != WABA_OBJECT
    {
        let field = bounded(format!("object:{object}"));
        parsed.updates.push(Update::Ignored { field });
        return Ok(parsed);
    }

    let Ok(entries) = take_list(envelope, "entry") else {
        parsed.skip(SkipReason::MalformedChange, None);
        return Ok(parsed);
    };
    for entry in entries {
        read_entry(entry, &mut parsed);
    }
    Ok(parsed)
}

fn read_entry(mut entry: Value, parsed: &mut Parsed) {
    let Some(entry) = entry.as_object_mut() else {
        parsed.skip(SkipReason::MalformedChange, None);
        return;
    };
    let Ok(changes) = take_list(entry, "changes") else {
        parsed.skip(SkipReason::MalformedChange, None);
        return;
    };
    for change in changes {
        read_change(change, parsed);
    }
}

fn read_change(mut change: Value, parsed: &mut Parsed) {
    let Some(change) = change.as_object_mut() else {
        parsed.skip(SkipReason::MalformedChange, None);
        return;
    };

    // A change without a field is read as messages: its items say what they are.
    match change.get("field").and_then(Value::as_str) {
        Some(field) if field != MESSAGES_FIELD => {
            let field = bounded(field.to_owned());
            parsed.updates.push(Update::Ignored { field });
        }
        _ => match change.get_mut("value").map(Value::take) {
            None | Some(Value::Null) => {}
            Some(Value::Object(value)) => read_messages_value(value, parsed),
            Some(_) => parsed.skip(SkipReason::MalformedChange, None),
        },
    }
}

/// Reads the `value` of a `messages` change: its contacts first, since messages and
/// statuses find their user's other identifiers and profile there.
fn read_messages_value(mut value: Map<String, Value>, parsed: &mut Parsed) {
    let phone_number_id = value
        .get("metadata")
        .and_then(|metadata| metadata.get("phone_number_id"))
        .and_then(text_of);
    let contacts: Vec<RawContact> = match take_list(&mut value, "contacts") {
        Ok(contacts) => contacts
            .into_iter()
            .filter_map(|contact| serde_json::from_value(contact).ok())
            .collect(),
        Err(()) => Vec::new(),
    };

    read_items(&mut value, "messages", parsed, |item| {
        read_message(item, &contacts, phone_number_id.as_deref()).map(Update::Message)
    });
    read_items(&mut value, "statuses", parsed, |item| {
        read_status(item, &contacts).map(Update::Status)
    });

    match take_list(&mut value, "errors") {
        Ok(errors) if errors.is_empty() => {}
        Ok(errors) => {
            let errors: Vec<ErrorDetail> = errors.into_iter().filter_map(read_error).collect();
            if errors.is_empty() {
                parsed.skip(SkipReason::MalformedItem, None);
            } else {
                parsed.updates.push(Update::Error(ValueError {
                    phone_number_id,
                    errors,
                }));
            }
        }
        Err(()) => parsed.skip(SkipReason::MalformedChange, None),
    }
}

/// Reads each item of the list under `key` on its own, keeping what `read` makes of it.
fn read_items(
    value: &mut Map<String, Value>,
    key: &str,
    parsed: &mut Parsed,
    read: impl Fn(Value) -> Result<Update, Skipped>,
) {
    let Ok(items) = take_list(value, key) else {
        parsed.skip(SkipReason::MalformedChange, None);
        return;
    };
    parsed.updates.reserve(items.len());
    for item in items {
        match read(item) {
            Ok(update) => parsed.updates.push(update),
            Err(skipped) => parsed.skipped.push(skipped),
        }
    }
}

fn read_message(
    item: Value,
    contacts: &[RawContact],
    phone_number_id: Option<&str>,
) -> Result<InboundMessage, Skipped> {
    let Ok(mut raw) = read_item::<RawMessage>(item) else {
        return Err(skipped(SkipReason::MalformedItem, None));
    };
    let Some(id) = raw.id.take() else {
        return Err(skipped(SkipReason::NoId, None));
    };
    let Some(timestamp) = raw.timestamp.filter(|seconds| *seconds >= 0) else {
        return Err(skipped(SkipReason::InvalidTimestamp, Some(id)));
    };

    let mut from = Identity {
        user_id: raw.from_user_id.take(),
        wa_id: raw.from.take(),
        parent_user_id: raw.from_parent_user_id.take(),
    };
    // A notice that a user's BSUID changed may name the user only by the id they had before.
    if from.key().is_none()
        && let Some(system) = &raw.system
    {
        from.user_id.clone_from(&system.previous_user_id);
        from.parent_user_id
            .clone_from(&system.previous_parent_user_id);
    }
    let contact = match_contact(contacts, &from);
    if let Some(contact) = contact {
        contact.fill(&mut from);
    }
    if from.key().is_none() {
        return Err(skipped(SkipReason::NoSender, Some(id)));
    }

    let context = raw.context.take().and_then(RawContext::into_context);
    let Some(content) = read_content(raw, 0) else {
        return Err(skipped(SkipReason::MalformedItem, Some(id)));
    };
    Ok(InboundMessage {
        id,
        from,
        profile_name: contact.and_then(RawContact::profile_name),
        timestamp,
        phone_number_id: phone_number_id.map(str::to_owned),
        context,
        content,
    })
}

fn read_status(item: Value, contacts: &[RawContact]) -> Result<StatusUpdate, Skipped> {
    let Ok(raw) = read_item::<RawStatus>(item) else {
        return Err(skipped(SkipReason::MalformedItem, None));
    };
    let Some(message_id) = raw.id else {
        return Err(skipped(SkipReason::NoId, None));
    };
    let Some(status) = raw.status else {
        return Err(skipped(SkipReason::NoStatus, Some(message_id)));
    };

    // For a message sent to a group, the recipient is the participant, not the group.
    let mut recipient = if raw.recipient_type.as_deref() == Some("group") {
        Identity {
            user_id: raw.recipient_participant_user_id,
            wa_id: raw.recipient_participant_id,
            parent_user_id: raw.recipient_participant_parent_user_id,
        }
    } else {
        Identity {
            user_id: raw.recipient_user_id,
            wa_id: raw.recipient_id,
            parent_user_id: raw.recipient_parent_user_id,
        }
    };
    if let Some(contact) = match_contact(contacts, &recipient) {
        contact.fill(&mut recipient);
    }

    Ok(StatusUpdate {
        message_id,
        recipient,
        status: delivery_status(status),
        // A status is worth keeping even without its time (it still settles the message),
        // so an unreadable time reads as zero rather than losing the status.
        timestamp: raw.timestamp.filter(|seconds| *seconds >= 0).unwrap_or(0),
        errors: raw
            .errors
            .into_iter()
            .filter_map(RawError::into_detail)
            .collect(),
    })
}

fn delivery_status(name: String) -> DeliveryStatus {
    match name.as_str() {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "played" => DeliveryStatus::Played,
        "failed" => DeliveryStatus::Failed,
        _ => DeliveryStatus::Other(bounded(name)),
    }
}

fn read_error(error: Value) -> Option<ErrorDetail> {
    read_item::<RawError>(error).ok()?.into_detail()
}

/// What a message says, by its `type`. `None` when the type's own object is missing or
/// unreadable where Meta always sends it, which makes the message malformed.
///
/// `depth` counts edits: an edit carries the new message, which is read the same way once.
fn read_content(raw: RawMessage, depth: u8) -> Option<Content> {
    let RawMessage {
        kind,
        text,
        interactive,
        button,
        image,
        audio,
        voice,
        video,
        document,
        sticker,
        location,
        contacts,
        reaction,
        order,
        system,
        revoke,
        edit,
        errors,
        ..
    } = raw;
    let kind = kind.unwrap_or_default();

    Some(match kind.as_str() {
        "text" => Content::Text { body: text?.body? },
        "interactive" => read_interactive(interactive?)?,
        "button" => {
            let button = button?;
            let payload = button.payload.or_else(|| button.text.clone())?;
            Content::TemplateButton {
                payload,
                text: button.text.unwrap_or_default(),
            }
        }
        "image" => media(MediaKind::Image, image),
        "audio" => {
            let is_voice = audio.as_ref().and_then(|audio| audio.voice) == Some(true);
            let kind = if is_voice {
                MediaKind::Voice
            } else {
                MediaKind::Audio
            };
            media(kind, audio)
        }
        "voice" => media(MediaKind::Voice, voice.or(audio)),
        "video" => media(MediaKind::Video, video),
        "document" => media(MediaKind::Document, document),
        "sticker" => media(MediaKind::Sticker, sticker),
        "location" => {
            let location = location?;
            Content::Location {
                latitude: location.latitude.filter(|l| (-90.0..=90.0).contains(l))?,
                longitude: location
                    .longitude
                    .filter(|l| (-180.0..=180.0).contains(l))?,
                name: location.name,
            }
        }
        "contacts" => Content::Contacts {
            count: contacts.unwrap_or(0),
        },
        "reaction" => {
            let reaction = reaction?;
            Content::Reaction {
                message_id: reaction.message_id?,
                emoji: reaction.emoji,
            }
        }
        "order" => Content::Order {
            items: order.and_then(|order| order.product_items).unwrap_or(0),
        },
        "system" => {
            let system = system.unwrap_or_default();
            Content::System {
                kind: bounded(system.kind.unwrap_or_else(|| "unknown".to_owned())),
                // `new_wa_id` is the older name of the new number; Meta now sends `wa_id`.
                new_wa_id: system.new_wa_id.or(system.wa_id),
                new_user_id: system.user_id,
            }
        }
        "request_welcome" => Content::RequestWelcome,
        // Older webhooks named unsupported messages `unknown`, always with their errors.
        "unsupported" => unsupported(&errors),
        "unknown" if !errors.is_empty() => unsupported(&errors),
        "revoke" => Content::Revoke {
            original_message_id: revoke.and_then(|revoke| revoke.original_message_id),
        },
        "edit" if depth == 0 => {
            let edit = edit.unwrap_or_default();
            Content::Edit {
                original_message_id: edit.original_message_id,
                content: edit
                    .message
                    .and_then(|message| read_content(*message, depth + 1))
                    .map(Box::new),
            }
        }
        "" => Content::Unknown {
            kind: "untyped".to_owned(),
        },
        _ => Content::Unknown {
            kind: bounded(kind),
        },
    })
}

fn read_interactive(interactive: RawInteractive) -> Option<Content> {
    let kind = interactive.kind.unwrap_or_default();
    Some(match kind.as_str() {
        "list_reply" => {
            let reply = interactive.list_reply?;
            Content::ListReply {
                id: reply.id?,
                title: reply.title.unwrap_or_default(),
                description: reply.description,
            }
        }
        "button_reply" => {
            let reply = interactive.button_reply?;
            Content::ButtonReply {
                id: reply.id?,
                title: reply.title.unwrap_or_default(),
            }
        }
        "nfm_reply" => {
            let reply = interactive.nfm_reply.unwrap_or_default();
            Content::FlowReply {
                name: reply.name,
                response_json: reply.response_json,
            }
        }
        "" => Content::Unknown {
            kind: "interactive".to_owned(),
        },
        _ => Content::Unknown {
            kind: bounded(format!("interactive.{kind}")),
        },
    })
}

fn media(kind: MediaKind, media: Option<RawMedia>) -> Content {
    let media = media.unwrap_or_default();
    Content::Media {
        kind,
        media_id: media.id,
        mime_type: media.mime_type,
        caption: media.caption,
    }
}

fn unsupported(errors: &[RawError]) -> Content {
    Content::Unsupported {
        error_codes: errors.iter().filter_map(|error| error.code).collect(),
    }
}

/// The contact of a change that describes `who`: the one with the same BSUID, else the one
/// with the same phone number, else the only contact of the change unless its BSUID says it
/// is someone else. (A lone contact may carry the number in another form than the message,
/// as Meta has done for some countries.)
fn match_contact<'a>(contacts: &'a [RawContact], who: &Identity) -> Option<&'a RawContact> {
    let same = |ours: &Option<String>, theirs: &Option<String>| ours.is_some() && ours == theirs;
    contacts
        .iter()
        .find(|contact| same(&who.user_id, &contact.user_id))
        .or_else(|| {
            contacts
                .iter()
                .find(|contact| same(&who.wa_id, &contact.wa_id))
        })
        .or_else(|| match contacts {
            [only] if !differs(&who.user_id, &only.user_id) => Some(only),
            _ => None,
        })
}

fn differs(ours: &Option<String>, theirs: &Option<String>) -> bool {
    matches!((ours, theirs), (Some(ours), Some(theirs)) if ours != theirs)
}

fn skipped(reason: SkipReason, message_id: Option<String>) -> Skipped {
    Skipped { reason, message_id }
}

/// Takes the list under `key`: empty when absent or `null`, `Err` when it is something else.
fn take_list(object: &mut Map<String, Value>, key: &str) -> Result<Vec<Value>, ()> {
    match object.get_mut(key).map(Value::take) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(()),
    }
}

/// Reads one item into its wire type; only an item that is not an object fails, since every
/// field of the wire types tolerates odd values.
fn read_item<T: DeserializeOwned>(item: Value) -> Result<T, ()> {
    if !item.is_object() {
        return Err(());
    }
    serde_json::from_value(item).map_err(|_| ())
}

/// A string, or a number written as one; empty strings count as nothing.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Cuts a name from the body to [`NAME_LIMIT_BYTES`], on a character boundary.
fn bounded(mut name: String) -> String {
    if name.len() > NAME_LIMIT_BYTES {
        let mut end = NAME_LIMIT_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// A value of the expected shape, or nothing: a field of the wrong type is dropped instead
/// of failing the whole item.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(serde_json::from_value(Value::deserialize(deserializer)?).ok())
}

/// The length of a list, or nothing when the value is not a list.
fn list_len<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => Some(items.len()),
        _ => None,
    })
}

/// Meta's `response_json` is JSON written as a string; an object sent as-is is written out.
fn json_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        value @ (Value::Object(_) | Value::Array(_)) => Some(value.to_string()),
        _ => None,
    })
}

// Meta's wire format. Every field is optional and tolerant; what is required is decided when
// the wire types become the model, so that a missing field skips one item with a reason.

/// An entry of `value.contacts`: who the users of the change's messages or statuses are.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawContact {
    #[serde(deserialize_with = "opt_string")]
    wa_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    user_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    parent_user_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    profile: Option<RawProfile>,
}

impl RawContact {
    /// Adds the identifiers this contact knows and `identity` does not.
    fn fill(&self, identity: &mut Identity) {
        for (ours, theirs) in [
            (&mut identity.user_id, &self.user_id),
            (&mut identity.wa_id, &self.wa_id),
            (&mut identity.parent_user_id, &self.parent_user_id),
        ] {
            if ours.is_none() {
                ours.clone_from(theirs);
            }
        }
    }

    fn profile_name(&self) -> Option<String> {
        self.profile.as_ref()?.name.clone()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawProfile {
    #[serde(deserialize_with = "opt_string")]
    name: Option<String>,
}

/// An item of `value.messages`; also the `message` of an edit, which has the same shape.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMessage {
    #[serde(deserialize_with = "opt_string")]
    id: Option<String>,
    /// The sender's phone number; absent for a user who hides it behind a username.
    #[serde(deserialize_with = "opt_string")]
    from: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    from_user_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    from_parent_user_id: Option<String>,
    /// Unix seconds, as text (as Meta sends it) or as a number.
    #[serde(deserialize_with = "opt_i64")]
    timestamp: Option<i64>,
    #[serde(rename = "type", deserialize_with = "opt_string")]
    kind: Option<String>,
    #[serde(deserialize_with = "lenient")]
    context: Option<RawContext>,
    #[serde(deserialize_with = "lenient")]
    text: Option<RawText>,
    #[serde(deserialize_with = "lenient")]
    interactive: Option<RawInteractive>,
    #[serde(deserialize_with = "lenient")]
    button: Option<RawButton>,
    #[serde(deserialize_with = "lenient")]
    image: Option<RawMedia>,
    #[serde(deserialize_with = "lenient")]
    audio: Option<RawMedia>,
    #[serde(deserialize_with = "lenient")]
    voice: Option<RawMedia>,
    #[serde(deserialize_with = "lenient")]
    video: Option<RawMedia>,
    #[serde(deserialize_with = "lenient")]
    document: Option<RawMedia>,
    #[serde(deserialize_with = "lenient")]
    sticker: Option<RawMedia>,
    #[serde(deserialize_with = "lenient")]
    location: Option<RawLocation>,
    /// Shared contact cards: only how many.
    #[serde(deserialize_with = "list_len")]
    contacts: Option<usize>,
    #[serde(deserialize_with = "lenient")]
    reaction: Option<RawReaction>,
    #[serde(deserialize_with = "lenient")]
    order: Option<RawOrder>,
    #[serde(deserialize_with = "lenient")]
    system: Option<RawSystem>,
    #[serde(deserialize_with = "lenient")]
    revoke: Option<RawRevoke>,
    #[serde(deserialize_with = "lenient")]
    edit: Option<Box<RawEdit>>,
    /// Why Meta could not hand the message over, on `unsupported` messages.
    #[serde(deserialize_with = "vec_or_empty")]
    errors: Vec<RawError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawContext {
    #[serde(deserialize_with = "opt_string")]
    id: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    forwarded: Option<bool>,
    #[serde(deserialize_with = "opt_bool")]
    frequently_forwarded: Option<bool>,
}

impl RawContext {
    /// The context, when it says something: a quoted message or a forward.
    fn into_context(self) -> Option<MessageContext> {
        let forwarded = self.forwarded == Some(true) || self.frequently_forwarded == Some(true);
        (self.id.is_some() || forwarded).then_some(MessageContext {
            id: self.id,
            forwarded,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawText {
    #[serde(deserialize_with = "opt_string")]
    body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawInteractive {
    #[serde(rename = "type", deserialize_with = "opt_string")]
    kind: Option<String>,
    #[serde(deserialize_with = "lenient")]
    list_reply: Option<RawReply>,
    #[serde(deserialize_with = "lenient")]
    button_reply: Option<RawReply>,
    #[serde(deserialize_with = "lenient")]
    nfm_reply: Option<RawFlowReply>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawReply {
    #[serde(deserialize_with = "opt_string")]
    id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    title: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawFlowReply {
    #[serde(deserialize_with = "opt_string")]
    name: Option<String>,
    #[serde(deserialize_with = "json_text")]
    response_json: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawButton {
    #[serde(deserialize_with = "opt_string")]
    payload: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMedia {
    #[serde(deserialize_with = "opt_string")]
    id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    mime_type: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    caption: Option<String>,
    /// Set on audio recorded as a voice note.
    #[serde(deserialize_with = "opt_bool")]
    voice: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLocation {
    #[serde(deserialize_with = "opt_f64")]
    latitude: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    longitude: Option<f64>,
    #[serde(deserialize_with = "opt_string")]
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawReaction {
    #[serde(deserialize_with = "opt_string")]
    message_id: Option<String>,
    /// Empty or absent when the user removed their reaction.
    #[serde(deserialize_with = "opt_string")]
    emoji: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawOrder {
    #[serde(deserialize_with = "list_len")]
    product_items: Option<usize>,
}

/// A system notice. For `user_changed_number` and `user_changed_user_id`, `wa_id`, `user_id`
/// and `parent_user_id` are the user's new identifiers and `previous_*` the old ones.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawSystem {
    #[serde(rename = "type", deserialize_with = "opt_string")]
    kind: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    wa_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    new_wa_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    user_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    previous_user_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    previous_parent_user_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRevoke {
    #[serde(deserialize_with = "opt_string")]
    original_message_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEdit {
    #[serde(deserialize_with = "opt_string")]
    original_message_id: Option<String>,
    /// The message as edited: a `type` and its object, like any message.
    #[serde(deserialize_with = "lenient")]
    message: Option<Box<RawMessage>>,
}

/// An item of `value.statuses`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawStatus {
    #[serde(deserialize_with = "opt_string")]
    id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    status: Option<String>,
    #[serde(deserialize_with = "opt_i64")]
    timestamp: Option<i64>,
    /// The phone number (or group id) the message went to; absent when it went to a BSUID
    /// and Meta may not share the number.
    #[serde(deserialize_with = "opt_string")]
    recipient_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    recipient_user_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    recipient_parent_user_id: Option<String>,
    /// `group` when the message went to a group; the participant fields then name the user.
    #[serde(deserialize_with = "opt_string")]
    recipient_type: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    recipient_participant_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    recipient_participant_user_id: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    recipient_participant_parent_user_id: Option<String>,
    #[serde(deserialize_with = "vec_or_empty")]
    errors: Vec<RawError>,
}

/// One of Meta's error objects, in statuses, unsupported messages and `value.errors`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawError {
    #[serde(deserialize_with = "opt_i64")]
    code: Option<i64>,
    #[serde(deserialize_with = "opt_string")]
    title: Option<String>,
    /// Usually the title again; used when the title is missing.
    #[serde(deserialize_with = "opt_string")]
    message: Option<String>,
    #[serde(deserialize_with = "lenient")]
    error_data: Option<RawErrorData>,
}

impl RawError {
    /// The error, when it has a code; an error without one says nothing a caller can act on.
    fn into_detail(self) -> Option<ErrorDetail> {
        Some(ErrorDetail {
            code: self.code?,
            title: self.title.or(self.message),
            details: self.error_data.and_then(|data| data.details),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawErrorData {
    #[serde(deserialize_with = "opt_string")]
    details: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const BATCH: &str =
        include_str!("../../tests/fixtures/whatsapp/batch_3_messages_2_statuses.json");

    /// A body with one `messages` change holding `value`.
    fn body_of(value: Value) -> Vec<u8> {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": "318800220011401",
                "changes": [{"field": "messages", "value": value}],
            }],
        });
        serde_json::to_vec(&body).unwrap()
    }

    /// A text message from a phone number, to be changed by the test.
    fn text_message(id: &str) -> Value {
        json!({"from": "15550001234", "id": id, "timestamp": "1767225600", "type": "text",
               "text": {"body": "hello"}})
    }

    fn parse_value(value: Value) -> Parsed {
        parse(&body_of(value)).unwrap()
    }

    fn only_message(parsed: Parsed) -> InboundMessage {
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        match <[Update; 1]>::try_from(parsed.updates) {
            Ok([Update::Message(message)]) => message,
            other => panic!("expected one message, got {other:?}"),
        }
    }

    fn reasons(parsed: &Parsed) -> Vec<SkipReason> {
        parsed
            .skipped
            .iter()
            .map(|skipped| skipped.reason)
            .collect()
    }

    fn nested_arrays(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_errors() {
        let truncated = &BATCH.as_bytes()[..BATCH.len() / 2];
        let too_deep = format!(r#"{{"entry": {}}}"#, nested_arrays(200));
        let cases: [(&[u8], bool); 11] = [
            (b"", true),
            (b"   ", true),
            (b"{", true),
            (b"{\"entry\": [", true),
            (truncated, true),
            (b"\xff\xfe{}", true),
            (too_deep.as_bytes(), true),
            (b"[]", false),
            (b"null", false),
            (b"5", false),
            (b"\"whatsapp_business_account\"", false),
        ];
        for (body, not_json) in cases {
            let result = parse(body);

            let shown = String::from_utf8_lossy(body);
            match result {
                Err(PayloadError::NotJson(_)) => assert!(not_json, "{shown}"),
                Err(PayloadError::NotAnObject) => assert!(!not_json, "{shown}"),
                Ok(parsed) => panic!("{shown} parsed as {parsed:?}"),
            }
        }
    }

    #[test]
    fn odd_envelopes_yield_skips_but_never_an_error() {
        let malformed = SkipReason::MalformedChange;
        let cases = [
            (json!({}), vec![]),
            (json!({"entry": null}), vec![]),
            (json!({"entry": 5}), vec![malformed]),
            (json!({"entry": {"changes": []}}), vec![malformed]),
            (
                json!({"entry": [5, null, {"changes": "x"}, {"changes": [7, {"value": 3}]}]}),
                vec![malformed; 5],
            ),
            (
                json!({"entry": [{}, {"changes": null}, {"changes": [{}]}]}),
                vec![],
            ),
            (
                json!({"entry": [{"changes": [{"field": "messages", "value": {
                    "messages": {"id": "wamid.A"}, "statuses": "none", "errors": 4}}]}]}),
                vec![malformed; 3],
            ),
        ];
        for (body, expected) in cases {
            let parsed = parse(&serde_json::to_vec(&body).unwrap()).unwrap();

            assert!(parsed.updates.is_empty(), "{body}: {parsed:?}");
            assert_eq!(reasons(&parsed), expected, "{body}");
        }
    }

    #[test]
    fn an_object_that_is_not_a_string_does_not_stop_the_read() {
        let mut body: Value = serde_json::from_slice(&body_of(json!({
            "messages": [text_message("wamid.A")]
        })))
        .unwrap();
        body["object"] = json!(5);

        let parsed = parse(&serde_json::to_vec(&body).unwrap()).unwrap();

        assert_eq!(only_message(parsed).id, "wamid.A");
    }

    #[test]
    fn a_change_without_field_is_read_as_messages() {
        let body =
            json!({"entry": [{"changes": [{"value": {"messages": [text_message("wamid.A")]}}]}]});

        let parsed = parse(&serde_json::to_vec(&body).unwrap()).unwrap();

        assert_eq!(only_message(parsed).id, "wamid.A");
    }

    #[test]
    fn timestamps_are_non_negative_unix_seconds_as_text_or_number() {
        let cases = [
            (json!("1767225600"), Some(1_767_225_600)),
            (json!(1_767_225_600), Some(1_767_225_600)),
            (json!(" 1767225600 "), Some(1_767_225_600)),
            (json!("0"), Some(0)),
            (json!("-1"), None),
            (json!(-1), None),
            (json!("1.7e9"), None),
            (json!(1.5), None),
            (json!(""), None),
            (json!("soon"), None),
            (json!(true), None),
            (json!(null), None),
            (json!({"seconds": 1}), None),
            (json!("99999999999999999999999"), None),
        ];
        for (timestamp, expected) in cases {
            let mut message = text_message("wamid.A");
            message["timestamp"] = timestamp.clone();

            let parsed = parse_value(json!({"messages": [message]}));

            match expected {
                Some(seconds) => assert_eq!(only_message(parsed).timestamp, seconds, "{timestamp}"),
                None => assert_eq!(
                    parsed.skipped,
                    [Skipped {
                        reason: SkipReason::InvalidTimestamp,
                        message_id: Some("wamid.A".to_owned())
                    }],
                    "{timestamp}"
                ),
            }
        }
        let mut message = text_message("wamid.A");
        message.as_object_mut().unwrap().remove("timestamp");
        let parsed = parse_value(json!({"messages": [message]}));
        assert_eq!(reasons(&parsed), [SkipReason::InvalidTimestamp]);
    }

    #[test]
    fn a_lone_contact_names_a_message_that_names_nobody() {
        let mut message = text_message("wamid.A");
        message.as_object_mut().unwrap().remove("from");

        let message = only_message(parse_value(json!({
            "contacts": [{"profile": {"name": "Test Traveller"}, "user_id": "US.1"}],
            "messages": [message],
        })));

        assert_eq!(message.from.key(), Some("US.1"));
        assert_eq!(message.profile_name.as_deref(), Some("Test Traveller"));
    }

    #[test]
    fn a_lone_contact_with_another_bsuid_is_not_the_sender() {
        let mut message = text_message("wamid.A");
        message["from_user_id"] = json!("US.1");

        let message = only_message(parse_value(json!({
            "contacts": [
                {"profile": {"name": "Someone Else"}, "wa_id": "15550009876", "user_id": "US.2"}
            ],
            "messages": [message],
        })));

        assert_eq!(
            message.from,
            Identity {
                user_id: Some("US.1".to_owned()),
                wa_id: Some("15550001234".to_owned()),
                parent_user_id: None,
            }
        );
        assert_eq!(message.profile_name, None);
    }

    #[test]
    fn a_lone_contact_writing_the_number_otherwise_is_still_the_sender() {
        // Meta has sent `from` and `wa_id` in different forms for some countries' numbers.
        let mut message = text_message("wamid.A");
        message["from"] = json!("5215550001234");

        let message = only_message(parse_value(json!({
            "contacts": [
                {"profile": {"name": "Test Traveller"}, "wa_id": "525550001234", "user_id": "MX.1"}
            ],
            "messages": [message],
        })));

        assert_eq!(message.from.wa_id.as_deref(), Some("5215550001234"));
        assert_eq!(message.from.user_id.as_deref(), Some("MX.1"));
        assert_eq!(message.profile_name.as_deref(), Some("Test Traveller"));
    }

    #[test]
    fn among_several_contacts_none_is_guessed() {
        let mut message = text_message("wamid.A");
        message["from"] = json!("15550000000");

        let parsed = parse_value(json!({
            "contacts": [
                {"profile": {"name": "One"}, "wa_id": "15550001111"},
                {"profile": {"name": "Two"}, "wa_id": "15550002222"},
            ],
            "messages": [message],
        }));

        let message = only_message(parsed);
        assert_eq!(message.profile_name, None);
        assert_eq!(message.from.user_id, None);
    }

    #[test]
    fn a_bsuid_change_naming_nobody_is_from_the_previous_bsuid() {
        let message = only_message(parse_value(json!({"messages": [{
            "id": "wamid.A", "timestamp": "1767225600", "type": "system",
            "system": {"type": "user_changed_user_id", "user_id": "US.NEW",
                       "previous_user_id": "US.OLD", "previous_parent_user_id": "US.ENT.OLD"},
        }]})));

        assert_eq!(
            message.from,
            Identity {
                user_id: Some("US.OLD".to_owned()),
                wa_id: None,
                parent_user_id: Some("US.ENT.OLD".to_owned()),
            }
        );
        assert_eq!(
            message.content,
            Content::System {
                kind: "user_changed_user_id".to_owned(),
                new_wa_id: None,
                new_user_id: Some("US.NEW".to_owned()),
            }
        );
    }

    #[test]
    fn contents_read_by_type() {
        let cases = [
            (
                json!({"type": "unknown", "errors": [{"code": 131051}]}),
                Some(Content::Unsupported {
                    error_codes: vec![131051],
                }),
            ),
            (
                json!({"type": "unsupported"}),
                Some(Content::Unsupported {
                    error_codes: vec![],
                }),
            ),
            (
                json!({"type": "unknown"}),
                Some(Content::Unknown {
                    kind: "unknown".to_owned(),
                }),
            ),
            (
                json!({}),
                Some(Content::Unknown {
                    kind: "untyped".to_owned(),
                }),
            ),
            (
                json!({"type": "interactive", "interactive": {"list_reply": {"id": "x"}}}),
                Some(Content::Unknown {
                    kind: "interactive".to_owned(),
                }),
            ),
            (
                json!({"type": "interactive", "interactive": {"type": "nfm_reply",
                    "nfm_reply": {"response_json": {"a": 1}}}}),
                Some(Content::FlowReply {
                    name: None,
                    response_json: Some(r#"{"a":1}"#.to_owned()),
                }),
            ),
            (
                json!({"type": "button", "button": {"text": "Top up"}}),
                Some(Content::TemplateButton {
                    payload: "Top up".to_owned(),
                    text: "Top up".to_owned(),
                }),
            ),
            (
                json!({"type": "image"}),
                Some(Content::Media {
                    kind: MediaKind::Image,
                    media_id: None,
                    mime_type: None,
                    caption: None,
                }),
            ),
            (
                json!({"type": "audio", "audio": {"id": "1", "voice": "true"}}),
                Some(Content::Media {
                    kind: MediaKind::Voice,
                    media_id: Some("1".to_owned()),
                    mime_type: None,
                    caption: None,
                }),
            ),
            (
                json!({"type": "location", "location": {"latitude": "35.5", "longitude": "139.5"}}),
                Some(Content::Location {
                    latitude: 35.5,
                    longitude: 139.5,
                    name: None,
                }),
            ),
            (
                json!({"type": "contacts", "contacts": "two"}),
                Some(Content::Contacts { count: 0 }),
            ),
            (
                json!({"type": "order", "order": {"product_items": []}}),
                Some(Content::Order { items: 0 }),
            ),
            (
                json!({"type": "system",
                       "system": {"body": "changed", "new_wa_id": "15550002222"}}),
                Some(Content::System {
                    kind: "unknown".to_owned(),
                    new_wa_id: Some("15550002222".to_owned()),
                    new_user_id: None,
                }),
            ),
            (
                json!({"type": "revoke"}),
                Some(Content::Revoke {
                    original_message_id: None,
                }),
            ),
            (
                json!({"type": "edit", "edit": {"original_message_id": "wamid.O", "message": 5}}),
                Some(Content::Edit {
                    original_message_id: Some("wamid.O".to_owned()),
                    content: None,
                }),
            ),
            (
                json!({"type": "edit", "edit": {"message": {
                    "type": "edit",
                    "edit": {"message": {"type": "text", "text": {"body": "x"}}},
                }}}),
                Some(Content::Edit {
                    original_message_id: None,
                    content: Some(Box::new(Content::Unknown {
                        kind: "edit".to_owned(),
                    })),
                }),
            ),
            (json!({"type": "text"}), None),
            (json!({"type": "text", "text": {"body": "  "}}), None),
            (json!({"type": "text", "text": {"body": ["hello"]}}), None),
            (
                json!({"type": "interactive",
                       "interactive": {"type": "button_reply", "button_reply": {"title": "Yes"}}}),
                None,
            ),
            (
                json!({"type": "interactive", "interactive": "list_reply"}),
                None,
            ),
            (json!({"type": "button", "button": {}}), None),
            (
                json!({"type": "location", "location": {"latitude": 95.0, "longitude": 10.0}}),
                None,
            ),
            (
                json!({"type": "location", "location": {"latitude": 45.0}}),
                None,
            ),
            (
                json!({"type": "reaction", "reaction": {"emoji": "x"}}),
                None,
            ),
        ];
        for (fields, expected) in cases {
            let mut message =
                json!({"from": "15550001234", "id": "wamid.A", "timestamp": "1767225600"});
            for (key, value) in fields.as_object().unwrap() {
                message[key] = value.clone();
            }

            let parsed = parse_value(json!({"messages": [message]}));

            match expected {
                Some(content) => assert_eq!(only_message(parsed).content, content, "{fields}"),
                None => assert_eq!(reasons(&parsed), [SkipReason::MalformedItem], "{fields}"),
            }
        }
    }

    #[test]
    fn a_status_to_a_group_names_the_participant() {
        let parsed = parse_value(json!({"statuses": [{
            "id": "wamid.S", "status": "read", "timestamp": "1767225600",
            "recipient_id": "120363000000000001", "recipient_type": "group",
            "recipient_participant_id": "15550001234", "recipient_participant_user_id": "US.1",
        }]}));

        let [Update::Status(status)] = <[Update; 1]>::try_from(parsed.updates).unwrap() else {
            panic!("expected a status");
        };
        assert_eq!(status.recipient.wa_id.as_deref(), Some("15550001234"));
        assert_eq!(status.recipient.user_id.as_deref(), Some("US.1"));
    }

    #[test]
    fn value_errors_without_a_code_are_skipped() {
        let parsed = parse_value(json!({
            "metadata": {"phone_number_id": 110200330044005_u64},
            "errors": [{"title": "no code"}, "junk"],
        }));

        assert!(parsed.updates.is_empty());
        assert_eq!(reasons(&parsed), [SkipReason::MalformedItem]);

        let parsed = parse_value(json!({
            "metadata": {"phone_number_id": 110200330044005_u64},
            "errors": [{"code": "131000", "message": "Something went wrong"}],
        }));
        assert_eq!(
            parsed.updates,
            [Update::Error(ValueError {
                phone_number_id: Some("110200330044005".to_owned()),
                errors: vec![ErrorDetail {
                    code: 131000,
                    title: Some("Something went wrong".to_owned()),
                    details: None,
                }],
            })]
        );
    }

    #[test]
    fn names_from_the_body_are_bounded_on_a_character_boundary() {
        let long = "é".repeat(100);
        let body = json!({"entry": [{"changes": [{"field": long.clone(), "value": {}}]}]});

        let parsed = parse(&serde_json::to_vec(&body).unwrap()).unwrap();

        let [Update::Ignored { field }] = <[Update; 1]>::try_from(parsed.updates).unwrap() else {
            panic!("expected one ignored change");
        };
        assert_eq!(field, "é".repeat(NAME_LIMIT_BYTES / 2));
        assert!(bounded("a".repeat(65)).len() == NAME_LIMIT_BYTES);
        assert_eq!(bounded("short".to_owned()), "short");
    }

    #[test]
    fn deep_values_inside_an_item_do_not_hurt_it() {
        let mut message = text_message("wamid.A");
        let deep: Value = serde_json::from_str(&nested_arrays(100)).unwrap();
        message["x_future"] = deep.clone();
        message["text"]["x_future"] = deep;

        let message = only_message(parse_value(json!({"messages": [message]})));

        assert_eq!(message.id, "wamid.A");
    }

    #[test]
    fn skip_reasons_have_distinct_names() {
        let all = [
            SkipReason::NoSender,
            SkipReason::InvalidTimestamp,
            SkipReason::NoId,
            SkipReason::NoStatus,
            SkipReason::MalformedItem,
            SkipReason::MalformedChange,
        ];
        let names: std::collections::BTreeSet<_> = all.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), all.len());
    }

    /// Every JSON pointer under `prefix` in `value`, the prefix included.
    fn pointers(value: &Value, prefix: String, into: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    pointers(child, format!("{prefix}/{key}"), into);
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    pointers(child, format!("{prefix}/{index}"), into);
                }
            }
            _ => {}
        }
        into.push(prefix);
    }

    #[test]
    fn any_odd_value_in_one_message_never_loses_the_other_items() {
        let batch: Value = serde_json::from_str(BATCH).unwrap();
        let first_message = "/entry/0/changes/0/value/messages/0";
        let mut paths = Vec::new();
        pointers(
            batch.pointer(first_message).unwrap(),
            first_message.to_owned(),
            &mut paths,
        );
        let odd_values = [
            json!(null),
            json!(-1),
            json!(1.5e300),
            json!(""),
            json!("x"),
            json!(true),
            json!([]),
            json!([{"id": 1}]),
            json!({}),
            json!({"type": "text"}),
        ];

        for path in &paths {
            for odd in &odd_values {
                let mut body = batch.clone();
                *body.pointer_mut(path).unwrap() = odd.clone();

                let parsed = parse(&serde_json::to_vec(&body).unwrap()).unwrap();

                let ids: Vec<&str> = parsed
                    .updates
                    .iter()
                    .filter_map(|update| match update {
                        Update::Message(message) => Some(message.id.as_str()),
                        Update::Status(status) => Some(status.message_id.as_str()),
                        _ => None,
                    })
                    .collect();
                let others = &ids[ids.len().saturating_sub(4)..];
                assert_eq!(others.len(), 4, "{path} = {odd}: {parsed:?}");
                assert!(
                    others[0].ends_with("12EAA") && others[1].ends_with("12FAA"),
                    "{path} = {odd}: {ids:?}"
                );
                assert!(
                    parsed.updates.len() + parsed.skipped.len() == 5,
                    "{path} = {odd}: the odd message is either read or skipped, once"
                );
            }
        }
    }

    #[test]
    fn random_damage_to_a_body_never_panics() {
        // A small xorshift, so the damage is the same on every run.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let original = BATCH.as_bytes();
        let alphabet = b"{}[]\",:0123456789-.etrufalsn \\u\xc3\xa9";

        for _ in 0..3000 {
            let mut body = original.to_vec();
            for _ in 0..(next() % 8 + 1) {
                let at = (next() as usize) % body.len();
                let byte = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 => body[at] = byte,
                    1 => body.insert(at, byte),
                    _ => {
                        body.remove(at);
                    }
                }
            }

            let _ = parse(&body);
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::damage::{config, hostile_bodies};

        const FIXTURES: [&str; 5] = [
            BATCH,
            include_str!("../../tests/fixtures/whatsapp/text.json"),
            include_str!("../../tests/fixtures/whatsapp/interactive_list_reply.json"),
            include_str!("../../tests/fixtures/whatsapp/status_failed_with_errors.json"),
            include_str!("../../tests/fixtures/whatsapp/wrong_field_types_next_to_good.json"),
        ];

        /// What the module promises: only a body that is not a JSON object is an error.
        fn is_json_object(body: &[u8]) -> bool {
            serde_json::from_slice::<Value>(body).is_ok_and(|value| value.is_object())
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_body_or_damaged_real_delivery_is_an_error_exactly_when_not_a_json_object(
                body in hostile_bodies(FIXTURES.map(|text| text.as_bytes().to_vec()).to_vec()),
            ) {
                prop_assert_eq!(parse(&body).is_ok(), is_json_object(&body));
            }

            #[test]
            fn any_value_in_a_messages_change_is_read_without_panicking(
                text in any::<String>(),
                number in any::<i64>(),
                which in 0..6usize,
            ) {
                let odd = [
                    json!(text),
                    json!(number),
                    json!({"messages": [{"from": text, "id": number, "type": text}]}),
                    json!({"statuses": [{"id": text, "status": number, "timestamp": text}]}),
                    json!({"messages": text, "contacts": number}),
                    json!({"messages": [{"from": "15550001234", "id": "wamid.1",
                        "timestamp": number, "type": "interactive", "interactive": text}]}),
                ];

                let parsed = parse(&body_of(odd[which].clone()));

                prop_assert!(parsed.is_ok());
            }
        }
    }
}
