//! Which units of this campaign came from which units of the campaign it
//! follows: since 1 July 2025 a commune is often the merger of two to four
//! communes of 2024, and an old commune may be split between two new ones
//! (METHOD §6). Last year's figures of a new unit are those of the units it
//! absorbed.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Campaign, RowError};

/// One old unit absorbed, whole or in part, by a unit of this campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predecessor {
    /// The line of the lineage file it came from.
    pub line: usize,
    /// The unit of this campaign.
    pub unit: String,
    /// The unit of the campaign followed.
    pub from: String,
    /// Its name, as the file gives it.
    pub from_name: String,
    /// The part of the old unit the new one took (1 when whole).
    pub share: Decimal,
    /// The legal act that merged them («Nghị quyết 1680/NQ-UBTVQH15»).
    pub act: String,
}

/// A unit's figures as last year's report published them, for a campaign
/// whose previous year was not run in the product (`previous_figures_csv`).
/// Percentages (0–100), as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedFigures {
    pub line: usize,
    /// The unit's code last year (what the lineage's «Mã đơn vị cũ» names).
    pub unit: String,
    pub name: String,
    /// Answers behind the figures, the weight of each in a merged unit.
    pub responses: u64,
    pub sipas: Option<Decimal>,
    /// (component code, index) of this year's SIPAS components the file has.
    #[serde(default)]
    pub components: Vec<(String, Decimal)>,
    pub par_survey: Option<Decimal>,
    pub par_index: Option<Decimal>,
}

/// Faults of a lineage against the figures last year published: an old unit
/// the file does not list. (An old unit the lineage forgot cannot be told
/// from a unit kept under its code, so only names are checked.)
pub fn check_against_published(lineage: &[Predecessor], published: &[PublishedFigures]) -> Vec<RowError> {
    let old: BTreeSet<&str> = published.iter().map(|p| p.unit.as_str()).collect();
    lineage
        .iter()
        .filter(|p| !old.contains(p.from.as_str()))
        .map(|p| RowError {
            line: p.line,
            column: Some("Mã đơn vị cũ".into()),
            message: format!("đơn vị cũ «{}» không có trong tệp kết quả năm trước", p.from),
        })
        .collect()
}

/// Faults of a lineage against the campaign it follows: an old unit that
/// campaign does not have; an old unit neither kept under its code nor
/// absorbed by any new unit. Each names the lineage file's line (the header's,
/// 1, for a unit the file forgot).
pub fn check_against(campaign: &Campaign, previous: &Campaign) -> Vec<RowError> {
    let mut errors = Vec::new();
    let old: BTreeSet<&str> = previous.units.iter().map(|u| u.code.as_str()).collect();
    for p in &campaign.lineage {
        if !old.contains(p.from.as_str()) {
            errors.push(RowError {
                line: p.line,
                column: Some("Mã đơn vị cũ".into()),
                message: format!("đơn vị cũ «{}» không có trong đợt khảo sát trước ({})", p.from, previous.id),
            });
        }
    }
    let absorbed: BTreeSet<&str> = campaign.lineage.iter().map(|p| p.from.as_str()).collect();
    for u in &previous.units {
        if campaign.unit(u.code.as_str()).is_none() && !absorbed.contains(u.code.as_str()) {
            errors.push(RowError {
                line: 1,
                column: Some("Mã đơn vị cũ".into()),
                message: format!(
                    "đơn vị «{}» ({}) của đợt trước không còn trong đợt này và tệp không nói đơn vị nào tiếp nhận nó",
                    u.name, u.code
                ),
            });
        }
    }
    errors
}

/// Checks a lineage on its own and against the campaign's units: each new
/// unit is one of the campaign's; a pair is given once; each row names its
/// act; an old unit split between new units gives each part a share and
/// the shares add up to 100 %.
pub(crate) fn check(lineage: &[Predecessor], campaign_units: &BTreeSet<&str>) -> Vec<RowError> {
    let mut errors = Vec::new();
    let mut pairs: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for p in lineage {
        let err = |column: &str, message: String| RowError { line: p.line, column: Some(column.into()), message };
        if !campaign_units.contains(p.unit.as_str()) {
            errors.push(err("Mã đơn vị mới", format!("đơn vị mới «{}» không có trong đợt khảo sát này", p.unit)));
        }
        if p.act.is_empty() {
            errors.push(err(
                "Văn bản",
                format!("thiếu văn bản sáp nhập (số, ngày) của đơn vị «{}» vào «{}»", p.from, p.unit),
            ));
        }
        match pairs.entry((&p.unit, &p.from)) {
            std::collections::btree_map::Entry::Occupied(first) => {
                errors.push(err("Mã đơn vị cũ", format!("«{}» ← «{}» đã có ở dòng {}", p.unit, p.from, first.get())))
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(p.line);
            }
        }
    }
    // A pair given twice is one fault, named above, not a split: each
    // pair counts once, at its first line.
    let mut parts: BTreeMap<&str, Vec<&Predecessor>> = BTreeMap::new();
    for p in lineage.iter().filter(|p| pairs.get(&(p.unit.as_str(), p.from.as_str())) == Some(&p.line)) {
        parts.entry(&p.from).or_default().push(p);
    }
    for (from, ps) in parts.iter().filter(|(_, ps)| ps.len() > 1) {
        let total: Decimal = ps.iter().map(|p| p.share).sum();
        if total != Decimal::ONE {
            let last = ps.iter().map(|p| p.line).max().unwrap_or(1);
            let units: Vec<&str> = ps.iter().map(|p| p.unit.as_str()).collect();
            errors.push(RowError {
                line: last,
                column: Some("Tỷ lệ".into()),
                message: format!(
                    "đơn vị cũ «{from}» chia cho {} đơn vị mới ({}): các tỷ lệ phải cộng lại 100 % (đang là {} %)",
                    ps.len(),
                    units.join(", "),
                    (total * Decimal::ONE_HUNDRED).normalize().to_string().replace('.', ",")
                ),
            });
        }
    }
    errors
}
