//! The ballot CSV of SPEC §7: keyed-in paper ballots and exports.
//!
//! Columns `unit, group, field, submitted_at`, then one column per question
//! code. UTF-8 with or without BOM; `,` or `;` separators. Every bad row is
//! reported with its line number, and a file with errors yields no ballots.

use crate::files::csv::{CsvRows, parse_day_in, read_rows};
use crate::model::questionnaire::AnswerIssue;
use crate::model::{Campaign, RowError, StoredResponse};
use std::collections::BTreeMap;
use std::fmt;

const FIXED: [&str; 5] = ["unit", "group", "field", "submitted_at", "ballot"];
/// Columns a file may leave out.
const OPTIONAL: [&str; 3] = ["field", "submitted_at", "ballot"];

/// Reads and checks a ballot file against a campaign.
///
/// # Errors
/// Every faulty row and cell, with line numbers; nothing is returned then.
pub fn read_ballots(text: &str, campaign: &Campaign) -> Result<Vec<StoredResponse>, Vec<RowError>> {
    read_paper_ballots(text, campaign).map(|rows| rows.into_iter().map(|(_, r)| r).collect())
}

/// [`read_ballots`], each ballot with the line it was read from.
///
/// # Errors
/// Every faulty row and cell, with line numbers; nothing is returned then.
pub fn read_paper_ballots(text: &str, campaign: &Campaign) -> Result<Vec<(usize, StoredResponse)>, Vec<RowError>> {
    let CsvRows { header, records, errors: unreadable } = read_rows(text).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let position = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let fixed: Vec<Option<usize>> = FIXED.iter().map(|c| position(c)).collect();
    for (name, pos) in FIXED.iter().zip(&fixed) {
        if pos.is_none() && !OPTIONAL.contains(name) {
            errors.push(RowError {
                line: 1, column: Some((*name).to_owned()), message: "thiếu cột bắt buộc".into()
            });
        }
    }
    let known = |code: &str| campaign.questionnaires.iter().any(|q| q.question(code).is_some());
    for h in &header {
        if !FIXED.iter().any(|f| h.eq_ignore_ascii_case(f)) && !known(h) {
            errors.push(RowError {
                line: 1,
                column: Some(h.clone()),
                message: "cột không phải mã câu hỏi nào của đợt khảo sát".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let cell = |rec: &csv::StringRecord, i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").trim().to_owned();
    let mut ballots = Vec::new();
    errors.extend(unreadable);
    for (line, rec) in records {
        let err = |column: &str, message: String| RowError { line, column: Some(column.to_owned()), message };
        let unit = cell(&rec, fixed[0]);
        let group = cell(&rec, fixed[1]);
        let field = Some(cell(&rec, fixed[2])).filter(|f| !f.is_empty());
        let day_text = cell(&rec, fixed[3]);
        let number = cell(&rec, fixed[4]);
        let mut row_ok = true;
        let ballot = if number.is_empty() {
            None
        } else if let Some(code) = crate::model::ShortCode::parse(&number) {
            Some(code.as_str().to_owned())
        } else {
            errors.push(err(
                "ballot",
                format!("số phiếu «{number}» không đúng dạng (8 ký tự in trên phiếu, vd. 7JWJ-C1ZG)"),
            ));
            row_ok = false;
            None
        };
        if campaign.unit(&unit).is_none() {
            errors.push(err("unit", format!("đơn vị «{unit}» không có trong đợt khảo sát")));
            row_ok = false;
        }
        let Some(questionnaire) = campaign.questionnaire_of(&group) else {
            errors.push(err("group", format!("nhóm «{group}» không có trong đợt khảo sát")));
            continue;
        };
        if let Some(f) = &field
            && !campaign.fields.is_empty()
            && !campaign.fields.contains(f)
        {
            errors.push(err("field", format!("lĩnh vực «{f}» không có trong danh mục")));
            row_ok = false;
        }
        let submitted_on = if day_text.is_empty() {
            campaign.closes
        } else if let Some(d) = parse_day_in(&day_text, &campaign.timezone) {
            d
        } else {
            errors.push(err("submitted_at", format!("ngày «{day_text}» không hợp lệ (2026-10-02 hoặc 02/10/2026)")));
            row_ok = false;
            campaign.closes
        };
        if !campaign.is_open_on(submitted_on) {
            errors.push(err(
                "submitted_at",
                format!(
                    "ngày {} nằm ngoài thời gian khảo sát ({} – {})",
                    submitted_on.format("%d/%m/%Y"),
                    campaign.opens.format("%d/%m/%Y"),
                    campaign.closes.format("%d/%m/%Y")
                ),
            ));
            row_ok = false;
        }
        let mut cells = BTreeMap::new();
        for (i, h) in header.iter().enumerate() {
            if FIXED.iter().any(|f| h.eq_ignore_ascii_case(f)) {
                continue;
            }
            let v = rec.get(i).unwrap_or("").trim();
            if v.is_empty() {
                continue;
            }
            if questionnaire.question(h).is_none() {
                errors.push(err(h, format!("câu này không thuộc phiếu của nhóm «{group}»")));
                row_ok = false;
                continue;
            }
            cells.insert(h.clone(), v.to_owned());
        }
        match questionnaire.check_answers(&cells) {
            Ok(answers) if row_ok => ballots.push((
                line,
                StoredResponse {
                    unit,
                    group,
                    field,
                    submitted_on,
                    source: "paper".into(),
                    ballot,
                    cells: answers.to_cells(),
                },
            )),
            Ok(_) => {}
            Err(issues) => errors
                .extend(issues.into_iter().map(|AnswerIssue { question, error }| err(&question, error.to_string()))),
        }
    }
    if errors.is_empty() { Ok(ballots) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::csv::parse_day;
    use chrono::NaiveDate;

    #[test]
    fn line_numbers_count_from_the_file_whatever_the_line_endings() {
        let c = crate::files::examples::quang_binh().expect("example");
        for eol in ["\n", "\r\n"] {
            let text =
                ["unit,group,field,submitted_at,HL", "QB01,citizens,,2026-11-02,4", "QB01,citizens,,2026-11-02,9", ""]
                    .join(eol);
            let errors = read_ballots(&text, &c).expect_err("bad level");
            let hl: Vec<usize> = errors.iter().filter(|e| e.column.as_deref() == Some("HL")).map(|e| e.line).collect();
            assert_eq!(hl, vec![3], "eol {eol:?}");
            // The other required questions are missing on both data rows, lines 2 and 3.
            assert!(errors.iter().all(|e| e.line == 2 || e.line == 3), "eol {eol:?}: {errors:?}");
        }
    }

    #[test]
    fn dates_as_offices_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 2);
        assert_eq!(parse_day("2026-10-02"), d);
        assert_eq!(parse_day("02/10/2026"), d);
        assert_eq!(parse_day("2026-10-02T08:15:00Z"), d);
        assert_eq!(parse_day("31/02/2026"), None);
        // An instant is read on the campaign's clock: 17:30 UTC is 00:30 the
        // next day in Việt Nam (found in review: the written date won).
        let next = NaiveDate::from_ymd_opt(2026, 12, 3);
        assert_eq!(parse_day_in("2026-12-02T17:30:00Z", "Asia/Ho_Chi_Minh"), next);
        assert_eq!(parse_day_in("2026-12-02T12:30:00-05:00", "Asia/Ho_Chi_Minh"), next);
        assert_eq!(parse_day_in("02/12/2026", "Asia/Ho_Chi_Minh"), NaiveDate::from_ymd_opt(2026, 12, 2));
    }
}

/// One cell two keyers typed differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Position of the ballot in both files, from 1.
    pub ballot: usize,
    pub column: String,
    pub first: String,
    pub second: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phiếu thứ {}, cột «{}»: lần 1 «{}», lần 2 «{}»", self.ballot, self.column, self.first, self.second)
    }
}

/// Double entry: the same paper ballots keyed by two people, in the same
/// order. Every cell where they differ, and a row for a missing ballot.
pub fn compare_entries(first: &[StoredResponse], second: &[StoredResponse]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let empty = StoredResponse {
        unit: String::new(),
        group: String::new(),
        field: None,
        submitted_on: chrono::NaiveDate::MIN,
        source: String::new(),
        ballot: None,
        cells: std::collections::BTreeMap::new(),
    };
    for i in 0..first.len().max(second.len()) {
        let (a, b) = (first.get(i).unwrap_or(&empty), second.get(i).unwrap_or(&empty));
        let day = |r: &StoredResponse| if r.unit.is_empty() { String::new() } else { r.submitted_on.to_string() };
        let fixed = [
            ("unit", a.unit.clone(), b.unit.clone()),
            ("group", a.group.clone(), b.group.clone()),
            ("field", a.field.clone().unwrap_or_default(), b.field.clone().unwrap_or_default()),
            ("submitted_at", day(a), day(b)),
        ];
        for (column, x, y) in fixed {
            if x != y {
                out.push(Mismatch { ballot: i + 1, column: column.to_owned(), first: x, second: y });
            }
        }
        let codes: std::collections::BTreeSet<&String> = a.cells.keys().chain(b.cells.keys()).collect();
        for code in codes {
            let (x, y) =
                (a.cells.get(code).cloned().unwrap_or_default(), b.cells.get(code).cloned().unwrap_or_default());
            if x != y {
                out.push(Mismatch { ballot: i + 1, column: code.clone(), first: x, second: y });
            }
        }
    }
    out
}

#[cfg(test)]
mod double_entry {
    use super::*;

    fn ballot(unit: &str, cells: &[(&str, &str)]) -> StoredResponse {
        StoredResponse {
            unit: unit.into(),
            group: "citizens".into(),
            field: Some("Đất đai".into()),
            submitted_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            source: "paper".into(),
            ballot: None,
            cells: cells.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        }
    }

    #[test]
    fn every_differing_cell_and_missing_ballot_is_listed() {
        let a = vec![ballot("QB01", &[("q1", "4"), ("q2", "5")]), ballot("QB01", &[("q1", "3")])];
        let b = vec![ballot("QB01", &[("q1", "4"), ("q2", "3")]), ballot("QB01", &[("q1", "3"), ("q3", "a")])];
        let m = compare_entries(&a, &b);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].to_string(), "phiếu thứ 1, cột «q2»: lần 1 «5», lần 2 «3»");
        assert_eq!((m[1].ballot, m[1].column.as_str(), m[1].first.as_str()), (2, "q3", ""));
        assert!(compare_entries(&a, &a).is_empty());
        let short = compare_entries(&a, &a[..1]);
        assert!(short.iter().all(|x| x.ballot == 2) && short.iter().any(|x| x.column == "unit" && x.second.is_empty()));
    }
}
