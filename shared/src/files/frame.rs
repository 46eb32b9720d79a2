//! Counters' transaction lists (the sampling frame), as offices really send
//! them: title rows above the header, `;` or `,`, a UTF-8 BOM, phones written
//! with dots, spaces or +84, blank and signature rows at the end, people listed
//! twice. Header names are matched loosely, Vietnamese with or without
//! diacritics, or English.

use crate::files::csv::sniff_delimiter;
use crate::files::source::RecordLines;
use crate::model::Campaign;
use crate::model::RowError;
use crate::model::text::fold_header;
use crate::model::{Email, Phone};
use std::collections::BTreeMap;

/// One person of the frame, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramePerson {
    pub line: usize,
    pub full_name: String,
    pub procedure: String,
    /// `None` when the procedure is not in the campaign's catalogue.
    pub field: Option<String>,
    pub address: String,
    /// Every person of a counter's list has one; a roster's may have only an e-mail.
    pub phone: Option<Phone>,
    /// A roster's officials and delegates are often reached by e-mail.
    pub email: Option<Email>,
}

/// What reading a frame found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    pub people: Vec<FramePerson>,
    /// Bad rows: no name, no procedure, a missing or impossible phone.
    pub errors: Vec<RowError>,
    /// (line, line of the first listing, phone): the same person listed again, merged.
    pub duplicates: Vec<(usize, usize, String)>,
    /// Procedures not in the catalogue, with how many people used them.
    pub unknown_procedures: BTreeMap<String, usize>,
    /// What the rows above the header say (the office's title: unit, year).
    pub title: String,
}

/// Raw rows of a CSV file, every line kept (title rows included), numbered as in the file.
pub fn csv_rows(text: &str) -> Vec<(usize, Vec<String>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The header is usually a few lines down: sniff the delimiter on the busiest line.
    let busiest = text.lines().take(20).max_by_key(|l| l.matches([';', ',']).count()).unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(busiest))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = RecordLines::new(text);
    reader
        .records()
        .filter_map(Result::ok)
        .map(|r| (r.position().map_or(0, |p| lines.line(p.byte())), r.iter().map(|c| c.trim().to_owned()).collect()))
        .collect()
}

#[derive(Clone, Copy)]
struct Columns {
    name: usize,
    /// The procedure (a counter's list) or the position (a roster).
    procedure: Option<usize>,
    address: Option<usize>,
    phone: Option<usize>,
    email: Option<usize>,
}

fn find_columns(row: &[String], roster: bool) -> Option<Columns> {
    let folded: Vec<String> = row.iter().map(|c| fold_header(c)).collect();
    let find = |test: &dyn Fn(&str) -> bool| folded.iter().position(|h| test(h));
    let name = find(&|h| h.starts_with("hovaten") || h.starts_with("hoten") || h == "name" || h == "fullname")?;
    let procedure = if roster {
        find(&|h| h.contains("chucvu") || h.contains("position") || h.contains("thutuc"))
    } else {
        Some(find(&|h| h.contains("thutuc") || h.contains("procedure"))?)
    };
    let phone = find(&|h| h.contains("dienthoai") || h.contains("phone") || h == "sdt");
    let is_email = |h: &str| h.contains("email") || h.contains("thudientu") || h == "mail";
    let email = find(&is_email);
    // A counter's list always has phones; a roster has phones, e-mail or both.
    if phone.is_none() && (!roster || email.is_none()) {
        return None;
    }
    let address = find(&|h| (h.contains("diachi") || h.contains("address")) && !is_email(h));
    Some(Columns { name, procedure, address, phone, email })
}

/// The header: its first row's index, how many rows it takes (1 or 2) and
/// its columns. Offices often head a list with two rows, a merged group
/// («Thông tin người dân», «Liên hệ») above the column names, and columns
/// outside a group merged down across both rows; such a header reads as one
/// row of the lower cells, each blank one taken from the cell above.
fn find_header(rows: &[(usize, Vec<String>)], roster: bool) -> Option<(usize, usize, Columns)> {
    let single = |i: usize| rows.get(i).and_then(|(_, r)| find_columns(r, roster));
    for i in 0..rows.len() {
        if let Some(c) = single(i) {
            return Some((i, 1, c));
        }
        let Some((_, lower)) = rows.get(i + 1) else { break };
        if single(i + 1).is_some() {
            continue;
        }
        let upper = &rows[i].1;
        let merged: Vec<String> = (0..upper.len().max(lower.len()))
            .map(|c| {
                let below = lower.get(c).map(|s| s.trim()).unwrap_or_default();
                if below.is_empty() { upper.get(c).cloned().unwrap_or_default() } else { below.to_owned() }
            })
            .collect();
        if let Some(c) = find_columns(&merged, roster) {
            return Some((i, 2, c));
        }
    }
    None
}

/// Reads a frame from raw rows (CSV or a spreadsheet's first sheet).
///
/// # Errors
/// A [`RowError`] when no header row with name, procedure and phone columns is found.
pub fn read_frame(rows: &[(usize, Vec<String>)], campaign: &Campaign) -> Result<Frame, RowError> {
    read_list(rows, campaign, false)
}

/// Reads a roster (council delegates, civil servants): name and phone, a
/// position and an address if given; no procedure, so no field.
///
/// # Errors
/// A [`RowError`] when no header row with name and phone columns is found.
pub fn read_roster(rows: &[(usize, Vec<String>)], campaign: &Campaign) -> Result<Frame, RowError> {
    read_list(rows, campaign, true)
}

fn read_list(rows: &[(usize, Vec<String>)], campaign: &Campaign, roster: bool) -> Result<Frame, RowError> {
    let wanted = if roster {
        "không tìm thấy dòng tiêu đề có các cột «Họ và tên» và «Số điện thoại» (hoặc «Thư điện tử»)"
    } else {
        "không tìm thấy dòng tiêu đề có các cột «Họ và tên», «Tên thủ tục hành chính» và «Số điện thoại»"
    };
    let (start, header_rows, cols) =
        find_header(rows, roster).ok_or_else(|| RowError { line: 1, column: None, message: wanted.into() })?;
    let title = rows[..start]
        .iter()
        .flat_map(|(_, r)| r.iter())
        .map(|c| crate::model::text::tidy(c))
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let mut frame = Frame { title, ..Frame::default() };
    let fields = campaign.procedure_index();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (line, row) in &rows[start + header_rows..] {
        let line = *line;
        let tidied = |i: usize| row.get(i).map(|c| crate::model::text::tidy(c)).unwrap_or_default();
        let (name, procedure, raw_phone) = (
            tidied(cols.name),
            cols.procedure.map(tidied).unwrap_or_default(),
            cols.phone.map(tidied).unwrap_or_default(),
        );
        let address = cols.address.map(tidied).unwrap_or_default();
        let raw_email = cols.email.map(tidied).unwrap_or_default();
        let (name, procedure, raw_phone, address, raw_email) =
            (name.as_str(), procedure.as_str(), raw_phone.as_str(), address.as_str(), raw_email.as_str());
        // Blank rows and the signature block ("Người lập danh sách … ngày tháng năm")
        // have no procedure (or, in a roster, no name) and no digits where the phone goes.
        let key = if roster { name } else { procedure };
        if key.is_empty() && !raw_phone.chars().any(|c| c.is_ascii_digit()) && !raw_email.contains('@') {
            continue;
        }
        let err = |column: &str, message: String| RowError { line, column: Some(column.to_owned()), message };
        let before = frame.errors.len();
        if name.is_empty() {
            frame.errors.push(err("Họ và tên", "thiếu họ và tên".into()));
        }
        if procedure.is_empty() && !roster {
            frame.errors.push(err("Tên thủ tục", "thiếu tên thủ tục hành chính".into()));
        }
        // A name, an address or a procedure is a line of text: a cell of
        // megabytes is a mistake or an attack, never a person.
        for (column, value) in [("Họ và tên", name), ("Tên thủ tục", procedure), ("Địa chỉ", address)] {
            let n = value.chars().count();
            if n > MAX_CELL_CHARS {
                frame.errors.push(err(column, format!("dài {n} ký tự, quá {MAX_CELL_CHARS} ký tự một ô")));
            }
        }
        // A roster's person may be reached by phone, by e-mail or both: a
        // blank phone is a fault only where there is no e-mail to use.
        let email = if raw_email.is_empty() {
            None
        } else {
            Email::parse(raw_email).map_err(|e| frame.errors.push(err("Thư điện tử", e))).ok()
        };
        let phone = if raw_phone.is_empty() && roster && email.is_some() {
            None
        } else {
            Phone::parse(raw_phone).map_err(|e| frame.errors.push(err("Số điện thoại", e.to_string()))).ok()
        };
        if frame.errors.len() != before {
            continue;
        }
        // The same person twice: the same phone, or with no phone the same e-mail.
        let key = match (&phone, &email) {
            (Some(p), _) => p.to_string(),
            (None, Some(e)) => e.as_str().to_lowercase(),
            (None, None) => continue,
        };
        if let Some(first) = seen.get(&key) {
            frame.duplicates.push((line, *first, key));
            continue;
        }
        seen.insert(key, line);
        let field = if roster {
            None
        } else {
            fields.get(&crate::model::text::procedure_key(procedure)).map(|f| (*f).to_owned())
        };
        if field.is_none() && !roster {
            *frame.unknown_procedures.entry(procedure.to_owned()).or_default() += 1;
        }
        frame.people.push(FramePerson {
            line,
            full_name: name.to_owned(),
            procedure: procedure.to_owned(),
            field,
            address: address.to_owned(),
            phone,
            email,
        });
    }
    Ok(frame)
}

/// The longest name, address or procedure a frame row may hold, in characters.
pub const MAX_CELL_CHARS: usize = 500;

/// Raw rows of a frame file, as sent: CSV (UTF-8, with or without BOM) or an
/// Excel workbook's first sheet (XLSX), numbered as the office sees them.
/// Spreadsheets are read within fixed bounds (`spreadsheet::read_rows`).
///
/// # Errors
/// A message naming what is wrong with the file as a whole.
pub fn file_rows(name: &str, bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, String> {
    file_rows_until(name, bytes, None)
}

/// Like [`file_rows`], giving up (the work itself, not only the wait) once
/// `deadline` has passed.
///
/// # Errors
/// As [`file_rows`], or that the deadline passed.
pub fn file_rows_until(
    name: &str,
    bytes: &[u8],
    deadline: Option<std::time::Instant>,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    rows_until(name, bytes, &|row| find_columns(row, false).is_some() || find_columns(row, true).is_some(), deadline)
}

/// Raw rows of a list as sent, CSV or a workbook's first sheet (whose
/// header row `is_header` recognises), giving up once `deadline` has passed.
///
/// # Errors
/// A message naming what is wrong with the file as a whole.
pub fn rows_until(
    name: &str,
    bytes: &[u8],
    is_header: &dyn Fn(&[String]) -> bool,
    deadline: Option<std::time::Instant>,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    let lower = name.to_lowercase();
    if [".xlsx", ".xls", ".ods", ".xlsm", ".xlsb"].iter().any(|e| lower.ends_with(e)) {
        return crate::files::spreadsheet::read_sheet_until(bytes, is_header, deadline);
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| "tệp không phải UTF-8 (trong Excel chọn «CSV UTF-8»)".to_owned())?;
    Ok(csv_rows(text))
}

/// A unit's name as it appears in text: folded, without its kind
/// («Thị trấn Yên Bình» → `yen binh`).
fn name_words(s: &str) -> String {
    let folded: String = crate::model::text::tidy(s)
        .chars()
        .map(|c| {
            let c = crate::model::text::fold_vietnamese(c.to_lowercase().next().unwrap_or(c));
            if c.is_alphanumeric() { c } else { ' ' }
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn distinctive(name: &str) -> String {
    let words = name_words(name);
    for kind in ["thi tran ", "thi xa ", "thanh pho ", "dac khu ", "phuong ", "huyen ", "quan ", "tinh ", "xa "] {
        if let Some(rest) = words.strip_prefix(kind) {
            return rest.to_owned();
        }
    }
    words
}

/// `text` folded as [`name_words`] does and padded, for [`names`].
fn padded(text: &str) -> String {
    format!(" {} ", name_words(text))
}

/// Whether padded, folded text contains a unit's distinctive name as words.
fn names(padded: &str, name: &str) -> bool {
    !name.is_empty() && padded.contains(&format!(" {name} "))
}

/// The other unit of the campaign a list reads as, if it reads as one: its
/// title names that unit and not `unit`, or more than half its addresses do.
pub fn other_unit(frame: &Frame, campaign: &Campaign, unit: &crate::model::UnitCode) -> Option<(String, String)> {
    let own = campaign.unit(unit.as_str()).map(|u| distinctive(&u.name)).unwrap_or_default();
    let others: Vec<(&str, String)> = campaign
        .units
        .iter()
        .filter(|u| u.code != *unit)
        .map(|u| (u.name.as_str(), distinctive(&u.name)))
        .filter(|(_, d)| !d.is_empty() && *d != own && !own.contains(d.as_str()))
        .collect();
    let title = padded(&frame.title);
    if !names(&title, &own)
        && let Some((name, _)) = others.iter().find(|(_, d)| names(&title, d))
    {
        return Some(((*name).to_owned(), format!("dòng tiêu đề: «{}»", frame.title)));
    }
    // Each address folded once, not once per unit.
    let addresses: Vec<String> = frame.people.iter().map(|p| padded(&p.address)).collect();
    let n = addresses.len();
    let own_count = addresses.iter().filter(|a| names(a, &own)).count();
    others.iter().find_map(|(name, d)| {
        let count = addresses.iter().filter(|a| names(a, d)).count();
        (count * 2 > n && count > own_count)
            .then(|| ((*name).to_owned(), format!("{count} trong {n} địa chỉ ghi «{name}»")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_of_megabytes_is_a_row_error_not_a_person() {
        // Before: a frame was accepted with a 9.6 MB name.
        let c = crate::files::examples::quang_binh().expect("example");
        let long = "A".repeat(10_000);
        let text = format!(
            "Họ và tên,Tên thủ tục,Số điện thoại\nNguyễn Văn A,Đăng ký khai sinh,0912345678\n{long},Đăng ký khai sinh,0987654321\n"
        );
        let f = read_frame(&csv_rows(&text), &c).expect("header found");
        assert_eq!(f.people.len(), 1);
        assert_eq!((f.errors[0].line, f.errors[0].column.as_deref()), (3, Some("Họ và tên")));
        assert!(f.errors[0].message.contains("quá 500 ký tự"), "{}", f.errors[0].message);
    }

    #[test]
    fn title_rows_signature_rows_and_phones_as_written() {
        let c = crate::files::examples::quang_binh().expect("example");
        let text = "\u{feff}XÃ THỬ\r\nDANH SÁCH\r\n\r\ntt;Họ và tên;Tên thủ tục hành chính đã giao dịch;Địa chỉ;Số điện thoại (bắt buộc phải có)\r\n\
1;Nguyễn Văn A;Đăng ký khai sinh;Thôn 1;0912.345.678\r\n\
2;Trần Thị B;Đăng ký thường trú;Thôn 2;+84 987 654 321\r\n\
3;Lê Văn C;Cấp giấy phép xây dựng;Thôn 3;12345\r\n\
4;Nguyễn Văn A;Đăng ký kết hôn;Thôn 1;0912 345 678\r\n\
5;Phạm D;Thủ tục lạ;Thôn 4;0356000111\r\n\r\n;Người lập danh sách;;;..... ngày    tháng    năm\r\n";
        let f = read_frame(&csv_rows(text), &c).expect("header found");
        assert_eq!(f.people.iter().map(|p| p.line).collect::<Vec<_>>(), vec![5, 6, 9]);
        assert_eq!(f.people[0].phone.as_ref().map(Phone::as_str), Some("0912345678"));
        assert_eq!(f.people[0].field.as_deref(), Some("Tư pháp – Hộ tịch"));
        assert_eq!(f.people[1].phone.as_ref().map(Phone::as_str), Some("0987654321"));
        assert_eq!(f.errors.len(), 1);
        assert_eq!((f.errors[0].line, f.errors[0].column.as_deref()), (7, Some("Số điện thoại")));
        assert_eq!(f.duplicates, vec![(8, 5, "0912345678".to_owned())]);
        assert_eq!(f.unknown_procedures.get("Thủ tục lạ"), Some(&1));
        assert_eq!(f.unknown_procedures.get("Cấp giấy phép xây dựng"), None, "a bad row is not counted");
    }

    #[test]
    fn english_headers_and_commas() {
        let c = crate::files::examples::quang_binh().expect("example");
        let text = "No,Full name,Procedure,Address,Phone\n1,An,Đăng ký khai tử,Thôn 1,0356111222\n";
        let f = read_frame(&csv_rows(text), &c).expect("header");
        assert_eq!(f.people.len(), 1);
        assert!(read_frame(&csv_rows("a,b\n1,2\n"), &c).is_err());
    }
}
