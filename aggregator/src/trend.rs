//! The comparison with last year ([`crate::compare`]) worked out from this
//! year's report and last year's answers: each unit's figures against
//! those of the units it absorbed, pooled.

use crate::compare::{Change, Comparison, UnitChange};
use crate::report::{Figures, Report};
use crate::tally::Aggregate;
use rust_decimal::Decimal;
use sipas_shared::Campaign;
use sipas_shared::model::lineage::PublishedFigures;
use std::collections::BTreeSet;

fn f(s: Option<crate::stats::Shown>) -> Option<f64> {
    s.map(crate::indices::as_f64)
}

/// The words under every comparison, by what last year rests on.
pub const FROM_RESPONSES: &str = "Năm trước tính lại từ phiếu trả lời của đợt trước, gộp phiếu của các đơn vị cũ nay thuộc đơn vị mới; \
     PAR INDEX năm trước là trung bình cộng PAR INDEX của các đơn vị cũ (mỗi đơn vị được thẩm định riêng).";
pub const FROM_PUBLISHED: &str = "Năm trước lấy từ số liệu đã công bố của các đơn vị cũ (tệp kết quả năm trước), trung bình theo số phiếu; \
     PAR INDEX là trung bình của các đơn vị cũ. Không có khoảng tin cậy năm trước nên không kiểm định thay đổi.";

/// A unit's composite PAR INDEX as its report shows it: %, two places.
fn par_pct(p: Option<&crate::par_index::ParIndex>) -> Option<Decimal> {
    p.map(|p| p.pct.rounded())
}

/// This year's campaign-wide PAR INDEX beside last year's: the plain mean
/// of the report's units' (those that carry quotas), unrounded.
fn units_par_mean(report: &Report) -> Option<Decimal> {
    let this_year: Vec<Decimal> =
        report.units.iter().filter(|u| !u.quota.is_empty()).filter_map(|u| par_pct(u.par_index.as_ref())).collect();
    (!this_year.is_empty()).then(|| this_year.iter().sum::<Decimal>() / Decimal::from(this_year.len()))
}

/// The mean of PAR INDEX figures as each was shown (two places), itself
/// rounded half up to two places: what an office gets averaging the
/// printed figures.
fn mean(values: impl Iterator<Item = Decimal>) -> Option<f64> {
    let (sum, n) = values.fold((Decimal::ZERO, 0u32), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| crate::indices::as_f64(crate::stats::Shown(sum / Decimal::from(n))))
}

#[allow(clippy::too_many_arguments)]
fn unit_change(
    unit: &str,
    name: &str,
    from: Vec<String>,
    from_names: Vec<String>,
    this: &Figures,
    last: &Figures,
    par_index: (Option<Decimal>, Option<f64>),
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
        par_index: Change::new(
            par_index.0.map(|d| crate::indices::as_f64(crate::stats::Shown(d))),
            par_index.1,
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
///
/// Last year's PAR INDEX of an old unit is computed as last year's report
/// computed it, from its appraisal (`appraisals`) and its own answers; a
/// merged unit's is the mean over the units it absorbed.
pub fn compare(
    report: &Report,
    campaign: &Campaign,
    previous: &Campaign,
    last: &Aggregate<'_>,
    appraisals: &[sipas_shared::model::appraisal::Appraisal],
) -> Comparison {
    let old_par = |code: &str| {
        let own = crate::report::figures(last, |k| k.unit == code);
        let sipas = own.sipas.as_ref().and_then(|s| s.index).map(|s| s.0);
        par_pct(crate::par_index::composite(previous, code, appraisals, &own.par_criteria, sipas).as_ref())
    };
    let units: Vec<UnitChange> = report
        .units
        .iter()
        .filter(|u| !u.quota.is_empty())
        .map(|u| {
            let from = predecessors(campaign, previous, &u.unit);
            let set: BTreeSet<&str> = from.iter().map(String::as_str).collect();
            let before = crate::report::figures(last, |k| set.contains(k.unit.as_str()));
            let names = from.iter().map(|c| previous.unit(c).map_or_else(|| c.clone(), |x| x.name.clone())).collect();
            let par = (par_pct(u.par_index.as_ref()), mean(from.iter().filter_map(|c| old_par(c))));
            unit_change(&u.unit, &u.name, from.clone(), names, &u.figures, &before, par)
        })
        .collect();
    let all = crate::report::figures(last, |_| true);
    let par_total = (units_par_mean(report), mean(previous.units.iter().filter_map(|u| old_par(u.code.as_str()))));
    Comparison {
        previous: previous.id.clone(),
        previous_name: previous.name.clone(),
        previous_year: previous.year,
        basis: "responses",
        basis_note: FROM_RESPONSES.into(),
        total: unit_change("", "Toàn đợt", Vec::new(), Vec::new(), &report.totals.figures, &all, par_total),
        units,
    }
}

/// The figures of the old units `from` as published, their mean weighted
/// by the answers behind each: (answers, mean) of what `value` gives.
fn weighted(
    published: &[&PublishedFigures],
    value: impl Fn(&PublishedFigures) -> Option<rust_decimal::Decimal>,
) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u64);
    for p in published {
        if let Some(v) = value(p) {
            sum += crate::indices::as_f64(crate::stats::Shown(v)) * p.responses as f64;
            n += p.responses;
        }
    }
    (n > 0).then(|| ((sum / n as f64) * 100.0).round() / 100.0)
}

/// This year against the figures last year's report published
/// (`previous_figures_csv`), for a campaign whose previous year was not run
/// in the product: each metric the answer-weighted mean over the old units a
/// unit absorbed; no interval, so no test.
pub fn compare_published(report: &Report, campaign: &Campaign, previous: &str) -> Comparison {
    let by_code: std::collections::BTreeMap<&str, &PublishedFigures> =
        campaign.previous_figures.iter().map(|p| (p.unit.as_str(), p)).collect();
    let change = |this: &UnitReportView<'_>, from: &[&PublishedFigures]| -> UnitChange {
        let s1 = this.figures.sipas.as_ref();
        let components = s1
            .iter()
            .flat_map(|s| &s.components)
            .map(|c| {
                let before =
                    weighted(from, |p| p.components.iter().find(|(code, _)| *code == c.component).map(|(_, v)| *v));
                (c.name.clone(), Change::new(f(c.index), before, None, None))
            })
            .collect();
        UnitChange {
            unit: this.unit.to_owned(),
            name: this.name.to_owned(),
            from: from.iter().map(|p| p.unit.clone()).collect(),
            from_names: from.iter().map(|p| if p.name.is_empty() { p.unit.clone() } else { p.name.clone() }).collect(),
            last_year_responses: from.iter().map(|p| p.responses).sum(),
            sipas: Change::new(f(s1.and_then(|s| s.index)), weighted(from, |p| p.sipas), None, None),
            components,
            par_survey: Change::new(
                f(this.figures.par_survey.as_ref().and_then(|p| p.index)),
                weighted(from, |p| p.par_survey),
                None,
                None,
            ),
            par_index: Change::new(
                this.par_index.map(|d| crate::indices::as_f64(crate::stats::Shown(d))),
                mean(from.iter().filter_map(|p| p.par_index)),
                None,
                None,
            ),
        }
    };
    let units: Vec<UnitChange> = report
        .units
        .iter()
        .filter(|u| !u.quota.is_empty())
        .map(|u| {
            let named: Vec<&str> =
                campaign.lineage.iter().filter(|p| p.unit == u.unit).map(|p| p.from.as_str()).collect();
            let codes = if named.is_empty() { vec![u.unit.as_str()] } else { named };
            let from: Vec<&PublishedFigures> = codes.iter().filter_map(|c| by_code.get(c).copied()).collect();
            let view = UnitReportView {
                unit: &u.unit,
                name: &u.name,
                figures: &u.figures,
                par_index: par_pct(u.par_index.as_ref()),
            };
            change(&view, &from)
        })
        .collect();
    let all: Vec<&PublishedFigures> = campaign.previous_figures.iter().collect();
    let total_view = UnitReportView {
        unit: "",
        name: "Toàn đợt",
        figures: &report.totals.figures,
        par_index: units_par_mean(report),
    };
    let mut total = change(&total_view, &all);
    (total.from, total.from_names) = (Vec::new(), Vec::new());
    Comparison {
        previous: previous.to_owned(),
        previous_name: format!("kết quả đã công bố năm {}", campaign.year - 1),
        previous_year: campaign.year - 1,
        basis: "published",
        basis_note: FROM_PUBLISHED.into(),
        units,
        total,
    }
}

/// What [`compare_published`] reads of a unit of this year's report.
struct UnitReportView<'a> {
    unit: &'a str,
    name: &'a str,
    figures: &'a Figures,
    par_index: Option<Decimal>,
}
