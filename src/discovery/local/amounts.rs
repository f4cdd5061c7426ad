//! Trip length and data volume: "10 days", "2 weeks", "from 3 to 17 March", "10日間",
//! "5GB", "500 MB", "unlimited", in the six languages, in Russian, Greek, Hebrew and Arabic,
//! and in Chinese, Japanese, Korean and Thai, where numbers and units are often glued to the
//! words around them ("我要去泰国玩一周", "태국 한달", "ไปญี่ปุ่นสองสัปดาห์").

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use crate::catalog::{GIB, MIB};

use super::numerals::{self, Numeral};
use super::text::{Kind, Tokens, is_hangul};

/// Longest trip we believe; no plan runs longer than a year.
const MAX_DAYS: u32 = 365;

/// Most data we believe a traveller asks for (1 TiB); beyond that the number is noise.
const MAX_DATA_BYTES: u64 = 1024 * GIB;

/// One amount read from the text.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Amount {
    Days(u32),
    /// Nights of a stay, which make a day more ("3 nights" is 4 calendar days).
    Nights(u32),
    DataBytes(u64),
    /// Data per day ("1GB per day"), multiplied by the trip length when known.
    DataBytesPerDay(u64),
    Unlimited,
}

/// An amount and where it was read.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Found {
    pub amount: Amount,
    /// Token indices, for the context rules; one token for an amount inside an unspaced run.
    pub tokens: Range<usize>,
    /// Byte range in the text, to echo the traveller's words and to order amounts and
    /// places inside an unspaced run.
    pub span: Range<usize>,
}

impl Found {
    /// An amount read from whole tokens.
    fn spanning(amount: Amount, tokens: &Tokens, range: Range<usize>) -> Found {
        let start = tokens.tokens.get(range.start).map_or(0, |t| t.span.start);
        let end = range
            .end
            .checked_sub(1)
            .and_then(|last| tokens.tokens.get(last))
            .map_or(start, |t| t.span.end);
        Found {
            amount,
            tokens: range,
            span: start..end,
        }
    }
}

/// What a unit word measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Days(u32),
    Nights,
    Bytes(u64),
}

/// Unit words after a number, separated by spaces and folded as [`super::text`] folds the
/// text (Greek without accents and with "σ" for the final sigma, Arabic alef without hamza).
const WORD_UNITS: &[(Unit, &str)] = &[
    (
        Unit::Days(1),
        "day days d dy dys dia dias jour jours j jrs tag tage tagen giorno giorni gg dag dagen \
         hari ngay gun день дня дней суток сутки μερα μερεσ μερων ημερα ημερεσ ημερων يوم ايام \
         יום ימים दिन",
    ),
    (
        Unit::Days(7),
        "week weeks wk wks semana semanas semaine semaines woche wochen settimana settimane \
         weken minggu hafta неделя недели недель неделю εβδομαδα εβδομαδεσ εβδομαδων اسبوع \
         اسابيع שבוע שבועות हफ्ते हफ़्ते सप्ताह",
    ),
    (Unit::Days(14), "fortnight fortnights"),
    (
        Unit::Days(30),
        "month months mth mths mes meses mois monat monate monaten mese mesi maand maanden \
         bulan месяц месяца месяцев μηνα μηνασ μηνεσ μηνων شهر اشهر شهور חודש חודשים महीना \
         महीने",
    ),
    (
        Unit::Nights,
        "night nights nite nites noche noches noite noites nuit nuits nacht nachte nachten \
         notte notti ночь ночи ночей νυχτα νυχτεσ βραδια ليلة ليال ليالي לילה לילות",
    ),
    (
        Unit::Bytes(GIB),
        "gb gbs gig gigs giga gigas gigabyte gigabytes go gigaoctet gigaoctets гб гиг гига جيجا",
    ),
    (
        Unit::Bytes(MIB),
        "mb mbs meg megs mega megas megabyte megabytes mo megaoctet megaoctets мб",
    ),
    (Unit::Bytes(1024 * GIB), "tb tera terabyte terabytes"),
];

/// Numbers written as words, separated by spaces and folded, with the articles that mean
/// one ("a week").
const NUMBER_WORDS: &[(u32, &str)] = &[
    (
        1,
        "a an one un uno una um uma une ein eine einen einer одна один одну μια ενα ενασ אחד \
         אחת واحد एक",
    ),
    (
        2,
        "two dos dois duas deux zwei due couple две два пару пара δυο שני שתי שניים שתיים \
         اثنين اثنان दो",
    ),
    (
        3,
        "three tres trois drei tre три τρεισ τρια שלושה שלוש שלושת ثلاثة ثلاث",
    ),
    (
        4,
        "four cuatro quatro quatre vier quattro четыре τεσσερισ τεσσερα ארבעה ארבע اربعة اربع",
    ),
    (
        5,
        "five cinco cinq funf cinque пять πεντε חמישה חמש خمسة خمس",
    ),
    (6, "six seis sechs sei шесть εξι שישה שש ستة ست"),
    (
        7,
        "seven siete sete sept sieben sette семь επτα εφτα שבעה سبعة سبع",
    ),
    (
        8,
        "eight ocho oito huit acht otto восемь οκτω οχτω שמונה ثمانية ثماني",
    ),
    (
        9,
        "nine nueve nove neuf neun девять εννεα εννια תשעה تسعة تسع",
    ),
    (10, "ten diez dez dix zehn dieci десять δεκα עשרה عشرة"),
    (11, "eleven once onze elf undici"),
    (12, "twelve doce doze douze zwolf dodici"),
    (14, "fourteen catorce catorze quatorze vierzehn quattordici"),
    (
        15,
        "fifteen quince quinze funfzehn quindici пятнадцать δεκαπεντε",
    ),
    (
        20,
        "twenty veinte vinte vingt zwanzig venti двадцать εικοσι",
    ),
    (
        30,
        "thirty treinta trinta trente dreissig trenta тридцать τριαντα",
    ),
];

/// [`WORD_UNITS`] by word, built on first use: every word of every message is looked up.
static UNITS_BY_WORD: LazyLock<HashMap<&'static str, Unit>> = LazyLock::new(|| by_word(WORD_UNITS));
/// [`NUMBER_WORDS`] by word, likewise.
static NUMBERS_BY_WORD: LazyLock<HashMap<&'static str, u32>> =
    LazyLock::new(|| by_word(NUMBER_WORDS));

fn by_word<T: Copy>(lists: &[(T, &'static str)]) -> HashMap<&'static str, T> {
    lists
        .iter()
        .flat_map(|(value, list)| list.split_whitespace().map(move |word| (word, *value)))
        .collect()
}

fn unit_of(word: &str) -> Option<Unit> {
    UNITS_BY_WORD.get(word).copied()
}

fn number_word(word: &str) -> Option<u32> {
    NUMBERS_BY_WORD.get(word).copied()
}

/// A unit written right after a number in Chinese, Japanese, Korean or Thai ("10日間",
/// "三个月", "10일", "5วัน"): what it measures, whether it adds half a unit ("一个半月",
/// a month and a half), and its length in bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
struct RunUnit {
    unit: Unit,
    half: bool,
    len: usize,
}

/// Units of unspaced scripts, a unit listed before any shorter one it starts with. "月" alone
/// is no unit: after a number it names a month ("三月" is March), so months need a counter
/// ("三个月", "3ヶ月").
const RUN_UNITS: &[(&str, Unit, bool)] = &[
    ("日間", Unit::Days(1), false),
    ("日间", Unit::Days(1), false),
    ("日", Unit::Days(1), false),
    ("天", Unit::Days(1), false),
    ("일", Unit::Days(1), false),
    ("วัน", Unit::Days(1), false),
    ("泊", Unit::Nights, false),
    ("晚", Unit::Nights, false),
    ("박", Unit::Nights, false),
    ("คืน", Unit::Nights, false),
    ("週間", Unit::Days(7), false),
    ("周间", Unit::Days(7), false),
    ("週", Unit::Days(7), false),
    ("周", Unit::Days(7), false),
    ("个星期", Unit::Days(7), false),
    ("個星期", Unit::Days(7), false),
    ("星期", Unit::Days(7), false),
    ("个礼拜", Unit::Days(7), false),
    ("個禮拜", Unit::Days(7), false),
    ("礼拜", Unit::Days(7), false),
    ("禮拜", Unit::Days(7), false),
    ("주", Unit::Days(7), false),
    ("สัปดาห์", Unit::Days(7), false),
    ("อาทิตย์", Unit::Days(7), false),
    ("ヶ月半", Unit::Days(30), true),
    ("か月半", Unit::Days(30), true),
    ("カ月半", Unit::Days(30), true),
    ("个半月", Unit::Days(30), true),
    ("個半月", Unit::Days(30), true),
    ("ヶ月", Unit::Days(30), false),
    ("か月", Unit::Days(30), false),
    ("カ月", Unit::Days(30), false),
    ("ケ月", Unit::Days(30), false),
    ("ヵ月", Unit::Days(30), false),
    ("箇月", Unit::Days(30), false),
    ("个月", Unit::Days(30), false),
    ("個月", Unit::Days(30), false),
    ("개월", Unit::Days(30), false),
    ("달", Unit::Days(30), false),
    ("เดือน", Unit::Days(30), false),
    ("ギガ", Unit::Bytes(GIB), false),
    ("기가", Unit::Bytes(GIB), false),
];

/// Words that begin like a unit but are something else: Japan (日本), weekend (周末, 주말),
/// anniversary (周年), dollars (달러).
const NOT_RUN_UNITS: &[&str] = &["日本", "周末", "週末", "周年", "週年", "주말", "달러"];

/// The unit at the start of a run of an unspaced script.
fn unspaced_unit_of(run: &str) -> Option<RunUnit> {
    if NOT_RUN_UNITS.iter().any(|word| run.starts_with(word)) {
        return None;
    }
    let &(prefix, unit, half) = RUN_UNITS
        .iter()
        .find(|(prefix, ..)| run.starts_with(prefix))?;
    counts_a_length(prefix, &run[prefix.len()..]).then_some(RunUnit {
        unit,
        half,
        len: prefix.len(),
    })
}

/// Whether a unit and what follows it count a length: "2日目" is the second day, "일주일에"
/// per week and "3일에" on the third.
fn counts_a_length(unit: &str, after: &str) -> bool {
    let ordinal = after.starts_with('目');
    let rate_or_date = unit.chars().all(is_hangul) && after.starts_with('에');
    !ordinal && !rate_or_date
}

/// Unit words that are a length on their own, where a language says "week" for "a week"
/// (Russian, Hebrew and Arabic have no indefinite article) or has a dual ("שבועיים", two
/// weeks), also with the preposition "for" glued to a dual ("לשבועיים", "لاسبوعين"): the
/// length in days.
const LONE_UNITS: &[(&str, u32)] = &[
    ("неделя", 7),
    ("неделю", 7),
    ("месяц", 30),
    ("полмесяца", 15),
    ("שבוע", 7),
    ("שבועיים", 14),
    ("חודש", 30),
    ("חודשיים", 60),
    ("יומיים", 2),
    ("לשבועיים", 14),
    ("לחודשיים", 60),
    ("ליומיים", 2),
    ("اسبوع", 7),
    ("اسبوعين", 14),
    ("اسبوعان", 14),
    ("شهر", 30),
    ("شهرين", 60),
    ("شهران", 60),
    ("يومين", 2),
    ("يومان", 2),
    ("لاسبوعين", 14),
    ("لشهرين", 60),
    ("ليومين", 2),
];

/// Words before a lone unit that make it a date or a rate, not a length: "в месяц" (per
/// month), "через неделю" (in a week), "каждый месяц", "медовый месяц" (honeymoon), "כל
/// חודש", "كل شهر", "في شهر مارس" (in the month of March).
const NOT_LENGTH_BEFORE: &str = "в во через каждый каждую каждая следующий следующую следующая \
     прошлый прошлую этот эту медовый כל كل في";

/// Words after a lone unit that make it a date or a name: "שבוע הבא" (next week), "חודש
/// דבש" and "شهر العسل" (honeymoon), "شهر مارس" (the month of March).
const NOT_LENGTH_AFTER: &str = "הבא הבאה שעבר דבש القادم المقبل الماضي العسل عسل يناير \
     فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر";

fn month_of(word: &str) -> Option<usize> {
    let month = match word {
        "january" | "jan" | "enero" | "janeiro" | "janvier" | "januar" | "gennaio" => 1,
        "february" | "feb" | "febrero" | "fevereiro" | "fevrier" | "februar" | "febbraio" => 2,
        "march" | "mar" | "marzo" | "marco" | "mars" | "marz" => 3,
        "april" | "apr" | "abril" | "avril" | "aprile" => 4,
        "may" | "mayo" | "maio" | "mai" | "maggio" => 5,
        "june" | "jun" | "junio" | "junho" | "juin" | "juni" | "giugno" => 6,
        "july" | "jul" | "julio" | "julho" | "juillet" | "juli" | "luglio" => 7,
        "august" | "aug" | "agosto" | "aout" => 8,
        "september" | "sep" | "sept" | "septiembre" | "setiembre" | "setembro" | "septembre"
        | "settembre" => 9,
        "october" | "oct" | "octubre" | "outubro" | "octobre" | "oktober" | "ottobre" => 10,
        "november" | "nov" | "noviembre" | "novembro" | "novembre" => 11,
        "december" | "dec" | "diciembre" | "dezembro" | "decembre" | "dezember" | "dicembre" => 12,
        _ => return None,
    };
    Some(month)
}

/// Words that join the two ends of a range.
fn is_range_word(word: &str) -> bool {
    matches!(
        word,
        "to" | "until"
            | "till"
            | "til"
            | "thru"
            | "through"
            | "al"
            | "a"
            | "hasta"
            | "ao"
            | "ate"
            | "au"
            | "jusqu"
            | "bis"
            | "fino"
            | "or"
            | "o"
            | "ou"
            | "oder"
    )
}

/// Words a date may carry around its numbers ("from the 3rd to the 17th of March").
fn is_date_filler(word: &str) -> bool {
    matches!(
        word,
        "the"
            | "of"
            | "de"
            | "del"
            | "di"
            | "du"
            | "le"
            | "el"
            | "from"
            | "desde"
            | "dal"
            | "vom"
            | "von"
            | "do"
            | "da"
            | "st"
            | "nd"
            | "rd"
            | "th"
            | "er"
            | "eme"
            | "o"
            | "on"
            | "between"
            | "entre"
            | "dem"
            | "den"
            | "zum"
    )
}

fn days_in_month(month: usize) -> u32 {
    [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][(month + 11) % 12]
}

/// A number token as a value: "10" or "1.5" / "1,5".
fn number_value(text: &str) -> Option<f64> {
    if text.len() > 12 {
        return None;
    }
    text.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
}

/// Words of amounts ("days", "semanas", "march", "zwei"), which typo tolerance must leave
/// alone.
pub(super) fn is_amount_word(word: &str) -> bool {
    unit_of(word).is_some()
        || number_word(word).is_some()
        || month_of(word).is_some()
        || LONE_UNITS.iter().any(|(lone, _)| *lone == word)
}

/// Reads every amount in the text, in order.
pub(super) fn find_amounts(tokens: &Tokens) -> Vec<Found> {
    let mut found = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        if let Some(date) = date_range(tokens, index) {
            index = date.tokens.end;
            found.push(date);
            continue;
        }
        if let Some(amount) = counted(tokens, index) {
            index = amount.tokens.end.max(index + 1);
            // A unit glued to the words after it leaves the rest of its run to read
            // ("10天香港三天").
            let unit_run = amount
                .tokens
                .clone()
                .find(|&i| tokens.kind(i) == Kind::Unspaced);
            found.push(amount);
            if let Some(run) = unit_run {
                let unit_len = unspaced_unit_of(tokens.norm(run)).map_or(0, |unit| unit.len);
                within_run(tokens, run, unit_len, &mut found);
            }
            continue;
        }
        if let Some(amount) = bare_word(tokens, index) {
            found.push(amount);
        }
        if tokens.kind(index) == Kind::Unspaced {
            within_run(tokens, index, 0, &mut found);
        }
        index += 1;
    }
    // A run can hold several amounts as well as a whole-run word ("无限"): keep text order.
    found.sort_by_key(|amount| amount.span.start);
    found
}

/// The value of a number or number word at `index`, with the index after it.
fn quantity_at(tokens: &Tokens, index: usize) -> Option<(f64, usize)> {
    match tokens.kind(index) {
        Kind::Number => Some((number_value(tokens.norm(index))?, index + 1)),
        Kind::Word => {
            let word = tokens.norm(index);
            // "a couple of weeks"
            if matches!(word, "a" | "an")
                && tokens.is_word(index + 1)
                && tokens.norm(index + 1) == "couple"
            {
                let next = if tokens.is_word(index + 2) && tokens.norm(index + 2) == "of" {
                    index + 3
                } else {
                    index + 2
                };
                return Some((2.0, next));
            }
            let number = number_word(word)?;
            let next = if word == "couple"
                && tokens.is_word(index + 1)
                && tokens.norm(index + 1) == "of"
            {
                index + 2
            } else {
                index + 1
            };
            Some((f64::from(number), next))
        }
        _ => None,
    }
}

/// "10 days", "2-3 weeks", "a month", "5GB", "1.5 GB per day", "10日間".
fn counted(tokens: &Tokens, start: usize) -> Option<Found> {
    let (mut value, mut next) = quantity_at(tokens, start)?;
    let numeric = tokens.kind(start) == Kind::Number;

    // A range of counts keeps its upper end: "10-14 days", "2 or 3 weeks".
    if numeric && next + 1 < tokens.len() {
        let joins = match tokens.kind(next) {
            Kind::Punct('-') => true,
            Kind::Word => matches!(
                tokens.norm(next),
                "to" | "or" | "a" | "o" | "ou" | "oder" | "bis"
            ),
            _ => false,
        };
        if joins
            && tokens.kind(next + 1) == Kind::Number
            && let Some(upper) = number_value(tokens.norm(next + 1))
            && upper > value
        {
            value = upper;
            next += 2;
        }
    }
    if next >= tokens.len() {
        return None;
    }

    // The bytes of a unit glued to more of its run ("10天和越南"), so the amount ends there.
    let mut unit_len_in_run = None;
    let unit = match tokens.kind(next) {
        Kind::Word => {
            let word = tokens.norm(next);
            // "Go"/"Mo" are French units only after a digit, never after "a"/"un".
            if !numeric && matches!(word, "go" | "mo" | "d" | "j" | "gg") {
                return None;
            }
            unit_of(word)?
        }
        Kind::Unspaced if numeric => {
            let run_unit = unspaced_unit_of(tokens.norm(next))?;
            if run_unit.unit == Unit::Days(1) && follows_month(tokens, start) {
                return None;
            }
            if run_unit.half {
                value += 0.5;
            }
            unit_len_in_run = Some(run_unit.len);
            run_unit.unit
        }
        _ => return None,
    };
    let mut end = next + 1;
    let amount = match unit {
        Unit::Bytes(per) => {
            let bytes = (value * per as f64).round();
            if !(1.0..=MAX_DATA_BYTES as f64).contains(&bytes) {
                return None;
            }
            if let Some(after) = per_day(tokens, end) {
                end = after;
                Amount::DataBytesPerDay(bytes as u64)
            } else {
                Amount::DataBytes(bytes as u64)
            }
        }
        unit => length(value, unit, numeric)?,
    };
    let mut found = Found::spanning(amount, tokens, start..end);
    if let Some(unit_len) = unit_len_in_run.filter(|_| end == next + 1) {
        found.span.end = run_span(tokens, next, 0..unit_len).end;
    }
    Some(found)
}

/// A count of days, weeks, months or nights as an amount, when believable. `numeric` says
/// the count was written in digits: "a day" and "一天" are rates ("1GB a day"), not trips.
fn length(value: f64, unit: Unit, numeric: bool) -> Option<Amount> {
    match unit {
        Unit::Days(per) => {
            if per == 1 && !numeric && value <= 1.0 {
                return None;
            }
            let days = (value * f64::from(per)).round();
            (1.0..=f64::from(MAX_DAYS))
                .contains(&days)
                .then_some(Amount::Days(days as u32))
        }
        Unit::Nights => (1.0..=f64::from(MAX_DAYS))
            .contains(&value)
            .then_some(Amount::Nights(value.round() as u32)),
        Unit::Bytes(per) => {
            let bytes = (value * per as f64).round();
            (1.0..=MAX_DATA_BYTES as f64)
                .contains(&bytes)
                .then_some(Amount::DataBytes(bytes as u64))
        }
    }
}

/// Whether the number at `index` follows a month ("3月5日", "3월 5일"), which makes it the
/// day of a date rather than a count of days.
fn follows_month(tokens: &Tokens, index: usize) -> bool {
    index
        .checked_sub(1)
        .is_some_and(|before| tokens.norm(before).ends_with(['月', '월']))
}

/// "per day", "a day", "/day", "daily", "por día", "par jour", "pro Tag", "al giorno".
fn per_day(tokens: &Tokens, at: usize) -> Option<usize> {
    let word = |index: usize| tokens.is_word(index).then(|| tokens.norm(index));
    if let Some(first) = word(at) {
        if matches!(
            first,
            "daily" | "diario" | "diarios" | "diaria" | "diarias" | "taglich"
        ) {
            return Some(at + 1);
        }
        let per = matches!(
            first,
            "per" | "a" | "each" | "every" | "por" | "al" | "ao" | "par" | "pro" | "am" | "cada"
        );
        if per && word(at + 1).and_then(unit_of) == Some(Unit::Days(1)) {
            return Some(at + 2);
        }
    }
    if tokens.kind(at) == Kind::Punct('/') && word(at + 1).and_then(unit_of) == Some(Unit::Days(1))
    {
        return Some(at + 2);
    }
    None
}

/// Words that are amounts on their own: "weekend", "fortnight", "unlimited".
fn bare_word(tokens: &Tokens, index: usize) -> Option<Found> {
    let amount = match tokens.kind(index) {
        Kind::Word => match tokens.norm(index) {
            "unlimited" | "ilimitado" | "ilimitados" | "ilimitada" | "ilimitadas" | "illimite"
            | "illimitee" | "illimites" | "illimitees" | "unbegrenzt" | "unbegrenzte"
            | "unbegrenztes" | "unbegrenzten" | "unlimitiert" | "illimitato" | "illimitata"
            | "illimitati" | "illimitate" | "onbeperkt" | "sinirsiz" | "unlimted"
            | "unlimitted" => Amount::Unlimited,
            "weekend" | "weekends" | "finde" => {
                let long =
                    index > 0 && tokens.is_word(index - 1) && tokens.norm(index - 1) == "long";
                Amount::Days(if long { 3 } else { 2 })
            }
            "fortnight" => Amount::Days(14),
            "wochenende" => Amount::Days(2),
            // "fin de semana", "fim de semana", "week-end"
            "fin" | "fim"
                if tokens.is_word(index + 2)
                    && tokens.norm(index + 1) == "de"
                    && tokens.norm(index + 2) == "semana" =>
            {
                return Some(Found::spanning(Amount::Days(2), tokens, index..index + 3));
            }
            "week"
                if tokens.kind(index + 1) == Kind::Punct('-')
                    && tokens.is_word(index + 2)
                    && tokens.norm(index + 2) == "end" =>
            {
                return Some(Found::spanning(Amount::Days(2), tokens, index..index + 3));
            }
            _ => Amount::Days(lone_length(tokens, index)?),
        },
        Kind::Unspaced => {
            let run = tokens.norm(index);
            if [
                "無制限",
                "无限",
                "不限",
                "무제한",
                "ไม่จำกัด",
                "吃到飽",
                "吃到饱",
            ]
            .iter()
            .any(|word| run.contains(word))
            {
                Amount::Unlimited
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(Found::spanning(amount, tokens, index..index + 1))
}

/// The days of a lone unit at `index` ("Европа месяц", "שבועיים"), unless the words around
/// it make it a rate or a date: "в месяц" (per month), "חודש הבא" (next month), "شهر
/// العسل" (honeymoon).
fn lone_length(tokens: &Tokens, index: usize) -> Option<u32> {
    let word = tokens.norm(index);
    let (_, days) = LONE_UNITS.iter().find(|(lone, _)| *lone == word)?;
    let before = index
        .checked_sub(1)
        .filter(|&i| tokens.is_word(i))
        .map(|i| tokens.norm(i));
    let after = tokens.is_word(index + 1).then(|| tokens.norm(index + 1));
    let listed = |list: &str, word: &str| list.split_whitespace().any(|listed| listed == word);
    let dated = before.is_some_and(|word| listed(NOT_LENGTH_BEFORE, word))
        || after.is_some_and(|word| listed(NOT_LENGTH_AFTER, word));
    (!dated).then_some(*days)
}

/// Lengths written as one word in unspaced scripts: the weekend (周末, 週末, 주말,
/// สุดสัปดาห์), half a month (半个月) and the Korean words for a few days (이틀, 사흘,
/// 보름).
const RUN_LENGTHS: &[(&str, u32)] = &[
    ("周末", 2),
    ("週末", 2),
    ("주말", 2),
    ("สุดสัปดาห์", 2),
    ("半个月", 15),
    ("半個月", 15),
    ("半ヶ月", 15),
    ("半か月", 15),
    ("半月", 15),
    ("이틀", 2),
    ("사흘", 3),
    ("나흘", 4),
    ("닷새", 5),
    ("열흘", 10),
    ("보름", 15),
];

/// Reads the amounts inside the unspaced run at `index`, from byte `from` of its folded
/// form: a number in digits of the script or in words, glued to a unit ("三天", "一週間",
/// "일주일", "สองสัปดาห์") or followed by one in the next run ("한 달"), and the one-word
/// lengths of [`RUN_LENGTHS`].
fn within_run(tokens: &Tokens, index: usize, from: usize, found: &mut Vec<Found>) {
    let run = tokens.norm(index);
    let mut at = from;
    while at < run.len() {
        let Some((amount, end)) = run_amount(tokens, index, at) else {
            at += run[at..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let (span, read, next) = match end {
            RunEnd::Inside(end) => (run_span(tokens, index, at..end), index..index + 1, end),
            RunEnd::NextRun(unit_len) => {
                let start = run_span(tokens, index, at..run.len()).start;
                let end = run_span(tokens, index + 1, 0..unit_len).end;
                (start..end, index..index + 2, run.len())
            }
        };
        found.push(Found {
            amount,
            tokens: read,
            span,
        });
        at = next;
    }
}

/// Where an amount inside a run ends: at a byte of the same run, or that many bytes into
/// the next one ("한 달").
#[derive(Clone, Copy)]
enum RunEnd {
    Inside(usize),
    NextRun(usize),
}

/// The amount starting at byte `at` of the run at `index`, and where it ends.
fn run_amount(tokens: &Tokens, index: usize, at: usize) -> Option<(Amount, RunEnd)> {
    let run = tokens.norm(index);
    let rest = &run[at..];
    let before = run[..at].chars().next_back();
    let first = rest.chars().next()?;
    // Korean glues only particles after a word, so its amounts start a word.
    if is_hangul(first) && before.is_some_and(is_hangul) {
        return None;
    }

    if let Some((word, days)) = RUN_LENGTHS.iter().find(|(word, _)| rest.starts_with(word)) {
        return Some((Amount::Days(*days), RunEnd::Inside(at + word.len())));
    }

    let (numeral, units): (Numeral, &[&str]) = if is_hangul(first) {
        // Native numbers count months and weeks ("한 달", "두 주"), Sino-Korean ones weeks
        // and months in other words ("이주일", "삼개월").
        match numerals::native_korean_at(rest) {
            Some(native)
                if unit_after(tokens, index, at + native.1, KOREAN_NATIVE_UNITS).is_some() =>
            {
                (native, KOREAN_NATIVE_UNITS)
            }
            _ => (numerals::sino_korean_at(rest)?, KOREAN_SINO_UNITS),
        }
    } else if ('\u{0E00}'..='\u{0E7F}').contains(&first) {
        (numerals::thai_at(rest)?, &[])
    } else {
        // "第三天" is the third day.
        if before == Some('第') {
            return None;
        }
        (numerals::han_at(rest)?, &[])
    };

    let (value, numeral_len) = numeral;
    let (run_unit, end) = unit_after(tokens, index, at + numeral_len, units)?;
    // "三月五日" is the fifth of March.
    if run_unit.unit == Unit::Days(1) && matches!(before, Some('月' | '월')) {
        return None;
    }
    let count = f64::from(value) + if run_unit.half { 0.5 } else { 0.0 };
    Some((length(count, run_unit.unit, false)?, end))
}

/// Units counted with native Korean numbers.
const KOREAN_NATIVE_UNITS: &[&str] = &["달", "주"];

/// Units counted with Sino-Korean numbers in words; days ("삼일") are left out, since the
/// same syllables spell other words ("오일" is oil).
const KOREAN_SINO_UNITS: &[&str] = &["주일", "개월"];

/// The unit right after a number that ends at byte `at` of the run at `index`: further in
/// the run, or at the start of the next run when the number ends this one ("한 달"). With
/// `only`, just those units (Korean numbers take their own); otherwise any of
/// [`RUN_UNITS`].
fn unit_after(
    tokens: &Tokens,
    index: usize,
    at: usize,
    only: &[&str],
) -> Option<(RunUnit, RunEnd)> {
    let run = tokens.norm(index);
    let (text, inside) = if at < run.len() {
        (&run[at..], true)
    } else if tokens.kind(index + 1) == Kind::Unspaced {
        (tokens.norm(index + 1), false)
    } else {
        return None;
    };
    let mut run_unit = unspaced_unit_of(text)?;
    if !only.is_empty() {
        let unit = only.iter().find(|unit| text.starts_with(*unit))?;
        if !counts_a_length(unit, &text[unit.len()..]) {
            return None;
        }
        run_unit.len = unit.len();
    }
    let end = if inside {
        RunEnd::Inside(at + run_unit.len)
    } else {
        RunEnd::NextRun(run_unit.len)
    };
    Some((run_unit, end))
}

/// The bytes `range` of the folded run at `index`, in the original text: exact when folding
/// left the run untouched, the whole run otherwise.
fn run_span(tokens: &Tokens, index: usize, range: Range<usize>) -> Range<usize> {
    let Some(token) = tokens.tokens.get(index) else {
        return 0..0;
    };
    if token.span.len() == token.norm.len() {
        token.span.start + range.start..token.span.start + range.end
    } else {
        token.span.clone()
    }
}

// TODO: read numeric dates ("3/3-17/3", "03.03.-17.03."), because day-first and
// month-first orders need the traveller's locale to tell apart.
// TODO: read Chinese, Japanese and Korean date ranges ("3月5日到10日", "3월 5일부터 10일까지"),
// because only the first day is known to be a date: the second still reads as a count of days.
/// One end of a date range.
#[derive(Clone, Copy, Debug, Default)]
struct DateEnd {
    day: u32,
    month: Option<usize>,
}

/// "from 3 to 17 March", "March 3-17", "3–17 mars", "del 3 al 17 de marzo",
/// "28 March to 5 April", "vom 3. bis 17. März": inclusive, so 3 to 17 is 15 days.
fn date_range(tokens: &Tokens, start: usize) -> Option<Found> {
    let mut index = start;
    let (first, after_first) = date_end(tokens, index)?;
    index = after_first;
    // The range word, possibly with fillers around it.
    index = skip_fillers(tokens, index);
    let joined = match tokens.tokens.get(index)?.kind {
        Kind::Punct('-') => true,
        Kind::Word => is_range_word(tokens.norm(index)),
        _ => false,
    };
    if !joined {
        return None;
    }
    index = skip_fillers(tokens, index + 1);
    let (second, end) = date_end(tokens, index)?;

    let first_month = first.month.or(second.month)?;
    let second_month = second.month.unwrap_or(first_month);
    if first.day > days_in_month(first_month) || second.day > days_in_month(second_month) {
        return None;
    }
    let days = if first_month == second_month {
        second.day.checked_sub(first.day)? + 1
    } else {
        let mut total = days_in_month(first_month) - first.day + 1;
        let mut month = first_month % 12 + 1;
        while month != second_month {
            total += days_in_month(month);
            month = month % 12 + 1;
        }
        total + second.day
    };
    (1..=MAX_DAYS)
        .contains(&days)
        .then(|| Found::spanning(Amount::Days(days), tokens, start..end))
}

fn skip_fillers(tokens: &Tokens, mut index: usize) -> usize {
    while index < tokens.len() {
        let skip = match tokens.kind(index) {
            Kind::Word => is_date_filler(tokens.norm(index)),
            Kind::Punct('.') | Kind::Punct(',') => true,
            _ => false,
        };
        if !skip {
            break;
        }
        index += 1;
    }
    index
}

/// A day number with an optional month, before or after it: "3", "3rd of March",
/// "March 3", "3. März".
fn date_end(tokens: &Tokens, start: usize) -> Option<(DateEnd, usize)> {
    let index = skip_fillers(tokens, start);
    let is_month = |i: usize| {
        tokens
            .is_word(i)
            .then(|| month_of(tokens.norm(i)))
            .flatten()
    };
    let day_at = |i: usize| {
        (tokens.tokens.get(i)?.kind == Kind::Number)
            .then(|| tokens.norm(i).parse::<u32>().ok())
            .flatten()
            .filter(|day| (1..=31).contains(day))
    };

    if let Some(month) = is_month(index) {
        let at = skip_fillers(tokens, index + 1);
        let day = day_at(at)?;
        return Some((
            DateEnd {
                day,
                month: Some(month),
            },
            at + 1,
        ));
    }
    let day = day_at(index)?;
    // A unit right after the number makes it a count, not a date ("3 days").
    if tokens.is_word(index + 1) && unit_of(tokens.norm(index + 1)).is_some() {
        return None;
    }
    let after = skip_fillers(tokens, index + 1);
    match is_month(after) {
        Some(month) => Some((
            DateEnd {
                day,
                month: Some(month),
            },
            after + 1,
        )),
        None => Some((DateEnd { day, month: None }, index + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::key_of;
    use super::*;

    #[test]
    fn every_word_list_is_written_folded() {
        let lists = WORD_UNITS
            .iter()
            .map(|(_, list)| *list)
            .chain(NUMBER_WORDS.iter().map(|(_, list)| *list))
            .chain([NOT_LENGTH_BEFORE, NOT_LENGTH_AFTER]);
        let words = lists
            .flat_map(str::split_whitespace)
            .chain(LONE_UNITS.iter().map(|(word, _)| *word));
        let unfolded: Vec<&str> = words.filter(|word| key_of(word) != *word).collect();
        assert!(unfolded.is_empty(), "not folded: {unfolded:?}");
    }

    #[test]
    fn every_unspaced_unit_is_found_at_the_start_of_a_run() {
        for (prefix, unit, half) in RUN_UNITS {
            let found = unspaced_unit_of(prefix);
            assert_eq!(
                found,
                Some(RunUnit {
                    unit: *unit,
                    half: *half,
                    len: prefix.len()
                }),
                "{prefix:?} is hidden by a shorter unit listed before it"
            );
        }
    }
}
