//! The appraisal file of the composite PAR INDEX (METHOD §4): per unit and
//! criterion, the maximum points, the unit's self-assessment and the points
//! the appraisal council gave. Bad rows are reported with line numbers.

use crate::files::csv::{CsvRows, read_rows};
use crate::model::appraisal::Appraisal;
use crate::model::text::fold_header;
use crate::model::{Campaign, RowError};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::str::FromStr;

/// Parses points as offices write them: `1.5`, `1,5`, `2`.
pub fn parse_points(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Decimal::from_str(&s.replace(',', ".")).ok()
}

/// Reads and checks an appraisal CSV against a campaign.
///
/// # Errors
/// Every bad row with its line: unknown unit, points that are not numbers,
/// points above the maximum, a criterion twice for one unit, or a criterion
/// that the survey scores.
pub fn read_appraisals(text: &str, campaign: &Campaign) -> Result<Vec<Appraisal>, Vec<RowError>> {
    let CsvRows { header, records, errors: unreadable } = read_rows(text).map_err(|e| vec![e])?;
    let header: Vec<String> = header.iter().map(|h| fold_header(h)).collect();
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let columns = [
        ("unit", find(&["unit", "donvi", "madonvi"])),
        ("area", find(&["area", "linhvuc", "linhvucchiso"])),
        ("criterion", find(&["criterion", "tieuchi", "matieuchi"])),
        ("max_points", find(&["maxpoints", "max", "diemtoida"])),
        ("self_points", find(&["selfpoints", "selfscore", "self", "diemtudanhgia", "tudanhgia"])),
        ("appraised_points", find(&["appraisedpoints", "appraisedscore", "appraised", "diemthamdinh", "thamdinh"])),
    ];
    let missing: Vec<RowError> = columns
        .iter()
        .filter(|(name, pos)| pos.is_none() && *name != "self_points")
        .map(|(name, _)| RowError {
            line: 1, column: Some((*name).to_owned()), message: "thiếu cột bắt buộc".into()
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let survey_criteria: BTreeSet<&str> = campaign
        .questionnaires
        .iter()
        .flat_map(|q| q.questions().filter_map(|x| x.criterion.as_deref()))
        .chain(campaign.par.sipas_criterion.as_ref().map(|f| f.criterion.as_str()))
        .collect();
    let mut errors = unreadable;
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for (line, rec) in records {
        let get = |i: usize| columns[i].1.and_then(|c| rec.get(c)).unwrap_or("").trim().to_owned();
        let err = |column: &str, message: String| RowError { line, column: Some(column.to_owned()), message };
        let (unit, area, criterion) = (get(0), get(1), get(2));
        let before = errors.len();
        if campaign.unit(&unit).is_none() {
            errors.push(err("unit", format!("đơn vị «{unit}» không có trong đợt khảo sát")));
        }
        if area.is_empty() {
            errors.push(err("area", "thiếu lĩnh vực".into()));
        }
        if criterion.is_empty() {
            errors.push(err("criterion", "thiếu mã tiêu chí".into()));
        } else if survey_criteria.contains(criterion.as_str()) {
            if get(5).is_empty() {
                continue; // the survey fills this criterion in
            }
            errors.push(err(
                "criterion",
                format!("tiêu chí «{criterion}» được chấm qua điều tra xã hội học, không nhập điểm thẩm định"),
            ));
        } else if !seen.insert((unit.clone(), criterion.clone())) {
            errors.push(err("criterion", format!("tiêu chí «{criterion}» của đơn vị «{unit}» xuất hiện hai lần")));
        }
        let number = |i: usize, name: &str, errors: &mut Vec<RowError>| {
            let raw = get(i);
            match parse_points(&raw) {
                Some(d) if d >= Decimal::ZERO => Some(d),
                _ => {
                    if !(raw.is_empty() && name == "self_points") {
                        errors.push(err(name, format!("điểm «{raw}» không phải số không âm")));
                    }
                    None
                }
            }
        };
        let max = number(3, "max_points", &mut errors);
        let self_points = number(4, "self_points", &mut errors);
        let appraised = number(5, "appraised_points", &mut errors);
        if let Some(max) = max {
            for (name, v) in [("self_points", self_points), ("appraised_points", appraised)] {
                if v.is_some_and(|v| v > max) {
                    errors.push(err(name, format!("điểm {} vượt điểm tối đa {max}", v.unwrap_or_default())));
                }
            }
        }
        if errors.len() == before
            && let (Some(max_points), Some(appraised_points)) = (max, appraised)
        {
            rows.push(Appraisal { unit, area, criterion, max_points, self_points, appraised_points, line });
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}
