//! Meta's webhook bodies through the tolerant parser: one fixture per message type, status
//! and change field Bino may receive, batches, identities, and bad items among good ones.
//!
//! The fixtures in `tests/fixtures/whatsapp` are complete raw bodies in the shapes of Meta's
//! documented examples, with invented numbers, names and ids. Every fixture has a test here;
//! `every_fixture_parses_and_has_a_test` keeps it that way.

use std::collections::BTreeSet;
use std::path::Path;

use bino::whatsapp::model::{
    Content, DeliveryStatus, ErrorDetail, Identity, InboundMessage, MediaKind, MessageContext,
    Recipient, StatusUpdate, Update, ValueError,
};
use bino::whatsapp::payload::{Parsed, SkipReason, Skipped, parse};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/whatsapp");

/// Every fixture, each asserted by a test below.
const TESTED: &[&str] = &[
    "account_update",
    "audio",
    "audio_voice_note",
    "batch_100_messages",
    "batch_3_messages_2_statuses",
    "batch_several_entries_and_changes",
    "button_template_quick_reply",
    "contacts_matched_by_id_not_position",
    "contacts_shared",
    "document",
    "edit",
    "image_with_caption",
    "interactive_button_reply",
    "interactive_list_reply",
    "interactive_nfm_reply",
    "interactive_unknown_subtype",
    "invalid_timestamp_next_to_good",
    "location",
    "message_template_status_update",
    "missing_ids_next_to_good",
    "no_sender_next_to_good",
    "order",
    "phone_number_quality_update",
    "reaction",
    "reaction_removed_empty_emoji",
    "reaction_removed_missing_emoji",
    "request_welcome",
    "revoke",
    "sender_bsuid_and_phone_with_parent",
    "sender_bsuid_only",
    "sender_with_username",
    "smb_message_echoes",
    "status_bsuid_only_without_contacts",
    "status_contact_without_profile",
    "status_delivered_username_parent",
    "status_failed_with_errors",
    "status_played",
    "status_read",
    "status_sent",
    "status_unknown_name",
    "sticker",
    "system_user_changed_number",
    "system_user_changed_user_id",
    "text",
    "text_accents_and_slash",
    "text_frequently_forwarded",
    "text_reply_forwarded",
    "text_timestamp_as_number",
    "unknown_extra_fields_everywhere",
    "unknown_future_type",
    "unknown_object",
    "unsupported",
    "user_preferences",
    "value_errors",
    "video",
    "voice_type",
    "wrong_field_types_next_to_good",
];

/// 2026-01-01T00:00:00Z: the fixtures' times are this plus the item's number.
const T0: i64 = 1_767_225_600;
const PHONE_NUMBER_ID: &str = "110200330044005";
const PHONE_NUMBER_ID_2: &str = "110200330044006";

const A_PHONE: &str = "15550001234";
const A_BSUID: &str = "US.70012345678901234567";
const A_PARENT: &str = "US.ENT.80012345678901234567";
const B_PHONE: &str = "15550001235";
const B_BSUID: &str = "US.70012345678901234568";
const C_PHONE: &str = "15550001236";
const C_BSUID: &str = "GB.70012345678901234569";

/// The id of the fixtures' inbound message number `n`.
fn wamid(n: u32) -> String {
    format!("wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQzQUZC{n:020X}AA")
}

/// The id of the fixtures' outbound message number `n` (what statuses and replies refer to).
fn sent_wamid(n: u32) -> String {
    format!("wamid.HBgLMTU1NTAwMDEyMzQVAgARGBIzQUZC{n:020X}AA")
}

fn identity(user_id: Option<&str>, wa_id: Option<&str>, parent: Option<&str>) -> Identity {
    Identity {
        user_id: user_id.map(str::to_owned),
        wa_id: wa_id.map(str::to_owned),
        parent_user_id: parent.map(str::to_owned),
    }
}

fn traveller_a() -> Identity {
    identity(Some(A_BSUID), Some(A_PHONE), None)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = Path::new(FIXTURES).join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn parse_fixture(name: &str) -> Parsed {
    parse(&fixture_bytes(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn messages(parsed: &Parsed) -> Vec<&InboundMessage> {
    parsed
        .updates
        .iter()
        .filter_map(|update| match update {
            Update::Message(message) => Some(message),
            _ => None,
        })
        .collect()
}

fn statuses(parsed: &Parsed) -> Vec<&StatusUpdate> {
    parsed
        .updates
        .iter()
        .filter_map(|update| match update {
            Update::Status(status) => Some(status),
            _ => None,
        })
        .collect()
}

/// The one message of a fixture that holds exactly one update and skips nothing.
fn only_message(name: &str) -> InboundMessage {
    let parsed = parse_fixture(name);
    assert!(parsed.skipped.is_empty(), "{name}: {:?}", parsed.skipped);
    match <[Update; 1]>::try_from(parsed.updates) {
        Ok([Update::Message(message)]) => message,
        other => panic!("{name}: expected one message, got {other:?}"),
    }
}

fn only_status(name: &str) -> StatusUpdate {
    let parsed = parse_fixture(name);
    assert!(parsed.skipped.is_empty(), "{name}: {:?}", parsed.skipped);
    match <[Update; 1]>::try_from(parsed.updates) {
        Ok([Update::Status(status)]) => status,
        other => panic!("{name}: expected one status, got {other:?}"),
    }
}

fn only_content(name: &str) -> Content {
    let message = only_message(name);
    assert_eq!(message.from, traveller_a(), "{name}");
    message.content
}

fn only_ignored(name: &str) -> String {
    let parsed = parse_fixture(name);
    assert!(parsed.skipped.is_empty(), "{name}: {:?}", parsed.skipped);
    match <[Update; 1]>::try_from(parsed.updates) {
        Ok([Update::Ignored { field }]) => field,
        other => panic!("{name}: expected one ignored change, got {other:?}"),
    }
}

fn skip(reason: SkipReason, n: Option<u32>) -> Skipped {
    Skipped {
        reason,
        message_id: n.map(wamid),
    }
}

fn media(kind: MediaKind, id: &str, mime_type: &str, caption: Option<&str>) -> Content {
    Content::Media {
        kind,
        media_id: Some(id.to_owned()),
        mime_type: Some(mime_type.to_owned()),
        caption: caption.map(str::to_owned),
    }
}

#[test]
fn every_fixture_parses_and_has_a_test() {
    let mut names = BTreeSet::new();
    for file in std::fs::read_dir(FIXTURES).unwrap() {
        let path = file.unwrap().path();
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some("json"),
            "{path:?}"
        );
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();

        let parsed = parse_fixture(&name);

        assert!(
            !parsed.updates.is_empty(),
            "{name} yields no update: {parsed:?}"
        );
        names.insert(name);
    }

    assert!(names.len() >= 45, "only {} fixtures", names.len());
    let tested: BTreeSet<String> = TESTED.iter().map(|name| (*name).to_owned()).collect();
    assert_eq!(names, tested, "fixtures and tests differ");
}

// Messages, one type each.

#[test]
fn a_text_message_names_its_sender_by_phone_and_bsuid_with_the_profile_name() {
    let message = only_message("text");

    assert_eq!(
        message,
        InboundMessage {
            id: wamid(1),
            from: traveller_a(),
            profile_name: Some("Test Traveller".to_owned()),
            timestamp: T0 + 1,
            phone_number_id: Some(PHONE_NUMBER_ID.to_owned()),
            context: None,
            content: Content::Text {
                body: "Hi, I need an eSIM for Japan".to_owned()
            },
        }
    );
    assert_eq!(message.from.key(), Some(A_BSUID));
    assert_eq!(
        message.from.address(),
        Some(Recipient::Phone(A_PHONE.to_owned()))
    );
}

#[test]
fn a_forwarded_reply_keeps_the_quoted_message_id() {
    let message = only_message("text_reply_forwarded");

    assert_eq!(
        message.context,
        Some(MessageContext {
            id: Some(sent_wamid(900)),
            forwarded: true,
        })
    );
    assert_eq!(
        message.content,
        Content::Text {
            body: "This one please".to_owned()
        }
    );
}

#[test]
fn a_frequently_forwarded_text_counts_as_forwarded() {
    let message = only_message("text_frequently_forwarded");

    assert_eq!(message.from, identity(Some(B_BSUID), Some(B_PHONE), None));
    assert_eq!(message.profile_name.as_deref(), Some("Second Traveller"));
    assert_eq!(
        message.context,
        Some(MessageContext {
            id: None,
            forwarded: true,
        })
    );
}

#[test]
fn a_timestamp_sent_as_a_number_is_read_like_one_sent_as_text() {
    let message = only_message("text_timestamp_as_number");

    assert_eq!(message.id, wamid(4));
    assert_eq!(message.timestamp, T0 + 4);
}

#[test]
fn escaped_accents_and_slashes_are_decoded_but_only_the_raw_bytes_match_the_signature() {
    let raw = fixture_bytes("text_accents_and_slash");
    let raw_text = std::str::from_utf8(&raw).unwrap();
    assert!(raw.is_ascii(), "Meta escapes every non-ASCII character");
    assert!(raw_text.contains(r"Caf\u00e9 \u00e0 S\u00e3o Paulo"));
    assert!(raw_text.contains(r"10\/12"));

    let message = only_message("text_accents_and_slash");

    assert_eq!(
        message.content,
        Content::Text {
            body: "Café à São Paulo du 10/12 au 24/12, 5 Go – ça marche ?".to_owned()
        }
    );
    assert_eq!(message.profile_name.as_deref(), Some("José Test"));
    // Written out again, the same JSON has other bytes, hence another signature: the
    // signature must be checked on the body exactly as received.
    let rewritten =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&raw).unwrap()).unwrap();
    assert_ne!(rewritten, raw);
    let signature = |body: &[u8]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"invented app secret").unwrap();
        mac.update(body);
        mac.finalize().into_bytes()
    };
    assert_ne!(signature(&rewritten), signature(&raw));
}

#[test]
fn a_row_picked_from_a_list_is_a_list_reply_to_our_list() {
    let message = only_message("interactive_list_reply");

    assert_eq!(
        message.content,
        Content::ListReply {
            id: "plan:JP-5GB-7D".to_owned(),
            title: "Japan 5 GB".to_owned(),
            description: Some("7 days, 12.50 USD".to_owned()),
        }
    );
    assert_eq!(message.context.unwrap().id, Some(sent_wamid(901)));
}

#[test]
fn a_tapped_reply_button_is_a_button_reply() {
    assert_eq!(
        only_content("interactive_button_reply"),
        Content::ButtonReply {
            id: "confirm:yes".to_owned(),
            title: "Yes, buy it".to_owned(),
        }
    );
}

#[test]
fn a_submitted_flow_keeps_its_response_json_as_sent() {
    let content = only_content("interactive_nfm_reply");

    let Content::FlowReply {
        name,
        response_json,
    } = content
    else {
        panic!("{content:?}");
    };
    assert_eq!(name.as_deref(), Some("flow"));
    let response: serde_json::Value = serde_json::from_str(&response_json.unwrap()).unwrap();
    assert_eq!(response["destination"], "JP");
    assert_eq!(response["days"], "7");
}

#[test]
fn an_unknown_interactive_reply_is_kept_by_name() {
    assert_eq!(
        only_content("interactive_unknown_subtype"),
        Content::Unknown {
            kind: "interactive.call_permission_reply".to_owned()
        }
    );
}

#[test]
fn a_template_quick_reply_is_a_template_button() {
    let message = only_message("button_template_quick_reply");

    assert_eq!(
        message.content,
        Content::TemplateButton {
            payload: "TOPUP_JP".to_owned(),
            text: "Top up".to_owned(),
        }
    );
    assert_eq!(message.context.unwrap().id, Some(sent_wamid(904)));
}

#[test]
fn an_image_keeps_its_media_id_type_and_caption() {
    assert_eq!(
        only_content("image_with_caption"),
        media(
            MediaKind::Image,
            "1500000000000001",
            "image/jpeg",
            Some("My phone settings")
        )
    );
}

#[test]
fn audio_that_is_not_a_voice_note_is_audio() {
    assert_eq!(
        only_content("audio"),
        media(MediaKind::Audio, "1500000000000002", "audio/mpeg", None)
    );
}

#[test]
fn audio_recorded_as_a_voice_note_is_a_voice_message() {
    assert_eq!(
        only_content("audio_voice_note"),
        media(
            MediaKind::Voice,
            "1500000000000003",
            "audio/ogg; codecs=opus",
            None
        )
    );
}

#[test]
fn a_message_of_type_voice_is_a_voice_message() {
    assert_eq!(
        only_content("voice_type"),
        media(
            MediaKind::Voice,
            "1500000000000004",
            "audio/ogg; codecs=opus",
            None
        )
    );
}

#[test]
fn a_video_keeps_its_caption() {
    assert_eq!(
        only_content("video"),
        media(
            MediaKind::Video,
            "1500000000000005",
            "video/mp4",
            Some("The error screen")
        )
    );
}

#[test]
fn a_document_keeps_its_caption() {
    assert_eq!(
        only_content("document"),
        media(
            MediaKind::Document,
            "1500000000000006",
            "application/pdf",
            Some("My booking")
        )
    );
}

#[test]
fn a_sticker_is_media_without_caption() {
    assert_eq!(
        only_content("sticker"),
        media(MediaKind::Sticker, "1500000000000007", "image/webp", None)
    );
}

#[test]
fn a_location_keeps_its_coordinates_and_name() {
    assert_eq!(
        only_content("location"),
        Content::Location {
            latitude: 35.6812,
            longitude: 139.7671,
            name: Some("Tokyo Station".to_owned()),
        }
    );
}

#[test]
fn shared_contact_cards_are_only_counted() {
    assert_eq!(
        only_content("contacts_shared"),
        Content::Contacts { count: 2 }
    );
}

#[test]
fn a_reaction_names_our_message_and_its_emoji() {
    assert_eq!(
        only_content("reaction"),
        Content::Reaction {
            message_id: sent_wamid(905),
            emoji: Some("👍".to_owned()),
        }
    );
}

#[test]
fn a_reaction_with_an_empty_emoji_removes_the_reaction() {
    assert_eq!(
        only_content("reaction_removed_empty_emoji"),
        Content::Reaction {
            message_id: sent_wamid(905),
            emoji: None,
        }
    );
}

#[test]
fn a_reaction_without_an_emoji_removes_the_reaction() {
    assert_eq!(
        only_content("reaction_removed_missing_emoji"),
        Content::Reaction {
            message_id: sent_wamid(905),
            emoji: None,
        }
    );
}

#[test]
fn an_order_counts_its_product_lines() {
    assert_eq!(only_content("order"), Content::Order { items: 2 });
}

#[test]
fn a_changed_number_notice_carries_the_new_number_and_bsuid() {
    let message = only_message("system_user_changed_number");

    // System notices come without contacts: the sender is the old number only.
    assert_eq!(message.from, identity(None, Some(A_PHONE), None));
    assert_eq!(message.profile_name, None);
    assert_eq!(
        message.content,
        Content::System {
            kind: "user_changed_number".to_owned(),
            new_wa_id: Some("15550001240".to_owned()),
            new_user_id: Some("US.70012345678901234570".to_owned()),
        }
    );
}

#[test]
fn a_changed_bsuid_notice_carries_the_new_bsuid_and_no_number() {
    let message = only_message("system_user_changed_user_id");

    assert_eq!(message.from, identity(Some(A_BSUID), None, None));
    assert_eq!(
        message.content,
        Content::System {
            kind: "user_changed_user_id".to_owned(),
            new_wa_id: None,
            new_user_id: Some("US.70012345678901234571".to_owned()),
        }
    );
}

#[test]
fn a_welcome_request_is_its_own_content() {
    let message = only_message("request_welcome");

    assert_eq!(message.content, Content::RequestWelcome);
    assert_eq!(message.profile_name.as_deref(), Some("Test Traveller"));
}

#[test]
fn an_unsupported_message_keeps_meta_error_codes() {
    assert_eq!(
        only_content("unsupported"),
        Content::Unsupported {
            error_codes: vec![131051]
        }
    );
}

#[test]
fn a_revoke_names_the_deleted_message() {
    assert_eq!(
        only_content("revoke"),
        Content::Revoke {
            original_message_id: Some(wamid(1))
        }
    );
}

#[test]
fn an_edit_names_the_original_and_carries_the_new_text() {
    let message = only_message("edit");

    assert_eq!(message.id, wamid(28));
    assert_eq!(
        message.content,
        Content::Edit {
            original_message_id: Some(wamid(1)),
            content: Some(Box::new(Content::Text {
                body: "Hi, I need an eSIM for Japan and Korea".to_owned()
            })),
        }
    );
}

#[test]
fn a_message_type_from_the_future_is_kept_by_name() {
    assert_eq!(
        only_content("unknown_future_type"),
        Content::Unknown {
            kind: "hologram".to_owned()
        }
    );
}

// Statuses.

#[test]
fn a_sent_status_names_our_message_and_its_recipient() {
    assert_eq!(
        only_status("status_sent"),
        StatusUpdate {
            message_id: sent_wamid(101),
            recipient: traveller_a(),
            status: DeliveryStatus::Sent,
            timestamp: T0 + 101,
            errors: Vec::new(),
        }
    );
}

#[test]
fn a_delivered_status_keeps_the_parent_bsuid() {
    let status = only_status("status_delivered_username_parent");

    assert_eq!(status.status, DeliveryStatus::Delivered);
    assert_eq!(
        status.recipient,
        identity(Some(A_BSUID), Some(A_PHONE), Some(A_PARENT))
    );
}

#[test]
fn a_read_status_is_read() {
    let status = only_status("status_read");

    assert_eq!(status.status, DeliveryStatus::Read);
    assert_eq!(status.message_id, sent_wamid(103));
    assert_eq!(
        Update::Status(status).customer(),
        Some(B_BSUID),
        "the BSUID is the customer key"
    );
}

#[test]
fn a_played_status_is_played() {
    let status = only_status("status_played");

    assert_eq!(status.status, DeliveryStatus::Played);
    assert_eq!(status.timestamp, T0 + 104);
}

#[test]
fn a_failed_status_without_contacts_keeps_meta_errors() {
    assert_eq!(
        only_status("status_failed_with_errors"),
        StatusUpdate {
            message_id: sent_wamid(105),
            recipient: identity(None, Some(A_PHONE), None),
            status: DeliveryStatus::Failed,
            timestamp: T0 + 105,
            errors: vec![ErrorDetail {
                code: 131026,
                title: Some("Message undeliverable".to_owned()),
                details: Some("Message could not be delivered to the recipient.".to_owned()),
            }],
        }
    );
}

#[test]
fn an_unknown_status_is_kept_by_name() {
    let status = only_status("status_unknown_name");

    assert_eq!(
        status.status,
        DeliveryStatus::Other("held_for_quality_assessment".to_owned())
    );
    assert_eq!(status.status.as_str(), "held_for_quality_assessment");
}

#[test]
fn a_failed_status_sent_to_a_bsuid_names_the_recipient_by_bsuid_only() {
    let status = only_status("status_bsuid_only_without_contacts");

    assert_eq!(status.recipient, identity(Some(C_BSUID), None, None));
    assert_eq!(status.status, DeliveryStatus::Failed);
    assert_eq!(
        status
            .errors
            .iter()
            .map(|error| error.code)
            .collect::<Vec<_>>(),
        [131047]
    );
}

#[test]
fn a_status_learns_the_phone_number_from_a_contact_without_profile() {
    let status = only_status("status_contact_without_profile");

    assert_eq!(
        status.recipient,
        identity(Some(C_BSUID), Some(C_PHONE), None)
    );
    assert_eq!(status.status, DeliveryStatus::Delivered);
}

// Changes that are not messages, and errors.

#[test]
fn errors_of_a_whole_change_are_one_error_update() {
    let parsed = parse_fixture("value_errors");

    assert_eq!(
        parsed.updates,
        [Update::Error(ValueError {
            phone_number_id: Some(PHONE_NUMBER_ID.to_owned()),
            errors: vec![ErrorDetail {
                code: 131000,
                title: Some("Something went wrong".to_owned()),
                details: Some("Unable to process the webhook for this change.".to_owned()),
            }],
        })]
    );
    assert!(parsed.skipped.is_empty());
}

#[test]
fn an_account_update_is_ignored_by_field() {
    assert_eq!(only_ignored("account_update"), "account_update");
}

#[test]
fn a_template_review_is_ignored_by_field() {
    assert_eq!(
        only_ignored("message_template_status_update"),
        "message_template_status_update"
    );
}

#[test]
fn a_quality_update_is_ignored_by_field() {
    assert_eq!(
        only_ignored("phone_number_quality_update"),
        "phone_number_quality_update"
    );
}

#[test]
fn user_preferences_are_ignored_by_field() {
    assert_eq!(only_ignored("user_preferences"), "user_preferences");
}

#[test]
fn echoes_of_messages_sent_from_the_business_app_are_ignored() {
    assert_eq!(only_ignored("smb_message_echoes"), "smb_message_echoes");
}

#[test]
fn a_webhook_of_another_product_is_ignored_once() {
    assert_eq!(only_ignored("unknown_object"), "object:page");
}

// Batches.

#[test]
fn a_batch_of_three_messages_and_two_statuses_yields_five_updates() {
    let parsed = parse_fixture("batch_3_messages_2_statuses");

    assert_eq!(parsed.updates.len(), 5);
    assert!(parsed.skipped.is_empty());
    let messages = messages(&parsed);
    assert_eq!(
        messages
            .iter()
            .map(|m| (
                m.id.clone(),
                m.from.wa_id.as_deref(),
                m.profile_name.as_deref()
            ))
            .collect::<Vec<_>>(),
        [
            (wamid(301), Some(A_PHONE), Some("Test Traveller")),
            (wamid(302), Some(B_PHONE), Some("Second Traveller")),
            (wamid(303), Some(C_PHONE), Some("Third Traveller")),
        ]
    );
    assert!(matches!(
        messages[2].content,
        Content::Media {
            kind: MediaKind::Image,
            ..
        }
    ));
    let statuses = statuses(&parsed);
    assert_eq!(
        statuses
            .iter()
            .map(|s| (s.message_id.clone(), s.status.clone(), s.recipient.key()))
            .collect::<Vec<_>>(),
        [
            (sent_wamid(304), DeliveryStatus::Delivered, Some(A_BSUID)),
            (sent_wamid(305), DeliveryStatus::Read, Some(B_BSUID)),
        ]
    );
}

#[test]
fn every_entry_and_every_change_of_a_body_is_read_in_order() {
    let parsed = parse_fixture("batch_several_entries_and_changes");

    assert!(parsed.skipped.is_empty());
    let [first, second, third, fourth] = <[Update; 4]>::try_from(parsed.updates).unwrap();
    let Update::Message(first) = first else {
        panic!("{first:?}")
    };
    assert_eq!(first.id, wamid(401));
    assert_eq!(first.phone_number_id.as_deref(), Some(PHONE_NUMBER_ID));
    let Update::Status(second) = second else {
        panic!("{second:?}")
    };
    assert_eq!(
        (second.message_id, second.status),
        (sent_wamid(402), DeliveryStatus::Sent)
    );
    assert_eq!(
        third,
        Update::Ignored {
            field: "account_update".to_owned()
        }
    );
    let Update::Message(fourth) = fourth else {
        panic!("{fourth:?}")
    };
    assert_eq!(fourth.id, wamid(403));
    assert_eq!(fourth.from.wa_id.as_deref(), Some(C_PHONE));
    assert_eq!(fourth.phone_number_id.as_deref(), Some(PHONE_NUMBER_ID_2));
}

#[test]
fn a_batch_of_a_hundred_messages_yields_a_hundred_messages_with_their_contacts() {
    let parsed = parse_fixture("batch_100_messages");

    assert_eq!(parsed.updates.len(), 100);
    assert!(parsed.skipped.is_empty());
    let messages = messages(&parsed);
    assert_eq!(messages.len(), 100);
    for (n, message) in (0u32..).zip(&messages) {
        assert_eq!(message.id, wamid(1000 + n));
        assert_eq!(message.timestamp, T0 + 1000 + i64::from(n));
        let user = (n * 3) % 10;
        assert_eq!(
            message.from.wa_id.as_deref(),
            Some(format!("1555000{}", 1300 + user).as_str())
        );
        assert_eq!(
            message.profile_name.as_deref(),
            Some(format!("Batch Traveller {user}").as_str())
        );
        assert_eq!(
            message.content,
            Content::Text {
                body: format!("Batch message {}", n + 1)
            }
        );
    }
}

// Identities.

#[test]
fn a_sender_known_only_by_bsuid_is_answered_through_the_bsuid() {
    let message = only_message("sender_bsuid_only");

    assert_eq!(message.from, identity(Some(B_BSUID), None, None));
    assert_eq!(message.profile_name.as_deref(), Some("Second Traveller"));
    assert_eq!(
        message.from.address(),
        Some(Recipient::UserId(B_BSUID.to_owned()))
    );
}

#[test]
fn a_sender_with_phone_bsuid_and_parent_keeps_all_three() {
    let message = only_message("sender_bsuid_and_phone_with_parent");

    assert_eq!(
        message.from,
        identity(Some(A_BSUID), Some(A_PHONE), Some(A_PARENT))
    );
    assert_eq!(message.from.key(), Some(A_BSUID));
}

#[test]
fn a_sender_with_a_username_still_gets_the_profile_name() {
    let message = only_message("sender_with_username");

    assert_eq!(message.from, traveller_a());
    assert_eq!(message.profile_name.as_deref(), Some("Test Traveller"));
}

#[test]
fn contacts_are_matched_to_messages_by_id_not_by_position() {
    let parsed = parse_fixture("contacts_matched_by_id_not_position");

    assert!(parsed.skipped.is_empty());
    let found: Vec<_> = messages(&parsed)
        .iter()
        .map(|m| (m.id.clone(), m.from.clone(), m.profile_name.clone()))
        .collect();
    assert_eq!(
        found,
        [
            (
                wamid(504),
                identity(Some(A_BSUID), None, None),
                Some("Test Traveller".to_owned())
            ),
            (
                wamid(505),
                identity(None, Some(C_PHONE), None),
                Some("Third Traveller".to_owned())
            ),
            (
                wamid(506),
                identity(Some(B_BSUID), Some(B_PHONE), None),
                Some("Second Traveller".to_owned())
            ),
        ]
    );
}

// One bad item among good ones.

#[test]
fn messages_with_unreadable_times_are_skipped_and_the_others_kept() {
    let parsed = parse_fixture("invalid_timestamp_next_to_good");

    assert_eq!(
        messages(&parsed)
            .iter()
            .map(|m| (m.id.clone(), m.timestamp))
            .collect::<Vec<_>>(),
        [(wamid(601), T0 + 601), (wamid(606), T0 + 606)]
    );
    assert_eq!(
        parsed.skipped,
        [602, 603, 604, 605].map(|n| skip(SkipReason::InvalidTimestamp, Some(n)))
    );
}

#[test]
fn a_message_without_sender_is_skipped_and_the_others_kept() {
    let parsed = parse_fixture("no_sender_next_to_good");

    assert_eq!(
        messages(&parsed)
            .iter()
            .map(|m| (m.id.clone(), m.from.key()))
            .collect::<Vec<_>>(),
        [(wamid(701), Some(A_BSUID)), (wamid(703), Some(B_BSUID))]
    );
    assert_eq!(parsed.skipped, [skip(SkipReason::NoSender, Some(702))]);
    assert_eq!(parsed.skipped[0].reason.as_str(), "no_sender");
}

#[test]
fn items_without_ids_are_skipped_and_the_others_kept() {
    let parsed = parse_fixture("missing_ids_next_to_good");

    assert_eq!(parsed.updates.len(), 2);
    assert_eq!(messages(&parsed)[0].id, wamid(802));
    assert_eq!(statuses(&parsed)[0].message_id, sent_wamid(804));
    assert_eq!(
        parsed.skipped,
        [skip(SkipReason::NoId, None), skip(SkipReason::NoId, None)]
    );
}

#[test]
fn fields_of_the_wrong_type_skip_only_their_item() {
    let parsed = parse_fixture("wrong_field_types_next_to_good");

    let messages = messages(&parsed);
    assert_eq!(
        messages
            .iter()
            .map(|m| (m.id.clone(), m.content.clone(), m.context.clone()))
            .collect::<Vec<_>>(),
        [
            (
                wamid(901),
                Content::Text {
                    body: "Good first".to_owned()
                },
                None
            ),
            // A number where text is expected is read as its text.
            (
                wamid(903),
                Content::Text {
                    body: "42".to_owned()
                },
                None
            ),
            // A context that is not an object is dropped, not the message.
            (
                wamid(905),
                Content::Text {
                    body: "Good with odd context".to_owned()
                },
                None
            ),
            (
                wamid(909),
                Content::Text {
                    body: "Good last".to_owned()
                },
                None
            ),
        ]
    );
    assert!(
        messages
            .iter()
            .all(|m| m.profile_name.as_deref() == Some("Test Traveller")),
        "odd contacts do not hide the good one"
    );
    let statuses = statuses(&parsed);
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].message_id, sent_wamid(906));
    assert_eq!(
        statuses[0].timestamp, 0,
        "an unreadable status time reads as zero"
    );
    assert!(statuses[0].errors.is_empty());
    assert_eq!(
        parsed.skipped,
        [
            skip(SkipReason::MalformedItem, Some(902)),
            skip(SkipReason::MalformedItem, Some(904)),
            skip(SkipReason::MalformedItem, None),
            skip(SkipReason::MalformedItem, Some(908)),
            Skipped {
                reason: SkipReason::NoStatus,
                message_id: Some(sent_wamid(907)),
            },
        ]
    );
}

#[test]
fn unknown_fields_at_every_level_are_ignored() {
    let message = only_message("unknown_extra_fields_everywhere");

    assert_eq!(message.id, wamid(1201));
    assert_eq!(message.from, traveller_a());
    assert_eq!(message.context.unwrap().id, Some(sent_wamid(907)));
    assert_eq!(
        message.content,
        Content::Text {
            body: "Extra fields everywhere".to_owned()
        }
    );
}
