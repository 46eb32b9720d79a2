//! The comparison with last year ([`crate::compare`]) worked out from this
//! year's report and last year's answers: each unit's figures against
//! those of the units it absorbed, pooled.

use crate::compare::{Change, Comparison, UnitChange};
use crate::report::{Figures, Report};
use crate::tally::Aggregate;
use sipas_shared::Campaign;
use std::collections::BTreeSet;

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
            let before = s0.and_then(|s| s.component_index(&c.component));
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
