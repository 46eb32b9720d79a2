//! The design-weighted figures of a household sample (METHOD §6), beside the
//! unweighted ones: SIPAS, its parts and components for the whole campaign
//! and SIPAS for each commune, each answer weighted by its village's design
//! weight (1 ÷ the household's chance of selection) and its variance taken
//! with villages as the primary units, communes as strata ([`design`]).
//!
//! A weight belongs to a village's cell, never to an answer: every answer
//! of a released batch carries the same one, so weighting singles none out
//! (SPEC §10). Answers released at close pooled above their village (a
//! village that gave fewer than k) take the mean weight of their commune's
//! villages and count as one more cluster of that commune.

use crate::crosstab::{by_cell, decode_cell};
use crate::design::{Design, Estimate, NOT_ANSWERED, Scored};
use serde::Serialize;
use sipas_shared::Answer;
use sipas_shared::model::campaign::{Campaign, ItemIndex};
use sipas_shared::model::questionnaire::Questionnaire;
use sipas_shared::store::AnswerChunk;
use sipas_shared::store::columns::ChunkError;
use sipas_shared::store::field::DesignCell;
use std::collections::BTreeMap;

/// One figure, weighted and not.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WeightedFigure {
    /// A part's name, a component's code, a unit's code, or `sipas`.
    pub code: String,
    pub name: String,
    /// The plain mean over the same answers, as the official tables give it.
    pub unweighted: f64,
    /// Σ w·y ÷ Σ w, in percent.
    pub weighted: f64,
    /// Standard error of the weighted figure, in points.
    pub se: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<f64>>)]
    pub ci95: Option<(f64, f64)>,
    /// Design effect: the design's variance ÷ simple random sampling's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deff: Option<f64>,
    pub answers: usize,
    /// Villages (primary units) and communes (strata) the figure rests on.
    pub villages: usize,
    pub communes: usize,
}

/// The design-weighted section of a report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DesignReport {
    pub group: String,
    pub group_name: String,
    /// How the figures are estimated, in words.
    pub method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sipas: Option<WeightedFigure>,
    pub parts: Vec<WeightedFigure>,
    pub components: Vec<WeightedFigure>,
    /// SIPAS of each commune with at least k answers.
    pub units: Vec<WeightedFigure>,
}

/// How [`DesignReport`] figures are made, for every format to print.
pub const METHOD: &str = "Ước lượng tỷ số có trọng số: quyền số mỗi hộ = 1 ÷ (xác suất chọn thôn × xác suất chọn hộ trong thôn); \
     phương sai tuyến tính hoá Taylor, thôn là đơn vị mẫu bậc 1, xã là tầng; khoảng tin cậy 95 % theo phân phối Student \
     với (số thôn − số xã) bậc tự do; hệ số thiết kế = phương sai theo thiết kế ÷ phương sai mẫu ngẫu nhiên đơn giản.";

/// An item of SIPAS: its place in the questionnaire's components.
struct Item<'q> {
    code: &'q str,
    component: &'q str,
    part: Option<&'q str>,
}

/// The design-weighted figures of the campaign's household group, or `None`
/// when it has none or no village was drawn.
///
/// # Errors
/// A damaged chunk.
pub fn design_report(
    campaign: &Campaign,
    chunks: &[AnswerChunk],
    cells: &[DesignCell],
) -> Result<Option<DesignReport>, ChunkError> {
    let Some(group) = campaign.groups.iter().find(|g| g.households.is_some()) else { return Ok(None) };
    let Some(questionnaire) = campaign.questionnaire_of(&group.code) else { return Ok(None) };
    let mine: Vec<&DesignCell> = cells.iter().filter(|c| c.group == group.code).collect();
    if mine.is_empty() || questionnaire.components.is_empty() {
        return Ok(None);
    }
    let items: Vec<Item<'_>> = questionnaire
        .questions()
        .filter_map(|q| {
            let component = q.component.as_deref()?;
            let part = questionnaire.components.iter().find(|c| c.code == component).and_then(|c| c.part.as_deref());
            Some(Item { code: &q.code, component, part })
        })
        .collect();
    let rows = scored_rows(campaign, questionnaire, &group.code, chunks, &mine, &items)?;
    let k = u64::from(campaign.anonymity_k).max(1);
    let whole: Vec<Scored<'_>> = rows.scored().collect();
    // Each commune's SIPAS on a thread of its own, beside the whole group's
    // figures: both only read the scored answers.
    let ((sipas, parts, components), units) = std::thread::scope(|scope| {
        let units = scope.spawn(|| {
            let mut units = Vec::new();
            // The rows come cell by cell in unit order (`by_cell`): a unit's answers
            // are one run of them, borrowed, not copied.
            for answers in whole.chunk_by(|a, b| a.stratum == b.stratum) {
                let unit = answers[0].stratum;
                if (answers.len() as u64) < k {
                    continue;
                }
                let name = campaign.unit(unit).map_or(unit, |u| u.name.as_str());
                let design = Design::new(answers, items.len());
                if let Some(f) = figure(unit, name, design.estimate(&sipas_coefficients(&items, &design))) {
                    units.push(f);
                }
            }
            units
        });
        let design = Design::new(&whole, items.len());
        // Every figure over the whole group in one pass over its answers.
        let mut part_names: Vec<&str> = Vec::new();
        for p in items.iter().filter_map(|i| i.part) {
            if !part_names.contains(&p) {
                part_names.push(p);
            }
        }
        let mut wanted: Vec<(&str, &str, Vec<f64>)> = vec![("sipas", "SIPAS", sipas_coefficients(&items, &design))];
        for p in &part_names {
            let mask: Vec<bool> = items.iter().map(|i| i.part == Some(*p)).collect();
            wanted.push((p, p, masked(&items, &design, &mask)));
        }
        for c in &questionnaire.components {
            let mask: Vec<bool> = items.iter().map(|i| i.component == c.code).collect();
            wanted.push((&c.code, &c.name, masked(&items, &design, &mask)));
        }
        let coefficients: Vec<&[f64]> = wanted.iter().map(|(_, _, c)| c.as_slice()).collect();
        let mut figures =
            wanted.iter().zip(design.estimates(&coefficients)).map(|((code, name, _), e)| figure(code, name, e));
        let sipas = figures.next().flatten();
        let parts: Vec<WeightedFigure> = figures.by_ref().take(part_names.len()).flatten().collect();
        let components: Vec<WeightedFigure> = figures.flatten().collect();
        let units = units.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        ((sipas, parts, components), units)
    });
    Ok(Some(DesignReport {
        group: group.code.clone(),
        group_name: group.name.clone(),
        method: METHOD,
        sipas,
        parts,
        components,
        units,
    }))
}

/// The released answers of the household group, scored: one row of item
/// scores each, kept in one flat array (a million answers, no allocation
/// each), with the row's commune, village and weight.
struct Rows {
    width: usize,
    /// Item scores in fifths ([`NOT_ANSWERED`] where not answered).
    scores: Vec<u8>,
    /// (commune, village) as positions in `names`, and the weight.
    meta: Vec<(usize, usize, f64)>,
    names: Vec<String>,
}

impl Rows {
    fn name(&mut self, name: String) -> usize {
        match self.names.iter().rposition(|n| *n == name) {
            Some(i) => i,
            None => {
                self.names.push(name);
                self.names.len() - 1
            }
        }
    }

    fn scored(&self) -> impl Iterator<Item = Scored<'_>> {
        self.meta.iter().enumerate().map(|(r, (unit, cluster, weight))| Scored {
            stratum: &self.names[*unit],
            cluster: &self.names[*cluster],
            weight: *weight,
            items: std::borrow::Cow::Borrowed(&self.scores[r * self.width..(r + 1) * self.width]),
        })
    }
}

fn scored_rows(
    campaign: &Campaign,
    questionnaire: &Questionnaire,
    group: &str,
    chunks: &[AnswerChunk],
    cells: &[&DesignCell],
    items: &[Item<'_>],
) -> Result<Rows, ChunkError> {
    let weight_of: BTreeMap<(&str, &str), f64> =
        cells.iter().map(|c| ((c.unit.as_str(), c.field.as_str()), c.weight())).collect();
    let mut unit_weights: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for c in cells {
        let e = unit_weights.entry(c.unit.as_str()).or_default();
        e.0 += c.weight();
        e.1 += 1;
    }
    let position: BTreeMap<&str, usize> = items.iter().enumerate().map(|(i, item)| (item.code, i)).collect();
    let method = campaign.scoring.item_index;
    let mut rows = Rows { width: items.len(), scores: Vec::new(), meta: Vec::new(), names: Vec::new() };
    for ((unit, g, field), parts) in by_cell(chunks) {
        if g != group {
            continue;
        }
        let (weight, cluster) = match field.and_then(|f| weight_of.get(&(unit, f))) {
            Some(w) => (*w, field.unwrap_or_default().to_owned()),
            None => match unit_weights.get(unit) {
                Some((sum, n)) if *n > 0 => (sum / *n as f64, format!("{unit}:*")),
                // A commune with no drawn village: its answers did not come
                // from the design and stay out of the weighted figures.
                _ => continue,
            },
        };
        let (unit_at, cluster_at) = (rows.name(unit.to_owned()), rows.name(cluster));
        for d in decode_cell(&parts, &|code| position.contains_key(code))? {
            let columns: Vec<Option<(usize, &sipas_shared::model::questionnaire::Question)>> = d
                .questions
                .iter()
                .map(|code| Some((*position.get(code.as_str())?, questionnaire.question(code)?)))
                .collect();
            // Each distinct (column, answer) scored once per chunk, kept by
            // position: a million answers look their scores up by index.
            const UNSCORED: u8 = NOT_ANSWERED - 1;
            let stride = d.answers.len() + 1;
            let mut scores: Vec<u8> = vec![UNSCORED; columns.len() * stride];
            rows.scores.reserve(d.rows * rows.width);
            rows.meta.reserve(d.rows);
            for r in 0..d.rows {
                let start = rows.scores.len();
                rows.scores.resize(start + rows.width, NOT_ANSWERED);
                for (c, found) in columns.iter().enumerate() {
                    let Some((at, question)) = found else { continue };
                    let v = d.get(r, c);
                    if v == 0 {
                        continue;
                    }
                    let cached = &mut scores[c * stride + usize::from(v)];
                    if *cached == UNSCORED {
                        let answer = Answer::parse(question, &d.answers[usize::from(v - 1)]).ok().flatten();
                        *cached = answer.and_then(|a| score(&a, method)).unwrap_or(NOT_ANSWERED);
                    }
                    rows.scores[start + *at] = *cached;
                }
                rows.meta.push((unit_at, cluster_at, weight));
            }
        }
    }
    Ok(rows)
}

/// An answer's item score in [0, 1], as the item index counts it, in fifths.
fn score(answer: &Answer, method: ItemIndex) -> Option<u8> {
    let level = match answer {
        Answer::Likert(l) => l.index() + 1,
        Answer::YesNo(true) => 5,
        Answer::YesNo(false) => 1,
        _ => return None,
    };
    Some(match method {
        ItemIndex::SatisfiedShare => 5 * u8::from(level >= 4),
        ItemIndex::ScoreRatio => u8::try_from(level).unwrap_or(NOT_ANSWERED),
    })
}

/// SIPAS as a fixed mean of items, as [`crate::indices::sipas`] builds it:
/// the mean of the parts (or of the components where there are no parts),
/// each the mean of its components, each the mean of its items; an item, a
/// component or a part with no answer here drops out.
fn sipas_coefficients(items: &[Item<'_>], design: &Design<'_, '_>) -> Vec<f64> {
    masked(items, design, &vec![true; items.len()])
}

/// A part's components, each with the positions of its items.
type Components<'q> = Vec<(&'q str, Vec<usize>)>;

/// Coefficients of the mean over the items `mask` keeps.
fn masked(items: &[Item<'_>], design: &Design<'_, '_>, mask: &[bool]) -> Vec<f64> {
    let answered: Vec<bool> = (0..items.len()).map(|q| mask[q] && design.answered(q)).collect();
    // part → component → items with answers.
    let mut tree: Vec<(Option<&str>, Components<'_>)> = Vec::new();
    for (q, item) in items.iter().enumerate() {
        if !answered[q] {
            continue;
        }
        let part = match tree.iter().position(|(p, _)| *p == item.part) {
            Some(i) => i,
            None => {
                tree.push((item.part, Vec::new()));
                tree.len() - 1
            }
        };
        let comps = &mut tree[part].1;
        match comps.iter_mut().find(|(c, _)| *c == item.component) {
            Some((_, qs)) => qs.push(q),
            None => comps.push((item.component, vec![q])),
        }
    }
    let mut coefficients = vec![0.0; items.len()];
    let with_parts = tree.iter().any(|(p, _)| p.is_some());
    if with_parts {
        let parts = tree.len() as f64;
        for (_, comps) in &tree {
            for (_, qs) in comps {
                for q in qs {
                    coefficients[*q] = 1.0 / (parts * comps.len() as f64 * qs.len() as f64);
                }
            }
        }
    } else {
        let comps: Vec<&(&str, Vec<usize>)> = tree.iter().flat_map(|(_, c)| c).collect();
        for (_, qs) in &comps {
            for q in qs {
                coefficients[*q] = 1.0 / (comps.len() as f64 * qs.len() as f64);
            }
        }
    }
    coefficients
}

fn figure(code: &str, name: &str, estimate: Option<Estimate>) -> Option<WeightedFigure> {
    let weighted: Estimate = estimate?;
    Some(WeightedFigure {
        code: code.to_owned(),
        name: name.to_owned(),
        unweighted: two_places(weighted.unweighted),
        weighted: two_places(weighted.value),
        se: two_places(weighted.se),
        ci95: weighted.ci95,
        deff: weighted.deff.map(two_places),
        answers: weighted.answers,
        villages: weighted.clusters,
        communes: weighted.strata,
    })
}

fn two_places(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::Aggregate;
    use sipas_shared::model::StoredResponse;
    use sipas_shared::store::columns::{Row as ChunkRow, encode};

    use crate::examples::province;

    fn cell(unit: &str, village: &str, chance_den: i64) -> DesignCell {
        DesignCell {
            unit: unit.into(),
            group: "households".into(),
            field: village.into(),
            chance_num: 1,
            chance_den,
            listed: 100,
            take: 10,
        }
    }

    /// A household's answers: every policy item at `policy`, every service
    /// item at `service` (levels), the service questions open.
    fn answers(campaign: &Campaign, policy: &str, service: &str) -> ChunkRow {
        let q = campaign.questionnaire_of("households").expect("questionnaire");
        let mut row: ChunkRow = vec![("DV".into(), "1".into())];
        for question in q.questions().filter(|x| x.component.is_some()) {
            let level = if question.code.starts_with('P') { policy } else { service };
            row.push((question.code.clone(), level.to_owned()));
        }
        row.sort();
        row
    }

    fn chunk(unit: &str, village: &str, rows: &[ChunkRow]) -> AnswerChunk {
        (unit.into(), "households".into(), Some(village.into()), 1, encode(rows))
    }

    /// Hà Nội 2024 (METHOD §6): policy 86.51 %, services 86.49 %, SIPAS
    /// 86.50 %. 10,000 households: 8,651 satisfied with every policy item
    /// and 8,649 with every service item give each item, component and part
    /// those shares, and SIPAS the mean of the two parts, in the official
    /// (unweighted) figures and in the design's with equal weights.
    #[test]
    fn the_two_parts_of_a_published_figure_give_its_sipas() {
        let c = province();
        let mut rows_a = Vec::new();
        let mut rows_b = Vec::new();
        let mut agg = Aggregate::new(&c);
        for i in 0..10_000 {
            let row = answers(&c, if i < 8_651 { "5" } else { "2" }, if i < 8_649 { "4" } else { "3" });
            agg.add(&StoredResponse {
                unit: "HS001".into(),
                group: "households".into(),
                field: Some("HS001-T01".into()),
                submitted_on: c.opens,
                source: "online".into(),
                ballot: None,
                cells: row.iter().cloned().collect(),
            });
            if i % 2 == 0 { rows_a.push(row) } else { rows_b.push(row) }
        }
        let official = crate::indices::sipas(&c, &agg.pooled(|_| true)).expect("SIPAS");
        let parts: Vec<String> =
            official.parts.iter().map(|p| format!("{}: {}", p.part, p.index.expect("index"))).collect();
        assert_eq!(parts, ["Xây dựng, tổ chức thực hiện chính sách: 86.51", "Cung ứng dịch vụ hành chính công: 86.49"]);
        assert_eq!(official.index.expect("index").to_string(), "86.50");

        let chunks = [chunk("HS001", "HS001-T01", &rows_a), chunk("HS001", "HS001-T02", &rows_b)];
        let cells = [cell("HS001", "HS001-T01", 80), cell("HS001", "HS001-T02", 80)];
        let d = design_report(&c, &chunks, &cells).expect("chunks").expect("a design");
        let sipas = d.sipas.expect("SIPAS");
        assert_eq!((sipas.unweighted, sipas.weighted), (86.5, 86.5));
        let parts: Vec<(f64, f64)> = d.parts.iter().map(|p| (p.unweighted, p.weighted)).collect();
        assert_eq!(parts, [(86.51, 86.51), (86.49, 86.49)]);
        assert_eq!(d.components.len(), 9);
    }

    /// Two communes of 20 households in two villages each. HS001's
    /// households each stand for 50 (chance 1/50) and are satisfied with
    /// everything; HS002's stand for 150 and are satisfied with nothing.
    /// Unweighted: 20 of 40 = 50 %. Weighted: 50·20 ÷ (50·20 + 150·20) = 25 %.
    /// Every village of a commune says the same, so the design has no spread.
    #[test]
    fn households_weigh_as_many_as_they_stand_for() {
        let c = province();
        let happy = vec![answers(&c, "5", "5"); 10];
        let unhappy = vec![answers(&c, "1", "2"); 10];
        let chunks = [
            chunk("HS001", "A1", &happy),
            chunk("HS001", "A2", &happy),
            chunk("HS002", "B1", &unhappy),
            chunk("HS002", "B2", &unhappy),
        ];
        let cells =
            [cell("HS001", "A1", 50), cell("HS001", "A2", 50), cell("HS002", "B1", 150), cell("HS002", "B2", 150)];
        let d = design_report(&c, &chunks, &cells).expect("chunks").expect("a design");
        let sipas = d.sipas.expect("SIPAS");
        assert_eq!((sipas.unweighted, sipas.weighted, sipas.se), (50.0, 25.0, 0.0));
        assert_eq!((sipas.answers, sipas.villages, sipas.communes), (40, 4, 2));
        let units: Vec<(&str, f64)> = d.units.iter().map(|u| (u.code.as_str(), u.weighted)).collect();
        assert_eq!(units, [("HS001", 100.0), ("HS002", 0.0)]);
    }

    /// Answers pooled above their village at close (no field) take their
    /// commune's mean weight; a commune with no drawn village stays out.
    #[test]
    fn answers_without_a_village_take_their_communes_weight() {
        let c = province();
        let happy = vec![answers(&c, "5", "5"); 10];
        let unhappy = vec![answers(&c, "1", "1"); 10];
        let chunks = [
            chunk("HS001", "A1", &happy),
            (String::from("HS001"), String::from("households"), None, 1, encode(&unhappy)),
            chunk("HS003", "C1", &unhappy),
        ];
        let cells = [cell("HS001", "A1", 50)];
        let d = design_report(&c, &chunks, &cells).expect("chunks").expect("a design");
        let sipas = d.sipas.expect("SIPAS");
        assert_eq!((sipas.weighted, sipas.answers, sipas.villages), (50.0, 20, 2));
    }
}
