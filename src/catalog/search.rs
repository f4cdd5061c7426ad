//! Filtering and sorting plans: pure functions over a list of packages.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{Money, Package, Plan};

/// Narrowing of a search. Every field is optional; absent means "no limit".
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchFilters {
    /// Smallest acceptable data volume in bytes (per day for daily plans).
    pub min_data_bytes: Option<u64>,
    pub max_data_bytes: Option<u64>,
    /// Shortest acceptable validity in days (a month counts as 30).
    pub min_validity_days: Option<u32>,
    pub max_validity_days: Option<u32>,
    /// A network generation the plan must offer, such as "5G".
    pub speed: Option<String>,
    /// Highest acceptable price in US dollars, margin included.
    #[schema(value_type = Option<String>, example = "20.00")]
    pub max_price: Option<Money>,
    #[serde(default)]
    pub sort: SortOrder,
}

/// How results are ordered; ties are broken by package code so results are stable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Cheapest first.
    #[default]
    Price,
    /// Cheapest per gigabyte of data over the whole validity first.
    PricePerGb,
    /// Longest validity first.
    Validity,
}

impl SearchFilters {
    /// What makes these filters unable to match anything, said for the caller to fix; a
    /// search would otherwise answer an empty list that looks like "no plans".
    pub fn problem(&self) -> Option<&'static str> {
        let inverted =
            |min: Option<u64>, max: Option<u64>| min.zip(max).is_some_and(|(a, b)| a > b);
        if self.max_price.is_some_and(|max| max < Money::ZERO) {
            Some("filters.maxPrice must not be negative")
        } else if inverted(self.min_data_bytes, self.max_data_bytes) {
            Some("filters.minDataBytes is above filters.maxDataBytes")
        } else if inverted(
            self.min_validity_days.map(u64::from),
            self.max_validity_days.map(u64::from),
        ) {
            Some("filters.minValidityDays is above filters.maxValidityDays")
        } else {
            None
        }
    }
}

/// The plans among `packages` that pass `filters`, priced with `margin_percent` and sorted.
pub fn search(packages: &[Package], filters: &SearchFilters, margin_percent: u32) -> Vec<Plan> {
    let speed = filters.speed.as_deref().map(str::to_ascii_uppercase);
    let mut matching: Vec<(&Package, Money)> = packages
        .iter()
        .filter(|pkg| {
            filters
                .min_data_bytes
                .is_none_or(|min| pkg.volume_bytes >= min)
        })
        .filter(|pkg| {
            filters
                .max_data_bytes
                .is_none_or(|max| pkg.volume_bytes <= max)
        })
        .filter(|pkg| {
            filters
                .min_validity_days
                .is_none_or(|min| pkg.validity_days() >= min)
        })
        .filter(|pkg| {
            filters
                .max_validity_days
                .is_none_or(|max| pkg.validity_days() <= max)
        })
        .filter(|pkg| match (&speed, &pkg.speed) {
            (None, _) => true,
            (Some(wanted), Some(offered)) => contains_ignoring_ascii_case(offered, wanted),
            (Some(_), None) => false,
        })
        .map(|pkg| (pkg, pkg.cost.with_margin(margin_percent)))
        .filter(|(_, price)| filters.max_price.is_none_or(|max| *price <= max))
        .collect();

    // Unstable sorts are as good as stable ones here: every comparison ends on the package
    // code, so only copies of one package can compare equal.
    match filters.sort {
        SortOrder::Price => matching.sort_unstable_by(|(a, pa), (b, pb)| {
            pa.cmp(pb).then_with(|| a.package_code.cmp(&b.package_code))
        }),
        SortOrder::PricePerGb => matching.sort_unstable_by(|(a, pa), (b, pb)| {
            compare_price_per_byte(*pa, total_bytes(a), *pb, total_bytes(b))
                .then_with(|| pa.cmp(pb))
                .then_with(|| a.package_code.cmp(&b.package_code))
        }),
        SortOrder::Validity => matching.sort_unstable_by(|(a, pa), (b, pb)| {
            b.validity_days()
                .cmp(&a.validity_days())
                .then_with(|| pa.cmp(pb))
                .then_with(|| a.package_code.cmp(&b.package_code))
        }),
    }

    matching
        .into_iter()
        .map(|(pkg, _)| pkg.to_plan(margin_percent))
        .collect()
}

/// Whether `wanted` (upper case) occurs in `text` in any case, without a copy of `text`:
/// a speed filter looks at every package.
fn contains_ignoring_ascii_case(text: &str, wanted: &str) -> bool {
    wanted.is_empty()
        || text
            .as_bytes()
            .windows(wanted.len())
            .any(|window| window.eq_ignore_ascii_case(wanted.as_bytes()))
}

/// Data over the whole validity: a daily allowance counts once per day.
fn total_bytes(pkg: &Package) -> u64 {
    if pkg.allowance.is_daily() {
        pkg.volume_bytes
            .saturating_mul(u64::from(pkg.validity_days().max(1)))
    } else {
        pkg.volume_bytes
    }
}

/// Compares price_a / bytes_a with price_b / bytes_b by cross-multiplying in 128 bits, so
/// no division rounds and no float is involved. A plan with no data sorts last.
fn compare_price_per_byte(
    price_a: Money,
    bytes_a: u64,
    price_b: Money,
    bytes_b: u64,
) -> std::cmp::Ordering {
    match (bytes_a, bytes_b) {
        (0, 0) => std::cmp::Ordering::Equal,
        (0, _) => std::cmp::Ordering::Greater,
        (_, 0) => std::cmp::Ordering::Less,
        _ => {
            let left = i128::from(price_a.units()) * i128::from(bytes_b);
            let right = i128::from(price_b.units()) * i128::from(bytes_a);
            left.cmp(&right)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::package;
    use super::super::{DataAllowance, GIB};
    use super::*;

    fn codes(plans: &[Plan]) -> Vec<&str> {
        plans.iter().map(|p| p.package_code.as_str()).collect()
    }

    fn catalog() -> Vec<Package> {
        let mut daily = package("DAILY", "JP", 30_000, 1, 5);
        daily.allowance = DataAllowance::DailyThenReducedSpeed;
        daily.speed = Some("4G".to_owned());
        vec![
            package("SMALL", "JP", 20_000, 1, 7),
            package("MEDIUM", "JP", 45_000, 3, 15),
            package("LARGE", "JP", 90_000, 10, 30),
            daily,
        ]
    }

    #[test]
    fn default_sort_is_cheapest_first() {
        let plans = search(&catalog(), &SearchFilters::default(), 20);
        assert_eq!(codes(&plans), ["SMALL", "DAILY", "MEDIUM", "LARGE"]);
    }

    #[test]
    fn price_per_gb_counts_daily_volume_for_every_day() {
        let filters = SearchFilters {
            sort: SortOrder::PricePerGb,
            ..Default::default()
        };
        let plans = search(&catalog(), &filters, 20);
        // DAILY: $3.60 for 5 GB; LARGE: $10.80 for 10 GB; MEDIUM: $5.40 for 3 GB.
        assert_eq!(codes(&plans), ["DAILY", "LARGE", "MEDIUM", "SMALL"]);
    }

    #[test]
    fn validity_sort_puts_the_longest_first() {
        let filters = SearchFilters {
            sort: SortOrder::Validity,
            ..Default::default()
        };
        assert_eq!(
            codes(&search(&catalog(), &filters, 20)),
            ["LARGE", "MEDIUM", "SMALL", "DAILY"]
        );
    }

    #[test]
    fn filters_narrow_by_data_validity_speed_and_price() {
        let cases: [(SearchFilters, &[&str]); 6] = [
            (
                SearchFilters {
                    min_data_bytes: Some(3 * GIB),
                    ..Default::default()
                },
                &["MEDIUM", "LARGE"],
            ),
            (
                SearchFilters {
                    max_data_bytes: Some(GIB),
                    ..Default::default()
                },
                &["SMALL", "DAILY"],
            ),
            (
                SearchFilters {
                    min_validity_days: Some(15),
                    ..Default::default()
                },
                &["MEDIUM", "LARGE"],
            ),
            (
                SearchFilters {
                    max_validity_days: Some(7),
                    ..Default::default()
                },
                &["SMALL", "DAILY"],
            ),
            (
                SearchFilters {
                    speed: Some("5g".to_owned()),
                    ..Default::default()
                },
                &["SMALL", "MEDIUM", "LARGE"],
            ),
            (
                SearchFilters {
                    max_price: Some("5.40".parse().unwrap()),
                    ..Default::default()
                },
                &["SMALL", "DAILY", "MEDIUM"],
            ),
        ];
        for (filters, expected) in cases {
            assert_eq!(
                codes(&search(&catalog(), &filters, 20)),
                expected,
                "{filters:?}"
            );
        }
    }

    #[test]
    fn filters_deserialize_from_camel_case_json() {
        let filters: SearchFilters = serde_json::from_value(serde_json::json!({
            "minDataBytes": 1073741824u64, "maxPrice": 12.5, "sort": "price_per_gb", "extra": true
        }))
        .unwrap();
        assert_eq!(filters.min_data_bytes, Some(GIB));
        assert_eq!(filters.max_price, Some(Money::from_units(125_000)));
        assert_eq!(filters.sort, SortOrder::PricePerGb);
    }
}
