//! Folding and tokenizing traveller text, so that "Côte d'Ivoire", "COTE D IVOIRE" and
//! "côte d’ivoire" all read the same, in the text and in the gazetteer alike.
//!
//! Folding lowercases, strips Latin, Greek, Arabic and Hebrew diacritics, and maps
//! full-width forms to ASCII. Scripts written without spaces between words (Chinese,
//! Japanese, Thai, ...) become one token per run, which the gazetteer scans by substring.

use std::ops::Range;

use crate::catalog::CountryCode;

/// What a token is, which decides who may read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Letters of a script that separates words with spaces.
    Word,
    /// ASCII digits, possibly with one decimal separator ("1.5", "1,5").
    Number,
    /// A run of a script written without spaces (Han, kana, Hangul, Thai, ...).
    Unspaced,
    /// One punctuation mark that can matter: ranges ("3-17"), lists ("&", "+"), units ("/").
    Punct(char),
    /// A flag emoji: two regional indicator symbols.
    Flag(CountryCode),
}

/// One token: its folded form (a range of [`Tokens::folded`]) and where it came from.
#[derive(Clone, Debug)]
pub(super) struct Token {
    pub kind: Kind,
    /// Range in the folded buffer.
    pub norm: Range<usize>,
    /// Byte range in the original text, to echo the traveller's own words back.
    pub span: Range<usize>,
    /// The original began with a capital letter: a weak sign of a proper name.
    pub capitalized: bool,
    /// The token opens a sentence, where a capital letter says nothing.
    pub sentence_start: bool,
    /// Every letter of the original is a capital ("US", "CAR").
    pub all_caps: bool,
}

/// A tokenized text.
pub(super) struct Tokens {
    /// Every token's folded form, one after the other.
    pub folded: String,
    pub tokens: Vec<Token>,
}

impl Tokens {
    /// The folded token; past the end, an empty string, so lookahead needs no bounds checks.
    pub fn norm(&self, index: usize) -> &str {
        self.tokens
            .get(index)
            .map_or("", |token| &self.folded[token.norm.clone()])
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// The token's kind; past the end, a mark no rule looks for.
    pub fn kind(&self, index: usize) -> Kind {
        self.tokens
            .get(index)
            .map_or(Kind::Punct('\0'), |token| token.kind)
    }

    pub fn is_word(&self, index: usize) -> bool {
        self.tokens
            .get(index)
            .is_some_and(|token| token.kind == Kind::Word)
    }
}

/// Base letters of U+00C0..=U+024F, lowercased; `.` where there is no Latin base letter.
const LATIN_FROM_C0: &[u8; 400] = b"\
aaaaaaaceeeeiiiidnooooo.ouuuuytsaaaaaaaceeeeiiiidnooooo.ouuuuytyaaaaaaccccccccdd\
ddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnn.nnoooooooorrrrrrssssss\
ssttttttuuuuuuuuuuuuwwyyyzzzzzzsbb.....cc.d......ff....ikkl.....oo..pp.....ttt.u\
u..yyzz......................aaiioouuuuuuuuuu.aaaa..ggggkkoooo..j...gg..nnaa....\
aaaaeeeeiiiioooorrrruuuusstt..hh....zzaaeeooooooooyy.........l.....bu.ee....rryy";

/// Base letters of U+1E00..=U+1EFF (Vietnamese and other stacked diacritics).
const LATIN_FROM_1E00: &[u8; 256] = b"\
aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooo\
oooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwy....s.\
aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuu\
uuyyyyyyyy......";

/// Appends the folded form of one letter to `out`.
fn fold_letter(c: char, out: &mut String) {
    match c {
        'A'..='Z' => out.push(c.to_ascii_lowercase()),
        'a'..='z' | '0'..='9' => out.push(c),
        'ß' | 'ẞ' => out.push_str("ss"),
        'æ' | 'Æ' => out.push_str("ae"),
        'œ' | 'Œ' => out.push_str("oe"),
        'þ' | 'Þ' => out.push_str("th"),
        '\u{C0}'..='\u{24F}' => match LATIN_FROM_C0[c as usize - 0xC0] {
            b'.' => out.extend(c.to_lowercase()),
            base => out.push(char::from(base)),
        },
        '\u{1E00}'..='\u{1EFF}' => match LATIN_FROM_1E00[c as usize - 0x1E00] {
            b'.' => out.extend(c.to_lowercase()),
            base => out.push(char::from(base)),
        },
        // Greek: accents and the final sigma do not tell names apart.
        'ά' | 'Ά' => out.push('α'),
        'έ' | 'Έ' => out.push('ε'),
        'ή' | 'Ή' => out.push('η'),
        'ί' | 'Ί' | 'ϊ' | 'ΐ' | 'Ϊ' => out.push('ι'),
        'ό' | 'Ό' => out.push('ο'),
        'ύ' | 'Ύ' | 'ϋ' | 'ΰ' | 'Ϋ' => out.push('υ'),
        'ώ' | 'Ώ' => out.push('ω'),
        'ς' => out.push('σ'),
        '\u{1F00}'..='\u{1FFF}' => out.push(greek_base(c)),
        'ё' | 'Ё' => out.push('е'),
        // Arabic: hamza seats and alef maksura are spelled both ways.
        'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
        'ى' => out.push('ي'),
        _ => out.extend(c.to_lowercase()),
    }
}

/// The base letter of a polytonic Greek letter (U+1F00..=U+1FFF: breathings, the oxia
/// twins of the tonos letters, iota subscripts), lowercased.
fn greek_base(c: char) -> char {
    match c {
        '\u{1F00}'..='\u{1F0F}' | '\u{1F70}'..='\u{1F71}' | '\u{1F80}'..='\u{1F8F}' => 'α',
        '\u{1FB0}'..='\u{1FBC}' => 'α',
        '\u{1F10}'..='\u{1F1D}' | '\u{1F72}'..='\u{1F73}' | '\u{1FC8}'..='\u{1FC9}' => 'ε',
        '\u{1F20}'..='\u{1F2F}' | '\u{1F74}'..='\u{1F75}' | '\u{1F90}'..='\u{1F9F}' => 'η',
        '\u{1FC2}'..='\u{1FC7}' | '\u{1FCA}'..='\u{1FCC}' => 'η',
        '\u{1F30}'..='\u{1F3F}' | '\u{1F76}'..='\u{1F77}' | '\u{1FD0}'..='\u{1FDB}' => 'ι',
        '\u{1F40}'..='\u{1F4D}' | '\u{1F78}'..='\u{1F79}' | '\u{1FF8}'..='\u{1FF9}' => 'ο',
        '\u{1FE4}'..='\u{1FE5}' | '\u{1FEC}' => 'ρ',
        '\u{1F50}'..='\u{1F5F}' | '\u{1F7A}'..='\u{1F7B}' | '\u{1FE0}'..='\u{1FEB}' => 'υ',
        '\u{1F60}'..='\u{1F6F}' | '\u{1F7C}'..='\u{1F7D}' | '\u{1FA0}'..='\u{1FAF}' => 'ω',
        '\u{1FF2}'..='\u{1FF7}' | '\u{1FFA}'..='\u{1FFC}' => 'ω',
        other => other,
    }
}

/// Marks that only decorate the letter before them, dropped without splitting the word.
fn is_decoration(c: char) -> bool {
    matches!(c,
        '\u{300}'..='\u{36F}'      // combining diacritics (decomposed input)
        | '\u{591}'..='\u{5BD}' | '\u{5BF}' | '\u{5C1}'..='\u{5C2}' | '\u{5C4}'..='\u{5C5}'
        | '\u{5C7}'                // Hebrew points
        | '\u{610}'..='\u{61A}' | '\u{64B}'..='\u{65F}' | '\u{670}' | '\u{640}' // Arabic
        | '\u{200B}'..='\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

/// Scripts written without spaces between words; Hangul joins here too, because Korean
/// glues particles to names ("일본에", "to Japan").
pub(super) fn is_unspaced(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}'    // Thai, Lao
        | '\u{1000}'..='\u{109F}'  // Myanmar
        | '\u{1780}'..='\u{17FF}'  // Khmer
        | '\u{1100}'..='\u{11FF}'  // Hangul jamo
        | '\u{3005}'               // 々
        | '\u{3040}'..='\u{30FF}'  // kana
        | '\u{3130}'..='\u{318F}'
        | '\u{31F0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF66}'..='\u{FF9F}'
        | '\u{20000}'..='\u{2FFFF}')
}

/// Hangul syllables and jamo: Korean, which spaces words but glues particles to them.
pub(super) fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// Indic vowel signs and viramas are letters' parts even where `is_alphabetic` says no.
fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '\u{0900}'..='\u{0DFF}')
}

/// The punctuation kept as tokens; everything else only separates.
fn kept_punct(c: char) -> Option<char> {
    match c {
        '-' | '‐' | '‑' | '–' | '—' | '~' | '〜' | '～' => Some('-'),
        '/' | '&' | '+' | ',' | '.' | ':' | '(' | ')' | '、' | '，' => Some(match c {
            '、' | '，' => ',',
            other => other,
        }),
        _ => None,
    }
}

/// Full-width ASCII ("１０ＧＢ") as ASCII.
fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn regional_indicator(c: char) -> Option<u8> {
    match c {
        '\u{1F1E6}'..='\u{1F1FF}' => Some(b'A' + (c as u32 - 0x1F1E6) as u8),
        _ => None,
    }
}

/// Splits and folds `text`.
pub(super) fn tokenize(text: &str) -> Tokens {
    let mut folded = String::with_capacity(text.len() + 8);
    let mut tokens: Vec<Token> = Vec::with_capacity(text.len() / 4 + 1);
    let mut sentence_start = true;
    // The token being built: its kind, where its folded form and its source started.
    let mut open: Option<(Kind, usize, usize, bool)> = None;

    let close = |open: &mut Option<(Kind, usize, usize, bool)>,
                 folded: &String,
                 tokens: &mut Vec<Token>,
                 end: usize,
                 sentence_start: &mut bool| {
        if let Some((kind, norm_start, span_start, capitalized)) = open.take()
            && folded.len() > norm_start
        {
            tokens.push(Token {
                kind,
                norm: norm_start..folded.len(),
                span: span_start..end,
                capitalized,
                sentence_start: *sentence_start,
                all_caps: text[span_start..end].chars().all(|c| !c.is_lowercase()),
            });
            *sentence_start = false;
        }
    };

    let mut chars = text.char_indices().peekable();
    while let Some((at, raw)) = chars.next() {
        let c = narrow(raw);
        if is_decoration(c) {
            continue;
        }
        let kind = if c.is_ascii_digit() {
            Some(Kind::Number)
        } else if is_unspaced(c) {
            Some(Kind::Unspaced)
        } else if is_word_char(c) {
            Some(Kind::Word)
        } else {
            None
        };

        if let Some(kind) = kind {
            let same = open
                .as_ref()
                .is_some_and(|(open_kind, ..)| *open_kind == kind);
            if !same {
                close(&mut open, &folded, &mut tokens, at, &mut sentence_start);
                open = Some((kind, folded.len(), at, c.is_uppercase()));
            }
            match kind {
                Kind::Word => fold_letter(c, &mut folded),
                _ => folded.push(c),
            }
            continue;
        }

        // A decimal separator between digits stays inside the number.
        if matches!(c, '.' | ',')
            && open
                .as_ref()
                .is_some_and(|(kind, ..)| *kind == Kind::Number)
            && chars
                .peek()
                .is_some_and(|(_, next)| narrow(*next).is_ascii_digit())
            && !folded.ends_with(['.', ','])
        {
            folded.push(c);
            continue;
        }

        close(&mut open, &folded, &mut tokens, at, &mut sentence_start);
        let end = at + raw.len_utf8();

        if let Some(first) = regional_indicator(c) {
            if let Some(second) = chars.peek().and_then(|(_, next)| regional_indicator(*next)) {
                let (next_at, next) = chars.next().unwrap_or((at, c));
                let code = [first, second];
                let parsed = std::str::from_utf8(&code).ok().and_then(|s| s.parse().ok());
                if let Some(code) = parsed {
                    let norm = folded.len()..folded.len();
                    tokens.push(Token {
                        kind: Kind::Flag(code),
                        norm,
                        span: at..next_at + next.len_utf8(),
                        capitalized: false,
                        sentence_start: false,
                        all_caps: false,
                    });
                }
            }
            continue;
        }

        if let Some(mark) = kept_punct(c) {
            let norm_start = folded.len();
            folded.push(mark);
            tokens.push(Token {
                kind: Kind::Punct(mark),
                norm: norm_start..folded.len(),
                span: at..end,
                capitalized: false,
                sentence_start: false,
                all_caps: false,
            });
        }
        if matches!(c, '.' | '!' | '?' | '\n' | '¡' | '¿' | '。' | '！' | '？') {
            sentence_start = true;
        }
    }
    close(
        &mut open,
        &folded,
        &mut tokens,
        text.len(),
        &mut sentence_start,
    );
    Tokens { folded, tokens }
}

/// The folded words of a name, joined by single spaces: the gazetteer's key. Punctuation
/// and flags are dropped; the result is empty when nothing is left.
pub(super) fn key_of(name: &str) -> String {
    let tokens = tokenize(name);
    let mut key = String::with_capacity(name.len());
    for (index, token) in tokens.tokens.iter().enumerate() {
        if matches!(token.kind, Kind::Word | Kind::Number | Kind::Unspaced) {
            if !key.is_empty() {
                key.push(' ');
            }
            key.push_str(tokens.norm(index));
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let tokens = tokenize(text);
        (0..tokens.len())
            .map(|i| tokens.norm(i).to_owned())
            .collect()
    }

    #[test]
    fn folding_drops_case_and_diacritics_across_scripts() {
        let cases = [
            ("Côte d’Ivoire", "cote d ivoire"),
            ("ÉTATS-UNIS", "etats unis"),
            ("Türkiye", "turkiye"),
            ("São Tomé", "sao tome"),
            ("Großbritannien", "grossbritannien"),
            ("Việt Nam", "viet nam"),
            ("Ελλάδα", "ελλαδα"),
            ("Cafe\u{301}", "cafe"),
            ("ＪＡＰＡＮ", "japan"),
            ("Øresund Łódź", "oresund lodz"),
            ("ά έ ή ί ό ύ ώ ϊ ΐ ΰ", "α ε η ι ο υ ω ι ι υ"),
            ("Ά Έ Ή Ί Ό Ύ Ώ Ϊ Ϋ", "α ε η ι ο υ ω ι υ"),
            ("μέρες εβδομάδα μήνας", "μερεσ εβδομαδα μηνασ"),
            ("\u{1F71}\u{1F73} ἡμέρα Ἑλλάς", "αε ημερα ελλασ"),
            ("الإمارات أسبوع آسيا", "الامارات اسبوع اسيا"),
        ];
        for (name, expected) in cases {
            assert_eq!(key_of(name), expected, "{name:?}");
        }
    }

    #[test]
    fn numbers_units_and_unspaced_runs_are_split_apart() {
        assert_eq!(words("5GB"), ["5", "gb"]);
        assert_eq!(words("1,5 GB"), ["1,5", "gb"]);
        assert_eq!(words("10日間"), ["10", "日間"]);
        assert_eq!(words("3–17 mars"), ["3", "-", "17", "mars"]);
        assert_eq!(words("日本に行きたい"), ["日本に行きたい"]);
        assert_eq!(words("japan,korea"), ["japan", ",", "korea"]);
    }

    #[test]
    fn flag_emojis_become_country_codes() {
        let tokens = tokenize("🇯🇵 and 🇰🇷 🎉");
        let flags: Vec<String> = tokens
            .tokens
            .iter()
            .filter_map(|token| match token.kind {
                Kind::Flag(code) => Some(code.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(flags, ["JP", "KR"]);
    }

    #[test]
    fn spans_point_at_the_original_words() {
        let text = "Trip to Zürich!";
        let tokens = tokenize(text);
        let last = tokens.tokens.last().unwrap();
        assert_eq!(&text[last.span.clone()], "Zürich");
        assert!(last.capitalized && !last.sentence_start);
        assert!(tokens.tokens[0].sentence_start);
    }
}
