//! What the parsers' property tests share: arbitrary bytes and damaged copies of real
//! bodies, because a parser must read or refuse whatever a network hands it and the
//! likeliest garbage is a real body with a few bytes wrong; and one case count for all.

use proptest::prelude::*;

/// How to damage a body: each step overwrites, inserts or cuts at one byte.
fn damage() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    proptest::collection::vec((any::<usize>(), 0u8..3, any::<u8>()), 1..12)
}

/// `original` with the `steps` of a [`damage`] applied.
fn damaged(original: &[u8], steps: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut body = original.to_vec();
    for &(at, how, byte) in steps {
        if body.is_empty() {
            body.push(byte);
            continue;
        }
        let at = at % body.len();
        match how {
            0 => body[at] = byte,
            1 => body.insert(at, byte),
            _ => body.truncate(at),
        }
    }
    body
}

/// Arbitrary bytes, or one of `originals` damaged: what a parser must read or refuse.
pub fn hostile_bodies(originals: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = originals.len();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        (0..count, damage()).prop_map(move |(which, steps)| damaged(&originals[which], &steps)),
    ]
}

/// Enough cases to find a panic, few enough to run in a second; no files written.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
