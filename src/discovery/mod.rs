//! Discovery: from a traveller's own words to a [`TripQuery`] (where, how long, how much data).
//!
//! Two extractors read the text. The local one is always on, offline and fast: a
//! gazetteer of countries in many languages, cities, islands and regions, with typo
//! tolerance. The LLM one is asked only when the local reading is not confident (or always,
//! when configured so), and any failure of it falls back to the local reading.

pub mod eval;
pub mod llm;
pub mod local;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::{CountryCode, TripNeeds};

use self::llm::LlmExtractor;
use self::local::LocalExtractor;

/// Which extractor produced a reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[default]
    Local,
    Llm,
}

/// One piece of the text and what it was taken to mean, so a reply can say "I understood
/// Bali as Indonesia" and a traveller can correct it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Understood {
    /// The words as the traveller wrote them.
    pub text: String,
    /// What they were read as: an ISO code, a region name, "14 days", "5 GB", ...
    pub meaning: String,
}

/// What a traveller asked for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TripQuery {
    /// Every country of the trip, region members included, sorted and unique.
    #[schema(value_type = Vec<String>, example = json!(["JP", "KR"]))]
    pub countries: BTreeSet<CountryCode>,
    /// Named regions ("Europe", "Southeast Asia"), whose members are in `countries`.
    pub regions: Vec<String>,
    /// The traveller wants coverage (almost) everywhere.
    pub global: bool,
    /// Trip length in days, when given.
    pub days: Option<u32>,
    /// Data the traveller expects to need, in bytes, when given.
    pub data_bytes: Option<u64>,
    /// The traveller asked for unlimited data.
    pub unlimited: bool,
    /// The pieces of text that were understood.
    pub understood: Vec<Understood>,
    /// Which extractor produced this reading.
    pub source: Source,
}

impl TripQuery {
    /// Whether the query names any destination at all.
    pub fn has_destination(&self) -> bool {
        self.global || !self.countries.is_empty()
    }
}

/// A reading and how sure its extractor is of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub query: TripQuery,
    /// False when part of the text looked like a place but could not be placed, or the
    /// reading is ambiguous: the cue to ask the LLM.
    pub confident: bool,
}

impl TripQuery {
    /// What the trip needs, in the catalog's terms.
    pub fn needs(&self) -> TripNeeds {
        TripNeeds {
            countries: self.countries.clone(),
            days: self.days,
            data_bytes: self.data_bytes,
            unlimited: self.unlimited,
        }
    }
}

/// When the LLM is asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LlmMode {
    /// Only when the local reading is not confident: fast and cheap for clear messages.
    #[default]
    WhenUnsure,
    /// For every message, the local reading being the fallback.
    Always,
}

/// Reads traveller messages: locally, and through an LLM when one is configured and needed.
pub struct Discovery {
    llm: Option<LlmExtractor>,
    mode: LlmMode,
}

impl Discovery {
    pub fn new(llm: Option<LlmExtractor>, mode: LlmMode) -> Self {
        Discovery { llm, mode }
    }

    /// The local extractor alone.
    pub fn local_only() -> Self {
        Discovery {
            llm: None,
            mode: LlmMode::WhenUnsure,
        }
    }

    /// The best reading of `text`. Never fails: any LLM failure falls back to the local
    /// reading.
    pub async fn understand(&self, text: &str) -> TripQuery {
        let local = LocalExtractor::global().read(text);
        let Some(llm) = &self.llm else {
            return local.query;
        };
        if self.mode == LlmMode::WhenUnsure && local.confident {
            return local.query;
        }
        match llm.read(text).await {
            Ok(mut reading) => {
                metrics::counter!("bino_discovery_llm_total", "outcome" => "ok").increment(1);
                if !reading.has_destination() && local.query.has_destination() {
                    return local.query;
                }
                // The model may skip details the local reader is reliable at.
                reading.days = reading.days.or(local.query.days);
                reading.data_bytes = reading.data_bytes.or(local.query.data_bytes);
                reading.unlimited |= local.query.unlimited;
                reading
            }
            Err(error) => {
                metrics::counter!("bino_discovery_llm_total", "outcome" => "fallback").increment(1);
                tracing::warn!(%error, "LLM reading failed, using the local reading");
                local.query
            }
        }
    }
}
