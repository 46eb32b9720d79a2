//! Tables as an XLSX workbook for people who open it in a spreadsheet
//! program: one sheet per table; above each, the title and the report's
//! metadata (campaign, organiser, generated at, method); a bold header with
//! an autofilter, frozen under the title; columns fitted to their content
//! and rows to their wrapped texts; and a print setup: A4 landscape, the
//! header repeated on every page, one page wide where that keeps the type
//! at 8 pt or more, else across pages with the unit's columns repeated.

use super::{Table, Value};
use crate::report::Report;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

/// The lines written above every table.
pub fn metadata(report: &Report, organiser: Option<&str>) -> Vec<String> {
    let mut lines = vec![format!("Đợt khảo sát: {} (năm {})", report.name, report.year)];
    if let Some(o) = organiser {
        lines.push(format!("Cơ quan tổ chức: {o}"));
    }
    lines.push(format!(
        "Lập lúc: {} · {} phiếu",
        report.generated_local,
        super::vn_count(report.totals.figures.responses)
    ));
    if let Some(f) = &report.filter {
        // A sentence a line: a line is one row, printed no wider than the page.
        lines.push(format!("Chỉ gồm phiếu {}.", f.label));
        lines.extend(f.sentences(report.anonymity.k.max(1)));
    }
    lines.push(
        "Phương pháp: chỉ số tính chính xác theo phương pháp chính thức, làm tròn nửa lên 2 chữ số thập phân; \
         khoảng tin cậy và chỉ số gia quyền là phần bổ sung."
            .into(),
    );
    lines
}

/// The report's workbook: its tables, then the codebook, each sheet headed
/// by the report's [`metadata`].
///
/// # Errors
/// When rust_xlsxwriter refuses a sheet name or cell.
pub fn report_workbook(report: &Report, mut tables: Vec<Table>, organiser: Option<&str>) -> Result<Vec<u8>, XlsxError> {
    // Appended, not concatenated: a copy of a province's tables is 350,000 cells.
    tables.push(super::codebook_table(&report.codebook));
    workbook(&tables, &metadata(report, organiser))
}

/// The workbook as bytes.
///
/// # Errors
/// When rust_xlsxwriter refuses a sheet name or cell.
pub fn workbook(tables: &[Table], meta: &[String]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // Compressing the sheets is much of the time a province's workbook
    // takes: the fastest level took it from 0.40 s to 0.27 s at a million
    // answers.
    book.set_zip_compression_level(1);
    let formats = Formats {
        title: Format::new().set_bold().set_font_size(14),
        note: Format::new().set_italic().set_font_color(0x555555),
        header: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_background_color(0xDDEBF7)
            .set_align(FormatAlign::Top)
            .set_border(rust_xlsxwriter::FormatBorder::Thin),
        // Every cell at the top of its row, level with the first line of a wrapped text.
        styles: Styles {
            figure: Format::new().set_num_format("0.00").set_align(FormatAlign::Top),
            top: Format::new().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        },
    };
    let mut names: Vec<String> = Vec::new();
    for t in tables {
        // Rows go straight to the file as they are written, and each text
        // is kept once in the workbook's table of strings (low memory): a
        // province's comments are tens of thousands of rows repeating their
        // unit's name, field and question (0.1 s less than inline strings,
        // and a file of 2.0 MB rather than 2.3).
        book.add_worksheet_with_low_memory()?.set_name(unique(&mut names, &sheet_name(&t.name)))?;
    }
    // The largest sheet (a province's comments, two thirds of the cells) is
    // filled on a thread of its own beside the others. The sheets share the
    // workbook's list of formats, which takes a format a thread meets first
    // without looking again: two threads meeting one at once entered it
    // twice, and a cell pointed past the list or at another format. Every
    // format is entered here, before them, so they only read the list
    // (the library's own way for threads, `register_format`).
    for format in [&formats.title, &formats.note, &formats.header] {
        book.register_format(format);
    }
    for style in Style::ALL {
        book.register_format(formats.styles.get(style));
    }
    let size = |t: &Table| t.rows.len() * t.headers.len();
    let mut sheets: Vec<(&mut Worksheet, &Table)> = book.worksheets_mut().iter_mut().zip(tables).collect();
    let largest = (0..sheets.len()).max_by_key(|i| size(sheets[*i].1));
    let big = largest.map(|i| sheets.swap_remove(i));
    std::thread::scope(|scope| {
        let big = big.map(|(sheet, t)| scope.spawn(|| write_table(sheet, t, meta, &formats)));
        for (sheet, t) in sheets {
            write_table(sheet, t, meta, &formats)?;
        }
        big.map_or(Ok(()), |b| b.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })?;
    book.save_to_buffer()
}

/// The formats of a sheet's title, notes, header and cells.
struct Formats {
    title: Format,
    note: Format,
    header: Format,
    styles: Styles,
}

/// `t` on `sheet`: its title, the notes `meta`, its header and rows, and how
/// it prints.
fn write_table(sheet: &mut Worksheet, t: &Table, meta: &[String], formats: &Formats) -> Result<(), XlsxError> {
    let Formats { title, note, header, styles } = formats;
    // Long texts (questions, comments) wrap in a column of fixed width.
    let widths: Vec<usize> = (0..t.headers.len())
        .map(|c| {
            let widest = t
                .rows
                .iter()
                .filter_map(|row| row.get(c))
                .map(|v| match v {
                    Value::Text(s) => s.chars().count(),
                    other => other.display("").len(),
                })
                .max()
                .unwrap_or(0);
            let header_words = t.headers[c].split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
            widest.max(header_words).max(t.headers[c].chars().count().min(18)).clamp(6, TEXT_WIDTH)
        })
        .collect();
    // Each column's most frequent style is the column's own format.
    let column_styles: Vec<Style> = (0..t.headers.len())
        .map(|c| {
            let mut counts = [0usize; 3];
            for style in t.rows.iter().filter_map(|row| row.get(c)).filter_map(|v| Style::of(v, widths[c])) {
                counts[style as usize] += 1;
            }
            Style::ALL.into_iter().max_by_key(|s| counts[*s as usize]).unwrap_or(Style::Top)
        })
        .collect();
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(col(c), *w as f64 + 2.0)?;
        sheet.set_column_format(col(c), styles.get(column_styles[c]))?;
    }
    sheet.write_string_with_format(0, 0, &t.title, title)?;
    for (i, line) in meta.iter().enumerate() {
        sheet.write_string_with_format(row(i + 1), 0, line, note)?;
    }
    let head = row(meta.len() + 2);
    // Rows as tall as their wrapped texts, so none runs into the next;
    // each row's height is set before its cells (the row is then written).
    // Bold headers take about a sixth more room.
    let header_lines = t.headers.iter().zip(&widths).map(|(h, w)| wrapped_lines(h, w * 6 / 7)).max().unwrap_or(1);
    sheet.set_row_height(head, LINE_PT * header_lines as f64)?;
    for (c, h) in t.headers.iter().enumerate() {
        sheet.write_string_with_format(head, col(c), h, header)?;
    }
    for (r, cells) in t.rows.iter().enumerate() {
        let r = head + 1 + row(r);
        let lines = cells
            .iter()
            .zip(&widths)
            .map(|(v, w)| match v {
                Value::Text(s) if *w >= TEXT_WIDTH => wrapped_lines(s, *w),
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        if lines > 1 {
            sheet.set_row_height(r, LINE_PT * lines as f64)?;
        }
        for (c, v) in cells.iter().enumerate() {
            let Some(style) = Style::of(v, widths[c]) else { continue };
            // A cell in its column's style takes it from the column: the
            // library looks a cell's own format up in a table each time,
            // a tenth of a second over a province's 350,000 cells.
            let format = (style != column_styles[c]).then(|| styles.get(style));
            match (v, format) {
                (Value::Text(s), None) => sheet.write_string(r, col(c), s)?,
                (Value::Text(s), Some(f)) => sheet.write_string_with_format(r, col(c), s, f)?,
                (Value::Count(n), None) => sheet.write_number(r, col(c), *n as f64)?,
                (Value::Count(n), Some(f)) => sheet.write_number_with_format(r, col(c), *n as f64, f)?,
                (Value::Figure(d), format) => {
                    let shown = d.map(crate::stats::round2).and_then(|d| d.to_f64()).unwrap_or_default();
                    match format {
                        None => sheet.write_number(r, col(c), shown)?,
                        Some(f) => sheet.write_number_with_format(r, col(c), shown, f)?,
                    }
                }
            };
        }
    }
    let last_row = head + row(t.rows.len());
    let last_col = col(t.headers.len().saturating_sub(1));
    sheet.autofilter(head, 0, last_row, last_col)?;
    sheet.set_freeze_panes(head + 1, 0)?;
    // Printing: A4 landscape, the title, the metadata and the table; the
    // header on every page; at least 8 pt on paper (SIPAS_MIN_PRINT_PT).
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_margins(MARGIN_IN, MARGIN_IN, 0.6, 0.6, 0.3, 0.3);
    sheet.set_print_area(0, 0, last_row, last_col)?;
    sheet.set_repeat_rows(head, head)?;
    let layout = print_layout(&widths.iter().map(|w| w + 2).collect::<Vec<_>>(), key_columns(t, &widths));
    match layout {
        PrintLayout::OnePageWide => {
            sheet.set_print_fit_to_pages(1, 0);
        }
        PrintLayout::Across { scale, keys } => {
            // Too wide for one page at 8 pt: printed across pages at a
            // readable scale, the unit's columns repeated on each.
            sheet.set_print_scale(scale);
            if keys > 0 {
                sheet.set_repeat_columns(0, col(keys - 1))?;
            }
            sheet.set_page_order(true);
        }
    }
    sheet.set_print_gridlines(true);
    sheet.set_footer("&CTrang &P / &N");
    Ok(())
}

/// How a table's cell is shown: a figure with two decimals, a long text
/// wrapped, anything else as it is; all at the top of their row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Top,
    Wrap,
    Figure,
}

impl Style {
    const ALL: [Style; 3] = [Style::Top, Style::Wrap, Style::Figure];

    /// `None` for a figure withheld (an empty cell).
    fn of(value: &Value, width: usize) -> Option<Style> {
        match value {
            Value::Text(_) if width >= TEXT_WIDTH => Some(Style::Wrap),
            Value::Text(_) | Value::Count(_) => Some(Style::Top),
            Value::Figure(Some(_)) => Some(Style::Figure),
            Value::Figure(None) => None,
        }
    }
}

struct Styles {
    figure: Format,
    top: Format,
    wrap: Format,
}

impl Styles {
    fn get(&self, style: Style) -> &Format {
        match style {
            Style::Top => &self.top,
            Style::Wrap => &self.wrap,
            Style::Figure => &self.figure,
        }
    }
}

/// The widest a column of text gets, in characters; longer texts wrap in
/// it (a question, a comment). At 45 a province's question table still
/// fits a landscape page at 8 pt.
const TEXT_WIDTH: usize = 45;

/// A row's height per line of Calibri 11, in points.
const LINE_PT: f64 = 15.0;
/// Left and right page margins, in inches.
const MARGIN_IN: f64 = 0.4;
/// The smallest type a printed sheet may shrink its 11 pt to.
pub const MIN_PRINT_PT: f64 = 8.0;

/// How many lines `text` takes in a column `width` characters wide (set
/// two wider), wrapped at spaces: Calibri's letters, with their diacritics,
/// are on average no wider than the digits Excel measures columns by.
fn wrapped_lines(text: &str, width: usize) -> usize {
    let room = width.max(1);
    let (mut lines, mut used) = (1, 0);
    for word in text.split_whitespace() {
        let n = word.chars().count();
        let need = if used == 0 { n } else { used + 1 + n };
        if need <= room {
            used = need;
            continue;
        }
        if used > 0 {
            lines += 1;
        }
        // A word longer than a line takes several.
        lines += (n - 1) / room;
        used = (n - 1) % room + 1;
    }
    lines
}

/// How a sheet goes on landscape A4 paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintLayout {
    /// Shrunk to one page wide, its type still at least [`MIN_PRINT_PT`].
    OnePageWide,
    /// Across several pages at `scale` per cent (above [`MIN_PRINT_PT`]),
    /// the first `keys` columns (the unit) repeated on each.
    Across { scale: u16, keys: usize },
}

/// Excel's pixels for a column `width` characters wide (Calibri 11: 7 per
/// character and 5 of padding), in points.
fn column_pt(width: usize) -> f64 {
    (width as f64 * 7.0 + 5.0) * 0.75
}

/// A landscape A4 page's printable width in points.
fn page_pt() -> f64 {
    841.89 - 2.0 * MARGIN_IN * 72.0
}

/// The scale a sheet too wide for one page prints at: 8,8 pt type.
const ACROSS_SCALE: u16 = 80;

/// The layout of columns `widths` (characters) whose first `keys` columns
/// say which unit a row is.
pub fn print_layout(widths: &[usize], keys: usize) -> PrintLayout {
    let total: f64 = widths.iter().map(|w| column_pt(*w)).sum();
    // With a tenth to spare: LibreOffice draws columns a little wider.
    if total * MIN_PRINT_PT / 11.0 <= page_pt() * 0.9 {
        return PrintLayout::OnePageWide;
    }
    // The unit's columns are repeated only if they leave room beside them.
    let key_pt: f64 = widths.iter().take(keys).map(|w| column_pt(*w)).sum();
    let keys = if key_pt * f64::from(ACROSS_SCALE) / 100.0 > page_pt() / 2.0 { 0 } else { keys };
    PrintLayout::Across { scale: ACROSS_SCALE, keys }
}

/// The leading columns that name a row (the unit's code and name, the question's code).
fn key_columns(t: &Table, widths: &[usize]) -> usize {
    t.headers.iter().zip(widths).take_while(|(h, w)| ["Mã", "Đơn vị"].contains(&h.as_str()) && **w < 40).count()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A part of a written workbook, as text.
    fn part(book: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).expect("zip");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect("part"), &mut text).expect("read");
        text
    }

    #[test]
    fn every_cell_looks_as_its_value_asks_whether_its_own_format_or_its_columns() {
        let long = "ý kiến dài ".repeat(6);
        let figure = |x: i64| Value::Figure(Some(rust_decimal::Decimal::new(x, 2)));
        let table = Table {
            name: "T".into(),
            title: "T".into(),
            headers: vec!["Mã".into(), "Điểm".into(), "Ý kiến".into()],
            rows: vec![
                vec![Value::Text("A".into()), figure(8571), Value::Text(long.clone())],
                vec![Value::Text("B".into()), figure(5000), Value::Text(long.clone())],
                // A column of figures with a text and a count in it, and a
                // short text among long ones.
                vec![Value::Count(7), Value::Text("–".into()), Value::Text("ngắn".into())],
                vec![Value::Text("D".into()), Value::Count(3), Value::Figure(None)],
            ],
        };
        let book = workbook(&[table], &[]).expect("workbook");
        let styles = part(&book, "xl/styles.xml");
        let xfs = formats_of(&styles);
        let sheet = part(&book, "xl/worksheets/sheet1.xml");
        // A cell's look: (a number format of two decimals, wrapped).
        let look = |cell: &str| {
            cell_format(&sheet, &xfs, cell).map(|xf| (xf.contains("numFmtId=\"164\""), xf.contains("wrapText=\"1\"")))
        };
        // The table starts below the title and its blank line: row 3 is the header.
        for cell in ["B4", "B5"] {
            assert_eq!(look(cell), Some((true, false)), "{cell}: a figure with two decimals");
        }
        for cell in ["B6", "B7", "A4", "A6"] {
            assert_eq!(look(cell), Some((false, false)), "{cell}: as it is");
        }
        for cell in ["C4", "C5"] {
            assert_eq!(look(cell), Some((false, true)), "{cell}: a long text wrapped");
        }
        // A short text in the column of long ones wraps with them (the
        // column's width decides), and a withheld figure is an empty cell.
        assert_eq!(look("C6"), Some((false, true)));
        assert_eq!(look("C7"), None);
    }

    /// The workbook's list of cell formats (`styles.xml`), each as its XML.
    fn formats_of(styles: &str) -> Vec<&str> {
        let list = &styles[styles.find("<cellXfs").expect("cellXfs")..];
        list[..list.find("</cellXfs>").expect("end")].split("<xf ").skip(1).collect()
    }

    /// Each cell's format, as the file's own list of them gives it: `None`
    /// for a cell that names no format, or one past the end of the list.
    fn cell_format<'b>(sheet: &str, xfs: &[&'b str], cell: &str) -> Option<&'b str> {
        let at = sheet.find(&format!("<c r=\"{cell}\""))?;
        let tag = &sheet[at..at + sheet[at..].find('>')?];
        let s: usize = tag.split("s=\"").nth(1).and_then(|v| v.split('"').next()).and_then(|v| v.parse().ok())?;
        xfs.get(s).copied()
    }

    /// Two sheets are filled at once: a format each meets first at the same
    /// moment was entered twice in the workbook's shared list, leaving a
    /// cell pointing past its end or at another format (before the formats
    /// were registered first, this failed within a few hundred workbooks).
    #[test]
    fn sheets_filled_side_by_side_keep_every_cells_format() {
        let table = |name: &str| Table {
            name: name.into(),
            title: format!("Bảng {name}"),
            headers: vec!["Mã".into(), "Điểm".into()],
            rows: (0..40)
                .map(|i| vec![Value::Text(format!("U{i}")), Value::Figure(Some(rust_decimal::Decimal::new(i, 1)))])
                .collect(),
        };
        let tables = [table("A"), table("B")];
        for round in 0..5000 {
            let book = workbook(&tables, &["Ghi chú".into()]).expect("workbook");
            let styles = part(&book, "xl/styles.xml");
            let xfs = formats_of(&styles);
            for n in 1..=2 {
                let sheet = part(&book, &format!("xl/worksheets/sheet{n}.xml"));
                let look = |cell: &str| {
                    cell_format(&sheet, &xfs, cell)
                        .unwrap_or_else(|| panic!("round {round}, sheet {n}, {cell}: no format"))
                };
                // The title (bold 14 pt), the note (italic), the header (its
                // fill), a code as it is, a figure with two decimals.
                assert!(look("A1").contains("applyFont") && !look("A1").contains("applyFill"), "round {round}: title");
                assert!(look("A2").contains("applyFont") && look("A1") != look("A2"), "round {round}: note");
                assert!(look("A4").contains("applyFill"), "round {round}, sheet {n}: header {}", look("A4"));
                assert!(
                    look("A5").contains("vertical=\"top\"") && !look("A5").contains("numFmtId=\"164\""),
                    "round {round}: code"
                );
                assert!(look("B5").contains("numFmtId=\"164\""), "round {round}, sheet {n}: figure {}", look("B5"));
            }
        }
    }

    #[test]
    fn wrapped_texts_count_their_lines() {
        assert_eq!(wrapped_lines("", 10), 1);
        assert_eq!(wrapped_lines("một hai ba", 20), 1);
        // Room 8: "một hai" (7), then "ba bốn" (6), then "năm".
        assert_eq!(wrapped_lines("một hai ba bốn năm", 8), 3);
        // A word of 20 letters in a room of 8 takes 3 lines.
        assert_eq!(wrapped_lines(&"x".repeat(20), 8), 3);
    }

    #[test]
    fn a_sheet_shrinks_to_one_page_only_while_its_type_stays_at_8_pt() {
        // 784 pt of paper, less a tenth: 970 pt of columns at 11 pt is 706 at 8 pt.
        let column = |w: usize| column_pt(w);
        assert!((page_pt() - 784.29).abs() < 0.01);
        assert_eq!(column(10), 56.25);
        let fits = vec![10; 17]; // 956 pt
        assert_eq!(print_layout(&fits, 2), PrintLayout::OnePageWide);
        let wide = vec![10; 18]; // 1,012 pt
        assert_eq!(print_layout(&wide, 2), PrintLayout::Across { scale: 80, keys: 2 });
        // Key columns that would fill half the page are not repeated.
        let mut fat_keys = vec![60, 60];
        fat_keys.extend(vec![10; 20]);
        assert_eq!(print_layout(&fat_keys, 2), PrintLayout::Across { scale: 80, keys: 0 });
    }
}
