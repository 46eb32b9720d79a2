//! The composite PAR INDEX (METHOD §4): appraised self-assessment points plus
//! the survey-based criterion points and the SIPAS-fed criterion, per area and
//! in total, with rank, rating band and change against last year.

use crate::indices::CriterionRow;
use crate::stats::Shown;
use rust_decimal::Decimal;
use serde::Serialize;
use sipas_shared::Campaign;
use sipas_shared::model::appraisal::Appraisal;
use sipas_shared::model::questionnaire::Criterion;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AreaScore {
    pub area: String,
    pub points: Shown,
    pub max_points: Shown,
}

/// A unit's composite PAR INDEX.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ParIndex {
    pub areas: Vec<AreaScore>,
    pub appraised_points: Shown,
    pub survey_points: Shown,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sipas_points: Option<Shown>,
    pub points: Shown,
    pub max_points: Shown,
    /// points ÷ max × 100.
    pub pct: Shown,
    /// 1 = best among the campaign's units with a composite; ties share a rank.
    pub rank: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_year: Option<Shown>,
    /// This year's total ÷ last year's × 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_pct: Option<Shown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_met: Option<bool>,
    /// Survey-based criteria (or SIPAS) without answers, counted as 0 points.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

fn add_to_area(areas: &mut Vec<AreaScore>, area: &str, points: Decimal, max: Decimal) {
    match areas.iter_mut().find(|a| a.area == area) {
        Some(a) => {
            a.points = Shown(a.points.0 + points);
            a.max_points = Shown(a.max_points.0 + max);
        }
        None => areas.push(AreaScore { area: area.to_owned(), points: Shown(points), max_points: Shown(max) }),
    }
}

/// Every survey-scored criterion of the campaign, once, in questionnaire order.
pub fn survey_criteria(campaign: &Campaign) -> Vec<Criterion> {
    let mut out: Vec<Criterion> = Vec::new();
    for q in &campaign.questionnaires {
        for x in q.questions() {
            let Some(code) = &x.criterion else { continue };
            if out.iter().any(|c| &c.code == code) {
                continue;
            }
            let declared = q.criteria.iter().find(|c| &c.code == code);
            out.push(Criterion {
                code: code.clone(),
                name: declared.map_or_else(|| code.clone(), |c| c.name.clone()),
                area: declared.and_then(|c| c.area.clone()),
                points: q.criterion_points(code).unwrap_or_default(),
            });
        }
    }
    out
}

/// The composite of one unit; `None` when the unit has no appraisal rows.
/// Rank is filled in by [`rank`].
pub fn composite(
    campaign: &Campaign,
    unit: &str,
    appraisals: &[Appraisal],
    survey: &[CriterionRow],
    sipas_index: Option<Decimal>,
) -> Option<ParIndex> {
    let mine: Vec<&Appraisal> = appraisals.iter().filter(|a| a.unit == unit).collect();
    if mine.is_empty() {
        return None;
    }
    let mut areas: Vec<AreaScore> = Vec::new();
    let mut incomplete = Vec::new();
    let mut appraised = Decimal::ZERO;
    let mut max = Decimal::ZERO;
    for a in &mine {
        add_to_area(&mut areas, &a.area, a.appraised_points, a.max_points);
        appraised += a.appraised_points;
        max += a.max_points;
    }
    // Every survey criterion of the campaign counts towards the maximum, answered here or not.
    let mut survey_points = Decimal::ZERO;
    for c in survey_criteria(campaign) {
        let p = survey.iter().find(|r| r.criterion == c.code).and_then(|r| r.points).map(|p| p.0);
        if p.is_none() {
            incomplete.push(c.code.clone());
        }
        let p = p.unwrap_or_default();
        add_to_area(&mut areas, c.area.as_deref().unwrap_or("Điều tra xã hội học"), p, c.points);
        survey_points += p;
        max += c.points;
    }
    let sipas_points = campaign.par.sipas_criterion.as_ref().map(|feed| {
        let p = sipas_index.map_or(Decimal::ZERO, |i| feed.points * i / Decimal::ONE_HUNDRED);
        if sipas_index.is_none() {
            incomplete.push(feed.criterion.clone());
        }
        add_to_area(&mut areas, feed.area.as_deref().unwrap_or("Chỉ số SIPAS"), p, feed.points);
        max += feed.points;
        p
    });
    let points = appraised + survey_points + sipas_points.unwrap_or_default();
    let pct = if max > Decimal::ZERO { points * Decimal::ONE_HUNDRED / max } else { Decimal::ZERO };
    let last_year = campaign.par.last_year.get(unit).copied();
    Some(ParIndex {
        areas,
        appraised_points: Shown(appraised),
        survey_points: Shown(survey_points),
        sipas_points: sipas_points.map(Shown),
        points: Shown(points),
        max_points: Shown(max),
        pct: Shown(pct),
        rank: 0,
        band: campaign.band_of(pct).map(|b| b.name.clone()),
        last_year: last_year.map(Shown),
        change_pct: last_year.filter(|l| *l > Decimal::ZERO).map(|l| Shown(points * Decimal::ONE_HUNDRED / l)),
        target_met: campaign.targets.par_index.map(|t| pct >= t),
        incomplete,
    })
}

/// Ranks by exact percentage, best first; equal percentages share a rank (1, 2, 2, 4).
pub fn rank(indices: &mut [&mut ParIndex]) {
    let mut order: Vec<Decimal> = indices.iter().map(|p| p.pct.0).collect();
    order.sort_by(|a, b| b.cmp(a));
    for p in indices.iter_mut() {
        p.rank = order.iter().position(|x| *x == p.pct.0).map_or(0, |i| i + 1);
    }
}
