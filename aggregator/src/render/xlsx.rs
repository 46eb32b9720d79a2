//! Tables as an XLSX workbook for people who open it in a spreadsheet
//! program: one sheet per table; above each, the title and the report's
//! metadata (campaign, organiser, generated at, method); a bold header with
//! an autofilter, frozen under the title; columns fitted to their content;
//! and a print setup (A4 landscape, one page wide, the header repeated on
//! every page).

use super::{Table, Value};
use crate::report::Report;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

/// The lines written above every table.
pub fn metadata(report: &Report, organiser: Option<&str>) -> Vec<String> {
    let mut lines = vec![format!("Đợt khảo sát: {} (năm {})", report.name, report.year)];
    if let Some(o) = organiser {
        lines.push(format!("Cơ quan tổ chức: {o}"));
    }
    lines.push(format!("Lập lúc: {} · {} phiếu", report.generated_local, report.totals.figures.responses));
    lines.push(
        "Phương pháp: chỉ số tính chính xác theo phương pháp chính thức, làm tròn nửa lên 2 chữ số thập phân; \
         khoảng tin cậy và chỉ số gia quyền là phần bổ sung."
            .into(),
    );
    lines
}

/// The workbook as bytes.
///
/// # Errors
/// When rust_xlsxwriter refuses a sheet name or cell.
pub fn workbook(tables: &[Table], meta: &[String]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let note = Format::new().set_italic().set_font_color(0x555555);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color(0xDDEBF7)
        .set_align(FormatAlign::Top)
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let figure = Format::new().set_num_format("0.00");
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let mut names: Vec<String> = Vec::new();
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(unique(&mut names, &sheet_name(&t.name)))?;
        sheet.write_string_with_format(0, 0, &t.title, &title)?;
        for (i, line) in meta.iter().enumerate() {
            sheet.write_string_with_format(row(i + 1), 0, line, &note)?;
        }
        let head = row(meta.len() + 2);
        for (c, h) in t.headers.iter().enumerate() {
            sheet.write_string_with_format(head, col(c), h, &header)?;
        }
        // Long texts (questions, comments) wrap in a column of fixed width.
        let widths: Vec<usize> = (0..t.headers.len())
            .map(|c| {
                let widest = t
                    .rows
                    .iter()
                    .filter_map(|row| row.get(c))
                    .map(|v| v.display("").chars().count())
                    .max()
                    .unwrap_or(0);
                let header_words = t.headers[c].split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
                widest.max(header_words).max(t.headers[c].chars().count().min(18)).clamp(6, 60)
            })
            .collect();
        for (r, cells) in t.rows.iter().enumerate() {
            let r = head + 1 + row(r);
            for (c, v) in cells.iter().enumerate() {
                match v {
                    Value::Text(s) if widths[c] >= 60 => {
                        sheet.write_string_with_format(r, col(c), s, &wrap)?;
                    }
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
        for (c, w) in widths.iter().enumerate() {
            sheet.set_column_width(col(c), *w as f64 + 2.0)?;
        }
        let last_row = head + row(t.rows.len());
        let last_col = col(t.headers.len().saturating_sub(1));
        sheet.autofilter(head, 0, last_row, last_col)?;
        sheet.set_freeze_panes(head + 1, 0)?;
        // Printing: A4 landscape, one page wide, the header on every page.
        sheet.set_paper_size(9);
        sheet.set_landscape();
        sheet.set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(head, head)?;
        sheet.set_print_gridlines(true);
        sheet.set_footer("&CTrang &P / &N");
    }
    book.save_to_buffer()
}

fn row(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Excel allows 31 characters and no `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}

/// A sheet name not yet used in the workbook.
fn unique(used: &mut Vec<String>, name: &str) -> String {
    let mut candidate = name.to_owned();
    let mut i = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&candidate)) {
        candidate = format!("{} ({i})", name.chars().take(26).collect::<String>());
        i += 1;
    }
    used.push(candidate.clone());
    candidate
}
