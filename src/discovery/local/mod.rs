//! The local destination extractor: reads where, how long and how much data from a
//! traveller's message, offline, in microseconds.
//!
//! The reading runs in steps over the tokens of [`text`]: names are looked up longest
//! first in the [`gazetteer`] (country names in many languages, travel aliases, cities,
//! islands, regions), words left over are checked for typos by the [`fuzzy`] index, names
//! that are also ordinary words are kept only in a travel context, ambiguous names are
//! settled by the other places of the message, and [`amounts`] reads days and data.
//! Whatever looks like a place but cannot be placed makes the reading not confident, so the
//! caller can ask the LLM.

mod amounts;
mod fuzzy;
mod gazetteer;
mod numerals;
mod text;
mod words;

use std::collections::{BTreeSet, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use crate::catalog::{CountryCode, format_volume};

use self::amounts::Amount;
use self::fuzzy::{FuzzyIndex, Nearest};
use self::gazetteer::{Gazetteer, Target};
use self::text::{Kind, Tokens, is_hangul, tokenize};
use super::{Reading, Source, TripQuery, Understood};

/// Longest text read, in bytes: a pasted itinerary is read in full, a pasted book is not,
/// which bounds the time one message can take.
const MAX_TEXT_BYTES: usize = 16 * 1024;

/// Words after a name that show it is a destination ("Jordan eSIM", "Chad trip").
const FOLLOWERS: &[&str] = &[
    "esim",
    "esims",
    "sim",
    "trip",
    "travel",
    "holiday",
    "holidays",
    "vacation",
    "visa",
    "plan",
    "itinerary",
    "tour",
    "island",
    "islands",
    "isla",
    "ilha",
    "ile",
    "insel",
    "isola",
    "city",
    "ciudad",
    "cidade",
    "ville",
    "stadt",
    "citta",
];

static GLOBAL: LazyLock<LocalExtractor> = LazyLock::new(LocalExtractor::build);

/// The gazetteer, its typo index and word lists, built once from embedded data.
pub struct LocalExtractor {
    gazetteer: Gazetteer,
    fuzzy: FuzzyIndex,
    /// Ordinary words, never bent into names by typo tolerance.
    common: HashSet<&'static str>,
    /// Words announcing a destination.
    cues: HashSet<&'static str>,
    /// Words showing a message is about a trip.
    travel: HashSet<&'static str>,
    articles: HashSet<&'static str>,
    connectors: HashSet<&'static str>,
    /// Continents with no named region yet.
    unplaced_areas: HashSet<&'static str>,
    /// "country", "país", ...: confirm the country reading of an ambiguous name.
    country_words: HashSet<&'static str>,
    /// "from", "desde", ...: mark where a traveller comes from.
    origins: HashSet<&'static str>,
    /// "live", "vivo", ...: before "in", mark a traveller's home.
    residence: HashSet<&'static str>,
    /// "not", "except", ...: exclude the place after them.
    negations: HashSet<&'static str>,
}

/// A name found in the text.
#[derive(Clone, Debug)]
struct Hit {
    /// Token indices, for the context rules.
    tokens: Range<usize>,
    /// Byte range in the text, to echo the traveller's words.
    span: Range<usize>,
    /// The gazetteer entry, or a flag emoji's country.
    meaning: HitMeaning,
}

#[derive(Clone, Debug)]
enum HitMeaning {
    Entry(u32),
    Flag(CountryCode),
}

/// A hit settled: what it finally stands for.
#[derive(Clone, Debug)]
struct Placed {
    hit: Hit,
    target: Target,
}

impl LocalExtractor {
    /// The extractor, built on first use.
    pub fn global() -> &'static LocalExtractor {
        &GLOBAL
    }

    fn build() -> LocalExtractor {
        let gazetteer = Gazetteer::build();
        // The data is embedded and checked by a test, so a problem here is a build that
        // skipped the tests: worth a warning, not a failure.
        for problem in &gazetteer.problems {
            tracing::warn!(problem = %problem, "discovery data problem");
        }
        let fuzzy = FuzzyIndex::build(gazetteer.fuzzy_names.clone());
        let set = |list: &'static str| list.split_whitespace().collect::<HashSet<_>>();
        LocalExtractor {
            gazetteer,
            fuzzy,
            common: set(words::COMMON),
            cues: set(words::CUES),
            travel: set(words::TRAVEL),
            articles: set(words::ARTICLES),
            connectors: set(words::CONNECTORS),
            unplaced_areas: set(words::UNPLACED_AREAS),
            country_words: set(words::COUNTRY_WORDS),
            origins: set(words::ORIGINS),
            residence: set(words::RESIDENCE),
            negations: set(words::NEGATIONS),
        }
    }

    /// The canonical names of the named regions, in the order of `regions.tsv`.
    pub fn region_names(&self) -> impl Iterator<Item = &str> {
        self.gazetteer
            .regions
            .iter()
            .map(|region| region.name.as_str())
    }

    /// A named region by its name or any alias, in any case or script: its canonical name
    /// and its member countries.
    pub fn region(&self, name: &str) -> Option<(&str, &[CountryCode])> {
        let key = text::key_of(name);
        let joined: String = key.chars().filter(|c| *c != ' ').collect();
        let entry = self
            .gazetteer
            .spaced
            .get(&key)
            .or_else(|| self.gazetteer.unspaced.get(&joined))?;
        match self.gazetteer.entry(*entry).target {
            Target::Region(index) => {
                let region = &self.gazetteer.regions[index];
                Some((region.name.as_str(), region.members.as_slice()))
            }
            _ => None,
        }
    }

    /// Reads a message. Never panics and never fails: an unreadable message is an empty,
    /// unconfident reading.
    pub fn read(&self, text: &str) -> Reading {
        let text = truncate(text, MAX_TEXT_BYTES);
        let tokens = tokenize(text);
        let mut doubtful = false;

        let mut hits = self.find_names(&tokens);
        doubtful |= self.find_typos(&tokens, &mut hits);
        hits.sort_by_key(|hit| (hit.tokens.start, hit.span.start));
        let amounts = amounts::find_amounts(&tokens);
        let (hits, mut rejected) = self.keep_in_context(&tokens, hits, &amounts);
        let (hits, excluded) = self.drop_origins(&tokens, hits, &mut rejected);
        let (placed, unsure) = self.settle(&tokens, hits);
        doubtful |= unsure;
        doubtful |= self.looks_unplaced(&tokens, &placed, &rejected, &amounts);

        let mut query = self.assemble(text, &placed, &amounts);
        query.countries.retain(|code| !excluded.contains(code));
        Reading {
            confident: !doubtful,
            query,
        }
    }

    /// Exact names: the longest run of words that is a name, at each position; substrings of
    /// unspaced runs; flag emojis.
    fn find_names(&self, tokens: &Tokens) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut key = String::with_capacity(64);
        let mut index = 0;
        while index < tokens.len() {
            match tokens.kind(index) {
                Kind::Word => {
                    let word = tokens.norm(index);
                    let best = self
                        .longest_name(tokens, index, word, &mut key)
                        .or_else(|| {
                            without_clitics(word)
                                .iter()
                                .find_map(|bare| self.longest_name(tokens, index, bare, &mut key))
                        });
                    if let Some((entry, last)) = best {
                        hits.push(Hit {
                            tokens: index..last + 1,
                            span: tokens.tokens[index].span.start..tokens.tokens[last].span.end,
                            meaning: HitMeaning::Entry(entry),
                        });
                        index = last + 1;
                        continue;
                    }
                }
                Kind::Unspaced => self.find_unspaced(tokens, index, &mut hits),
                Kind::Flag(code) => hits.push(Hit {
                    tokens: index..index + 1,
                    span: tokens.tokens[index].span.clone(),
                    meaning: HitMeaning::Flag(code),
                }),
                _ => {}
            }
            index += 1;
        }
        hits
    }

    /// The longest name starting at word `index`, read as `first` (the word itself or the
    /// word without its clitics), with the index of its last word.
    fn longest_name(
        &self,
        tokens: &Tokens,
        index: usize,
        first: &str,
        key: &mut String,
    ) -> Option<(u32, usize)> {
        key.clear();
        key.push_str(first);
        let mut best = None;
        let mut last = index;
        for words in 1..=self.gazetteer.max_words {
            if words > 1 {
                let Some(next) = next_word(tokens, last) else {
                    break;
                };
                last = next;
                key.push(' ');
                key.push_str(tokens.norm(last));
            }
            if let Some(&entry) = self.gazetteer.spaced.get(key.as_str()) {
                let capitals_needed = self.gazetteer.entry(entry).caps;
                if !capitals_needed || tokens.tokens[index..=last].iter().all(|t| t.all_caps) {
                    best = Some((entry, last));
                }
            }
        }
        best
    }

    /// Names inside a run of Chinese, Japanese, Korean or Thai, longest first.
    fn find_unspaced(&self, tokens: &Tokens, index: usize, hits: &mut Vec<Hit>) {
        let run = tokens.norm(index);
        let token = &tokens.tokens[index];
        // Offsets map to the original only when folding left the run untouched.
        let exact_span = token.span.len() == run.len();
        let starts: Vec<usize> = run.char_indices().map(|(at, _)| at).collect();
        let end_of = |char_index: usize| starts.get(char_index).copied().unwrap_or(run.len());
        let mut at = 0;
        while at < starts.len() {
            let longest = self.gazetteer.max_unspaced_chars.min(starts.len() - at);
            let found = (1..=longest).rev().find_map(|chars| {
                let piece = &run[starts[at]..end_of(at + chars)];
                let entry = *self.gazetteer.unspaced.get(piece)?;
                unspaced_boundaries_hold(run, starts[at], end_of(at + chars), piece)
                    .then_some((entry, chars))
            });
            let Some((entry, chars)) = found else {
                at += 1;
                continue;
            };
            let span = if exact_span {
                token.span.start + starts[at]..token.span.start + end_of(at + chars)
            } else {
                token.span.clone()
            };
            hits.push(Hit {
                tokens: index..index + 1,
                span,
                meaning: HitMeaning::Entry(entry),
            });
            at += chars;
        }
    }

    /// Misspelt names among the words no name claimed. Returns whether a word was equally
    /// close to several places.
    fn find_typos(&self, tokens: &Tokens, hits: &mut Vec<Hit>) -> bool {
        let mut covered = vec![false; tokens.len()];
        for hit in hits.iter() {
            covered[hit.tokens.clone()]
                .iter_mut()
                .for_each(|cell| *cell = true);
        }
        let mut tie = false;
        let mut query = String::with_capacity(32);
        for index in 0..tokens.len() {
            if covered[index] || !self.may_be_typo(tokens, index) {
                continue;
            }
            if let Some(entry) = self.undoubled(tokens.norm(index)) {
                covered[index] = true;
                hits.push(Hit {
                    tokens: index..index + 1,
                    span: tokens.tokens[index].span.clone(),
                    meaning: HitMeaning::Entry(entry),
                });
                continue;
            }
            // Two-word names first ("new zeland", "costa rika"), then the word alone.
            // An article or a connector never starts or ends a place name's typo: "lake &
            // the" is not a misspelt "Lake Tahoe".
            let joinable = |i: &usize| {
                let word = tokens.norm(*i);
                !covered[*i] && !self.articles.contains(word) && !self.connectors.contains(word)
            };
            let before = previous_word(tokens, index).filter(joinable);
            let after = next_word(tokens, index).filter(joinable);
            let pairs = [
                before.map(|b| (b, index)),
                after.map(|a| (index, a)),
                Some((index, index)),
            ];
            for (first, last) in pairs.into_iter().flatten() {
                query.clear();
                query.push_str(tokens.norm(first));
                if last != first {
                    query.push(' ');
                    query.push_str(tokens.norm(last));
                }
                match self.fuzzy.nearest(&query, |a, b| self.same_target(a, b)) {
                    Nearest::One { entry, .. } => {
                        covered[first..=last]
                            .iter_mut()
                            .for_each(|cell| *cell = true);
                        hits.push(Hit {
                            tokens: first..last + 1,
                            span: tokens.tokens[first].span.start..tokens.tokens[last].span.end,
                            meaning: HitMeaning::Entry(entry),
                        });
                        break;
                    }
                    Nearest::Tie => {
                        tie = true;
                        break;
                    }
                    Nearest::None => {}
                }
            }
        }
        tie
    }

    /// The name a word spells with one letter doubled ("Dubaii", "Balii", "Japann"): a slip
    /// of the keyboard that typo tolerance misses on names too short for it. Names that are
    /// also ordinary words are left out, and so is a word that undoubles into two places.
    fn undoubled(&self, word: &str) -> Option<u32> {
        // Only ASCII words reach here ([`Self::may_be_typo`]), so bytes are letters.
        let bytes = word.as_bytes();
        let mut single = String::with_capacity(word.len());
        let mut found: Option<u32> = None;
        for at in 1..bytes.len() {
            if bytes[at] != bytes[at - 1] {
                continue;
            }
            single.clear();
            single.push_str(&word[..at]);
            single.push_str(&word[at + 1..]);
            let Some(&entry) = self.gazetteer.spaced.get(single.as_str()) else {
                continue;
            };
            let meaning = self.gazetteer.entry(entry);
            if single.len() < 4 || meaning.cue || meaning.caps || meaning.target == Target::Nothing
            {
                continue;
            }
            match found {
                Some(other) if !self.same_target(other, entry) => return None,
                _ => found = Some(entry),
            }
        }
        found
    }

    fn may_be_typo(&self, tokens: &Tokens, index: usize) -> bool {
        let word = tokens.norm(index);
        tokens.kind(index) == Kind::Word
            && word.len() >= 4
            && word.bytes().all(|b| b.is_ascii_lowercase())
            && !self.common.contains(word)
            && !amounts::is_amount_word(word)
    }

    fn same_target(&self, a: u32, b: u32) -> bool {
        self.gazetteer.entry(a).target == self.gazetteer.entry(b).target
    }

    /// Drops names that are also ordinary words when nothing around them speaks of
    /// travel: "Chad says hi" is a greeting, "visit Chad" a trip. Returns the kept hits and
    /// the tokens of the dropped ones.
    fn keep_in_context(
        &self,
        tokens: &Tokens,
        hits: Vec<Hit>,
        amounts: &[amounts::Found],
    ) -> (Vec<Hit>, Vec<Range<usize>>) {
        let needs_cue = |hit: &Hit| match hit.meaning {
            HitMeaning::Entry(entry) => self.gazetteer.entry(entry).cue,
            HitMeaning::Flag(_) => false,
        };
        if !hits.iter().any(needs_cue) {
            return (hits, Vec::new());
        }

        // A message made of names alone ("Jordan", "Jordan and Egypt, 10 days") is an answer
        // to "where are you going?".
        let mut explained = vec![false; tokens.len()];
        for range in hits
            .iter()
            .map(|hit| hit.tokens.clone())
            .chain(amounts.iter().map(|a| a.tokens.clone()))
        {
            explained[range].iter_mut().for_each(|cell| *cell = true);
        }
        let only_names = (0..tokens.len())
            .all(|i| explained[i] || tokens.kind(i) != Kind::Word || self.is_glue(tokens.norm(i)));

        let mut kept = Vec::with_capacity(hits.len());
        let mut rejected = Vec::new();
        for (position, hit) in hits.iter().enumerate() {
            if !needs_cue(hit) || only_names {
                kept.push(hit.clone());
                continue;
            }
            let cued = self
                .word_before(tokens, hit.tokens.start)
                .is_some_and(|word| self.cues.contains(word));
            let followed = self
                .word_after(tokens, hit.tokens.end)
                .is_some_and(|word| FOLLOWERS.contains(&word) || self.country_words.contains(word));
            let beside_place = hits.iter().enumerate().any(|(other_position, other)| {
                other_position != position
                    && !needs_cue(other)
                    && self.only_glue_between(tokens, hit, other)
            });
            if cued || followed || beside_place {
                kept.push(hit.clone());
            } else {
                rejected.push(hit.tokens.clone());
            }
        }
        (kept, rejected)
    }

    /// Drops the places a traveller excludes ("Europe except France"), returning their
    /// countries, and the places a traveller comes from ("from Brazil to Portugal"), when the
    /// message also names a place they go to.
    fn drop_origins(
        &self,
        tokens: &Tokens,
        hits: Vec<Hit>,
        rejected: &mut Vec<Range<usize>>,
    ) -> (Vec<Hit>, Vec<CountryCode>) {
        let (negated, hits): (Vec<Hit>, Vec<Hit>) = hits.into_iter().partition(|hit| {
            self.word_before(tokens, hit.tokens.start)
                .is_some_and(|word| self.negations.contains(word))
        });
        let mut excluded = Vec::new();
        for hit in negated {
            match hit.meaning {
                HitMeaning::Flag(code) => excluded.push(code),
                HitMeaning::Entry(entry) => {
                    if let Target::Countries(codes) = &self.gazetteer.entry(entry).target {
                        excluded.extend(codes.iter().copied());
                    }
                }
            }
            rejected.push(hit.tokens);
        }

        let is_origin = |hit: &Hit| {
            let Some(before) = previous_word_skipping(tokens, hit.tokens.start, &self.articles)
            else {
                return false;
            };
            let word = tokens.norm(before);
            if self.origins.contains(word) {
                return true;
            }
            // "I live in Canada", "vivo en México"
            matches!(word, "in" | "en" | "em" | "a" | "au" | "im" | "no" | "na")
                && previous_word_skipping(tokens, before, &self.articles)
                    .is_some_and(|verb| self.residence.contains(tokens.norm(verb)))
        };
        if hits.iter().all(is_origin) {
            return (hits, excluded);
        }
        let (origins, destinations): (Vec<Hit>, Vec<Hit>) = hits.into_iter().partition(is_origin);
        rejected.extend(origins.into_iter().map(|hit| hit.tokens));
        (destinations, excluded)
    }

    /// Connectors and articles: the words allowed between the names of a list.
    fn is_glue(&self, word: &str) -> bool {
        self.connectors.contains(word) || self.articles.contains(word)
    }

    /// Whether only punctuation, connectors and articles separate two hits.
    fn only_glue_between(&self, tokens: &Tokens, a: &Hit, b: &Hit) -> bool {
        let (first, second) = if a.tokens.start <= b.tokens.start {
            (a, b)
        } else {
            (b, a)
        };
        if second.tokens.start < first.tokens.end {
            return second.tokens.start == first.tokens.start;
        }
        let between = first.tokens.end..second.tokens.start;
        between.len() <= 3
            && between.into_iter().all(|i| match tokens.kind(i) {
                Kind::Word => self.is_glue(tokens.norm(i)),
                Kind::Punct(_) => true,
                _ => false,
            })
    }

    /// The word before `index`, skipping punctuation and articles.
    fn word_before<'t>(&self, tokens: &'t Tokens, index: usize) -> Option<&'t str> {
        let mut at = index;
        while at > 0 {
            at -= 1;
            match tokens.kind(at) {
                Kind::Word if self.articles.contains(tokens.norm(at)) => continue,
                Kind::Word => return Some(tokens.norm(at)),
                Kind::Punct(_) => continue,
                _ => return None,
            }
        }
        None
    }

    /// Settles every hit on one meaning. An ambiguous name ("Georgia") takes the reading
    /// another place of the message points to ("Atlanta, Georgia" is in the US); failing
    /// that, its default, and the reading is unsure unless the message names other places
    /// or says "the country".
    fn settle(&self, tokens: &Tokens, hits: Vec<Hit>) -> (Vec<Placed>, bool) {
        let target_of = |hit: &Hit| match hit.meaning {
            HitMeaning::Entry(entry) => self.gazetteer.entry(entry).target.clone(),
            HitMeaning::Flag(code) => Target::Countries(vec![code]),
        };
        let alternatives_of = |hit: &Hit| match hit.meaning {
            HitMeaning::Entry(entry) => self.gazetteer.entry(entry).alternatives.as_slice(),
            HitMeaning::Flag(_) => &[],
        };
        let mut unsure = false;
        let mut placed = Vec::with_capacity(hits.len());
        for (position, hit) in hits.iter().enumerate() {
            let mut target = target_of(hit);
            let alternatives = alternatives_of(hit);
            if !alternatives.is_empty() {
                let mut others = BTreeSet::new();
                for (other_position, other) in hits.iter().enumerate() {
                    if other_position == position || !alternatives_of(other).is_empty() {
                        continue;
                    }
                    if let Target::Countries(codes) = target_of(other) {
                        others.extend(codes);
                    }
                }
                if let Some(hinted) = alternatives.iter().find(|code| others.contains(code)) {
                    target = Target::Countries(vec![*hinted]);
                } else if let Some(nearer) = self.nearer_alternative(&target, alternatives, &others)
                {
                    target = Target::Countries(vec![nearer]);
                } else {
                    let says_country = self
                        .word_after(tokens, hit.tokens.end)
                        .is_some_and(|word| self.country_words.contains(word));
                    unsure |= others.is_empty() && !says_country;
                }
            }
            placed.push(Placed {
                hit: hit.clone(),
                target,
            });
        }
        self.drop_qualified(tokens, &mut placed);
        (placed, unsure)
    }

    /// The alternative that shares a smaller named region with the other places of the
    /// message than the default reading does: "Salvador and Guatemala" are both in Central
    /// America, so that Salvador is El Salvador, not the Brazilian city.
    fn nearer_alternative(
        &self,
        default: &Target,
        alternatives: &[CountryCode],
        others: &BTreeSet<CountryCode>,
    ) -> Option<CountryCode> {
        if others.is_empty() {
            return None;
        }
        // The size of the smallest region holding one of `codes` and one of the others.
        let closeness = |codes: &[CountryCode]| {
            self.gazetteer
                .regions
                .iter()
                .filter(|region| {
                    codes.iter().any(|code| region.members.contains(code))
                        && region.members.iter().any(|member| others.contains(member))
                })
                .map(|region| region.members.len())
                .min()
        };
        let default_closeness = match default {
            Target::Countries(codes) => closeness(codes),
            _ => None,
        };
        let (nearest, size) = alternatives
            .iter()
            .filter_map(|code| Some((*code, closeness(std::slice::from_ref(code))?)))
            .min_by_key(|(_, size)| *size)?;
        default_closeness
            .is_none_or(|default_size| size < default_size)
            .then_some(nearest)
    }

    /// "Paris, Texas" and "London, Ontario": a city followed by a state or country it is
    /// not in is that state's namesake, so the city's own country is dropped.
    fn drop_qualified(&self, tokens: &Tokens, placed: &mut Vec<Placed>) {
        let entry_of = |place: &Placed| match place.hit.meaning {
            HitMeaning::Entry(entry) => Some(self.gazetteer.entry(entry)),
            HitMeaning::Flag(_) => None,
        };
        let mut dropped = vec![false; placed.len()];
        for position in 1..placed.len() {
            let (city, area) = (&placed[position - 1], &placed[position]);
            let (Some(city_entry), Some(area_entry)) = (entry_of(city), entry_of(area)) else {
                continue;
            };
            let qualifies = area_entry.area || !area_entry.place;
            let between = city.hit.tokens.end..area.hit.tokens.start;
            let adjacent = between.len() <= 1
                && between.into_iter().all(|i| {
                    matches!(tokens.kind(i), Kind::Punct(','))
                        || matches!(tokens.norm(i), "da" | "de" | "do" | "in")
                });
            let disjoint = match (&city.target, &area.target) {
                (Target::Countries(a), Target::Countries(b)) => {
                    !a.iter().any(|code| b.contains(code))
                }
                _ => false,
            };
            if city_entry.place && !city_entry.area && qualifies && adjacent && disjoint {
                dropped[position - 1] = true;
            }
        }
        let mut index = 0;
        placed.retain(|_| {
            index += 1;
            !dropped[index - 1]
        });
    }

    /// The word at or after `index`, skipping punctuation and articles.
    fn word_after<'t>(&self, tokens: &'t Tokens, mut index: usize) -> Option<&'t str> {
        while index < tokens.len() {
            match tokens.kind(index) {
                Kind::Word if self.articles.contains(tokens.norm(index)) => {}
                Kind::Word => return Some(tokens.norm(index)),
                Kind::Punct(_) => {}
                _ => return None,
            }
            index += 1;
        }
        None
    }

    /// Whether part of the message looks like a place that was not placed: an unknown word
    /// after "to"/"in"/"visit" written like a name or following "trip", a continent, text in a
    /// script we only read names of, or a trip with no destination at all.
    fn looks_unplaced(
        &self,
        tokens: &Tokens,
        placed: &[Placed],
        rejected: &[Range<usize>],
        amounts: &[amounts::Found],
    ) -> bool {
        let mut explained = vec![false; tokens.len()];
        for range in placed
            .iter()
            .map(|place| place.hit.tokens.clone())
            .chain(rejected.iter().cloned())
            .chain(amounts.iter().map(|amount| amount.tokens.clone()))
        {
            explained[range].iter_mut().for_each(|cell| *cell = true);
        }
        let has_destination = placed.iter().any(|place| {
            matches!(
                place.target,
                Target::Countries(_) | Target::Region(_) | Target::Global
            )
        });

        let mut about_travel = amounts
            .iter()
            .any(|found| matches!(found.amount, Amount::Days(_) | Amount::Nights(_)));
        for (index, &known) in explained.iter().enumerate() {
            let word = tokens.norm(index);
            match tokens.kind(index) {
                Kind::Word => {
                    about_travel |= self.travel.contains(word);
                    if known || self.common.contains(word) || amounts::is_amount_word(word) {
                        continue;
                    }
                    if self.unplaced_areas.contains(word) {
                        return true;
                    }
                    if !word.is_ascii() && !has_destination {
                        return true;
                    }
                    if word.chars().count() < 3 {
                        continue;
                    }
                    let token = &tokens.tokens[index];
                    let Some(cue_at) = previous_word_skipping(tokens, index, &self.articles) else {
                        continue;
                    };
                    if !self.cues.contains(tokens.norm(cue_at)) {
                        continue;
                    }
                    let named = token.capitalized && !token.sentence_start;
                    let after_travel = previous_word(tokens, cue_at)
                        .is_some_and(|i| self.travel.contains(tokens.norm(i)));
                    if named || after_travel || self.travel.contains(tokens.norm(cue_at)) {
                        return true;
                    }
                }
                Kind::Unspaced if !known && !has_destination => return true,
                _ => {}
            }
        }
        about_travel && !has_destination
    }

    /// Builds the query: codes, regions, the global flag, amounts and what was understood.
    fn assemble(&self, text: &str, placed: &[Placed], amounts: &[amounts::Found]) -> TripQuery {
        let mut query = TripQuery {
            source: Source::Local,
            ..TripQuery::default()
        };
        let mut understood: Vec<(usize, Understood)> = Vec::new();
        for place in placed {
            let meaning = match &place.target {
                Target::Countries(codes) => {
                    query.countries.extend(codes.iter().copied());
                    codes
                        .iter()
                        .map(CountryCode::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                }
                Target::Region(index) => {
                    let region = &self.gazetteer.regions[*index];
                    query.countries.extend(region.members.iter().copied());
                    if !query.regions.contains(&region.name) {
                        query.regions.push(region.name.clone());
                    }
                    region.name.clone()
                }
                Target::Global => {
                    query.global = true;
                    "global".to_owned()
                }
                Target::Nothing => continue,
            };
            let words = text
                .get(place.hit.span.clone())
                .unwrap_or_default()
                .to_owned();
            understood.push((
                place.hit.span.start,
                Understood {
                    text: words,
                    meaning,
                },
            ));
        }

        let (days, data_bytes) = totals(placed, amounts);
        query.days = days;
        query.data_bytes = data_bytes;
        query.unlimited = amounts
            .iter()
            .any(|found| found.amount == Amount::Unlimited);
        for found in amounts {
            let meaning = match found.amount {
                Amount::Days(days) => format!("{days} days"),
                Amount::Nights(nights) => format!("{nights} nights"),
                Amount::DataBytes(bytes) => format_volume(bytes),
                Amount::DataBytesPerDay(bytes) => format!("{} per day", format_volume(bytes)),
                Amount::Unlimited => "unlimited data".to_owned(),
            };
            let words = text.get(found.span.clone()).unwrap_or_default().to_owned();
            understood.push((
                found.span.start,
                Understood {
                    text: words,
                    meaning,
                },
            ));
        }
        understood.sort_by_key(|(start, _)| *start);
        query.understood = understood.into_iter().map(|(_, item)| item).collect();
        query
    }
}

/// Trip length and data from the amounts found. Amounts separated by a destination add up
/// ("a week in Japan and 5 days in Korea", "日本一周，韩国五天"); amounts side by side
/// describe the same trip and the larger is kept ("5 nights, 6 days"). Nights count only when
/// no days are given, as one day more than the nights.
fn totals(placed: &[Placed], amounts: &[amounts::Found]) -> (Option<u32>, Option<u64>) {
    // By bytes rather than tokens, since one unspaced run can hold places and amounts.
    let place_between = |a: &Range<usize>, b: &Range<usize>| {
        placed
            .iter()
            .any(|place| place.hit.span.start >= a.end && place.hit.span.end <= b.start)
    };
    let combine = |values: Vec<(u64, Range<usize>)>| -> Option<u64> {
        let mut total: Option<u64> = None;
        let mut previous: Option<Range<usize>> = None;
        for (value, range) in values {
            total = Some(match (total, &previous) {
                (Some(sum), Some(before)) if place_between(before, &range) => {
                    sum.saturating_add(value)
                }
                (Some(sum), _) => sum.max(value),
                (None, _) => value,
            });
            previous = Some(range);
        }
        total
    };

    let days: Vec<(u64, Range<usize>)> = amounts
        .iter()
        .filter_map(|found| match found.amount {
            Amount::Days(days) => Some((u64::from(days), found.span.clone())),
            _ => None,
        })
        .collect();
    let days = if days.is_empty() {
        let nights = amounts
            .iter()
            .filter_map(|found| match found.amount {
                Amount::Nights(nights) => Some((u64::from(nights) + 1, found.span.clone())),
                _ => None,
            })
            .collect();
        combine(nights)
    } else {
        combine(days)
    };
    let days = days.map(|days| days.min(366) as u32);

    let data = amounts
        .iter()
        .filter_map(|found| match found.amount {
            Amount::DataBytes(bytes) => Some((bytes, found.span.clone())),
            Amount::DataBytesPerDay(bytes) => Some((
                bytes.saturating_mul(u64::from(days.unwrap_or(1))),
                found.span.clone(),
            )),
            _ => None,
        })
        .collect();
    (days, combine(data))
}

/// The longest prefix of `text` within `max` bytes that ends on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The next word after `index` that can continue a name: words may be joined by one
/// hyphen, dot, comma, ampersand or slash ("Guinea-Bissau", "U.S.A.", "Trinidad & Tobago").
fn next_word(tokens: &Tokens, index: usize) -> Option<usize> {
    let mut at = index + 1;
    if let Some(Kind::Punct('-' | '.' | ',' | '&' | '/')) = tokens.tokens.get(at).map(|t| t.kind) {
        at += 1;
    }
    tokens.is_word(at).then_some(at)
}

/// The word before `index` that a name could continue from, by the same rule.
fn previous_word(tokens: &Tokens, index: usize) -> Option<usize> {
    let mut at = index.checked_sub(1)?;
    if let Kind::Punct('-' | '.' | ',' | '&' | '/') = tokens.kind(at) {
        at = at.checked_sub(1)?;
    }
    tokens.is_word(at).then_some(at)
}

/// The previous word, skipping articles and punctuation.
fn previous_word_skipping(
    tokens: &Tokens,
    index: usize,
    articles: &HashSet<&str>,
) -> Option<usize> {
    let mut at = index;
    while at > 0 {
        at -= 1;
        match tokens.kind(at) {
            Kind::Word if articles.contains(tokens.norm(at)) => continue,
            Kind::Word => return Some(at),
            Kind::Punct(_) => continue,
            _ => return None,
        }
    }
    None
}

/// Readings of an Arabic or Hebrew word without the particles these languages glue to the
/// front of a name: Arabic "و" (and), "ب"/"ل"/"ك" (in, to, like) and the article "ال"
/// ("لليابان", "to Japan", is "اليابان"; "الإمارات" may be listed as "امارات"), Hebrew "ו"
/// (and), "ל"/"ב"/"ה" (to, in, the). "מ" (from) is left alone: it would turn an origin into
/// a destination. Empty for other scripts, and for words too short to hold a name after.
fn without_clitics(word: &str) -> Vec<String> {
    const MIN_LETTERS: usize = 3;
    let mut readings: Vec<String> = Vec::new();
    let mut push = |reading: String| {
        if reading.chars().count() >= MIN_LETTERS && reading != word && !readings.contains(&reading)
        {
            readings.push(reading);
        }
    };
    match word.chars().next() {
        Some('\u{0600}'..='\u{06FF}') => {
            let bases = [Some(word), word.strip_prefix(['و', 'ف'])];
            for base in bases.into_iter().flatten() {
                push(base.to_owned());
                if let Some(rest) = base.strip_prefix("لل") {
                    push(format!("ال{rest}"));
                } else if let Some(rest) = base.strip_prefix(['ب', 'ل', 'ك']) {
                    push(rest.to_owned());
                }
                match base.strip_prefix("ال") {
                    Some(rest) => push(rest.to_owned()),
                    None => push(format!("ال{base}")),
                }
            }
        }
        Some('\u{0590}'..='\u{05FF}') => {
            let bases = [Some(word), word.strip_prefix('ו')];
            for base in bases.into_iter().flatten() {
                push(base.to_owned());
                if let Some(rest) = base.strip_prefix(['ל', 'ב', 'ה']) {
                    push(rest.to_owned());
                }
            }
        }
        _ => {}
    }
    readings
}

/// Katakana names must stand alone in a katakana run ("タイ" is Thailand, "タイム" is
/// "time"), where the middle dot separates words ("タイ・ベトナム"); Hangul names must start
/// a word, since Korean only appends particles.
fn unspaced_boundaries_hold(run: &str, start: usize, end: usize, piece: &str) -> bool {
    let is_katakana =
        |c: char| c != '・' && matches!(c, '\u{30A0}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}');
    if piece.chars().all(is_katakana) {
        let before = run[..start].chars().next_back();
        let after = run[end..].chars().next();
        return !before.is_some_and(is_katakana) && !after.is_some_and(is_katakana);
    }
    if piece.chars().next().is_some_and(is_hangul) {
        return !run[..start].chars().next_back().is_some_and(is_hangul);
    }
    true
}

#[cfg(test)]
mod tests;
