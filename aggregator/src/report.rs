//! The report document of SPEC §8: per unit (with rollups), totals, and an
//! optional breakdown by group, field or unit × field.

use crate::indices::{self, CriterionRow, Distribution, SipasBlock, SurveyScore};
use crate::par_index::{self, ParIndex};
use crate::stats::{Shown, mean};
use crate::tally::{Aggregate, CellKey};
use rust_decimal::Decimal;
use serde::Serialize;
use sipas_shared::model::campaign::{Campaign, ItemIndex, Targets};
use sipas_shared::store::QuotaStatus;
use std::collections::{BTreeMap, BTreeSet};

/// The breakdowns `sipas report --by` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum By {
    #[serde(rename = "unit")]
    Unit,
    #[serde(rename = "group")]
    Group,
    #[serde(rename = "field")]
    Field,
    #[serde(rename = "unit,field")]
    UnitField,
    /// By the answer to one question (its code in [`Breakdown::question`]).
    #[serde(rename = "question")]
    Question,
    /// By unit × the answer to one question.
    #[serde(rename = "unit,question")]
    UnitQuestion,
}

impl By {
    /// Parses `unit`, `group`, `field` or `unit,field`.
    pub fn parse(s: &str) -> Option<By> {
        match s.replace(' ', "").as_str() {
            "unit" => Some(By::Unit),
            "group" => Some(By::Group),
            "field" => Some(By::Field),
            "unit,field" | "field,unit" => Some(By::UnitField),
            _ => None,
        }
    }

    /// Parses what [`By::parse`] takes, and `question:CODE`,
    /// `unit,question:CODE` (or `question:CODE,unit`): the breakdown and
    /// the question it is by.
    pub fn parse_spec(s: &str) -> Option<(By, Option<String>)> {
        let s = s.replace(' ', "");
        let code_ok = |c: &str| !c.is_empty() && !c.contains([',', ':']);
        if let Some(code) = s.strip_prefix("question:") {
            if let Some(code) = code.strip_suffix(",unit") {
                return code_ok(code).then(|| (By::UnitQuestion, Some(code.to_owned())));
            }
            return code_ok(code).then(|| (By::Question, Some(code.to_owned())));
        }
        if let Some(code) = s.strip_prefix("unit,question:") {
            return code_ok(code).then(|| (By::UnitQuestion, Some(code.to_owned())));
        }
        By::parse(&s).map(|b| (b, None))
    }

    /// The words `--by` and `?by=` take for this breakdown.
    pub fn spec(self, question: Option<&str>) -> String {
        let q = question.unwrap_or_default();
        match self {
            By::Unit => "unit".into(),
            By::Group => "group".into(),
            By::Field => "field".into(),
            By::UnitField => "unit,field".into(),
            By::Question => format!("question:{q}"),
            By::UnitQuestion => format!("unit,question:{q}"),
        }
    }
}

/// Why a question cannot break a report down, if it cannot.
///
/// # Errors
/// The question is not in the campaign, or not one answer from a short list.
pub fn check_question(campaign: &Campaign, code: &str) -> Result<(), String> {
    let found: Vec<_> = campaign.questionnaires.iter().filter_map(|q| q.question(code)).collect();
    if found.is_empty() {
        return Err(format!("không có câu «{code}» trong các phiếu của đợt khảo sát"));
    }
    if !found.iter().all(|q| crate::crosstab::can_break_down(q)) {
        return Err(format!(
            "câu «{code}» không dùng để phân tổ được: chỉ câu một lựa chọn, có/không hoặc thang 5 mức"
        ));
    }
    Ok(())
}

/// What a report is computed from, besides the tallies.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub generated_at: String,
    pub quotas: Vec<QuotaStatus>,
    /// Sampling-frame size per unit and field, for the field-weighted index.
    pub frame_fields: BTreeMap<String, BTreeMap<String, u64>>,
    /// Appraised self-assessment points, for the composite PAR INDEX.
    pub appraisals: Vec<sipas_shared::model::appraisal::Appraisal>,
    /// Answers still held before release, and remainders released under k.
    pub anonymity: sipas_shared::store::Anonymity,
    /// Free-text answers.
    pub texts: Vec<TextAnswer>,
    /// Per unit: its answers released at close above the units (its unit ×
    /// group held fewer than k), counted only in the campaign's figures.
    pub above_unit: BTreeMap<String, u64>,
}

pub use crate::answers::TextAnswer;

/// Indices of one set of responses.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub responses: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sipas: Option<SipasBlock>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub par_criteria: Vec<CriterionRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub par_survey: Option<SurveyScore>,
    /// The questions off the five-level scale: options, yes/no, numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<crate::answers::AnswerSummary>,
}

impl Figures {
    /// Leaves out of `figures` what rests on fewer than `k` answers.
    pub fn withhold_below(&mut self, k: u64) {
        if self.responses < k {
            self.sipas = None;
            self.par_criteria.clear();
            self.par_survey = None;
            self.answers.clear();
            return;
        }
        if let Some(s) = &mut self.sipas {
            s.questions.retain(|q| q.n + q.dont_know == 0 || q.n >= k);
            s.components.retain(|c| c.n == 0 || c.n >= k);
        }
        self.par_criteria.retain(|c| c.n == 0 || c.n >= k);
        self.answers.retain(|a| a.n + a.dont_know == 0 || a.n >= k);
    }
}

/// Distribution of the whole-service question in one field.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldRow {
    pub field: String,
    #[serde(flatten)]
    pub distribution: Distribution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuotaRow {
    pub group: String,
    pub quota: i64,
    pub answered: i64,
    pub remaining: i64,
}

/// Targets met or not; absent where the campaign sets no target or there is no figure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TargetsMet {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sipas: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub par_survey: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UnitReport {
    pub unit: String,
    pub name: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// `unit` for a unit's own responses; `pooled` for a unit with sub-units,
    /// computed from the pooled responses of every unit below it.
    pub rollup: &'static str,
    #[serde(flatten)]
    pub figures: Figures,
    /// For a unit with sub-units: the mean of its direct sub-units' SIPAS indices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sipas_mean_of_units: Option<Shown>,
    /// Additional: SIPAS re-weighted to the sampling frame's field shares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sipas_field_weighted: Option<Shown>,
    /// PAR points of the criterion SIPAS feeds: max points × SIPAS index ÷ 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sipas_par_points: Option<Shown>,
    pub targets_met: TargetsMet,
    /// The composite PAR INDEX, for units with appraised points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub par_index: Option<ParIndex>,
    pub by_field: Vec<FieldRow>,
    pub quota: Vec<QuotaRow>,
    /// Answers of this unit in no figure of its own: its unit × group held
    /// fewer than k at close, so they count only in the campaign's figures.
    #[serde(skip_serializing_if = "is_zero")]
    pub counted_above_unit: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BreakdownRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// For a breakdown by question: the answer given (its label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Breakdown {
    pub by: By,
    /// The question of a breakdown by question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    pub rows: Vec<BreakdownRow>,
    /// What the table leaves out to keep every row at k answers or more.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    #[serde(flatten)]
    pub figures: Figures,
    /// Mean of the SIPAS indices of the units that carry quotas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sipas_mean_of_units: Option<Shown>,
    pub by_field: Vec<FieldRow>,
    pub quota: i64,
    pub answered: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Method {
    pub item_index: ItemIndex,
    pub rounding: &'static str,
    pub additional: &'static str,
}

/// The whole report document (`sipas report --format json`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub campaign: String,
    pub name: String,
    pub year: i32,
    pub generated_at: String,
    /// `generated_at` as people of the campaign read it (`dd/mm/yyyy HH:MM`,
    /// local time), for pages and printouts; the JSON keeps the UTC instant.
    #[serde(skip)]
    pub generated_local: String,
    pub method: Method,
    pub targets: Targets,
    pub units: Vec<UnitReport>,
    pub totals: Totals,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
    /// Stored answers that no longer fit the questionnaire and were left out.
    pub ignored_answers: u64,
    /// Answers submitted but not yet in these figures (held until their unit ×
    /// group × field holds k), and answers released at close in smaller batches.
    pub anonymity: sipas_shared::store::Anonymity,
    /// Free-text answers per unit, field and question, masked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<crate::answers::Comments>,
    /// Units carrying quotas, best SIPAS first, with what the ranking can
    /// and cannot tell (additional to the official method).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ranking: Vec<RankRow>,
    /// The ranked units against the campaign's own SIPAS with 95 % and
    /// 99.8 % limits for their number of answers (a funnel plot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funnel: Option<crate::funnel::Funnel>,
    /// The household sample's design-weighted figures beside the
    /// unweighted ones (METHOD §6), where the campaign drew one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub design: Option<crate::weighted::DesignReport>,
    /// Every question with its code, kind and text, and every answer code
    /// with its label.
    pub codebook: Vec<crate::codebook::CodebookQuestion>,
    /// The one respondent group these figures are of (its code), if the
    /// reader chose one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// What the reader narrowed the answers to (source, months), and the
    /// cells left out so that no filter sets an answer apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<crate::filter::FilterNote>,
    /// This year against the campaign followed, when asked for
    /// (`--compare`, `?compare=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<crate::compare::Comparison>,
}

/// Below this many answers a unit's index is marked as a small sample.
pub const SMALL_SAMPLE: u64 = 30;

/// One unit in the SIPAS ranking.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RankRow {
    /// 1 for the best; units with equal shown indices share a rank.
    pub rank: usize,
    pub unit: String,
    pub name: String,
    #[schema(value_type = f64)]
    pub index: Shown,
    /// Conservative 95 % interval of the index.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<f64>>)]
    pub ci95: Option<crate::stats::Interval>,
    /// Answers behind the index (the most any component received).
    pub n: u64,
    /// Fewer than [`SMALL_SAMPLE`] answers.
    pub small_sample: bool,
    /// Its interval overlaps the unit ranked just above or just below: the
    /// survey cannot tell which of the two serves better.
    pub indistinguishable_from_neighbour: bool,
    /// The index re-weighted to the frame's field shares, where a frame exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub field_weighted: Option<Shown>,
}

/// The ranking of the units that carry quotas, best first.
pub fn ranking(units: &[UnitReport]) -> Vec<RankRow> {
    let mut rows: Vec<RankRow> = units
        .iter()
        .filter(|u| !u.quota.is_empty())
        .filter_map(|u| {
            let s = u.figures.sipas.as_ref()?;
            let n = s.components.iter().map(|c| c.n).max().unwrap_or(0);
            Some(RankRow {
                rank: 0,
                unit: u.unit.clone(),
                name: u.name.clone(),
                index: s.index?,
                ci95: s.ci95,
                n,
                small_sample: n < SMALL_SAMPLE,
                indistinguishable_from_neighbour: false,
                field_weighted: u.sipas_field_weighted,
            })
        })
        .collect();
    rows.sort_by(|a, b| b.index.rounded().cmp(&a.index.rounded()).then(a.unit.cmp(&b.unit)));
    let overlap = |a: &RankRow, b: &RankRow| match (a.ci95, b.ci95) {
        (Some(x), Some(y)) => x.0 <= y.1 && y.0 <= x.1,
        // Without an interval nothing tells them apart.
        _ => true,
    };
    let ties: Vec<bool> = (0..rows.len())
        .map(|i| (i > 0 && overlap(&rows[i], &rows[i - 1])) || (i + 1 < rows.len() && overlap(&rows[i], &rows[i + 1])))
        .collect();
    for i in 0..rows.len() {
        rows[i].indistinguishable_from_neighbour = ties[i];
        rows[i].rank =
            if i > 0 && rows[i].index.rounded() == rows[i - 1].index.rounded() { rows[i - 1].rank } else { i + 1 };
    }
    rows
}

/// What a report says about answers outside its figures or released in small
/// batches (SPEC §10), one sentence each.
pub fn anonymity_notes(a: &sipas_shared::store::Anonymity) -> Vec<String> {
    let mut notes = Vec::new();
    if a.held > 0 && a.closed {
        notes.push(format!(
            "{} phiếu chưa công bố: dù gộp lĩnh vực và đơn vị vẫn ít hơn {} phiếu cùng nhóm đối tượng, \
             nên không đưa vào số liệu nào để không ai ghép được phiếu với người trả lời.",
            a.held, a.k
        ));
    } else if a.held > 0 {
        notes.push(format!(
            "{} phiếu đã nhận (đã tính vào chỉ tiêu) chưa có trong số liệu: phiếu được đưa vào theo từng đợt ít nhất {} phiếu \
             cùng đơn vị, nhóm đối tượng và lĩnh vực, để không ai ghép được phiếu với người trả lời.",
            a.held, a.k
        ));
    }
    if a.excluded > 0 {
        notes.push(format!(
            "{} phiếu bị loại khỏi chỉ số sau khi xem xét hoặc do nhập sai (có ghi lý do, không bị xoá).",
            a.excluded
        ));
    }
    if a.generalised > 0 {
        notes.push(format!(
            "{} phiếu được đưa vào khi đợt khảo sát kết thúc với lĩnh vực được gộp («{}»): lĩnh vực của chúng có ít hơn {} phiếu \
             trong cùng đơn vị và nhóm đối tượng.",
            a.generalised,
            sipas_shared::store::release::GENERALISED_FIELD,
            a.k
        ));
    }
    if a.above_unit > 0 {
        notes.push(format!(
            "{} phiếu chỉ được tính vào số liệu chung của đợt khảo sát, không vào số liệu của đơn vị nào: \
             đơn vị và nhóm đối tượng của chúng có ít hơn {} phiếu.",
            a.above_unit, a.k
        ));
    }
    if a.released_below_k > 0 {
        notes.push(format!(
            "{} phiếu được đưa vào khi đợt khảo sát kết thúc, trong những nhóm ít hơn {} phiếu (phiên bản cũ của phần mềm).",
            a.released_below_k, a.k
        ));
    }
    notes
}

/// Every note a report carries under its heading: the anonymity notes, then
/// each unit whose answers count only above it, then what a breakdown left
/// out to keep its rows at k.
pub fn notes(report: &Report) -> Vec<String> {
    let mut notes = anonymity_notes(&report.anonymity);
    if let Some(f) = &report.filter {
        let mut note = format!("Số liệu chỉ gồm phiếu {}: {} phiếu.", f.label, crate::numbers::vn_count(f.answers));
        for s in f.sentences(report.anonymity.k.max(1)) {
            note.push(' ');
            note.push_str(&s);
        }
        notes.push(note);
    }
    for u in report.units.iter().filter(|u| u.counted_above_unit > 0) {
        notes.push(format!(
            "{}: {} phiếu có ít hơn {} phiếu cùng nhóm đối tượng nên không có số liệu riêng của đơn vị, chỉ được tính vào số liệu chung.",
            u.name, u.counted_above_unit, report.anonymity.k
        ));
    }
    if let Some(b) = &report.breakdown {
        notes.extend(b.notes.iter().cloned());
    }
    notes
}

/// Figures of the cells that pass `keep`.
pub fn figures(agg: &Aggregate<'_>, keep: impl Fn(&CellKey) -> bool + Copy) -> Figures {
    let pooled = agg.pooled(keep);
    let par_criteria = indices::par_criteria(agg.campaign, &pooled);
    let mut figures = Figures {
        responses: agg.responses(keep),
        sipas: indices::sipas(agg.campaign, &pooled),
        par_survey: indices::survey_score(&par_criteria),
        par_criteria,
        answers: crate::answers::summaries(agg.campaign, &pooled),
    };
    // Nothing published rests on fewer than k answers (SPEC §10).
    figures.withhold_below(crate::disclosure::threshold(agg.campaign));
    figures
}

/// Distribution of the whole-service question per field, over the cells that pass `keep`.
fn by_field(agg: &Aggregate<'_>, keep: impl Fn(&CellKey) -> bool + Copy) -> Vec<FieldRow> {
    let campaign = agg.campaign;
    // A household's cell is its village, not a field (lĩnh vực) of procedures.
    let by_village: Vec<&str> =
        campaign.groups.iter().filter(|g| g.households.is_some()).map(|g| g.code.as_str()).collect();
    let keep = |k: &CellKey| keep(k) && !by_village.contains(&k.group.as_str());
    let mut fields: Vec<Option<String>> = campaign.fields.iter().cloned().map(Some).collect();
    for k in agg.cells.keys().filter(|k| !by_village.contains(&k.group.as_str())) {
        if !fields.contains(&k.field) {
            fields.push(k.field.clone());
        }
    }
    let mut rows = Vec::new();
    for field in fields {
        let pooled = agg.pooled(|k| keep(k) && k.field == field);
        let mut counts = [0u64; 5];
        for (qi, cell) in &pooled {
            let q = &campaign.questionnaires[*qi];
            for (question, t) in q.questions().zip(&cell.questions) {
                if question.overall {
                    for (a, b) in counts.iter_mut().zip(t.levels) {
                        *a += b;
                    }
                }
            }
        }
        if counts.iter().sum::<u64>() > 0 {
            rows.push((field.unwrap_or_else(|| "Không rõ lĩnh vực".to_owned()), counts));
        }
    }
    // No field shown on fewer than k answers (SPEC §10).
    let sizes: Vec<u64> = rows.iter().map(|(_, c)| c.iter().sum()).collect();
    let Some(groups) = crate::disclosure::merge_small(&sizes, crate::disclosure::threshold(campaign)) else {
        return Vec::new();
    };
    groups
        .into_iter()
        .map(|g| {
            let mut counts = [0u64; 5];
            for &i in &g {
                for (a, b) in counts.iter_mut().zip(rows[i].1) {
                    *a += b;
                }
            }
            let field = if g.len() == 1 {
                rows[g[0]].0.clone()
            } else {
                crate::disclosure::merged_label(&g.iter().map(|&i| rows[i].0.as_str()).collect::<Vec<_>>())
            };
            FieldRow { field, distribution: indices::distribution(counts) }
        })
        .collect()
}

fn met(value: Option<Shown>, target: Option<Decimal>) -> Option<bool> {
    Some(value?.0 >= target?)
}

/// Builds the report over an aggregate: each unit's figures over its own
/// and its sub-units' answers, the means of sub-units, the composite PAR
/// INDEX ranks, the campaign's totals and the SIPAS ranking.
pub fn build(agg: &Aggregate<'_>, ctx: &Context, by: By) -> Report {
    let campaign = agg.campaign;
    let descendants = descendants(campaign);
    let mut units: Vec<UnitReport> =
        campaign.units.iter().map(|u| unit_report(agg, ctx, u, &descendants[u.code.as_str()])).collect();
    let index_of = means_of_units(campaign, &mut units);
    let mut ranked: Vec<&mut ParIndex> = units.iter_mut().filter_map(|u| u.par_index.as_mut()).collect();
    par_index::rank(&mut ranked);
    let totals = totals(agg, ctx, &units, &index_of);
    let ranking = ranking(&units);
    let funnel = crate::funnel::funnel(
        ranking.iter().map(|r| crate::funnel::Ranked { unit: &r.unit, name: &r.name, n: r.n, index: r.index }),
        totals.figures.sipas.as_ref().and_then(|s| s.index),
    );
    Report {
        campaign: campaign.id.clone(),
        name: campaign.name.clone(),
        year: campaign.year,
        generated_at: ctx.generated_at.clone(),
        generated_local: chrono::DateTime::parse_from_rfc3339(&ctx.generated_at)
            .map_or_else(|_| ctx.generated_at.clone(), |t| campaign.local_time(t.with_timezone(&chrono::Utc))),
        method: Method {
            item_index: campaign.scoring.item_index,
            rounding: "exact decimals, shown rounded half-up to 2 places",
            additional: "ci95, small_sample, sipas_field_weighted are additional to the official method",
        },
        targets: campaign.targets.clone(),
        units,
        totals,
        breakdown: (by != By::Unit).then(|| breakdown(agg, by)),
        ignored_answers: agg.ignored_answers,
        anonymity: ctx.anonymity,
        comments: crate::answers::compile(ctx.texts.clone()),
        ranking,
        funnel,
        design: None,
        codebook: crate::codebook::codebook(campaign),
        group: None,
        filter: None,
        comparison: None,
    }
}

/// One unit's report over the answers of `set` (itself and the units below).
fn unit_report(agg: &Aggregate<'_>, ctx: &Context, u: &sipas_shared::Unit, set: &BTreeSet<&str>) -> UnitReport {
    let campaign = agg.campaign;
    let keep = |k: &CellKey| set.contains(k.unit.as_str());
    let figures = figures(agg, keep);
    let has_children = set.len() > 1;
    let sipas_index = figures.sipas.as_ref().and_then(|s| s.index);
    let sipas_field_weighted = field_weighted(agg, ctx, set);
    let targets_met = TargetsMet {
        sipas: met(sipas_index, campaign.targets.sipas),
        par_survey: met(figures.par_survey.as_ref().and_then(|s| s.index), campaign.targets.par_survey),
    };
    let quota = ctx
        .quotas
        .iter()
        .filter(|q| q.unit == u.code.as_str())
        .map(|q| QuotaRow { group: q.group.clone(), quota: q.quota, answered: q.answered, remaining: q.remaining() })
        .collect();
    let par_index = par_index::composite(
        campaign,
        u.code.as_str(),
        &ctx.appraisals,
        &figures.par_criteria,
        sipas_index.map(|s| s.0),
    );
    UnitReport {
        par_index,
        unit: u.code.to_string(),
        name: u.name.clone(),
        kind: u.kind.label().to_owned(),
        parent: u.parent.as_ref().map(ToString::to_string),
        rollup: if has_children { "pooled" } else { "unit" },
        sipas_par_points: campaign
            .par
            .sipas_criterion
            .as_ref()
            .and_then(|feed| sipas_index.map(|i| Shown(feed.points * i.0 / Decimal::ONE_HUNDRED))),
        targets_met,
        by_field: by_field(agg, keep),
        quota,
        counted_above_unit: set.iter().map(|u| ctx.above_unit.get(*u).copied().unwrap_or(0)).sum(),
        sipas_mean_of_units: None,
        sipas_field_weighted,
        figures,
    }
}

/// For each parent, the mean of its direct sub-units' SIPAS indices; returns
/// every unit's index by code.
fn means_of_units(campaign: &Campaign, units: &mut [UnitReport]) -> BTreeMap<String, Option<Decimal>> {
    let index_of: BTreeMap<String, Option<Decimal>> =
        units.iter().map(|u| (u.unit.clone(), u.figures.sipas.as_ref().and_then(|s| s.index).map(|s| s.0))).collect();
    for u in units.iter_mut() {
        let children: Vec<Decimal> = campaign
            .units
            .iter()
            .filter(|c| c.parent.as_ref().map(|p| p.as_str()) == Some(u.unit.as_str()))
            .filter_map(|c| index_of.get(c.code.as_str()).copied().flatten())
            .collect();
        u.sipas_mean_of_units = mean(&children).map(Shown);
    }
    index_of
}

/// The campaign's figures over every answer, and the mean of the units that
/// hold quotas.
fn totals(
    agg: &Aggregate<'_>,
    ctx: &Context,
    units: &[UnitReport],
    index_of: &BTreeMap<String, Option<Decimal>>,
) -> Totals {
    let quota_units: BTreeSet<&str> = ctx.quotas.iter().map(|q| q.unit.as_str()).collect();
    let leaf_indices: Vec<Decimal> =
        units.iter().filter(|u| quota_units.contains(u.unit.as_str())).filter_map(|u| index_of[&u.unit]).collect();
    Totals {
        figures: figures(agg, |_| true),
        sipas_mean_of_units: mean(&leaf_indices).map(Shown),
        by_field: by_field(agg, |_| true),
        quota: ctx.quotas.iter().map(|q| q.quota).sum(),
        answered: ctx.quotas.iter().map(|q| q.answered).sum(),
    }
}

/// Every unit code with the set of itself and the units below it.
fn descendants(campaign: &Campaign) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut out: BTreeMap<&str, BTreeSet<&str>> =
        campaign.units.iter().map(|u| (u.code.as_str(), BTreeSet::from([u.code.as_str()]))).collect();
    for u in &campaign.units {
        let mut cursor = u.parent.as_ref();
        while let Some(p) = cursor {
            if let Some(set) = out.get_mut(p.as_str()) {
                set.insert(u.code.as_str());
            }
            cursor = campaign.unit(p.as_str()).and_then(|x| x.parent.as_ref());
        }
    }
    out
}

/// Additional: SIPAS re-weighted so each field counts by its share of the
/// sampling frame: Σ_f w_f · SIPAS_f over the fields with both answers and
/// frame entries, the weights renormalised over those fields.
fn field_weighted(agg: &Aggregate<'_>, ctx: &Context, units: &BTreeSet<&str>) -> Option<Shown> {
    let mut frame: BTreeMap<&str, u64> = BTreeMap::new();
    for u in units {
        for (field, n) in ctx.frame_fields.get(*u).into_iter().flatten() {
            *frame.entry(field.as_str()).or_default() += n;
        }
    }
    let mut weighted = Decimal::ZERO;
    let mut total = 0u64;
    for (field, n) in frame {
        let pooled = agg.pooled(|k| units.contains(k.unit.as_str()) && k.field.as_deref() == Some(field));
        if let Some(index) = indices::sipas(agg.campaign, &pooled).and_then(|s| s.index) {
            weighted += Decimal::from(n) * index.0;
            total += n;
        }
    }
    (total > 0).then(|| Shown(weighted / Decimal::from(total)))
}

/// A breakdown row's place: (unit, group, field or answer).
type RowKey = (Option<String>, Option<String>, Option<String>);

fn breakdown(agg: &Aggregate<'_>, by: By) -> Breakdown {
    let keys: BTreeSet<RowKey> = agg
        .cells
        .keys()
        .map(|k| match by {
            By::Unit => (Some(k.unit.clone()), None, None),
            By::Group => (None, Some(k.group.clone()), None),
            By::Field => (None, None, Some(k.field.clone().unwrap_or_default())),
            By::UnitField | By::UnitQuestion => (Some(k.unit.clone()), None, Some(k.field.clone().unwrap_or_default())),
            By::Question => (None, None, Some(k.field.clone().unwrap_or_default())),
        })
        .collect();
    let matches = |key: &RowKey, k: &CellKey| {
        let (unit, group, field) = key;
        unit.as_ref().is_none_or(|u| &k.unit == u)
            && group.as_ref().is_none_or(|g| &k.group == g)
            && field.as_ref().is_none_or(|f| k.field.as_deref().unwrap_or_default() == f.as_str())
    };
    // One table per unit where rows are a unit's fields or answers; the rows
    // of each under k are merged (SPEC §10). Rows that are units or groups
    // are not merged: one under k is left out.
    let mut tables: BTreeMap<Option<String>, Vec<RowKey>> = BTreeMap::new();
    for key in keys {
        let table = if matches!(by, By::UnitField | By::UnitQuestion) { key.0.clone() } else { None };
        tables.entry(table).or_default().push(key);
    }
    let k = crate::disclosure::threshold(agg.campaign);
    let mut rows = Vec::new();
    let mut left_out = 0usize;
    for (_, keys) in tables {
        let sizes: Vec<u64> = keys.iter().map(|key| agg.responses(|c| matches(key, c))).collect();
        if matches!(by, By::Unit | By::Group) {
            for (key, n) in keys.iter().zip(&sizes) {
                if *n < k {
                    left_out += 1;
                    continue;
                }
                let (unit, group, field) = key.clone();
                rows.push(BreakdownRow {
                    figures: figures(agg, |c| matches(key, c)),
                    unit,
                    group,
                    field,
                    answer: None,
                });
            }
            continue;
        }
        let Some(groups) = crate::disclosure::merge_small(&sizes, k) else {
            left_out += keys.len();
            continue;
        };
        for g in groups {
            let members: Vec<&RowKey> = g.iter().map(|&i| &keys[i]).collect();
            let (unit, group, mut field) = members[0].clone();
            if members.len() > 1 {
                let labels: Vec<&str> = members.iter().map(|m| m.2.as_deref().unwrap_or_default()).collect();
                field = Some(crate::disclosure::merged_label(&labels));
            }
            let keep = |c: &CellKey| members.iter().any(|m| matches(m, c));
            rows.push(BreakdownRow { figures: figures(agg, keep), unit, group, field, answer: None });
        }
    }
    let notes = if left_out > 0 {
        vec![format!(
            "Một số nhóm có ít hơn {k} phiếu nên không được trình bày riêng trong bảng này (đã gộp vào dòng «Gộp: …» \
             hoặc chỉ có trong số liệu chung), để không ai nhận ra câu trả lời của một người."
        )]
    } else {
        Vec::new()
    };
    Breakdown { by, question: None, rows, notes }
}

/// The breakdown by the answer to `code`, over an aggregate whose cells
/// carry that answer where the field would be ([`crate::crosstab::by_answer`]).
pub fn question_breakdown(cross: &Aggregate<'_>, by: By, code: &str) -> Breakdown {
    let mut b = breakdown(cross, if by == By::UnitQuestion { By::UnitField } else { By::Field });
    for row in &mut b.rows {
        row.answer = row.field.take();
    }
    // Answers in the questionnaire's order, those who did not answer last.
    let order: Vec<String> = cross
        .campaign
        .questionnaires
        .iter()
        .filter_map(|q| q.question(code))
        .flat_map(|q| {
            let answers: Vec<Option<sipas_shared::Answer>> = match q.kind {
                sipas_shared::model::questionnaire::QuestionKind::Yesno => {
                    vec![Some(sipas_shared::Answer::YesNo(true)), Some(sipas_shared::Answer::YesNo(false))]
                }
                _ => (0..q.options.len().max(5))
                    .filter_map(|i| {
                        q.options
                            .get(i)
                            .map(|o| sipas_shared::Answer::Choice(o.code.clone()))
                            .or_else(|| sipas_shared::Answer::parse(q, &(i + 1).to_string()).ok().flatten())
                    })
                    .map(Some)
                    .collect(),
            };
            answers
                .into_iter()
                .chain([Some(sipas_shared::Answer::DontKnow), None])
                .map(|a| crate::crosstab::label(q, a.as_ref()))
                .collect::<Vec<_>>()
        })
        .collect();
    let rank = |a: &Option<String>| a.as_ref().and_then(|a| order.iter().position(|o| o == a)).unwrap_or(usize::MAX);
    b.rows.sort_by(|x, y| x.unit.cmp(&y.unit).then(rank(&x.answer).cmp(&rank(&y.answer))));
    b.by = by;
    b.question = Some(code.to_owned());
    b
}
