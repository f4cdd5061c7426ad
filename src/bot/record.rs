//! The stored form of a conversation: JSON, compressed.
//!
//! A conversation carries the plans last shown (names, prices, coverage), which makes its
//! JSON a couple of kilobytes, most of it field names said ten times over. Deflated it is
//! about a quarter of that, and a conversation is kept 90 days for every traveller who
//! ever wrote, so the saving is most of Redis's memory per traveller. Records written
//! before compression (plain JSON, starting with `{`) are still read.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The first byte of a compressed record; plain JSON records start with `{`.
const DEFLATED: u8 = b'z';

/// The most a record may inflate to. Ours are a few kilobytes; the limit keeps a damaged
/// or planted record from taking the process's memory.
const MAX_INFLATED_BYTES: u64 = 1 << 20;

/// `value` as JSON, deflated, behind the marker byte.
pub(super) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let json = serde_json::to_vec(value).expect("a stored record serialises");
    // The fastest level: the next gives a few percent for twice the time, on every turn.
    let mut encoder = DeflateEncoder::new(vec![DEFLATED], Compression::fast());
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .expect("writing to memory cannot fail")
}

/// Reads a record written by [`encode`], or a plain JSON one.
pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match bytes.split_first() {
        Some((&DEFLATED, deflated)) => {
            let mut json = Vec::new();
            DeflateDecoder::new(deflated)
                .take(MAX_INFLATED_BYTES + 1)
                .read_to_end(&mut json)
                .map_err(|error| format!("not deflate data: {error}"))?;
            if json.len() as u64 > MAX_INFLATED_BYTES {
                return Err(format!("inflates past {MAX_INFLATED_BYTES} bytes"));
            }
            serde_json::from_slice(&json).map_err(|error| error.to_string())
        }
        _ => serde_json::from_slice(bytes).map_err(|error| error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn conversation_like() -> Value {
        let offers: Vec<Value> = (0..10)
            .map(|n| {
                json!({"package_code": format!("5f8c09a3c{n}"), "name": format!("Japan {n}GB 30Days"),
                    "data": format!("{n} GB"), "days": 30, "period_days": null, "price": "5.58",
                    "covers": ["Japan"], "whole_trip": true, "starts_on_first_use": true})
            })
            .collect();
        json!({"conversation": {"identity": {"wa_id": "15550001234"}, "language": "en",
            "stage": {"stage": "choosing_plan"}, "menu": 1, "offers": offers}, "pending": null})
    }

    #[test]
    fn a_record_reads_back_and_is_much_smaller_than_its_json() {
        let value = conversation_like();
        let stored = encode(&value);

        assert_eq!(decode::<Value>(&stored).unwrap(), value);
        let json = serde_json::to_vec(&value).unwrap().len();
        assert!(
            stored.len() * 2 < json,
            "{} bytes from {json}",
            stored.len()
        );
    }

    #[test]
    fn a_plain_json_record_is_still_read() {
        let value = conversation_like();

        let read: Value = decode(&serde_json::to_vec(&value).unwrap()).unwrap();

        assert_eq!(read, value);
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let stored = encode(&conversation_like());
        for damaged in [
            &b""[..],
            b"z",
            b"z\xff\xff\xff",
            &stored[..stored.len() / 2],
            b"{\"conversation\":",
        ] {
            assert!(decode::<Value>(damaged).is_err(), "{damaged:?}");
        }
    }

    #[test]
    fn a_record_inflating_past_the_limit_is_refused() {
        let huge = vec![b' '; usize::try_from(MAX_INFLATED_BYTES).unwrap() + 10];
        let mut encoder = DeflateEncoder::new(vec![DEFLATED], Compression::best());
        encoder.write_all(&huge).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 4096);

        let error = decode::<Value>(&bomb).unwrap_err();

        assert!(error.contains("inflates past"), "{error}");
    }
}
