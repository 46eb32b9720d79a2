//! The official formulas of METHOD §3 and §4 over tallies.

use crate::stats::{self, Interval, ItemSpread, Shown, mean, pct};
use crate::tally::{Cell, QuestionTally};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use sipas_shared::model::campaign::{Campaign, ItemIndex};
use sipas_shared::model::questionnaire::{Question, QuestionKind};
use sipas_shared::{Answer, Likert, Questionnaire};
use std::collections::BTreeMap;

/// One question's figures: the distribution and both item indices.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuestionRow {
    pub question: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Valid answers (1–5, or yes/no); "don't know" and empty are left out.
    pub n: u64,
    /// Answers per level 1..5 (for yes/no: `[no, 0, 0, 0, yes]`).
    pub counts: [u64; 5],
    pub dont_know: u64,
    /// Share answering 4 or 5 (yes for yes/no), in percent; absent when n = 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfied_pct: Option<Shown>,
    /// Σ v·n_v ÷ (5·N) × 100; absent when n = 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_pct: Option<Shown>,
    /// Additional: Wilson 95 % interval of `satisfied_pct`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<Interval>,
    pub small_sample: bool,
}

impl QuestionRow {
    /// The item index the campaign's scoring feeds into components.
    pub fn index(&self, method: ItemIndex) -> Option<Decimal> {
        match method {
            ItemIndex::SatisfiedShare => self.satisfied_pct.map(|s| s.0),
            ItemIndex::ScoreRatio => self.score_pct.map(|s| s.0),
        }
    }

    /// Mean and standard error of the per-answer item score, for intervals.
    fn spread(&self, method: ItemIndex) -> Option<ItemSpread> {
        if self.n == 0 {
            return None;
        }
        let n = self.n as f64;
        // Per-answer scores: satisfied share scores 1 for levels 4–5; score ratio v/5.
        let score = |level: usize| match method {
            ItemIndex::SatisfiedShare => f64::from(u8::from(level >= 3)),
            ItemIndex::ScoreRatio => (level + 1) as f64 / 5.0,
        };
        let m = self.counts.iter().enumerate().map(|(i, c)| score(i) * *c as f64).sum::<f64>() / n;
        let m2 = self.counts.iter().enumerate().map(|(i, c)| score(i).powi(2) * *c as f64).sum::<f64>() / n;
        Some(ItemSpread { mean: m, se: ((m2 - m * m).max(0.0) / n).sqrt() })
    }
}

/// The figures of a likert5 or yes/no question.
pub fn question_row(q: &Question, t: &QuestionTally) -> QuestionRow {
    // Yes/no questions sit on the same table as "no" = level 1 and "yes" = level 5,
    // so the satisfied share is the yes share and the score ratio is not used.
    let (counts, yesno) = match q.kind {
        QuestionKind::Yesno => ([t.no, 0, 0, 0, t.yes], true),
        _ => (t.levels, false),
    };
    let n: u64 = counts.iter().sum();
    let satisfied = counts[3] + counts[4];
    let score_points: u64 = counts.iter().enumerate().map(|(i, c)| (i as u64 + 1) * c).sum();
    let score = if yesno { pct(satisfied, n) } else { pct(score_points, 5 * n) };
    QuestionRow {
        question: q.code.clone(),
        text: q.text.clone(),
        component: q.component.clone(),
        n,
        counts,
        dont_know: t.dont_know,
        satisfied_pct: pct(satisfied, n).map(Shown),
        score_pct: score.map(Shown),
        ci95: stats::wilson(satisfied, n),
        small_sample: n > 0 && n < stats::SMALL_SAMPLE,
    }
}

/// One SIPAS component's index.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ComponentRow {
    pub component: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Mean of the item indices of the component's answered questions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<Shown>,
    /// The most answers any of its questions received.
    pub n: u64,
    /// Questions that had answers and entered the mean.
    pub questions: usize,
    /// Additional: conservative 95 % interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<Interval>,
}

/// SIPAS figures of one unit or breakdown cell.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SipasBlock {
    /// Mean of the component indices (of the part means, where parts are set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<Shown>,
    /// Index of the whole-service question, published beside the SIPAS index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overall: Option<Shown>,
    /// Additional: conservative 95 % interval of the SIPAS index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<Interval>,
    /// Components with no answers here; the index is the mean of the others.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components_missing: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartRow>,
    pub components: Vec<ComponentRow>,
    pub questions: Vec<QuestionRow>,
}

impl SipasBlock {
    /// The index of the component `code`, where it has one.
    pub fn component_index(&self, code: &str) -> Option<Shown> {
        self.components.iter().find(|c| c.component == code).and_then(|c| c.index)
    }

    /// The index of the part `part` (METHOD §6), where it has one.
    pub fn part_index(&self, part: &str) -> Option<Shown> {
        self.parts.iter().find(|p| p.part == part).and_then(|p| p.index)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartRow {
    pub part: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<Shown>,
}

/// SIPAS of pooled cells: every questionnaire that declares components.
/// `None` when no questionnaire here measures SIPAS.
pub fn sipas(campaign: &Campaign, pooled: &BTreeMap<usize, Cell>) -> Option<SipasBlock> {
    let method = campaign.scoring.item_index;
    let mut rows: Vec<(QuestionRow, &Questionnaire, &Question)> = Vec::new();
    let mut components: Vec<(&str, &str, Option<&str>)> = Vec::new();
    for (qi, cell) in pooled {
        let questionnaire = &campaign.questionnaires[*qi];
        if questionnaire.components.is_empty() {
            continue;
        }
        for c in &questionnaire.components {
            if !components.iter().any(|(code, _, _)| *code == c.code) {
                components.push((&c.code, &c.name, c.part.as_deref()));
            }
        }
        for (q, t) in questionnaire.questions().zip(&cell.questions) {
            if q.overall || q.component.is_some() {
                rows.push((question_row(q, t), questionnaire, q));
            }
        }
    }
    if components.is_empty() {
        return None;
    }
    let overall = rows.iter().find(|(_, _, q)| q.overall).and_then(|(r, _, _)| r.index(method)).map(Shown);
    let mut component_rows = Vec::new();
    let mut spreads_by_component = Vec::new();
    for (code, name, part) in &components {
        let mine: Vec<&QuestionRow> =
            rows.iter().filter(|(_, _, q)| q.component.as_deref() == Some(*code)).map(|(r, _, _)| r).collect();
        let indices: Vec<Decimal> = mine.iter().filter_map(|r| r.index(method)).collect();
        let spreads: Vec<ItemSpread> = mine.iter().filter_map(|r| r.spread(method)).collect();
        component_rows.push(ComponentRow {
            component: (*code).to_owned(),
            name: (*name).to_owned(),
            part: part.map(str::to_owned),
            index: mean(&indices).map(Shown),
            n: mine.iter().map(|r| r.n).max().unwrap_or(0),
            questions: indices.len(),
            ci95: stats::mean_interval(&spreads),
        });
        spreads_by_component.push(combine(&spreads));
    }
    let components_missing: Vec<String> =
        component_rows.iter().filter(|c| c.index.is_none()).map(|c| c.component.clone()).collect();

    // With parts, the index is the mean of part means; otherwise the mean of components.
    let mut part_names: Vec<&str> = Vec::new();
    for c in &component_rows {
        if let Some(p) = c.part.as_deref()
            && !part_names.contains(&p)
        {
            part_names.push(p);
        }
    }
    let parts: Vec<PartRow> = part_names
        .iter()
        .map(|p| {
            let v: Vec<Decimal> = component_rows
                .iter()
                .filter(|c| c.part.as_deref() == Some(*p))
                .filter_map(|c| c.index.map(|s| s.0))
                .collect();
            PartRow { part: (*p).to_owned(), index: mean(&v).map(Shown) }
        })
        .collect();
    let index = if parts.is_empty() {
        mean(&component_rows.iter().filter_map(|c| c.index.map(|s| s.0)).collect::<Vec<_>>())
    } else {
        mean(&parts.iter().filter_map(|p| p.index.map(|s| s.0)).collect::<Vec<_>>())
    };
    let available: Vec<ItemSpread> = spreads_by_component.into_iter().flatten().collect();
    Some(SipasBlock {
        index: index.map(Shown),
        overall,
        ci95: if index.is_some() { stats::mean_interval(&available) } else { None },
        components_missing,
        parts,
        components: component_rows,
        questions: rows.into_iter().map(|(r, _, _)| r).collect(),
    })
}

/// The spread of a mean of items, bounded as in [`stats::mean_interval`].
fn combine(items: &[ItemSpread]) -> Option<ItemSpread> {
    if items.is_empty() {
        return None;
    }
    let k = items.len() as f64;
    Some(ItemSpread {
        mean: items.iter().map(|i| i.mean).sum::<f64>() / k,
        se: items.iter().map(|i| i.se).sum::<f64>() / k,
    })
}

/// One survey-based PAR criterion.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CriterionRow {
    pub criterion: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    pub max_points: Shown,
    /// max points × mean weight over valid answers; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Shown>,
    /// Valid answers over every question tagged with the criterion.
    pub n: u64,
}

/// Survey score of a unit: Σ criterion points, and as a share of the maximum.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SurveyScore {
    pub points: Shown,
    /// Σ max points of the criteria that had answers.
    pub max_points: Shown,
    /// points ÷ max × 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<Shown>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub criteria_without_answers: Vec<String>,
}

/// PAR criterion points of pooled cells (METHOD §4).
pub fn par_criteria(campaign: &Campaign, pooled: &BTreeMap<usize, Cell>) -> Vec<CriterionRow> {
    // criterion → (name, area, max, Σ weight, n)
    let mut acc: Vec<(String, String, Option<String>, Decimal, Decimal, u64)> = Vec::new();
    for (qi, cell) in pooled {
        let questionnaire = &campaign.questionnaires[*qi];
        for (q, t) in questionnaire.questions().zip(&cell.questions) {
            let Some(code) = &q.criterion else { continue };
            let Some(max) = questionnaire.criterion_points(code) else { continue };
            let (sum, n) = weighted(q, t);
            match acc.iter_mut().find(|a| &a.0 == code) {
                Some(a) => {
                    a.4 += sum;
                    a.5 += n;
                }
                None => {
                    let decl = questionnaire.criteria.iter().find(|c| &c.code == code);
                    acc.push((
                        code.clone(),
                        decl.map_or_else(|| code.clone(), |c| c.name.clone()),
                        decl.and_then(|c| c.area.clone()),
                        max,
                        sum,
                        n,
                    ));
                }
            }
        }
    }
    acc.into_iter()
        .map(|(criterion, name, area, max, sum, n)| CriterionRow {
            criterion,
            name,
            area,
            max_points: Shown(max),
            points: (n > 0).then(|| Shown(max * sum / Decimal::from(n))),
            n,
        })
        .collect()
}

/// Σ weight and count of valid weighted answers of one question.
fn weighted(q: &Question, t: &QuestionTally) -> (Decimal, u64) {
    let mut sum = Decimal::ZERO;
    let mut n = 0u64;
    let mut add = |answer: Answer, count: u64| {
        if count == 0 {
            return;
        }
        if let Some(w) = q.weight(&answer) {
            sum += w * Decimal::from(count);
            n += count;
        }
    };
    match q.kind {
        QuestionKind::Likert5 => {
            for l in Likert::ALL {
                add(Answer::Likert(l), t.levels[l.index()]);
            }
        }
        QuestionKind::Yesno => {
            add(Answer::YesNo(true), t.yes);
            add(Answer::YesNo(false), t.no);
        }
        QuestionKind::Single => {
            for (code, count) in &t.options {
                add(Answer::Choice(code.clone()), *count);
            }
        }
        _ => {}
    }
    (sum, n)
}

/// The survey score from criterion rows; `None` when there are no criteria.
pub fn survey_score(rows: &[CriterionRow]) -> Option<SurveyScore> {
    if rows.is_empty() {
        return None;
    }
    let answered: Vec<&CriterionRow> = rows.iter().filter(|r| r.points.is_some()).collect();
    let points: Decimal = answered.iter().filter_map(|r| r.points.map(|p| p.0)).sum();
    let max: Decimal = answered.iter().map(|r| r.max_points.0).sum();
    Some(SurveyScore {
        points: Shown(points),
        max_points: Shown(max),
        index: (max > Decimal::ZERO).then(|| Shown(points * Decimal::ONE_HUNDRED / max)),
        criteria_without_answers: rows.iter().filter(|r| r.points.is_none()).map(|r| r.criterion.clone()).collect(),
    })
}

/// A five-level distribution: counts and independently rounded percentages.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Distribution {
    pub n: u64,
    pub counts: [u64; 5],
    /// Percent of n per level; empty when n = 0.
    pub pct: Vec<Shown>,
}

impl Distribution {
    /// The share satisfied or very satisfied (levels 4 and 5), exact.
    pub fn satisfied_pct(&self) -> Option<Decimal> {
        pct(self.counts[3] + self.counts[4], self.n)
    }
}

pub fn distribution(counts: [u64; 5]) -> Distribution {
    let n: u64 = counts.iter().sum();
    Distribution { n, counts, pct: counts.iter().filter_map(|c| pct(*c, n)).map(Shown).collect() }
}

/// Converts a shown figure to f64 for charts.
pub fn as_f64(s: Shown) -> f64 {
    s.rounded().to_f64().unwrap_or(0.0)
}
