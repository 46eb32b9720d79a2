//! This year against last year, through the mergers (the figures here;
//! `trend` computes them from a report and last year's answers): each unit's SIPAS,
//! components and PAR survey points beside last year's, last year's taken
//! from the pooled answers of the units it absorbed (the campaign's
//! lineage; a unit kept under its code is its own predecessor). Whether a
//! change in SIPAS is beyond what sampling alone would give is tested on
//! the difference (a z test of two independent estimates, each with its
//! 95 % interval), not on whether the two intervals overlap.

use crate::stats::Interval;
use serde::Serialize;

/// The two-sided 95 % normal quantile.
const Z95: f64 = 1.959964;

/// One figure this year and last year.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub this_year: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_year: Option<f64>,
    /// this − last, in points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95_this_year: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95_last_year: Option<Interval>,
    /// The change ÷ its standard error (√(se₁² + se₂²), each se from its
    /// interval: width ÷ (2 × 1.959964)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
    /// |z| > 1.959964: beyond what sampling alone would give, at 95 %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beyond_chance: Option<bool>,
}

impl Change {
    /// The change from `last` to `this`, tested when both have intervals.
    pub fn new(this: Option<f64>, last: Option<f64>, ci_this: Option<Interval>, ci_last: Option<Interval>) -> Self {
        // The published figures have two places; so has their difference.
        let change = this.zip(last).map(|(a, b)| ((a - b) * 100.0).round() / 100.0);
        let se = |i: Interval| (i.1 - i.0) / (2.0 * Z95);
        let z = match (change, ci_this, ci_last) {
            (Some(d), Some(a), Some(b)) => {
                let s = (se(a).powi(2) + se(b).powi(2)).sqrt();
                (s > 0.0).then(|| d / s)
            }
            _ => None,
        };
        Self {
            this_year: this,
            last_year: last,
            change,
            ci95_this_year: ci_this,
            ci95_last_year: ci_last,
            beyond_chance: z.map(|z| z.abs() > Z95),
            z: z.map(|z| (z * 1e4).round() / 1e4),
        }
    }
}

/// One unit of this year against its predecessors.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UnitChange {
    pub unit: String,
    pub name: String,
    /// Last year's units whose answers make its last-year figures.
    pub from: Vec<String>,
    /// Their names, as last year's campaign had them.
    pub from_names: Vec<String>,
    /// Answers last year, pooled over `from`.
    pub last_year_responses: u64,
    pub sipas: Change,
    /// (component, change), in the questionnaire's order.
    pub components: Vec<(String, Change)>,
    /// The PAR survey share (points ÷ maximum × 100).
    pub par_survey: Change,
    /// The composite PAR INDEX (%), last year's the mean over the units absorbed.
    pub par_index: Change,
}

/// This campaign against the one it follows.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The campaign compared with (its id, name, year).
    pub previous: String,
    pub previous_name: String,
    pub previous_year: i32,
    /// What last year's figures rest on: `responses` (last year's answers,
    /// pooled over the units absorbed) or `published` (the figures last
    /// year's report printed, their mean weighted by answers).
    pub basis: &'static str,
    /// The same, in words, for every table and sentence that shows the comparison.
    pub basis_note: String,
    pub units: Vec<UnitChange>,
    pub total: UnitChange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_tested_on_the_difference_not_on_overlapping_intervals() {
        // 80 ± 3,92 against 70 ± 5,88: se 2 and 3, √13 = 3,6056, z = 10 ÷ 3,6056 = 2,7735.
        let c = Change::new(Some(80.0), Some(70.0), Some(Interval(76.08, 83.92)), Some(Interval(64.12, 75.88)));
        assert_eq!(c.change, Some(10.0));
        assert!((c.z.expect("z") - 2.7735).abs() < 1e-3, "{c:?}");
        assert_eq!(c.beyond_chance, Some(true));
        // 75 ± 3,92 against 70 ± 3,92: z = 5 ÷ 2,8284 = 1,77, within chance.
        let c = Change::new(Some(75.0), Some(70.0), Some(Interval(71.08, 78.92)), Some(Interval(66.08, 73.92)));
        assert!((c.z.expect("z") - 1.7678).abs() < 1e-3);
        assert_eq!(c.beyond_chance, Some(false));
        // 77 ± 3,92 against 70 ± 3,92: the intervals overlap (73,08 < 73,92),
        // yet z = 7 ÷ 2,8284 = 2,47: a change beyond chance, which the
        // overlap rule would have missed.
        let c = Change::new(Some(77.0), Some(70.0), Some(Interval(73.08, 80.92)), Some(Interval(66.08, 73.92)));
        assert!((c.z.expect("z") - 2.4749).abs() < 1e-3);
        assert_eq!(c.beyond_chance, Some(true));
        // Without last year's figure there is no change and no test.
        let c = Change::new(Some(77.0), None, Some(Interval(73.08, 80.92)), None);
        assert_eq!((c.change, c.z, c.beyond_chance), (None, None, None));
    }
}
