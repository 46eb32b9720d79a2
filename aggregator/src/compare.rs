//! This year against last year, through the mergers: each unit's SIPAS,
//! components and PAR survey points beside last year's, last year's taken
//! from the pooled answers of the units it absorbed (the campaign's
//! lineage; a unit kept under its code is its own predecessor). Whether a
//! change in SIPAS is beyond what sampling alone would give is tested on
//! the difference (a z test of two independent estimates, each with its
//! 95 % interval), not on whether the two intervals overlap.

use crate::report::{Figures, Report};
use crate::stats::Interval;
use crate::tally::Aggregate;
use serde::Serialize;
use sipas_shared::Campaign;
use std::collections::BTreeSet;

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
    fn new(this: Option<f64>, last: Option<f64>, ci_this: Option<Interval>, ci_last: Option<Interval>) -> Self {
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
}

/// This campaign against the one it follows.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The campaign compared with (its id, name, year).
    pub previous: String,
    pub previous_name: String,
    pub previous_year: i32,
    pub units: Vec<UnitChange>,
    pub total: UnitChange,
}

fn f(s: Option<crate::stats::Shown>) -> Option<f64> {
    s.map(crate::indices::as_f64)
}

fn unit_change(
    unit: &str,
    name: &str,
    from: Vec<String>,
    from_names: Vec<String>,
    this: &Figures,
    last: &Figures,
) -> UnitChange {
    let (s1, s0) = (this.sipas.as_ref(), last.sipas.as_ref());
    let components = s1
        .iter()
        .flat_map(|s| &s.components)
        .map(|c| {
            let before =
                s0.and_then(|s| s.components.iter().find(|x| x.component == c.component)).and_then(|x| x.index);
            (c.name.clone(), Change::new(f(c.index), f(before), None, None))
        })
        .collect();
    UnitChange {
        unit: unit.to_owned(),
        name: name.to_owned(),
        from,
        from_names,
        last_year_responses: last.responses,
        sipas: Change::new(
            f(s1.and_then(|s| s.index)),
            f(s0.and_then(|s| s.index)),
            s1.and_then(|s| s.ci95),
            s0.and_then(|s| s.ci95),
        ),
        components,
        par_survey: Change::new(
            f(this.par_survey.as_ref().and_then(|p| p.index)),
            f(last.par_survey.as_ref().and_then(|p| p.index)),
            None,
            None,
        ),
    }
}

/// Last year's units behind a unit of this year: those the lineage names,
/// else the unit of the same code, if last year had it.
pub fn predecessors(campaign: &Campaign, previous: &Campaign, unit: &str) -> Vec<String> {
    let named: Vec<String> = campaign.lineage.iter().filter(|p| p.unit == unit).map(|p| p.from.clone()).collect();
    if !named.is_empty() {
        return named;
    }
    previous.unit(unit).map(|u| vec![u.code.to_string()]).unwrap_or_default()
}

/// The report's units (those that carry quotas) and its total against last
/// year's answers (`last`, the aggregate of `previous`).
pub fn compare(report: &Report, campaign: &Campaign, previous: &Campaign, last: &Aggregate<'_>) -> Comparison {
    let units = report
        .units
        .iter()
        .filter(|u| !u.quota.is_empty())
        .map(|u| {
            let from = predecessors(campaign, previous, &u.unit);
            let set: BTreeSet<&str> = from.iter().map(String::as_str).collect();
            let before = crate::report::figures(last, |k| set.contains(k.unit.as_str()));
            let names = from.iter().map(|c| previous.unit(c).map_or_else(|| c.clone(), |x| x.name.clone())).collect();
            unit_change(&u.unit, &u.name, from.clone(), names, &u.figures, &before)
        })
        .collect();
    let all = crate::report::figures(last, |_| true);
    Comparison {
        previous: previous.id.clone(),
        previous_name: previous.name.clone(),
        previous_year: previous.year,
        units,
        total: unit_change("", "Toàn đợt", Vec::new(), Vec::new(), &report.totals.figures, &all),
    }
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
