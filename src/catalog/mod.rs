//! The catalog domain: packages as the supplier sells them, plans as Bino sells them.
//!
//! A [`Package`] is the supplier's product at the supplier's cost. A [`Plan`] is the same
//! product as shown to buyers: marked-up price, readable title, coverage spelled out. This
//! module does no I/O, so searching, filtering and ranking are plain functions over data.

mod location;
mod money;
mod recommend;
mod search;

pub use location::{CountryCode, InvalidLocation, LocationCode, parse_country_list};
pub use money::{InvalidMoney, Money};
pub use recommend::{Recommendation, TripNeeds, recommend};
pub use search::{SearchFilters, SortOrder, search};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Bytes in one gibibyte; the supplier's "1GB" is 2^30 bytes.
pub const GIB: u64 = 1 << 30;
/// Bytes in one mebibyte.
pub const MIB: u64 = 1 << 20;

/// Whether a package is a new eSIM or extra data for an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PlanType {
    Base,
    #[serde(rename = "TOPUP")]
    TopUp,
}

impl PlanType {
    pub fn as_str(&self) -> &'static str {
        match self {
            PlanType::Base => "BASE",
            PlanType::TopUp => "TOPUP",
        }
    }
}

/// When the validity clock of a plan starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivationTrigger {
    /// The clock starts when the profile is installed on a phone.
    FirstInstallation,
    /// The clock starts on the first connection to a network abroad, so buying early is safe.
    FirstNetworkConnection,
}

/// How the data volume is granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataAllowance {
    /// One volume for the whole validity.
    Total,
    /// The volume renews every day; past it the speed is reduced.
    DailyThenReducedSpeed,
    /// The volume renews every day; past it the service stops until the next day.
    DailyThenCutOff,
    /// No daily cap.
    DailyUnlimited,
}

impl DataAllowance {
    pub fn is_daily(&self) -> bool {
        !matches!(self, DataAllowance::Total)
    }
}

/// Unit of a validity period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ValidityUnit {
    Day,
    Month,
}

/// How a package's coverage was classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageScope {
    Country,
    Regional,
    Global,
}

/// A product as the supplier sells it, at the supplier's cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// The supplier's identifier, used to order.
    pub package_code: String,
    /// The supplier's human-friendly alias (`JP_1_7`); its prefix names a region (`EU-42`).
    pub slug: Option<String>,
    pub name: String,
    pub package_type: PlanType,
    /// What the supplier charges us.
    pub cost: Money,
    pub volume_bytes: u64,
    pub allowance: DataAllowance,
    pub validity: u32,
    pub validity_unit: ValidityUnit,
    /// Every ISO country where the package works, sorted.
    pub countries: Vec<CountryCode>,
    pub scope: CoverageScope,
    /// The supplier's code for a multi-country area (`EU-42`), when it has one.
    pub region_code: Option<String>,
    pub speed: Option<String>,
    pub top_up_supported: bool,
    pub activation: ActivationTrigger,
}

impl Package {
    /// Validity expressed in days, counting a month as 30 days as the supplier does.
    pub fn validity_days(&self) -> u32 {
        match self.validity_unit {
            ValidityUnit::Day => self.validity,
            ValidityUnit::Month => self.validity.saturating_mul(30),
        }
    }

    /// "1 GB for 7 DAY(s)", "500 MB/day for 5 DAY(s)": a title that reads the same for
    /// every supplier's naming habits.
    pub fn title(&self) -> String {
        use std::fmt::Write;

        let unit = match self.validity_unit {
            ValidityUnit::Day => "DAY",
            ValidityUnit::Month => "MONTH",
        };
        // Written into one buffer: a search titles every plan it returns.
        let mut title = String::with_capacity(32);
        if self.allowance == DataAllowance::DailyUnlimited {
            title.push_str("Unlimited");
        } else {
            write_volume(&mut title, self.volume_bytes);
            if self.allowance.is_daily() {
                title.push_str("/day");
            }
        }
        let _ = write!(title, " for {} {unit}(s)", self.validity);
        title
    }

    /// The package seen by a buyer, with the margin added to its cost.
    pub fn to_plan(&self, margin_percent: u32) -> Plan {
        let locations_covered = match (self.scope, &self.region_code) {
            (CoverageScope::Global, _) => "Global".to_owned(),
            (CoverageScope::Regional, Some(region)) => region.clone(),
            _ => self.country_list(),
        };
        Plan {
            package_code: self.package_code.clone(),
            name: self.name.clone(),
            name_title: self.title(),
            price: self.cost.with_margin(margin_percent),
            currency: "USD",
            data_volume_bytes: self.volume_bytes,
            data_allowance: self.allowance,
            validity_duration: self.validity,
            validity_unit: self.validity_unit,
            locations_covered,
            covered_countries: self.countries.clone(),
            speed: self.speed.clone(),
            is_top_up_supported: self.top_up_supported,
            active_type: self.activation,
            plan_type: self.package_type,
        }
    }
}

impl Package {
    /// The countries as `JP,KR`, sized up front.
    fn country_list(&self) -> String {
        let mut list = String::with_capacity(self.countries.len() * 3);
        for (index, country) in self.countries.iter().enumerate() {
            if index > 0 {
                list.push(',');
            }
            list.push_str(country.as_str());
        }
        list
    }
}

/// "1 GB", "500 MB", "1.5 GB": binary units, as the supplier names them.
pub fn format_volume(bytes: u64) -> String {
    let mut volume = String::with_capacity(8);
    write_volume(&mut volume, bytes);
    volume
}

fn write_volume(out: &mut String, bytes: u64) {
    use std::fmt::Write;

    let _ = if bytes >= GIB {
        let tenths = (bytes * 10 + GIB / 2) / GIB;
        if tenths.is_multiple_of(10) {
            write!(out, "{} GB", tenths / 10)
        } else {
            write!(out, "{}.{} GB", tenths / 10, tenths % 10)
        }
    } else {
        write!(out, "{} MB", (bytes + MIB / 2) / MIB)
    };
}

/// A plan of the public contract: what a business or a traveller is offered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    #[serde(rename = "packageCode")]
    pub package_code: String,
    pub name: String,
    /// A uniform title such as "1 GB for 7 DAY(s)".
    pub name_title: String,
    /// Price in US dollars as a decimal string, margin included.
    #[schema(value_type = String, example = "6.84")]
    pub price: Money,
    pub currency: &'static str,
    pub data_volume_bytes: u64,
    /// Whether `data_volume_bytes` is for the whole validity or for each day.
    pub data_allowance: DataAllowance,
    pub validity_duration: u32,
    pub validity_unit: ValidityUnit,
    /// One country code, a region code, or "Global".
    pub locations_covered: String,
    /// Every ISO country code the plan works in.
    #[schema(value_type = Vec<String>, example = json!(["JP"]))]
    pub covered_countries: Vec<CountryCode>,
    pub speed: Option<String>,
    pub is_top_up_supported: bool,
    #[serde(rename = "activeType")]
    pub active_type: ActivationTrigger,
    #[serde(rename = "type")]
    pub plan_type: PlanType,
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A one-country package with sensible defaults, for tests of search and ranking.
    pub fn package(code: &str, country: &str, cost_units: i64, gib: u64, days: u32) -> Package {
        Package {
            package_code: code.to_owned(),
            slug: None,
            name: format!("{country} {gib}GB {days}Days"),
            package_type: PlanType::Base,
            cost: Money::from_units(cost_units),
            volume_bytes: gib * GIB,
            allowance: DataAllowance::Total,
            validity: days,
            validity_unit: ValidityUnit::Day,
            countries: vec![country.parse().unwrap()],
            scope: CoverageScope::Country,
            region_code: None,
            speed: Some("4G/5G".to_owned()),
            top_up_supported: true,
            activation: ActivationTrigger::FirstNetworkConnection,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::package;
    use super::*;

    #[test]
    fn titles_read_uniformly() {
        let mut pkg = package("P1", "JP", 10_000, 1, 7);
        assert_eq!(pkg.title(), "1 GB for 7 DAY(s)");
        pkg.volume_bytes = 500 * MIB;
        pkg.allowance = DataAllowance::DailyThenReducedSpeed;
        pkg.validity = 1;
        assert_eq!(pkg.title(), "500 MB/day for 1 DAY(s)");
        pkg.volume_bytes = 3 * GIB / 2;
        pkg.allowance = DataAllowance::Total;
        assert_eq!(pkg.title(), "1.5 GB for 1 DAY(s)");
        pkg.allowance = DataAllowance::DailyUnlimited;
        assert_eq!(pkg.title(), "Unlimited for 1 DAY(s)");
    }

    #[test]
    fn a_plan_carries_the_margin_and_its_coverage() {
        let mut pkg = package("CKH491", "US", 57_000, 1, 7);
        pkg.countries = parse_country_list("MX,US,CA");
        pkg.scope = CoverageScope::Regional;
        pkg.region_code = Some("NA-3".to_owned());
        let plan = pkg.to_plan(20);
        assert_eq!(plan.price, Money::from_units(68_400));
        assert_eq!(plan.locations_covered, "NA-3");
        assert_eq!(plan.covered_countries, ["CA", "MX", "US"]);

        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["packageCode"], "CKH491");
        assert_eq!(json["price"], "6.84");
        assert_eq!(json["type"], "BASE");
        assert_eq!(json["activeType"], "first_network_connection");
        assert_eq!(json["name_title"], "1 GB for 7 DAY(s)");
    }

    #[test]
    fn global_plans_say_global() {
        let mut pkg = package("GL1", "US", 10_000, 1, 7);
        pkg.scope = CoverageScope::Global;
        assert_eq!(pkg.to_plan(20).locations_covered, "Global");
    }
}
