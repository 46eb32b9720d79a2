//! The aggregator: SIPAS indices, survey-based PAR criterion scores, breakdowns
//! and exports. Statistics are pure functions over tallies; store reads and file
//! writers sit at the edges (`load`, `export`, `render`).

pub mod answers;
pub mod codebook;
pub mod compare;
pub mod crosstab;
pub mod design;
pub mod disclosure;
pub mod export;
pub mod filter;
pub mod funnel;
pub mod indices;
pub mod load;
pub mod numbers;
pub mod par_index;
pub mod render;
pub mod report;
pub mod stats;
pub mod tally;
pub mod themes;
pub mod trend;
pub mod web;
pub mod weighted;

pub use tally::{Aggregate, CellKey};

/// The examples' campaigns, for the unit tests.
#[cfg(test)]
pub(crate) mod examples {
    /// `examples/province-2026`: a province of communes with a household group.
    pub fn province() -> sipas_shared::Campaign {
        sipas_shared::Campaign::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/province-2026/campaign.toml"),
        )
        .expect("the province example loads")
    }
}
