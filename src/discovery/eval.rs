//! Scoring an extractor against a labelled set of traveller queries.
//!
//! The set is a TSV file: `query<TAB>codes<TAB>days<TAB>GB`, where codes are ISO alpha-2
//! codes separated by commas, `GLOBAL` for a worldwide trip, or empty when the query names
//! no destination; days and GB are optional. Lines starting with `#` are comments.

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

use super::TripQuery;
use crate::catalog::CountryCode;

/// One labelled query.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub line: usize,
    pub query: String,
    pub countries: BTreeSet<CountryCode>,
    pub global: bool,
    pub days: Option<u32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {problem}")]
pub struct InvalidCase {
    pub line: usize,
    pub problem: String,
}

/// Reads the labelled set; every malformed line is reported, not skipped.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, Vec<InvalidCase>> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let mut columns = raw.split('\t');
        let query = columns.next().unwrap_or_default().trim().to_owned();
        let codes = columns.next().unwrap_or_default().trim();
        let days = columns.next().unwrap_or_default().trim();

        let global = codes.eq_ignore_ascii_case("GLOBAL");
        let mut countries = BTreeSet::new();
        if !global {
            for code in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                match code.parse::<CountryCode>() {
                    Ok(country) => {
                        countries.insert(country);
                    }
                    Err(error) => problems.push(InvalidCase {
                        line,
                        problem: error.to_string(),
                    }),
                }
            }
        }
        let days = match days {
            "" => None,
            text => match text.parse() {
                Ok(days) => Some(days),
                Err(_) => {
                    problems.push(InvalidCase {
                        line,
                        problem: format!("days {text:?} is not a number"),
                    });
                    None
                }
            },
        };
        cases.push(Case {
            line,
            query,
            countries,
            global,
            days,
        });
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

/// A case the extractor got wrong, for the report.
#[derive(Clone, Debug)]
pub struct Miss {
    pub case: Case,
    pub got: TripQuery,
}

/// The figures of one evaluation run.
#[derive(Clone, Debug)]
pub struct Report {
    pub cases: usize,
    /// Cases whose destination (country set, or the global flag) was exactly right.
    pub exact: usize,
    pub true_positive_codes: usize,
    pub false_positive_codes: usize,
    pub false_negative_codes: usize,
    /// Cases with a labelled trip length, and how many of those were read right.
    pub days_labelled: usize,
    pub days_right: usize,
    /// Per-query latency, sorted.
    pub latencies: Vec<Duration>,
    pub misses: Vec<Miss>,
}

impl Report {
    pub fn accuracy(&self) -> f64 {
        ratio(self.exact, self.cases)
    }

    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positive_codes,
            self.true_positive_codes + self.false_positive_codes,
        )
    }

    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positive_codes,
            self.true_positive_codes + self.false_negative_codes,
        )
    }

    pub fn days_accuracy(&self) -> f64 {
        ratio(self.days_right, self.days_labelled)
    }

    /// The latency below which `percent` of the queries were answered.
    pub fn latency_percentile(&self, percent: usize) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = (self.latencies.len() * percent / 100).min(self.latencies.len() - 1);
        self.latencies[index]
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Runs `read` over every case, timing each call.
pub fn evaluate(cases: &[Case], mut read: impl FnMut(&str) -> TripQuery) -> Report {
    let mut report = Report {
        cases: cases.len(),
        exact: 0,
        true_positive_codes: 0,
        false_positive_codes: 0,
        false_negative_codes: 0,
        days_labelled: 0,
        days_right: 0,
        latencies: Vec::with_capacity(cases.len()),
        misses: Vec::new(),
    };
    for case in cases {
        let started = Instant::now();
        let got = read(&case.query);
        report.latencies.push(started.elapsed());

        let right_destination = if case.global {
            got.global
        } else {
            !got.global && got.countries == case.countries
        };
        if !case.global && !got.global {
            report.true_positive_codes += got.countries.intersection(&case.countries).count();
            report.false_positive_codes += got.countries.difference(&case.countries).count();
            report.false_negative_codes += case.countries.difference(&got.countries).count();
        }
        if let Some(days) = case.days {
            report.days_labelled += 1;
            if got.days == Some(days) {
                report.days_right += 1;
            }
        }
        if right_destination {
            report.exact += 1;
        } else {
            report.misses.push(Miss {
                case: case.clone(),
                got,
            });
        }
    }
    report.latencies.sort();
    report
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "queries:              {}", self.cases)?;
        writeln!(
            f,
            "exact-set accuracy:   {:.1}% ({} of {})",
            self.accuracy() * 100.0,
            self.exact,
            self.cases
        )?;
        writeln!(f, "code precision:       {:.1}%", self.precision() * 100.0)?;
        writeln!(f, "code recall:          {:.1}%", self.recall() * 100.0)?;
        writeln!(
            f,
            "trip-length accuracy: {:.1}% ({} of {})",
            self.days_accuracy() * 100.0,
            self.days_right,
            self.days_labelled
        )?;
        write!(
            f,
            "latency:              p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
            self.latency_percentile(50),
            self.latency_percentile(90),
            self.latency_percentile(99),
            self.latencies.last().copied().unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(codes: &str, global: bool, days: Option<u32>) -> TripQuery {
        TripQuery {
            countries: crate::catalog::parse_country_list(codes)
                .into_iter()
                .collect(),
            global,
            days,
            ..TripQuery::default()
        }
    }

    #[test]
    fn cases_are_read_with_comments_globals_and_empty_labels() {
        let text =
            "# comment\njapan and korea 10 days\tKR,JP\t10\t\nworld trip\tGLOBAL\t\t\nhi\t\t\t\n";
        let cases = parse_cases(text).unwrap();
        assert_eq!(cases.len(), 3);
        assert_eq!(cases[0].countries.len(), 2);
        assert_eq!(cases[0].days, Some(10));
        assert_eq!(cases[0].line, 2);
        assert!(cases[1].global);
        assert!(cases[2].countries.is_empty() && !cases[2].global);
    }

    #[test]
    fn malformed_lines_are_all_reported() {
        let problems = parse_cases("a\tXX\t\nb\tJP\tten\n").unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, 1);
        assert!(problems[1].problem.contains("ten"));
    }

    #[test]
    fn scoring_counts_exact_sets_codes_and_days() {
        let cases = parse_cases("a\tJP,KR\t10\nb\tFR\t\nc\tGLOBAL\t\nd\t\t7\n").unwrap();
        let answers = [
            query("JP,KR", false, Some(10)), // exact, days right
            query("FR,BE", false, None),     // one false positive
            query("", true, None),           // exact global
            query("", false, Some(5)),       // exact "no destination", days wrong
        ];
        let mut next = answers.iter().cloned();

        let report = evaluate(&cases, |_| next.next().unwrap());

        assert_eq!(report.exact, 3);
        assert_eq!(report.true_positive_codes, 3);
        assert_eq!(report.false_positive_codes, 1);
        assert_eq!(report.false_negative_codes, 0);
        assert_eq!((report.days_labelled, report.days_right), (2, 1));
        assert_eq!(report.misses.len(), 1);
        assert_eq!(report.misses[0].case.line, 2);
        assert!(
            report
                .to_string()
                .contains("exact-set accuracy:   75.0% (3 of 4)")
        );
    }
}
