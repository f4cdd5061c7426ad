//! Ranking plans for a whole trip: which plans fit, and in which order to offer them.
//!
//! A traveller going to Japan and Korea for ten days is best served by one plan that
//! covers both for ten days, then by plans for each country. Within those groups the
//! cheapest fitting plan comes first (most travellers pick the first sensible option),
//! then the rest by value for money.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use super::{CountryCode, DataAllowance, Money, Package, Plan};

/// What the trip needs, in catalog terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TripNeeds {
    pub countries: BTreeSet<CountryCode>,
    pub days: Option<u32>,
    pub data_bytes: Option<u64>,
    pub unlimited: bool,
}

/// One offered plan and how it fits the trip.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Recommendation {
    #[serde(flatten)]
    pub plan: Plan,
    /// The requested countries this plan covers.
    #[schema(value_type = Vec<String>, example = json!(["JP"]))]
    pub covers: Vec<CountryCode>,
    /// True when the plan covers every requested country.
    pub covers_whole_trip: bool,
    /// True when validity and data meet what the traveller asked for.
    pub fits: bool,
    /// For a day pass: the days to buy (the trip length); absent for other plans.
    pub period_days: Option<u32>,
    /// What the whole trip costs with this plan: the price, or the daily price times the
    /// days for a day pass.
    #[schema(value_type = String, example = "9.30")]
    pub trip_price: Money,
}

/// The plans among `packages` that serve the trip, best first. Packages are deduplicated
/// by code; plans covering none of the requested countries are dropped. When nothing fits
/// the stated days or data, the closest plans are still offered, marked `fits: false`, so a
/// traveller always has something to choose from.
pub fn recommend(
    packages: &[Package],
    needs: &TripNeeds,
    margin_percent: u32,
) -> Vec<Recommendation> {
    let mut seen = HashSet::with_capacity(packages.len());
    let mut offers: Vec<Candidate> = packages
        .iter()
        .filter(|pkg| seen.insert(pkg.package_code.as_str()))
        .filter_map(|pkg| candidate(pkg, needs, margin_percent))
        .collect();

    if offers.iter().any(|offer| offer.fits) {
        offers.retain(|offer| offer.fits);
    }
    let daily_unlimited = |offer: &Candidate| offer.pkg.allowance == DataAllowance::DailyUnlimited;
    if needs.unlimited && offers.iter().any(daily_unlimited) {
        offers.retain(daily_unlimited);
    }

    // Whole-trip plans first, then by price; the cheapest of each group stays first and
    // the others follow by price per byte.
    offers.sort_by(|a, b| {
        b.covers_whole_trip
            .cmp(&a.covers_whole_trip)
            .then_with(|| {
                price_per_byte(a.trip_price, a.trip_bytes)
                    .cmp(&price_per_byte(b.trip_price, b.trip_bytes))
            })
            .then_with(|| a.trip_price.cmp(&b.trip_price))
            .then_with(|| a.pkg.package_code.cmp(&b.pkg.package_code))
    });
    for group in [true, false] {
        let start = offers.iter().position(|o| o.covers_whole_trip == group);
        let end = offers.iter().rposition(|o| o.covers_whole_trip == group);
        if let (Some(start), Some(end)) = (start, end) {
            let cheapest = (start..=end)
                .min_by(|&i, &j| {
                    offers[i]
                        .trip_price
                        .cmp(&offers[j].trip_price)
                        .then(i.cmp(&j))
                })
                .unwrap_or(start);
            offers[start..=cheapest].rotate_right(1);
        }
    }
    // Plans are built last, for the offers kept: building one is most of an offer's cost.
    offers
        .into_iter()
        .map(|offer| Recommendation {
            plan: offer.pkg.to_plan(margin_percent),
            covers: offer.covers,
            covers_whole_trip: offer.covers_whole_trip,
            fits: offer.fits,
            period_days: offer.period_days,
            trip_price: offer.trip_price,
        })
        .collect()
}

/// How one package serves the trip, before it is turned into a plan.
struct Candidate<'a> {
    pkg: &'a Package,
    covers: Vec<CountryCode>,
    covers_whole_trip: bool,
    fits: bool,
    period_days: Option<u32>,
    trip_price: Money,
    /// The data it gives over the trip.
    trip_bytes: u64,
}

/// How `pkg` serves the trip, or `None` when it covers none of the requested countries.
fn candidate<'a>(
    pkg: &'a Package,
    needs: &TripNeeds,
    margin_percent: u32,
) -> Option<Candidate<'a>> {
    let covers: Vec<CountryCode> = needs
        .countries
        .iter()
        // A package lists its countries sorted.
        .filter(|country| pkg.countries.binary_search(country).is_ok())
        .copied()
        .collect();
    if covers.is_empty() && !needs.countries.is_empty() {
        return None;
    }
    let covers_whole_trip = covers.len() == needs.countries.len();

    let daily = pkg.allowance.is_daily();
    let trip_days = needs.days.unwrap_or(1).max(1);
    let period_days = (daily && needs.days.is_some()).then_some(trip_days);
    // Priced as an order is: the supplier's cost for all the days, then the margin once.
    let trip_price = if daily {
        (pkg.cost * trip_days).with_margin(margin_percent)
    } else {
        pkg.cost.with_margin(margin_percent)
    };
    let trip_bytes = if daily {
        pkg.volume_bytes.saturating_mul(u64::from(trip_days))
    } else {
        pkg.volume_bytes
    };

    let long_enough = daily || needs.days.is_none_or(|days| pkg.validity_days() >= days);
    let enough_data = pkg.allowance == DataAllowance::DailyUnlimited
        || needs.data_bytes.is_none_or(|need| trip_bytes >= need);
    Some(Candidate {
        pkg,
        covers,
        covers_whole_trip,
        fits: long_enough && enough_data,
        period_days,
        trip_price,
        trip_bytes,
    })
}

/// Price per byte as a comparable integer (price in units per TiB), so no float is needed.
fn price_per_byte(price: Money, bytes: u64) -> u128 {
    if bytes == 0 {
        return u128::MAX;
    }
    (u128::try_from(price.units().max(0)).unwrap_or(0) << 40) / u128::from(bytes)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::package;
    use super::super::{CoverageScope, GIB, MIB, parse_country_list};
    use super::*;

    fn needs(countries: &str, days: Option<u32>, data_gib: Option<u64>) -> TripNeeds {
        TripNeeds {
            countries: parse_country_list(countries).into_iter().collect(),
            days,
            data_bytes: data_gib.map(|g| g * GIB),
            unlimited: false,
        }
    }

    fn regional(code: &str, countries: &str, cost: i64, gib: u64, days: u32) -> Package {
        let mut pkg = package(code, "JP", cost, gib, days);
        pkg.countries = parse_country_list(countries);
        pkg.scope = CoverageScope::Regional;
        pkg
    }

    fn codes(offers: &[Recommendation]) -> Vec<&str> {
        offers
            .iter()
            .map(|o| o.plan.package_code.as_str())
            .collect()
    }

    #[test]
    fn whole_trip_plans_come_before_single_country_plans() {
        let packages = vec![
            package("JP-CHEAP", "JP", 10_000, 1, 15),
            package("KR-CHEAP", "KR", 10_000, 1, 15),
            regional("ASIA", "JP,KR,TW", 50_000, 5, 15),
        ];

        let offers = recommend(&packages, &needs("JP,KR", Some(10), None), 20);

        assert_eq!(codes(&offers), ["ASIA", "JP-CHEAP", "KR-CHEAP"]);
        assert!(offers[0].covers_whole_trip);
        assert_eq!(offers[0].covers, ["JP", "KR"]);
        assert_eq!(offers[1].covers, ["JP"]);
    }

    #[test]
    fn plans_too_short_or_too_small_are_dropped_when_others_fit() {
        let packages = vec![
            package("SHORT", "JP", 10_000, 5, 7),
            package("SMALL", "JP", 12_000, 1, 30),
            package("FITS", "JP", 40_000, 5, 15),
        ];

        let offers = recommend(&packages, &needs("JP", Some(10), Some(3)), 20);

        assert_eq!(codes(&offers), ["FITS"]);
        assert!(offers[0].fits);
    }

    #[test]
    fn when_nothing_fits_the_closest_plans_are_still_offered() {
        let packages = vec![package("SHORT", "JP", 10_000, 1, 7)];

        let offers = recommend(&packages, &needs("JP", Some(30), None), 20);

        assert_eq!(codes(&offers), ["SHORT"]);
        assert!(!offers[0].fits);
    }

    #[test]
    fn the_cheapest_fitting_plan_leads_and_the_rest_follow_by_value() {
        let packages = vec![
            package("BIG", "JP", 100_000, 20, 30), // $12.00, 20 GB: best value
            package("CHEAP", "JP", 20_000, 1, 30), // $2.40, 1 GB: cheapest
            package("MEDIUM", "JP", 40_000, 3, 30), // $4.80, 3 GB
        ];

        let offers = recommend(&packages, &needs("JP", None, None), 20);

        assert_eq!(codes(&offers), ["CHEAP", "BIG", "MEDIUM"]);
    }

    #[test]
    fn day_passes_are_priced_for_the_whole_trip() {
        let mut daily = package("DAILY", "JP", 10_000, 1, 1);
        daily.allowance = DataAllowance::DailyThenReducedSpeed;
        daily.volume_bytes = 500 * MIB;
        let packages = vec![daily, package("FIXED", "JP", 50_000, 5, 15)];

        let offers = recommend(&packages, &needs("JP", Some(10), Some(4)), 20);

        let day_pass = offers
            .iter()
            .find(|o| o.plan.package_code == "DAILY")
            .unwrap();
        assert_eq!(day_pass.period_days, Some(10));
        assert_eq!(day_pass.trip_price, Money::from_units(120_000));
        assert!(day_pass.fits, "500 MB a day for 10 days is more than 4 GB");
    }

    #[test]
    fn unlimited_requests_keep_unlimited_plans_when_there_are_some() {
        let mut unlimited = package("UNLIMITED", "JP", 30_000, 1, 1);
        unlimited.allowance = DataAllowance::DailyUnlimited;
        let packages = vec![unlimited, package("FIXED", "JP", 10_000, 5, 15)];
        let mut trip = needs("JP", Some(5), None);
        trip.unlimited = true;

        let offers = recommend(&packages, &trip, 20);

        assert_eq!(codes(&offers), ["UNLIMITED"]);
    }

    #[test]
    fn duplicates_and_plans_for_other_places_are_left_out() {
        let packages = vec![
            package("JP1", "JP", 10_000, 1, 7),
            package("JP1", "JP", 10_000, 1, 7),
            package("FR1", "FR", 10_000, 1, 7),
        ];

        let offers = recommend(&packages, &needs("JP", None, None), 20);

        assert_eq!(codes(&offers), ["JP1"]);
    }
}
