//! Tables as an XLSX workbook: one sheet per table, bold frozen header,
//! percentages formatted `0.00`, columns wide enough for Vietnamese labels.

use super::{Table, Value};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The workbook as bytes.
///
/// # Errors
/// When rust_xlsxwriter refuses a sheet name or cell.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_text_wrap().set_background_color(0xDDEBF7);
    let figure = Format::new().set_num_format("0.00");
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&t.name))?;
        for (c, h) in t.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col(c), h, &header)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, v) in row.iter().enumerate() {
                match v {
                    Value::Text(s) => {
                        sheet.write_string(r, col(c), s)?;
                    }
                    Value::Count(n) => {
                        sheet.write_number(r, col(c), *n as f64)?;
                    }
                    Value::Figure(Some(d)) => {
                        let shown = crate::stats::round2(*d).to_f64().unwrap_or_default();
                        sheet.write_number_with_format(r, col(c), shown, &figure)?;
                    }
                    Value::Figure(None) => {}
                }
            }
        }
        for c in 0..t.headers.len() {
            let widest =
                t.rows.iter().filter_map(|row| row.get(c)).map(|v| v.display("").chars().count()).max().unwrap_or(0);
            let header_words = t.headers[c].split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
            let width = widest.max(header_words).clamp(6, 60) as f64 + 2.0;
            sheet.set_column_width(col(c), width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Excel allows 31 characters and no `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}
