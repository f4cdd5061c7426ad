//! Trip length and data volume: "10 days", "2 weeks", "from 3 to 17 March", "10日間",
//! "5GB", "500 MB", "unlimited", in the six languages and in Chinese, Japanese and Korean.

use std::ops::Range;

use crate::catalog::{GIB, MIB};

use super::text::{Kind, Tokens};

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

/// An amount and the tokens it was read from.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Found {
    pub amount: Amount,
    pub tokens: Range<usize>,
}

/// What a unit word measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Days(u32),
    Nights,
    Bytes(u64),
}

fn unit_of(word: &str) -> Option<Unit> {
    let unit = match word {
        "day" | "days" | "d" | "dy" | "dys" | "dia" | "dias" | "jour" | "jours" | "j" | "jrs"
        | "tag" | "tage" | "tagen" | "giorno" | "giorni" | "gg" | "dag" | "dagen" | "hari"
        | "ngay" | "gun" | "день" | "дня" | "дней" | "суток" | "сутки" | "μερα" | "μερες"
        | "ημερα" | "ημερες" | "ημερων" | "يوم" | "ايام" | "दिन" => {
            Unit::Days(1)
        }
        "week" | "weeks" | "wk" | "wks" | "semana" | "semanas" | "semaine" | "semaines"
        | "woche" | "wochen" | "settimana" | "settimane" | "weken" | "minggu" | "hafta"
        | "неделя" | "недели" | "недель" | "неделю" | "εβδομαδα" | "εβδομαδες" | "اسبوع"
        | "اسابيع" | "हफ्ते" | "हफ़्ते" | "सप्ताह" => {
            Unit::Days(7)
        }
        "fortnight" | "fortnights" => Unit::Days(14),
        "month" | "months" | "mth" | "mths" | "mes" | "meses" | "mois" | "monat" | "monate"
        | "monaten" | "mese" | "mesi" | "maand" | "maanden" | "bulan" | "месяц" | "месяца"
        | "месяцев" | "μηνα" | "μηνες" | "شهر" | "اشهر" | "महीना" | "महीने" => {
            Unit::Days(30)
        }
        "night" | "nights" | "nite" | "nites" | "noche" | "noches" | "noite" | "noites"
        | "nuit" | "nuits" | "nacht" | "nachte" | "nachten" | "notte" | "notti" => Unit::Nights,
        "gb" | "gbs" | "gig" | "gigs" | "giga" | "gigas" | "gigabyte" | "gigabytes" | "go"
        | "gigaoctet" | "gigaoctets" | "гб" | "гиг" | "гига" | "جيجا" => {
            Unit::Bytes(GIB)
        }
        "mb" | "mbs" | "meg" | "megs" | "mega" | "megas" | "megabyte" | "megabytes" | "mo"
        | "megaoctet" | "megaoctets" | "мб" => Unit::Bytes(MIB),
        "tb" | "tera" | "terabyte" | "terabytes" => Unit::Bytes(1024 * GIB),
        _ => return None,
    };
    Some(unit)
}

/// Units written right after a number in Chinese, Japanese and Korean ("10日間", "10일").
fn unspaced_unit_of(run: &str) -> Option<Unit> {
    const UNITS: &[(&str, Unit)] = &[
        ("日", Unit::Days(1)),
        ("天", Unit::Days(1)),
        ("일", Unit::Days(1)),
        ("泊", Unit::Nights),
        ("晚", Unit::Nights),
        ("박", Unit::Nights),
        ("週", Unit::Days(7)),
        ("周", Unit::Days(7)),
        ("星期", Unit::Days(7)),
        ("주", Unit::Days(7)),
        ("ヶ月", Unit::Days(30)),
        ("か月", Unit::Days(30)),
        ("カ月", Unit::Days(30)),
        ("ケ月", Unit::Days(30)),
        ("个月", Unit::Days(30)),
        ("個月", Unit::Days(30)),
        ("개월", Unit::Days(30)),
        ("달", Unit::Days(30)),
        ("ギガ", Unit::Bytes(GIB)),
        ("기가", Unit::Bytes(GIB)),
    ];
    UNITS
        .iter()
        .find(|(prefix, _)| run.starts_with(prefix))
        .map(|(_, unit)| *unit)
}

/// Numbers written as words, with the articles that mean one ("a week").
fn number_word(word: &str) -> Option<u32> {
    let number = match word {
        "a" | "an" | "one" | "un" | "uno" | "una" | "um" | "uma" | "une" | "ein" | "eine"
        | "einen" | "einer" | "одна" | "один" | "одну" | "μια" | "ενα" | "एक" => {
            1
        }
        "two" | "dos" | "dois" | "duas" | "deux" | "zwei" | "due" | "couple" | "две" | "два"
        | "δυο" | "दो" => 2,
        "three" | "tres" | "trois" | "drei" | "tre" => 3,
        "four" | "cuatro" | "quatro" | "quatre" | "vier" | "quattro" => 4,
        "five" | "cinco" | "cinq" | "funf" | "cinque" => 5,
        "six" | "seis" | "sechs" | "sei" => 6,
        "seven" | "siete" | "sete" | "sept" | "sieben" | "sette" => 7,
        "eight" | "ocho" | "oito" | "huit" | "acht" | "otto" => 8,
        "nine" | "nueve" | "nove" | "neuf" | "neun" => 9,
        "ten" | "diez" | "dez" | "dix" | "zehn" | "dieci" => 10,
        "eleven" | "once" | "onze" | "elf" | "undici" => 11,
        "twelve" | "doce" | "doze" | "douze" | "zwolf" | "dodici" => 12,
        "fourteen" | "catorce" | "catorze" | "quatorze" | "vierzehn" | "quattordici" => 14,
        "fifteen" | "quince" | "quinze" | "funfzehn" | "quindici" => 15,
        "twenty" | "veinte" | "vinte" | "vingt" | "zwanzig" | "venti" => 20,
        "thirty" | "treinta" | "trinta" | "trente" | "dreissig" | "trenta" => 30,
        _ => return None,
    };
    Some(number)
}

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
    unit_of(word).is_some() || number_word(word).is_some() || month_of(word).is_some()
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
            found.push(amount);
            continue;
        }
        if let Some(amount) = bare_word(tokens, index) {
            found.push(amount);
        }
        index += 1;
    }
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
        if joins && tokens.kind(next + 1) == Kind::Number {
            if let Some(upper) = number_value(tokens.norm(next + 1)) {
                if upper > value {
                    value = upper;
                    next += 2;
                }
            }
        }
    }
    if next >= tokens.len() {
        return None;
    }

    let unit = match tokens.kind(next) {
        Kind::Word => {
            let word = tokens.norm(next);
            // "Go"/"Mo" are French units only after a digit, never after "a"/"un".
            if !numeric && matches!(word, "go" | "mo" | "d" | "j" | "gg") {
                return None;
            }
            unit_of(word)?
        }
        Kind::Unspaced if numeric => unspaced_unit_of(tokens.norm(next))?,
        _ => return None,
    };
    // "a day" is a rate ("1GB a day", "how much a day"), not a trip length.
    if unit == Unit::Days(1) && !numeric && value <= 1.0 {
        return None;
    }
    let mut end = next + 1;
    let amount = match unit {
        Unit::Days(per) => {
            let days = (value * f64::from(per)).round();
            if !(1.0..=f64::from(MAX_DAYS)).contains(&days) {
                return None;
            }
            Amount::Days(days as u32)
        }
        Unit::Nights => {
            if !(1.0..=f64::from(MAX_DAYS)).contains(&value) {
                return None;
            }
            Amount::Nights(value.round() as u32)
        }
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
    };
    Some(Found {
        amount,
        tokens: start..end,
    })
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
                return Some(Found {
                    amount: Amount::Days(2),
                    tokens: index..index + 3,
                });
            }
            "week"
                if tokens.kind(index + 1) == Kind::Punct('-')
                    && tokens.is_word(index + 2)
                    && tokens.norm(index + 2) == "end" =>
            {
                return Some(Found {
                    amount: Amount::Days(2),
                    tokens: index..index + 3,
                });
            }
            _ => return None,
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
    Some(Found {
        amount,
        tokens: index..index + 1,
    })
}

// TODO: read numeric dates ("3/3-17/3", "03.03.-17.03."), because day-first and
// month-first orders need the traveller's locale to tell apart.
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
    (1..=MAX_DAYS).contains(&days).then_some(Found {
        amount: Amount::Days(days),
        tokens: start..end,
    })
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
