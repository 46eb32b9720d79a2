//! Anonymous response-level data (SPEC §7 columns), streamed from the store:
//! one row per response, never a name, phone, address or token.

use futures::TryStreamExt;
use serde::Serialize;
use sipas_shared::Campaign;
use sipas_shared::store::{Store, StoreError, StoredResponse};
use std::io::Write;

/// Failures while exporting.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("không ghi được: {0}")]
    Io(#[from] std::io::Error),
    #[error("không ghi được CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("không ghi được JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("không tạo được XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("XLSX chứa tối đa 1.048.575 phiếu; hãy xuất CSV")]
    TooManyRowsForXlsx,
}

/// The question columns: every question of every questionnaire, in campaign order.
pub fn question_columns(campaign: &Campaign) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for q in campaign.questionnaires.iter().flat_map(|q| q.questions()) {
        if !cols.contains(&q.code) {
            cols.push(q.code.clone());
        }
    }
    cols
}

fn row(r: &StoredResponse, cols: &[String]) -> Vec<String> {
    let mut out =
        vec![r.unit.clone(), r.group.clone(), r.field.clone().unwrap_or_default(), r.submitted_on.to_string()];
    out.extend(cols.iter().map(|c| r.cells.get(c).cloned().unwrap_or_default()));
    out
}

/// Writes the ballot CSV; `progress` is called every 10,000 rows.
///
/// # Errors
/// Storage or write failures.
pub async fn csv(
    store: &dyn Store,
    campaign: &Campaign,
    out: impl Write,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, ExportError> {
    let cols = question_columns(campaign);
    let mut out = out;
    // A BOM, so Excel opens the Vietnamese as UTF-8 (importers accept it, SPEC §7).
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["unit".to_owned(), "group".into(), "field".into(), "submitted_at".into()];
    header.extend(cols.iter().cloned());
    w.write_record(&header)?;
    let mut n = 0u64;
    let mut stream = store.responses(&campaign.id);
    while let Some(r) = stream.try_next().await? {
        let r = mask_texts(campaign, r);
        let cells = row(&r, &cols);
        let safe: Vec<_> = cells.iter().map(|c| sipas_shared::spreadsheet::defuse(c)).collect();
        w.write_record(safe.iter().map(|c| c.as_bytes()))?;
        n += 1;
        if n.is_multiple_of(10_000) {
            progress(n);
        }
    }
    w.flush()?;
    progress(n);
    Ok(n)
}

#[derive(Serialize)]
struct JsonRow<'a> {
    unit: &'a str,
    group: &'a str,
    field: Option<&'a str>,
    submitted_at: String,
    answers: &'a std::collections::BTreeMap<String, String>,
}

/// Writes a JSON array of responses, one object a line.
///
/// # Errors
/// Storage or write failures.
pub async fn json(
    store: &dyn Store,
    campaign: &Campaign,
    mut out: impl Write,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, ExportError> {
    out.write_all(b"[")?;
    let mut n = 0u64;
    let mut stream = store.responses(&campaign.id);
    while let Some(r) = stream.try_next().await? {
        let r = mask_texts(campaign, r);
        out.write_all(if n == 0 { b"\n" } else { b",\n" })?;
        let row = JsonRow {
            unit: &r.unit,
            group: &r.group,
            field: r.field.as_deref(),
            submitted_at: r.submitted_on.to_string(),
            answers: &r.cells,
        };
        serde_json::to_writer(&mut out, &row)?;
        n += 1;
        if n.is_multiple_of(10_000) {
            progress(n);
        }
    }
    out.write_all(b"\n]\n")?;
    out.flush()?;
    progress(n);
    Ok(n)
}

/// Builds an XLSX workbook of the responses, its rows spooled to temporary
/// files (rust_xlsxwriter's constant-memory sheets); a sheet holds at most
/// 1,048,575 rows. Save it with `Workbook::save`.
///
/// # Errors
/// Storage failures, or more rows than a sheet holds.
pub async fn xlsx(
    store: &dyn Store,
    campaign: &Campaign,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<rust_xlsxwriter::Workbook, ExportError> {
    let cols = question_columns(campaign);
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("Phiếu")?;
    let mut header = vec!["unit".to_owned(), "group".into(), "field".into(), "submitted_at".into()];
    header.extend(cols.iter().cloned());
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(u16::MAX), h, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut n = 0u32;
    let mut stream = store.responses(&campaign.id);
    while let Some(r) = stream.try_next().await? {
        let r = mask_texts(campaign, r);
        n = n.checked_add(1).filter(|n| *n < 1_048_576).ok_or(ExportError::TooManyRowsForXlsx)?;
        for (c, v) in row(&r, &cols).iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            // Likert levels and numbers as numbers, so Excel can sum them.
            match v.parse::<f64>() {
                Ok(x) if c >= 4 => sheet.write_number(n, c, x)?,
                _ => sheet.write_string(n, c, v)?,
            };
        }
        if n.is_multiple_of(10_000) {
            progress(u64::from(n));
        }
    }
    progress(u64::from(n));
    Ok(book)
}

/// A response with its free-text answers masked as the report masks them
/// (phone numbers, ID numbers, e-mail addresses): a comment that names a
/// way to reach its writer would link the answers to a person.
fn mask_texts(campaign: &Campaign, mut r: sipas_shared::store::StoredResponse) -> sipas_shared::store::StoredResponse {
    if let Some(q) = campaign.questionnaire_of(&r.group) {
        for (code, cell) in &mut r.cells {
            if q.question(code).is_some_and(|x| x.kind == sipas_shared::questionnaire::QuestionKind::Text) {
                *cell = crate::answers::mask(cell);
            }
        }
    }
    r
}
