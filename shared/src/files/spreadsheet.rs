//! Spreadsheets in and out.
//!
//! In: an office's workbook is read within fixed bounds, whatever its sheet
//! dimensions claim: a 1.6 KB file with cells at A1 and XFD1048576, or a few
//! megabytes that unpack to gigabytes, is refused with a message instead of
//! taking the server's memory.
//!
//! Out: Excel and LibreOffice run a cell that
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula
//! (`=HYPERLINK(…)`, `=cmd|…`), and such text reaches CSV files from free-text
//! answers and from frames sent by counters. Those cells are written behind an
//! apostrophe, which the spreadsheet shows as plain text; numbers stay numbers.

use std::borrow::Cow;
use std::io::{Cursor, Read};

/// What a workbook may unpack to, all parts together. A 200,000-row frame
/// is about 80 MB of sheet XML and shared strings.
pub const MAX_UNPACKED: u64 = 192 * 1024 * 1024;
/// Parts (files) in a workbook's zip.
const MAX_PARTS: usize = 2_000;
/// Non-empty cells read from the sheet (a 200,000-row frame has a million).
pub const MAX_CELLS: usize = 4_000_000;
/// Columns read; cells further right (a stray note in column XFD) are ignored.
pub const MAX_COLUMNS: u32 = 64;
/// The longest cell read, in bytes: a list's cells are names, phones,
/// addresses and procedures. Checked on the shared string itself, before
/// any copy, so one long string referenced by every cell costs nothing.
pub const MAX_CELL_BYTES: usize = 4096;
/// Text read from all cells together, in bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024 * 1024;

/// Advice for a workbook in a format not read here.
const SAVE_AS: &str =
    "hãy mở tệp trong Excel, chọn «Lưu thành» → «Excel Workbook (.xlsx)» hoặc «CSV UTF-8» rồi gửi lại";

/// Raw rows of an Excel workbook's (XLSX) first sheet, numbered from 1 as
/// Excel shows them; empty rows are left out, cells are trimmed, whole
/// numbers (phones typed as numbers) written without a decimal point.
///
/// The sheet is streamed cell by cell (never allocated from its declared
/// dimensions), after every part of the zip has been unpacked once, counted,
/// into nothing, up to [`MAX_UNPACKED`]. Old `.xls`, `.xlsb` and `.ods`
/// files are refused with advice: their readers allocate the whole sheet
/// from what the file claims.
///
/// # Errors
/// A Vietnamese message saying what is wrong with the file as a whole.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, String> {
    read_sheet_with(bytes, &|_| true)
}

/// Like [`read_rows`], from the first sheet that has a row `is_header`
/// accepts (a list kept on a workbook's second sheet, behind a cover page),
/// else from the first sheet. The bounds hold for all sheets together.
///
/// # Errors
/// As [`read_rows`].
pub fn read_sheet_with(
    bytes: &[u8],
    is_header: &dyn Fn(&[String]) -> bool,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    read_sheet_until(bytes, is_header, None)
}

/// Like [`read_sheet_with`], stopping the work once `deadline` has passed
/// (checked as the zip is unpacked and every thousand cells).
///
/// # Errors
/// As [`read_rows`], or that the deadline passed.
pub fn read_sheet_until(
    bytes: &[u8],
    is_header: &dyn Fn(&[String]) -> bool,
    deadline: Option<std::time::Instant>,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    let budget = Budget { deadline, text: 0 };
    read_sheet_budget(bytes, is_header, budget)
}

/// What reading one workbook may still spend.
struct Budget {
    deadline: Option<std::time::Instant>,
    text: usize,
}

impl Budget {
    fn check_time(&self) -> Result<(), String> {
        match self.deadline {
            Some(d) if std::time::Instant::now() > d => {
                Err("đọc bảng tính quá lâu nên đã dừng: hãy chia tệp theo đơn vị hoặc lưu thành CSV UTF-8".into())
            }
            _ => Ok(()),
        }
    }
}

fn read_sheet_budget(
    bytes: &[u8],
    is_header: &dyn Fn(&[String]) -> bool,
    mut budget: Budget,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    use calamine::{Reader, Xlsx};
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(format!("tệp Excel 97–2003 (.xls) không được nhận: {SAVE_AS}"));
    }
    if !bytes.starts_with(b"PK") {
        return Err(format!("không phải tệp Excel .xlsx: {SAVE_AS}"));
    }
    check_unpacked(bytes, &budget)?;
    let bad = |e: String| format!("không đọc được bảng tính: {e}");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| bad(format!("{e}; {SAVE_AS}")))?;
    let sheets = book.sheet_names();
    if sheets.is_empty() {
        return Err(bad("không có trang tính nào".into()));
    }
    let mut seen = 0usize;
    let mut first = None;
    for sheet in &sheets {
        let rows = sheet_rows(&mut book, sheet, &mut seen, &mut budget)?;
        if rows.iter().any(|(_, r)| is_header(r)) {
            return Ok(rows);
        }
        first.get_or_insert(rows);
    }
    Ok(first.unwrap_or_default())
}

/// One sheet's non-empty rows, counting its cells into `seen`.
fn sheet_rows<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    sheet: &str,
    seen: &mut usize,
    budget: &mut Budget,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    use calamine::{Data, DataRef};
    let bad = |e: String| format!("không đọc được bảng tính: {e}");
    let mut cells = book.worksheet_cells_reader(sheet).map_err(|e| bad(e.to_string()))?;
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|e| bad(e.to_string()))? {
        *seen += 1;
        if *seen > MAX_CELLS {
            return Err(format!("trang tính «{sheet}» có hơn 4 triệu ô có dữ liệu: hãy chia tệp theo đơn vị"));
        }
        if (*seen).is_multiple_of(1024) {
            budget.check_time()?;
        }
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            continue;
        }
        let long = match cell.get_value() {
            DataRef::SharedString(t) => t.len(),
            DataRef::String(t) | DataRef::DateTimeIso(t) | DataRef::DurationIso(t) => t.len(),
            _ => 0,
        };
        if long > MAX_CELL_BYTES {
            return Err(format!(
                "ô {}{} của trang «{sheet}» dài hơn {MAX_CELL_BYTES} byte: một danh sách chỉ có họ tên, số điện thoại, \
                 địa chỉ và thủ tục; hãy sửa ô đó rồi gửi lại",
                column_name(c),
                r + 1
            ));
        }
        budget.text += long;
        if budget.text > MAX_TEXT_BYTES {
            return Err(format!(
                "trang tính «{sheet}» có hơn {} MB chữ: hãy chia tệp theo đơn vị",
                MAX_TEXT_BYTES / (1024 * 1024)
            ));
        }
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            // Phones typed as numbers come back as floats: write them whole.
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            other => Data::from(other.clone()).to_string().trim().to_owned(),
        };
        if text.is_empty() {
            continue;
        }
        let line = r as usize + 1;
        if rows.last().map(|(l, _)| *l) != Some(line) {
            rows.push((line, Vec::new()));
        }
        if let Some((_, row)) = rows.last_mut() {
            let c = c as usize;
            if row.len() <= c {
                row.resize(c + 1, String::new());
            }
            row[c] = text;
        }
    }
    Ok(rows)
}

/// Unpacks every part of a zip into nothing, refusing the file once the
/// parts together pass [`MAX_UNPACKED`]: sizes a zip declares can lie, the
/// bytes it inflates to cannot.
fn check_unpacked(bytes: &[u8], budget: &Budget) -> Result<(), String> {
    let bad = |e: String| format!("không đọc được bảng tính: {e}");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    if zip.len() > MAX_PARTS {
        return Err(bad(format!("tệp nén có {} phần, quá nhiều cho một bảng tính", zip.len())));
    }
    if zip.index_for_name("mimetype").is_some() && zip.index_for_name("content.xml").is_some() {
        return Err(format!("tệp OpenDocument (.ods) không được nhận: {SAVE_AS}"));
    }
    let mut left = MAX_UNPACKED;
    for i in 0..zip.len() {
        budget.check_time()?;
        let entry = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let n = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).map_err(|e| bad(e.to_string()))?;
        if n > left {
            return Err(format!(
                "bảng tính giải nén ra hơn {} MB: quá lớn cho một danh sách; hãy chia tệp theo đơn vị hoặc lưu thành CSV UTF-8",
                MAX_UNPACKED / (1024 * 1024)
            ));
        }
        left -= n;
    }
    Ok(())
}

/// Excel's name of a column: A … Z, AA …
fn column_name(c: u32) -> String {
    let mut n = c + 1;
    let mut out = Vec::new();
    while n > 0 {
        let d = u8::try_from((n - 1) % 26).unwrap_or(0);
        out.push(char::from(b'A' + d));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// `cell`, made safe to open in a spreadsheet.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.trim().parse::<f64>().is_err() { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn formulas_become_text_and_numbers_stay() {
        assert_eq!(defuse("=HYPERLINK(\"http://x\",\"bấm\")"), "'=HYPERLINK(\"http://x\",\"bấm\")");
        assert_eq!(defuse("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("+84 912"), "'+84 912");
        assert_eq!(defuse("-3"), "-3");
        assert_eq!(defuse("4"), "4");
        assert_eq!(defuse("Nguyễn Văn A"), "Nguyễn Văn A");
    }
}
