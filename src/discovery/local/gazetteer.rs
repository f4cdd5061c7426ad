//! The gazetteer: every name the local reader knows, folded, with what it stands for.
//!
//! Names come from four sources, in order of authority: our travel aliases
//! (`aliases.tsv`), named regions (`regions.tsv`), places inside countries (`places.tsv`),
//! then the ISO table of the `keshvar` crate and its translations. When two sources give the
//! same name different meanings, the more authoritative one wins; when two translations of
//! equal authority disagree, the name is dropped rather than guessed.

use std::collections::{HashMap, HashSet};

use crate::catalog::CountryCode;

use super::text::{is_unspaced, key_of};
use super::words;

const ALIASES_TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/discovery/aliases.tsv"
));
const PLACES_TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/discovery/places.tsv"
));
const REGIONS_TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/discovery/regions.tsv"
));

/// Languages whose country names travellers type most; they are trusted like ISO names.
const MAIN_LANGUAGES: &[&str] = &["en", "es", "pt", "pt_BR", "fr", "de", "it"];

// TODO: match inflected forms of Cyrillic and Greek names ("в Россию", "στην Ελλάδα" works
// only where the case form equals the name), because those languages decline names.
/// Other languages whose names are taken when they cannot be mistaken for ordinary words.
const OTHER_LANGUAGES: &[&str] = &[
    "nl", "ja", "ko", "zh_CN", "zh_TW", "zh_HK", "th", "el", "ru", "uk", "ar", "he", "hi", "vi",
    "tr", "id", "ms", "pl", "sv", "da", "nb", "fi", "cs", "ro", "hu", "ca", "hr", "bg", "sr", "fa",
    "ka", "hy", "km", "lo", "my", "ne",
];

/// What a name stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Target {
    Countries(Vec<CountryCode>),
    /// An index into [`Gazetteer::regions`].
    Region(usize),
    Global,
    /// A phrase that contains a name but is no place ("guinea pig"), kept so that its
    /// words are not read one by one.
    Nothing,
}

/// One meaning, shared by all the names that carry it.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub target: Target,
    /// The name is also an ordinary word or a first name ("Chad", "Nice"): it is read as a
    /// place only after a cue such as "to" or "visit", or beside another place.
    pub cue: bool,
    /// The name is an ordinary word in lower case ("us", "car"): read only in capitals.
    pub caps: bool,
    /// A place inside a country (from `places.tsv`), which a following country or state
    /// may qualify ("Paris, Texas").
    pub place: bool,
    /// A state, province or region: it qualifies the city before it.
    pub area: bool,
    /// Other places with the same name; when set, the reading is a default and the text
    /// is searched for a hint.
    pub alternatives: Vec<CountryCode>,
}

/// The flags column of `aliases.tsv` and `places.tsv`.
#[derive(Default)]
struct Flags {
    cue: bool,
    caps: bool,
    area: bool,
    alternatives: Vec<CountryCode>,
}

impl Entry {
    fn plain(target: Target) -> Entry {
        Entry {
            target,
            cue: false,
            caps: false,
            place: false,
            area: false,
            alternatives: Vec::new(),
        }
    }
}

/// A named region from `regions.tsv`.
#[derive(Clone, Debug)]
pub(super) struct Region {
    pub name: String,
    pub members: Vec<CountryCode>,
}

/// How authoritative the source of a name is; smaller wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Alias,
    Region,
    Place,
    Iso,
    Derived,
    Translation,
}

impl Rank {
    /// Names we wrote ourselves, where a clash is a mistake in the data.
    fn is_curated(self) -> bool {
        matches!(self, Rank::Alias | Rank::Region | Rank::Place)
    }
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    entry: u32,
    rank: Rank,
    /// Two names of this rank disagree; dropped unless a better rank settles it.
    clashing: bool,
    /// Typo tolerance may bend a word into this name.
    fuzzy: bool,
}

/// All names, ready for lookup.
pub(super) struct Gazetteer {
    pub entries: Vec<Entry>,
    pub regions: Vec<Region>,
    /// Names in scripts with spaces, keyed by folded words joined with one space.
    pub spaced: HashMap<String, u32>,
    /// Names in scripts without spaces, keyed by their characters.
    pub unspaced: HashMap<String, u32>,
    /// Names eligible for typo tolerance, with their entries.
    pub fuzzy_names: Vec<(String, u32)>,
    /// Longest spaced name, in words.
    pub max_words: usize,
    /// Longest unspaced name, in characters.
    pub max_unspaced_chars: usize,
    /// Mistakes found in the data files, reported by a test rather than at run time.
    pub problems: Vec<String>,
}

struct Builder {
    entries: Vec<Entry>,
    regions: Vec<Region>,
    spaced: HashMap<String, Slot>,
    unspaced: HashMap<String, Slot>,
    common: HashSet<&'static str>,
    problems: Vec<String>,
}

impl Gazetteer {
    pub fn build() -> Gazetteer {
        let mut builder = Builder {
            entries: Vec::new(),
            regions: Vec::new(),
            spaced: HashMap::new(),
            unspaced: HashMap::new(),
            common: words::COMMON.split_whitespace().collect(),
            problems: Vec::new(),
        };
        builder.load_aliases();
        builder.load_regions();
        builder.load_places();
        builder.load_iso_table();
        builder.finish()
    }

    pub fn entry(&self, id: u32) -> &Entry {
        &self.entries[id as usize]
    }
}

/// How many places `places.tsv` lists.
#[cfg(test)]
pub(super) fn places_count() -> usize {
    rows(PLACES_TSV).count()
}

/// Reads a data file's rows: comment and blank lines skipped, columns split on tabs.
fn rows(text: &'static str) -> impl Iterator<Item = (usize, Vec<&'static str>)> {
    text.lines().enumerate().filter_map(|(index, line)| {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return None;
        }
        Some((index + 1, line.split('\t').map(str::trim).collect()))
    })
}

fn parse_codes(list: &str) -> Result<Vec<CountryCode>, String> {
    let mut codes = Vec::new();
    for code in list
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
    {
        codes.push(
            code.parse()
                .map_err(|_| format!("unknown country code {code:?}"))?,
        );
    }
    if codes.is_empty() {
        return Err("no country code".to_owned());
    }
    Ok(codes)
}

/// Flags column: `cue`, `caps`, `area` and `alt:XX,YY`, separated by spaces.
fn parse_flags(flags: &str) -> Result<Flags, String> {
    let mut parsed = Flags::default();
    for flag in flags.split_whitespace() {
        if flag == "cue" {
            parsed.cue = true;
        } else if flag == "caps" {
            parsed.caps = true;
        } else if flag == "area" {
            parsed.area = true;
        } else if let Some(list) = flag.strip_prefix("alt:") {
            parsed.alternatives = parse_codes(list)?;
        } else {
            return Err(format!("unknown flag {flag:?}"));
        }
    }
    Ok(parsed)
}

impl Builder {
    fn push_entry(&mut self, entry: Entry) -> u32 {
        self.entries.push(entry);
        (self.entries.len() - 1) as u32
    }

    fn load_aliases(&mut self) {
        for (line, columns) in rows(ALIASES_TSV) {
            let [code, names, rest @ ..] = columns.as_slice() else {
                self.problems
                    .push(format!("aliases.tsv:{line}: expected code and aliases"));
                continue;
            };
            let target = match *code {
                "GLOBAL" => Ok(Target::Global),
                "-" => Ok(Target::Nothing),
                code => parse_codes(code).map(Target::Countries),
            };
            let flags = parse_flags(rest.first().copied().unwrap_or_default());
            let (target, flags) = match (target, flags) {
                (Ok(target), Ok(flags)) => (target, flags),
                (Err(problem), _) | (_, Err(problem)) => {
                    self.problems.push(format!("aliases.tsv:{line}: {problem}"));
                    continue;
                }
            };
            let fuzzy = !flags.cue && !flags.caps;
            let entry = self.push_entry(Entry {
                target,
                cue: flags.cue,
                caps: flags.caps,
                place: false,
                area: flags.area,
                alternatives: flags.alternatives,
            });
            for name in names.split('|') {
                self.add_name(name, entry, Rank::Alias, fuzzy);
            }
        }
    }

    fn load_regions(&mut self) {
        for (line, columns) in rows(REGIONS_TSV) {
            let [name, aliases, members, ..] = columns.as_slice() else {
                self.problems
                    .push(format!("regions.tsv:{line}: expected three columns"));
                continue;
            };
            let members = match parse_codes(members) {
                Ok(members) => members,
                Err(problem) => {
                    self.problems.push(format!("regions.tsv:{line}: {problem}"));
                    continue;
                }
            };
            self.regions.push(Region {
                name: (*name).to_owned(),
                members,
            });
            let target = Target::Region(self.regions.len() - 1);
            let entry = self.push_entry(Entry::plain(target));
            for alias in std::iter::once(*name).chain(aliases.split('|')) {
                self.add_name(alias, entry, Rank::Region, true);
            }
        }
    }

    fn load_places(&mut self) {
        for (line, columns) in rows(PLACES_TSV) {
            let [name, aliases, codes, rest @ ..] = columns.as_slice() else {
                self.problems
                    .push(format!("places.tsv:{line}: expected name, aliases, codes"));
                continue;
            };
            let parsed = parse_codes(codes).and_then(|codes| {
                Ok((
                    codes,
                    parse_flags(rest.first().copied().unwrap_or_default())?,
                ))
            });
            let (codes, flags) = match parsed {
                Ok(parsed) => parsed,
                Err(problem) => {
                    self.problems.push(format!("places.tsv:{line}: {problem}"));
                    continue;
                }
            };
            let cue = flags.cue || flags.caps;
            let entry = self.push_entry(Entry {
                target: Target::Countries(codes),
                cue: flags.cue,
                caps: flags.caps,
                place: true,
                area: flags.area,
                alternatives: flags.alternatives,
            });
            let names = std::iter::once(*name).chain(aliases.split('|'));
            for alias in names.filter(|alias| !alias.is_empty()) {
                let key = key_of(alias);
                if !cue && !key.contains(' ') && self.common.contains(key.as_str()) {
                    self.problems.push(format!(
                        "places.tsv:{line}: {alias:?} is an ordinary word and needs the cue flag"
                    ));
                }
                // Typos are forgiven on well-known, longer names only.
                let fuzzy = !cue && key.len() >= 6;
                self.add_name(alias, entry, Rank::Place, fuzzy);
            }
        }
    }

    fn load_iso_table(&mut self) {
        for country in keshvar::CountryIterator::new() {
            let Ok(code) = country.alpha2().to_string().parse::<CountryCode>() else {
                continue;
            };
            let entry = self.push_entry(Entry::plain(Target::Countries(vec![code])));

            let mut official = vec![country.iso_short_name(), country.iso_long_name()];
            official.extend(country.unofficial_name_list().iter().copied());
            let translations = country.translations();
            official.extend(
                MAIN_LANGUAGES
                    .iter()
                    .filter_map(|lang| translations.get(lang)),
            );
            for name in official {
                self.add_official(name, entry, Rank::Iso);
            }
            for lang in OTHER_LANGUAGES {
                if let Some(name) = translations.get(lang) {
                    self.add_official(name, entry, Rank::Translation);
                }
            }
        }
    }

    /// Adds an ISO-table name and the everyday forms hidden in its formal spelling:
    /// "Korea (Republic of)" and "Iran, Islamic Republic of" also give "Korea" and "Iran".
    fn add_official(&mut self, name: &str, entry: u32, rank: Rank) {
        self.add_name(name, entry, rank, rank == Rank::Iso);
        let outside = match name.find(['(', ',', '（', '[']) {
            Some(at) => name[..at].trim(),
            None => return,
        };
        self.add_name(outside, entry, rank.max(Rank::Derived), false);
        // Inside brackets, only unspaced scripts hold a plain name ("大韓民国 (韓国)").
        if let (Some(open), Some(close)) = (name.find(['(', '（']), name.rfind([')', '）'])) {
            let inside = name.get(open..close).unwrap_or_default();
            let inside = inside.trim_start_matches(['(', '（']).trim();
            if !inside.is_empty() && inside.chars().all(is_unspaced) {
                self.add_name(inside, entry, rank.max(Rank::Derived), false);
            }
        }
    }

    /// Adds a name and its spelling variants ("St Lucia" for "Saint Lucia", "Trinidad
    /// Tobago" for "Trinidad and Tobago", "NewZealand" for "New Zealand").
    fn add_name(&mut self, name: &str, entry: u32, rank: Rank, fuzzy: bool) {
        let key = key_of(name);
        if key.is_empty() {
            return;
        }
        if key.chars().all(|c| c == ' ' || is_unspaced(c)) {
            let joined: String = key.chars().filter(|c| *c != ' ').collect();
            if joined.chars().count() >= 2 || rank.is_curated() {
                insert(
                    &mut self.unspaced,
                    joined,
                    entry,
                    rank,
                    false,
                    &mut self.problems,
                );
            }
            return;
        }
        if !rank.is_curated() && !self.acceptable(&key, rank) {
            return;
        }

        let mut variants = vec![key.clone()];
        let words: Vec<&str> = key.split(' ').collect();
        if words.len() > 1 {
            if words[0] == "the" {
                variants.push(words[1..].join(" "));
            }
            let saint: Vec<&str> = words
                .iter()
                .map(|word| match *word {
                    "saint" | "sankt" => "st",
                    "st" => "saint",
                    other => other,
                })
                .collect();
            variants.push(saint.join(" "));
            // Inner connectors only: a leading or trailing "e" is a letter ("U.A.E.").
            let connectors = ["and", "y", "et", "und", "e", "of", "the"];
            let last = words.len() - 1;
            let bare: Vec<&str> = words
                .iter()
                .enumerate()
                .filter(|(at, word)| *at == 0 || *at == last || !connectors.contains(word))
                .map(|(_, word)| *word)
                .collect();
            if bare.len() > 1 && bare.len() < words.len() {
                variants.push(bare.join(" "));
            }
            let glued = words.concat();
            if glued.len() >= 6 && rank <= Rank::Iso {
                variants.push(glued);
            }
        }
        variants.sort();
        variants.dedup();
        for variant in variants {
            let is_original = variant == key;
            // Variants that shrink to an ordinary word are not names any more.
            if !is_original && !variant.contains(' ') && self.common.contains(variant.as_str()) {
                continue;
            }
            insert(
                &mut self.spaced,
                variant,
                entry,
                rank,
                fuzzy,
                &mut self.problems,
            );
        }
    }

    /// Whether a name from the ISO table or a translation is safe to read in free text.
    fn acceptable(&self, key: &str, rank: Rank) -> bool {
        let letters = key.chars().filter(|c| c.is_alphabetic()).count();
        let single = !key.contains(' ');
        if single && self.common.contains(key) {
            return false;
        }
        if !key.is_ascii() {
            // Other scripts hold no English or Romance words to collide with.
            return letters >= 2;
        }
        if rank == Rank::Translation {
            // Short Latin-script names of other languages collide with everyday words
            // ("Mỹ" folds to "my").
            return letters >= 5;
        }
        letters >= 4 || !single
    }

    fn finish(self) -> Gazetteer {
        let mut fuzzy_names = Vec::new();
        let mut spaced = HashMap::with_capacity(self.spaced.len());
        for (key, slot) in self.spaced {
            if slot.clashing {
                continue;
            }
            let entry = &self.entries[slot.entry as usize];
            let words = key.split(' ').count();
            let letters = key.len() - (words - 1);
            if slot.fuzzy
                && !entry.cue
                && entry.target != Target::Nothing
                && words <= 2
                && letters >= 5
                && key.bytes().all(|b| b.is_ascii_lowercase() || b == b' ')
            {
                fuzzy_names.push((key.clone(), slot.entry));
            }
            spaced.insert(key, slot.entry);
        }
        fuzzy_names.sort();
        let unspaced: HashMap<String, u32> = self
            .unspaced
            .into_iter()
            .filter(|(_, slot)| !slot.clashing)
            .map(|(key, slot)| (key, slot.entry))
            .collect();
        let max_words = spaced
            .keys()
            .map(|key| key.split(' ').count())
            .max()
            .unwrap_or(1);
        let max_unspaced_chars = unspaced
            .keys()
            .map(|key| key.chars().count())
            .max()
            .unwrap_or(1);
        Gazetteer {
            entries: self.entries,
            regions: self.regions,
            spaced,
            unspaced,
            fuzzy_names,
            max_words,
            max_unspaced_chars,
            problems: self.problems,
        }
    }
}

fn insert(
    map: &mut HashMap<String, Slot>,
    key: String,
    entry: u32,
    rank: Rank,
    fuzzy: bool,
    problems: &mut Vec<String>,
) {
    let slot = Slot {
        entry,
        rank,
        clashing: false,
        fuzzy,
    };
    let Some(existing) = map.get_mut(&key) else {
        map.insert(key, slot);
        return;
    };
    if rank > existing.rank || existing.entry == entry {
        existing.fuzzy |= fuzzy && existing.entry == entry && rank == existing.rank;
        return;
    }
    if rank < existing.rank {
        *existing = slot;
        return;
    }
    // Same rank, another meaning.
    if rank.is_curated() {
        problems.push(format!("{key:?} is listed twice with different meanings"));
    } else {
        existing.clashing = true;
    }
}
