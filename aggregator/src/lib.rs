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
