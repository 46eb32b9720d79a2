//! Cells written for spreadsheets. Excel and LibreOffice run a cell that
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula
//! (`=HYPERLINK(…)`, `=cmd|…`), and such text reaches CSV files from free-text
//! answers and from frames sent by counters. Those cells are written behind an
//! apostrophe, which the spreadsheet shows as plain text; numbers stay numbers.

use std::borrow::Cow;

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
