//! CSV as offices send it: a BOM or none, `,` or `;`, lines numbered as the
//! file numbers them; and dates as offices write them.

use crate::files::source::RecordLines;
use crate::model::RowError;
use chrono::NaiveDate;

/// Picks `;` when the header line has more of them than commas (Excel in a
/// Vietnamese locale writes `;`).
pub fn sniff_delimiter(first_line: &str) -> u8 {
    if first_line.matches(';').count() > first_line.matches(',').count() { b';' } else { b',' }
}

/// The day a cell names where the campaign runs: a timestamp with its zone
/// or offset (`2026-12-02T17:30:00Z`) is read at its instant in `zone`
/// (00:30 on 03/12 in Việt Nam); any other form as [`parse_day`] reads it.
pub fn parse_day_in(s: &str, zone: &str) -> Option<NaiveDate> {
    match chrono::DateTime::parse_from_rfc3339(s.trim()) {
        Ok(at) => Some(crate::model::clock::day_in(zone, at.with_timezone(&chrono::Utc))),
        Err(_) => parse_day(s),
    }
}

/// Parses a date as offices write it: `2026-10-02`, `02/10/2026`, or a
/// timestamp whose date part is one of these.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let date_part = s.split(['T', ' ']).next().unwrap_or(s);
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(date_part, "%d/%m/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(date_part, "%d-%m-%Y"))
        .ok()
}

/// A CSV file as offices send it, read once: the trimmed header, every
/// non-blank record with the line it starts on, and the rows that could not be read.
pub struct CsvRows {
    pub header: Vec<String>,
    pub records: Vec<(usize, csv::StringRecord)>,
    pub errors: Vec<RowError>,
}

/// Reads CSV text: drops a UTF-8 BOM, picks `,` or `;`, numbers lines as the
/// file does (whatever its line endings).
///
/// # Errors
/// When the header itself cannot be read.
pub fn read_rows(text: &str) -> Result<CsvRows, RowError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = sniff_delimiter(text.lines().next().unwrap_or(""));
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| RowError { line: 1, column: None, message: format!("không đọc được tiêu đề: {e}") })?
        .iter()
        .map(|c| c.trim().to_owned())
        .collect();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut lines = RecordLines::new(text);
    for rec in reader.records() {
        match rec {
            Ok(r) if r.iter().all(|c| c.trim().is_empty()) => {}
            Ok(r) => records.push((r.position().map_or(0, |p| lines.line(p.byte())), r)),
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line(p.byte()));
                errors.push(RowError { line, column: None, message: format!("dòng CSV không đọc được: {e}") });
            }
        }
    }
    Ok(CsvRows { header, records, errors })
}
