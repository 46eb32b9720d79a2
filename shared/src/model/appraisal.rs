//! The appraisal council's points of the composite PAR INDEX (METHOD §4).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One appraised criterion of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appraisal {
    pub unit: String,
    pub area: String,
    pub criterion: String,
    pub max_points: Decimal,
    pub self_points: Option<Decimal>,
    pub appraised_points: Decimal,
    pub line: usize,
}
