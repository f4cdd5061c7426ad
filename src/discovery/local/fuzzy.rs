//! Typo tolerance: finds the names within a small edit distance of a word ("japn",
//! "Germnay", "Austrailia") without comparing the word to every name.
//!
//! The index is a symmetric-delete one: every name is stored under each string obtained
//! by deleting up to two of its letters, and a word is looked up under its own deletes.
//! Two strings within edit distance `d` share a delete of at most `d` letters each, so the
//! candidates found are all the names worth checking with the exact distance.
//!
//! A long name has hundreds of deletes and there are thousands of names in many
//! languages, so a delete is kept as its 64-bit hash, pointing into one flat array of
//! names, rather than as a string with a list of its own: a few megabytes instead of tens,
//! and two allocations in all instead of two per delete. Two deletes hashing alike only
//! add a candidate, which the exact distance then turns down.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Shortest name that may be misspelt; shorter names are too easily another word
/// ("Mali" and "mail", "Iran" and "ran").
const MIN_LETTERS: usize = 5;

/// From this length on, two edits are forgiven.
const TWO_EDITS_LETTERS: usize = 8;

/// Shortest word read as a misspelling ("japn" for "Japan").
const MIN_WORD_LETTERS: usize = 4;

/// The edits forgiven on a name of `letters` letters.
pub(super) fn allowed_edits(letters: usize) -> usize {
    match letters {
        0..MIN_LETTERS => 0,
        MIN_LETTERS..TWO_EDITS_LETTERS => 1,
        _ => 2,
    }
}

/// Names by their deletes.
pub(super) struct FuzzyIndex {
    names: Vec<(String, u32)>,
    /// The hash of each delete, and where in `owners` the names producing it are.
    deletes: HashMap<u64, (u32, u32)>,
    /// Indices into `names`, those of one delete side by side.
    owners: Vec<u32>,
}

/// The best name for a word, or the sign that several names were equally close.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Nearest {
    None,
    One {
        entry: u32,
        edits: usize,
    },
    /// Equally close names with different meanings: the word looks like a place, but which
    /// one cannot be told.
    Tie,
}

impl FuzzyIndex {
    pub fn build(names: Vec<(String, u32)>) -> FuzzyIndex {
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let mut scratch = Vec::new();
        for (index, (name, _)) in names.iter().enumerate() {
            scratch.clear();
            deletes_of(name, allowed_edits(letters(name)), &mut scratch);
            pairs.extend(scratch.iter().map(|delete| (hash_of(delete), index as u32)));
        }
        pairs.sort_unstable();
        pairs.dedup();

        // Sized once: growing would hold the old table and the new at once, for a moment
        // twice the memory the index keeps.
        let distinct = 1 + pairs
            .windows(2)
            .filter(|pair| pair[0].0 != pair[1].0)
            .count();
        let mut deletes: HashMap<u64, (u32, u32)> = HashMap::with_capacity(distinct);
        let mut owners = Vec::with_capacity(pairs.len());
        for (hash, owner) in pairs {
            let at = owners.len() as u32;
            let (_, count) = deletes.entry(hash).or_insert((at, 0));
            *count += 1;
            owners.push(owner);
        }
        FuzzyIndex {
            names,
            deletes,
            owners,
        }
    }

    /// The names that produce a delete hashing to `hash`.
    fn names_under(&self, hash: u64) -> &[u32] {
        self.deletes.get(&hash).map_or(&[], |&(start, count)| {
            &self.owners[start as usize..(start + count) as usize]
        })
    }

    /// The name nearest to `word` (folded, ASCII letters and spaces) within the edits its
    /// length allows, where `same_target` tells whether two entries mean the same.
    pub fn nearest(&self, word: &str, same_target: impl Fn(u32, u32) -> bool) -> Nearest {
        let word_letters = letters(word);
        if word_letters < MIN_WORD_LETTERS
            || !word.bytes().all(|b| b.is_ascii_lowercase() || b == b' ')
        {
            return Nearest::None;
        }
        // Two edits only reach names of eight letters or more.
        let budget = if word_letters + 2 >= TWO_EDITS_LETTERS {
            2
        } else {
            1
        };
        let mut candidates: Vec<u32> = Vec::new();
        let mut scratch = Vec::new();
        deletes_of(word, budget, &mut scratch);
        for delete in &scratch {
            candidates.extend_from_slice(self.names_under(hash_of(delete)));
        }
        candidates.sort_unstable();
        candidates.dedup();

        let mut best: Option<(usize, u32)> = None;
        let mut tie = false;
        for candidate in candidates {
            let (name, entry) = &self.names[candidate as usize];
            let limit = allowed_edits(letters(name));
            if limit == 0 || is_inflection(word, name) {
                continue;
            }
            let Some(edits) = edit_distance(word, name, limit) else {
                continue;
            };
            match best {
                Some((best_edits, _)) if edits > best_edits => {}
                Some((best_edits, best_entry)) if edits == best_edits => {
                    if !same_target(best_entry, *entry) {
                        tie = true;
                    }
                }
                _ => {
                    best = Some((edits, *entry));
                    tie = false;
                }
            }
        }
        match best {
            Some(_) if tie => Nearest::Tie,
            Some((edits, entry)) => Nearest::One { entry, edits },
            None => Nearest::None,
        }
    }
}

/// A delete's key in the index.
fn hash_of(delete: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    delete.hash(&mut hasher);
    hasher.finish()
}

fn letters(text: &str) -> usize {
    text.bytes().filter(|b| *b != b' ').count()
}

/// Endings that make another word of a name: demonyms, plurals, languages.
const DERIVING_SUFFIXES: &[&str] = &[
    "n", "an", "ian", "ns", "ans", "ians", "s", "es", "ese", "ish", "er", "ers",
];

/// A word built on a name ("Indian", "Chiles", "woman") is not a typo of it, while a
/// doubled last letter is ("Dubaii").
fn is_inflection(word: &str, name: &str) -> bool {
    if word.len() > name.len() {
        if let Some(suffix) = word.strip_prefix(name) {
            return DERIVING_SUFFIXES.contains(&suffix);
        }
        return word.ends_with(name);
    }
    name.len() > word.len() && name.starts_with(word) && word.len() + 2 < name.len()
}

/// Every string made by deleting up to `edits` letters (spaces stay), the string included.
fn deletes_of(text: &str, edits: usize, out: &mut Vec<String>) {
    out.push(text.to_owned());
    let mut frontier = vec![text.to_owned()];
    for _ in 0..edits {
        let mut next = Vec::new();
        for current in &frontier {
            for (at, byte) in current.bytes().enumerate() {
                if byte == b' ' {
                    continue;
                }
                let mut shorter = String::with_capacity(current.len() - 1);
                shorter.push_str(&current[..at]);
                shorter.push_str(&current[at + 1..]);
                next.push(shorter);
            }
        }
        next.sort();
        next.dedup();
        out.extend(next.iter().cloned());
        frontier = next;
    }
}

/// The optimal-string-alignment distance (Damerau-Levenshtein where a transposed pair is
/// one edit), or `None` when it exceeds `limit`.
pub(super) fn edit_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a = a.as_bytes();
    let b = b.as_bytes();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![0usize; width * 3];
    let (mut before, mut previous, mut current) = (0, width, 2 * width);
    for (j, cell) in rows[previous..previous + width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[current] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[previous + j] + 1)
                .min(rows[current + j - 1] + 1)
                .min(rows[previous + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[before + j - 2] + 1);
            }
            rows[current + j] = value;
            row_min = row_min.min(value);
        }
        if row_min > limit {
            return None;
        }
        (before, previous, current) = (previous, current, before);
    }
    let distance = rows[previous + b.len()];
    (distance <= limit).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_a_swap_as_one_edit() {
        let cases = [
            ("japan", "japna", Some(1)),
            ("germany", "germnay", Some(1)),
            ("australia", "austrailia", Some(1)),
            ("italy", "itlay", Some(1)),
            ("switzerland", "swizerland", Some(1)),
            ("indonesia", "indonesa", Some(1)),
            ("thailand", "thailnd", Some(1)),
            ("spain", "span", Some(1)),
            ("kenya", "kanye", Some(2)),
            ("peru", "chad", None),
        ];
        for (a, b, expected) in cases {
            assert_eq!(edit_distance(a, b, 2), expected, "{a} / {b}");
        }
    }

    #[test]
    fn the_index_finds_near_names_and_reports_ties() {
        let index = FuzzyIndex::build(vec![
            ("japan".to_owned(), 0),
            ("niger".to_owned(), 1),
            ("nigeria".to_owned(), 2),
            ("australia".to_owned(), 3),
            ("tonga".to_owned(), 4),
            ("tanga".to_owned(), 5),
        ]);
        let same = |a: u32, b: u32| a == b;
        assert_eq!(
            index.nearest("japna", same),
            Nearest::One { entry: 0, edits: 1 }
        );
        assert_eq!(
            index.nearest("austrailia", same),
            Nearest::One { entry: 3, edits: 1 }
        );
        assert_eq!(index.nearest("tunga", same), Nearest::Tie);
        assert_eq!(
            index.nearest("nigera", same),
            Nearest::Tie,
            "Niger or Nigeria"
        );
        assert_eq!(
            index.nearest("nigerian", same),
            Nearest::None,
            "a demonym, not a typo"
        );
        assert_eq!(
            index.nearest("japn", same),
            Nearest::One { entry: 0, edits: 1 }
        );
        assert_eq!(
            index.nearest("jap", same),
            Nearest::None,
            "too short to forgive"
        );
        assert_eq!(index.nearest("indian", same), Nearest::None);
    }
}
