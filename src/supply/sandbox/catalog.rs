//! The sandbox's catalog: about two thousand packages generated from two data files.
//!
//! `fixtures/sandbox/countries.tsv` lists the countries sold one by one with a price tier;
//! `fixtures/sandbox/regions.tsv` lists the regional bundles and global plans with their
//! members. Both are compiled into the binary, so the sandbox works from any directory.
//! Every package is derived from those rows by fixed ladders of volumes and validities
//! and a fixed price table, so the catalog is identical on every run: package codes,
//! prices and names can be written into tests and demos.

use std::collections::HashMap;
use std::sync::LazyLock;

use sha2::{Digest, Sha256};

use crate::catalog::{
    ActivationTrigger, CountryCode, CoverageScope, DataAllowance, GIB, LocationCode, MIB, Money,
    Package, PlanType, ValidityUnit, parse_country_list,
};
use crate::supply::Location;

const COUNTRIES_TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/sandbox/countries.tsv"
));
const REGIONS_TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/sandbox/regions.tsv"
));

/// Prefix of a top-up's package code, followed by the code of the package it extends.
const TOP_UP_PREFIX: &str = "TOPUP_";

/// Fixed-volume plans: (GiB, days, price in the standard tier in 1/10,000 USD).
const FIXED_LADDER: [(u64, u32, i64); 6] = [
    (1, 7, 20_000),
    (3, 15, 50_000),
    (5, 30, 75_000),
    (10, 30, 130_000),
    (20, 30, 220_000),
    (50, 180, 450_000),
];

/// The largest plan gets no top-up: nobody tops up half a year of 50 GB.
const LARGEST_TOPPED_UP_BYTES: u64 = 20 * GIB;

/// A day pass: what the slug and name call its volume, bytes per day, how the allowance
/// works, and the standard-tier price of one day.
struct DayPass {
    slug_volume: &'static str,
    name_volume: &'static str,
    volume_bytes: u64,
    allowance: DataAllowance,
    price_per_day: i64,
}

const DAY_PASSES: [DayPass; 3] = [
    DayPass {
        slug_volume: "0.5",
        name_volume: "500MB/Day",
        volume_bytes: 500 * MIB,
        allowance: DataAllowance::DailyThenReducedSpeed,
        price_per_day: 9_000,
    },
    DayPass {
        slug_volume: "1",
        name_volume: "1GB/Day",
        volume_bytes: GIB,
        allowance: DataAllowance::DailyThenReducedSpeed,
        price_per_day: 15_000,
    },
    // The volume of an unlimited pass is its high-speed share; past it the speed drops.
    DayPass {
        slug_volume: "Unlimited",
        name_volume: "Unlimited/Day",
        volume_bytes: 2 * GIB,
        allowance: DataAllowance::DailyUnlimited,
        price_per_day: 30_000,
    },
];

/// How expensive data is in a place, relative to the standard price table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PriceTier {
    Cheap,
    Standard,
    Premium,
    /// Islands and places served by roaming only: dear, small plans, no top-ups.
    Remote,
}

impl PriceTier {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "cheap" => Some(PriceTier::Cheap),
            "standard" => Some(PriceTier::Standard),
            "premium" => Some(PriceTier::Premium),
            "remote" => Some(PriceTier::Remote),
            _ => None,
        }
    }

    fn percent(self) -> i64 {
        match self {
            PriceTier::Cheap => 65,
            PriceTier::Standard => 100,
            PriceTier::Premium => 170,
            PriceTier::Remote => 350,
        }
    }
}

/// One line of `countries.tsv`.
#[derive(Clone, Debug, PartialEq)]
struct CountryRow {
    code: CountryCode,
    tier: PriceTier,
    /// Shown with every package; searches filter on it ("5G").
    speed: String,
    /// Popular destinations also get 20 GB and 50 GB plans and an unlimited day pass.
    popular: bool,
    /// What travellers call the place; the ISO short name unless the file overrides it.
    name: String,
}

/// One line of `regions.tsv`: a regional bundle or a global plan.
#[derive(Clone, Debug, PartialEq)]
struct AreaRow {
    /// The supplier-style area code (`EU-42`), also the slug prefix.
    code: String,
    /// Regional bundles are listed under `!RG`, global plans under `!GL`.
    scope: CoverageScope,
    tier: PriceTier,
    name: String,
    /// The member codes as the supplier writes them, `XK` included.
    members: Vec<String>,
}

/// A data file line the catalog cannot be built from.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file} line {line}: {problem}")]
pub(super) struct FixtureError {
    file: &'static str,
    line: usize,
    problem: String,
}

/// Non-comment lines split on tabs, with their 1-based line numbers.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(index, line)| (index + 1, line.split('\t').map(str::trim).collect()))
}

fn parse_countries(text: &str) -> Result<Vec<CountryRow>, FixtureError> {
    const FILE: &str = "countries.tsv";
    data_lines(text)
        .map(|(line, fields)| {
            let fail = |problem: String| FixtureError {
                file: FILE,
                line,
                problem,
            };
            let [code, tier, speed, popular, rest @ ..] = fields.as_slice() else {
                return Err(fail(format!(
                    "expected at least 4 fields, got {}",
                    fields.len()
                )));
            };
            let code: CountryCode = code
                .parse()
                .map_err(|_| fail(format!("{code:?} is not an ISO country code")))?;
            let tier =
                PriceTier::parse(tier).ok_or_else(|| fail(format!("unknown tier {tier:?}")))?;
            let popular = match *popular {
                "yes" => true,
                "no" => false,
                other => return Err(fail(format!("popular must be yes or no, not {other:?}"))),
            };
            let name = match rest.first() {
                Some(name) if !name.is_empty() => (*name).to_owned(),
                _ => code.english_name(),
            };
            Ok(CountryRow {
                code,
                tier,
                speed: (*speed).to_owned(),
                popular,
                name,
            })
        })
        .collect()
}

fn parse_areas(text: &str) -> Result<Vec<AreaRow>, FixtureError> {
    const FILE: &str = "regions.tsv";
    data_lines(text)
        .map(|(line, fields)| {
            let fail = |problem: String| FixtureError {
                file: FILE,
                line,
                problem,
            };
            let [code, scope, tier, name, members] = fields.as_slice() else {
                return Err(fail(format!("expected 5 fields, got {}", fields.len())));
            };
            let scope = match *scope {
                "regional" => CoverageScope::Regional,
                "global" => CoverageScope::Global,
                other => {
                    return Err(fail(format!(
                        "scope must be regional or global, not {other:?}"
                    )));
                }
            };
            let tier =
                PriceTier::parse(tier).ok_or_else(|| fail(format!("unknown tier {tier:?}")))?;
            let members: Vec<String> = members.split(',').map(|m| m.trim().to_owned()).collect();
            if let Some(bad) = members
                .iter()
                .find(|m| *m != "XK" && m.parse::<CountryCode>().is_err())
            {
                return Err(fail(format!("member {bad:?} is not an ISO country code")));
            }
            Ok(AreaRow {
                code: (*code).to_owned(),
                scope,
                tier,
                name: (*name).to_owned(),
                members,
            })
        })
        .collect()
}

/// How the sandbox catalog is made up, for the README, benchmarks and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatalogStats {
    /// Every package: new eSIMs and top-ups.
    pub packages: usize,
    /// Packages sold as a new eSIM.
    pub base_packages: usize,
    /// Packages that add data to an existing eSIM.
    pub top_up_packages: usize,
    /// Countries with single-country packages.
    pub countries: usize,
    /// Regional bundles (areas listed under `!RG`).
    pub regions: usize,
    /// Global coverage sets (areas listed under `!GL`).
    pub global_areas: usize,
    /// New-eSIM packages with global coverage.
    pub global_plans: usize,
}

impl std::fmt::Display for CatalogStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} packages ({} new eSIM, {} top-up) in {} countries, {} regional bundles, \
             {} global plans over {} global areas",
            self.packages,
            self.base_packages,
            self.top_up_packages,
            self.countries,
            self.regions,
            self.global_plans,
            self.global_areas
        )
    }
}

/// The generated packages with the indexes the supplier calls need.
#[derive(Debug)]
pub(super) struct SandboxCatalog {
    /// Every package in generation order; the indexes below point into it.
    packages: Vec<Package>,
    /// The parsed data files, kept to answer the locations call.
    countries: Vec<CountryRow>,
    areas: Vec<AreaRow>,
    by_code: HashMap<String, usize>,
    /// Slugs of new-eSIM packages only: a top-up shares its base package's slug.
    base_by_slug: HashMap<String, usize>,
    /// What a `package/list` call with a location and a type answers.
    by_location: HashMap<(LocationCode, PlanType), Vec<usize>>,
    /// What a call with no location answers: the whole list of one type.
    by_type: HashMap<PlanType, Vec<usize>>,
    /// Top-ups per area (country code or area code): any of them fits any top-up-capable
    /// package of the same area, as with the real supplier.
    top_ups_by_area: HashMap<String, Vec<usize>>,
}

/// The catalog, built on first use and shared by every sandbox supplier.
pub(super) static CATALOG: LazyLock<SandboxCatalog> = LazyLock::new(|| {
    SandboxCatalog::build().unwrap_or_else(|error| panic!("sandbox fixtures are invalid: {error}"))
});

/// Where a package's coverage and price come from.
struct Area<'a> {
    /// The country code or the area code: the slug prefix and the key top-ups share.
    key: &'a str,
    name: &'a str,
    countries: Vec<CountryCode>,
    scope: CoverageScope,
    tier: PriceTier,
    speed: &'a str,
    /// Percent added for coverage of many networks; zero for one country.
    surcharge_percent: i64,
}

impl Area<'_> {
    /// A standard-tier price adjusted for this area, rounded to whole cents. A per-area
    /// variation of up to 8% either way keeps neighbouring countries from costing the same.
    fn price(&self, standard_units: i64) -> Money {
        let variation = 92 + i64::from(Sha256::digest(self.key.as_bytes())[0] % 17);
        let units = i128::from(standard_units)
            * i128::from(self.tier.percent())
            * i128::from(100 + self.surcharge_percent)
            * i128::from(variation);
        let cents = (units + 50_000_000) / 100_000_000;
        Money::from_cents(i64::try_from(cents).unwrap_or(i64::MAX / 100))
    }

    fn activation(&self) -> ActivationTrigger {
        // Roaming-only places start the clock at installation, as their partners do.
        if self.tier == PriceTier::Remote {
            ActivationTrigger::FirstInstallation
        } else {
            ActivationTrigger::FirstNetworkConnection
        }
    }

    fn package(&self, slug: String, name: String, cost: Money) -> Package {
        Package {
            package_code: package_code(&slug),
            slug: Some(slug),
            name,
            package_type: PlanType::Base,
            cost,
            volume_bytes: 0,
            allowance: DataAllowance::Total,
            validity: 0,
            validity_unit: ValidityUnit::Day,
            countries: self.countries.clone(),
            scope: self.scope,
            region_code: (self.scope != CoverageScope::Country).then(|| self.key.to_owned()),
            speed: Some(self.speed.to_owned()),
            top_up_supported: false,
            activation: self.activation(),
        }
    }
}

/// A 10-hex code from the slug, like the supplier's newer codes (`5ca37337b9`), so a
/// package keeps its code as long as its slug does.
fn package_code(slug: &str) -> String {
    let digest = Sha256::digest(format!("bino-sandbox/{slug}").as_bytes());
    hex::encode(&digest[..5])
}

/// The packages of one area: fixed plans, day passes and the top-ups of the fixed plans.
fn area_packages(area: &Area<'_>, fixed_plans: usize, day_passes: usize) -> Vec<Package> {
    let mut packages = Vec::new();
    for &(gib, days, standard) in &FIXED_LADDER[..fixed_plans] {
        let slug = format!("{}_{gib}_{days}", area.key);
        let name = format!("{} {gib}GB {days}Days", area.name);
        let mut package = area.package(slug, name, area.price(standard));
        package.volume_bytes = gib * GIB;
        package.validity = days;
        package.top_up_supported = area.tier != PriceTier::Remote;
        packages.push(package);
    }
    for pass in &DAY_PASSES[..day_passes] {
        let slug = format!("{}_{}_Daily", area.key, pass.slug_volume);
        let name = format!("{} {}", area.name, pass.name_volume);
        let mut package = area.package(slug, name, area.price(pass.price_per_day));
        package.volume_bytes = pass.volume_bytes;
        package.allowance = pass.allowance;
        package.validity = 1;
        packages.push(package);
    }
    let top_ups: Vec<Package> = packages
        .iter()
        .filter(|base| base.top_up_supported && base.volume_bytes <= LARGEST_TOPPED_UP_BYTES)
        .map(|base| Package {
            package_code: format!("{TOP_UP_PREFIX}{}", base.package_code),
            package_type: PlanType::TopUp,
            ..base.clone()
        })
        .collect();
    packages.extend(top_ups);
    packages
}

fn generate(countries: &[CountryRow], areas: &[AreaRow]) -> Vec<Package> {
    let mut packages = Vec::new();
    for row in countries {
        let area = Area {
            key: row.code.as_str(),
            name: &row.name,
            countries: vec![row.code],
            scope: CoverageScope::Country,
            tier: row.tier,
            speed: &row.speed,
            surcharge_percent: 0,
        };
        let (fixed_plans, day_passes) = match (row.tier, row.popular) {
            (PriceTier::Remote, _) => (4, 0),
            (_, false) => (4, 2),
            (_, true) => (6, 3),
        };
        packages.extend(area_packages(&area, fixed_plans, day_passes));
    }
    for row in areas {
        let area = Area {
            key: &row.code,
            name: &row.name,
            // XK is dropped here exactly as when reading the real supplier's lists.
            countries: parse_country_list(&row.members.join(",")),
            scope: row.scope,
            tier: row.tier,
            speed: if row.tier == PriceTier::Remote {
                "3G/4G"
            } else {
                "3G/4G/5G"
            },
            // More networks cost more to reach, up to a point.
            surcharge_percent: (10 + 2 * row.members.len() as i64).min(80),
        };
        let (fixed_plans, day_passes) = match row.scope {
            CoverageScope::Global => (4, 0),
            _ => (5, 2),
        };
        packages.extend(area_packages(&area, fixed_plans, day_passes));
    }
    packages
}

/// The key top-ups share: the country for single-country packages, else the area code.
fn area_key(package: &Package) -> String {
    match (&package.region_code, package.countries.first()) {
        (Some(code), _) => code.clone(),
        (None, Some(country)) => country.as_str().to_owned(),
        (None, None) => String::new(),
    }
}

fn location_of(package: &Package) -> Option<LocationCode> {
    match package.scope {
        CoverageScope::Country => package
            .countries
            .first()
            .copied()
            .map(LocationCode::Country),
        CoverageScope::Regional => Some(LocationCode::Regional),
        CoverageScope::Global => Some(LocationCode::Global),
    }
}

impl SandboxCatalog {
    /// Parses the embedded data files and generates and indexes every package.
    pub(super) fn build() -> Result<Self, FixtureError> {
        Self::from_fixtures(COUNTRIES_TSV, REGIONS_TSV)
    }

    fn from_fixtures(countries_tsv: &str, regions_tsv: &str) -> Result<Self, FixtureError> {
        let countries = parse_countries(countries_tsv)?;
        let areas = parse_areas(regions_tsv)?;
        let packages = generate(&countries, &areas);

        let mut catalog = SandboxCatalog {
            packages: Vec::new(),
            countries,
            areas,
            by_code: HashMap::new(),
            base_by_slug: HashMap::new(),
            by_location: HashMap::new(),
            by_type: HashMap::new(),
            top_ups_by_area: HashMap::new(),
        };
        for (index, package) in packages.iter().enumerate() {
            if catalog
                .by_code
                .insert(package.package_code.clone(), index)
                .is_some()
            {
                return Err(FixtureError {
                    file: "regions.tsv",
                    line: 0,
                    problem: format!("two packages share the code {}", package.package_code),
                });
            }
            if package.package_type == PlanType::Base {
                if let Some(slug) = &package.slug {
                    catalog.base_by_slug.insert(slug.clone(), index);
                }
            } else {
                catalog
                    .top_ups_by_area
                    .entry(area_key(package))
                    .or_default()
                    .push(index);
            }
            if let Some(location) = location_of(package) {
                catalog
                    .by_location
                    .entry((location, package.package_type))
                    .or_default()
                    .push(index);
            }
            catalog
                .by_type
                .entry(package.package_type)
                .or_default()
                .push(index);
        }
        catalog.packages = packages;
        Ok(catalog)
    }

    fn cloned(&self, indexes: Option<&Vec<usize>>) -> Vec<Package> {
        indexes
            .into_iter()
            .flatten()
            .map(|&index| self.packages[index].clone())
            .collect()
    }

    pub(super) fn packages(&self) -> &[Package] {
        &self.packages
    }

    /// Any package by its code, or a new-eSIM package by its slug.
    pub(super) fn find(&self, code_or_slug: &str) -> Option<&Package> {
        self.by_code
            .get(code_or_slug)
            .or_else(|| self.base_by_slug.get(code_or_slug))
            .map(|&index| &self.packages[index])
    }

    /// A package that can be ordered as a new eSIM, by code or slug.
    pub(super) fn base_package(&self, code_or_slug: &str) -> Option<&Package> {
        self.find(code_or_slug)
            .filter(|package| package.package_type == PlanType::Base)
    }

    /// A top-up by its code, or by the slug of its base package as the supplier accepts.
    pub(super) fn top_up_package(&self, code_or_slug: &str) -> Option<&Package> {
        let package = self.find(code_or_slug)?;
        match package.package_type {
            PlanType::TopUp => Some(package),
            PlanType::Base => self
                .by_code
                .get(&format!("{TOP_UP_PREFIX}{}", package.package_code))
                .map(|&index| &self.packages[index]),
        }
    }

    /// The top-ups that fit a package: those of its area, if it can be topped up at all.
    pub(super) fn top_ups_for(&self, base: &Package) -> Vec<Package> {
        if !base.top_up_supported {
            return Vec::new();
        }
        self.cloned(self.top_ups_by_area.get(&area_key(base)))
    }

    /// The top-ups that fit the package with this code or slug; a top-up's code stands
    /// for its base package.
    pub(super) fn top_ups_for_code(&self, code_or_slug: &str) -> Vec<Package> {
        let base_code = code_or_slug
            .strip_prefix(TOP_UP_PREFIX)
            .unwrap_or(code_or_slug);
        self.base_package(base_code)
            .map(|base| self.top_ups_for(base))
            .unwrap_or_default()
    }

    pub(super) fn of_location(&self, location: LocationCode, plan_type: PlanType) -> Vec<Package> {
        self.cloned(self.by_location.get(&(location, plan_type)))
    }

    pub(super) fn of_type(&self, plan_type: PlanType) -> Vec<Package> {
        self.cloned(self.by_type.get(&plan_type))
    }

    /// Every country sold, then every area with its members as the supplier lists them.
    pub(super) fn locations(&self) -> Vec<Location> {
        let countries = self.countries.iter().map(|row| Location {
            code: row.code.as_str().to_owned(),
            name: row.name.clone(),
            members: Vec::new(),
        });
        let areas = self.areas.iter().map(|row| Location {
            code: row.code.clone(),
            name: row.name.clone(),
            members: row.members.clone(),
        });
        countries.chain(areas).collect()
    }

    pub(super) fn stats(&self) -> CatalogStats {
        let count = |location, plan_type| {
            self.by_location
                .get(&(location, plan_type))
                .map_or(0, Vec::len)
        };
        let areas_of = |scope| self.areas.iter().filter(|area| area.scope == scope).count();
        CatalogStats {
            packages: self.packages.len(),
            base_packages: self.by_type.get(&PlanType::Base).map_or(0, Vec::len),
            top_up_packages: self.by_type.get(&PlanType::TopUp).map_or(0, Vec::len),
            countries: self.countries.len(),
            regions: areas_of(CoverageScope::Regional),
            global_areas: areas_of(CoverageScope::Global),
            global_plans: count(LocationCode::Global, PlanType::Base),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(code: &str) -> CountryCode {
        code.parse().unwrap()
    }

    #[test]
    fn the_catalog_is_about_two_thousand_packages_over_many_places() {
        let stats = CATALOG.stats();

        assert!(stats.packages >= 1_800, "{stats:?}");
        assert!(stats.countries >= 150, "{stats:?}");
        assert!(stats.regions >= 20, "{stats:?}");
        assert!(stats.global_plans >= 3, "{stats:?}");
        assert_eq!(stats.packages, stats.base_packages + stats.top_up_packages);
    }

    #[test]
    fn building_the_catalog_twice_gives_the_same_packages() {
        let first = SandboxCatalog::build().unwrap();
        let second = SandboxCatalog::build().unwrap();

        assert_eq!(first.packages, second.packages);
        assert_eq!(first.locations(), second.locations());
    }

    #[test]
    fn codes_slugs_and_volumes_look_like_the_suppliers() {
        for package in CATALOG.packages() {
            let code = package
                .package_code
                .strip_prefix(TOP_UP_PREFIX)
                .unwrap_or(&package.package_code);
            assert_eq!(code.len(), 10, "{package:?}");
            assert!(code.bytes().all(|b| b.is_ascii_hexdigit()), "{package:?}");
            assert_eq!(
                package.package_code.starts_with(TOP_UP_PREFIX),
                package.package_type == PlanType::TopUp
            );
            assert!(package.cost > Money::ZERO, "{package:?}");
            assert_eq!(
                package.cost.units() % 100,
                0,
                "prices are whole cents: {package:?}"
            );
            assert!(!package.countries.is_empty(), "{package:?}");
        }
        assert!(
            CATALOG
                .packages()
                .iter()
                .any(|p| p.volume_bytes > u64::from(u32::MAX))
        );
    }

    #[test]
    fn japan_sells_a_week_of_one_gigabyte_for_about_two_dollars() {
        let package = CATALOG.base_package("JP_1_7").unwrap();

        assert_eq!(package.name, "Japan 1GB 7Days");
        assert_eq!(package.volume_bytes, GIB);
        assert_eq!(
            (package.validity, package.validity_unit),
            (7, ValidityUnit::Day)
        );
        assert!(
            (18_000..=22_000).contains(&package.cost.units()),
            "{}",
            package.cost
        );
        assert_eq!(package.countries, [country("JP")]);
        assert_eq!(
            package.activation,
            ActivationTrigger::FirstNetworkConnection
        );
        assert!(package.top_up_supported);
    }

    #[test]
    fn price_tiers_order_the_same_plan_from_cheap_to_remote() {
        let cost = |slug: &str| CATALOG.base_package(slug).unwrap().cost;

        assert!(cost("TH_1_7") < cost("JP_1_7"));
        assert!(cost("JP_1_7") < cost("BR_1_7"));
        assert!(cost("BR_1_7") < cost("FJ_1_7"));
    }

    #[test]
    fn day_passes_are_priced_per_day_and_named_per_day() {
        let cases = [
            (
                "JP_0.5_Daily",
                "Japan 500MB/Day",
                500 * MIB,
                DataAllowance::DailyThenReducedSpeed,
            ),
            (
                "JP_1_Daily",
                "Japan 1GB/Day",
                GIB,
                DataAllowance::DailyThenReducedSpeed,
            ),
            (
                "JP_Unlimited_Daily",
                "Japan Unlimited/Day",
                2 * GIB,
                DataAllowance::DailyUnlimited,
            ),
        ];
        for (slug, name, volume, allowance) in cases {
            let package = CATALOG.base_package(slug).unwrap();
            assert_eq!(package.name, name);
            assert_eq!(package.volume_bytes, volume, "{slug}");
            assert_eq!(package.allowance, allowance, "{slug}");
            assert_eq!(package.validity, 1, "{slug}");
            assert!(!package.top_up_supported, "{slug}");
        }
    }

    #[test]
    fn remote_places_start_at_installation_and_cannot_be_topped_up() {
        let package = CATALOG.base_package("FJ_1_7").unwrap();

        assert_eq!(package.activation, ActivationTrigger::FirstInstallation);
        assert!(!package.top_up_supported);
        assert!(CATALOG.top_ups_for(package).is_empty());
    }

    #[test]
    fn regional_bundles_carry_their_code_and_members() {
        let package = CATALOG.base_package("NA-3_1_7").unwrap();

        assert_eq!(package.name, "North America 1GB 7Days");
        assert_eq!(package.scope, CoverageScope::Regional);
        assert_eq!(package.region_code.as_deref(), Some("NA-3"));
        assert_eq!(
            package.countries,
            [country("CA"), country("MX"), country("US")]
        );
    }

    #[test]
    fn global_plans_cover_greenland_and_drop_kosovo() {
        let globals = CATALOG.of_location(LocationCode::Global, PlanType::Base);

        assert!(
            globals
                .iter()
                .all(|p| p.scope == CoverageScope::Global && p.countries.len() >= 120)
        );
        let widest = CATALOG.base_package("GL-139_1_7").unwrap();
        assert!(widest.countries.contains(&country("GL")));
        assert_eq!(
            widest.countries.len(),
            138,
            "XK is not an ISO code and is dropped"
        );
        let listed = CATALOG
            .locations()
            .into_iter()
            .find(|l| l.code == "GL-139")
            .unwrap();
        assert!(
            listed.members.iter().any(|m| m == "XK"),
            "the supplier's list keeps XK"
        );
    }

    #[test]
    fn top_ups_fit_every_top_up_capable_package_of_their_area() {
        let base = CATALOG.base_package("JP_3_15").unwrap();

        let top_ups = CATALOG.top_ups_for(base);

        let codes: Vec<&str> = top_ups.iter().map(|p| p.package_code.as_str()).collect();
        assert_eq!(codes.len(), 5, "{codes:?}");
        assert!(codes.contains(&format!("TOPUP_{}", base.package_code).as_str()));
        assert!(
            top_ups
                .iter()
                .all(|p| p.countries == [country("JP")] && p.scope == CoverageScope::Country)
        );
        assert_eq!(CATALOG.top_ups_for_code("JP_3_15"), top_ups);
        assert_eq!(
            CATALOG.top_up_package("JP_1_7").unwrap().package_type,
            PlanType::TopUp
        );
    }

    #[test]
    fn bad_fixture_lines_are_reported_with_file_and_line() {
        let header = "# code\ttier\tspeed\tpopular\tname\n";
        let cases = [
            ("JP\tstandard\t4G/5G\tyes\n", None),
            (
                "ZZ\tstandard\t4G/5G\tyes\n",
                Some("countries.tsv line 2: \"ZZ\" is not an ISO country code"),
            ),
            (
                "JP\tluxury\t4G/5G\tyes\n",
                Some("countries.tsv line 2: unknown tier \"luxury\""),
            ),
            (
                "JP\tstandard\t4G/5G\n",
                Some("countries.tsv line 2: expected at least 4 fields, got 3"),
            ),
        ];
        for (line, expected) in cases {
            let result = parse_countries(&format!("{header}{line}"));
            assert_eq!(
                result.err().map(|e| e.to_string()).as_deref(),
                expected,
                "{line:?}"
            );
        }
        let area = parse_areas("EU-2\tregional\tstandard\tTwo\tFR,QQ\n").unwrap_err();
        assert_eq!(
            area.to_string(),
            "regions.tsv line 1: member \"QQ\" is not an ISO country code"
        );
    }
}
