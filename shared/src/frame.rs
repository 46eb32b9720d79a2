//! Counters' transaction lists (the sampling frame), as offices really send
//! them: title rows above the header, `;` or `,`, a UTF-8 BOM, phones written
//! with dots, spaces or +84, blank and signature rows at the end, people listed
//! twice. Header names are matched loosely, Vietnamese with or without
//! diacritics, or English.

use crate::ballots::{RowError, sniff_delimiter};
use crate::campaign::{Campaign, fold_header};
use crate::domain::Phone;
use crate::source::record_line;
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
    pub phone: Phone,
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
    reader
        .records()
        .filter_map(Result::ok)
        .map(|r| {
            (r.position().map_or(0, |p| record_line(text, p.byte())), r.iter().map(|c| c.trim().to_owned()).collect())
        })
        .collect()
}

#[derive(Clone, Copy)]
struct Columns {
    name: usize,
    procedure: usize,
    address: Option<usize>,
    phone: usize,
}

fn find_columns(row: &[String]) -> Option<Columns> {
    let folded: Vec<String> = row.iter().map(|c| fold_header(c)).collect();
    let find = |test: &dyn Fn(&str) -> bool| folded.iter().position(|h| test(h));
    let name = find(&|h| h.starts_with("hovaten") || h.starts_with("hoten") || h == "name" || h == "fullname")?;
    let procedure = find(&|h| h.contains("thutuc") || h.contains("procedure"))?;
    let phone = find(&|h| h.contains("dienthoai") || h.contains("phone") || h == "sdt")?;
    let address = find(&|h| h.contains("diachi") || h.contains("address"));
    Some(Columns { name, procedure, address, phone })
}

/// Reads a frame from raw rows (CSV or a spreadsheet's first sheet).
///
/// # Errors
/// A [`RowError`] when no header row with name, procedure and phone columns is found.
pub fn read_frame(rows: &[(usize, Vec<String>)], campaign: &Campaign) -> Result<Frame, RowError> {
    let (start, cols) =
        rows.iter().enumerate().find_map(|(i, (_, r))| find_columns(r).map(|c| (i, c))).ok_or_else(|| RowError {
            line: 1,
            column: None,
            message: "không tìm thấy dòng tiêu đề có các cột «Họ và tên», «Tên thủ tục hành chính» và «Số điện thoại»"
                .into(),
        })?;
    let mut frame = Frame::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (line, row) in &rows[start + 1..] {
        let line = *line;
        let cell = |i: usize| row.get(i).map(|c| c.trim()).unwrap_or("");
        let (name, procedure, raw_phone) = (cell(cols.name), cell(cols.procedure), cell(cols.phone));
        let address = cols.address.map(cell).unwrap_or("");
        // Blank rows and the signature block ("Người lập danh sách … ngày tháng năm")
        // have no procedure and no digits where the phone goes.
        if procedure.is_empty() && !raw_phone.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let err = |column: &str, message: String| RowError { line, column: Some(column.to_owned()), message };
        let before = frame.errors.len();
        if name.is_empty() {
            frame.errors.push(err("Họ và tên", "thiếu họ và tên".into()));
        }
        if procedure.is_empty() {
            frame.errors.push(err("Tên thủ tục", "thiếu tên thủ tục hành chính".into()));
        }
        let phone = match Phone::parse(raw_phone) {
            Ok(p) => Some(p),
            Err(e) => {
                frame.errors.push(err("Số điện thoại", e.to_string()));
                None
            }
        };
        let Some(phone) = phone.filter(|_| frame.errors.len() == before) else { continue };
        if let Some(first) = seen.get(phone.as_str()) {
            frame.duplicates.push((line, *first, phone.to_string()));
            continue;
        }
        seen.insert(phone.to_string(), line);
        let field = campaign.field_of(procedure).map(str::to_owned);
        if field.is_none() {
            *frame.unknown_procedures.entry(procedure.to_owned()).or_default() += 1;
        }
        frame.people.push(FramePerson {
            line,
            full_name: name.to_owned(),
            procedure: procedure.to_owned(),
            field,
            address: address.to_owned(),
            phone,
        });
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_rows_signature_rows_and_phones_as_written() {
        let c = crate::examples::quang_binh().expect("example");
        let text = "\u{feff}XÃ THỬ\r\nDANH SÁCH\r\n\r\ntt;Họ và tên;Tên thủ tục hành chính đã giao dịch;Địa chỉ;Số điện thoại (bắt buộc phải có)\r\n\
1;Nguyễn Văn A;Đăng ký khai sinh;Thôn 1;0912.345.678\r\n\
2;Trần Thị B;Đăng ký thường trú;Thôn 2;+84 987 654 321\r\n\
3;Lê Văn C;Cấp giấy phép xây dựng;Thôn 3;12345\r\n\
4;Nguyễn Văn A;Đăng ký kết hôn;Thôn 1;0912 345 678\r\n\
5;Phạm D;Thủ tục lạ;Thôn 4;0356000111\r\n\r\n;Người lập danh sách;;;..... ngày    tháng    năm\r\n";
        let f = read_frame(&csv_rows(text), &c).expect("header found");
        assert_eq!(f.people.iter().map(|p| p.line).collect::<Vec<_>>(), vec![5, 6, 9]);
        assert_eq!(f.people[0].phone.as_str(), "0912345678");
        assert_eq!(f.people[0].field.as_deref(), Some("Tư pháp – Hộ tịch"));
        assert_eq!(f.people[1].phone.as_str(), "0987654321");
        assert_eq!(f.errors.len(), 1);
        assert_eq!((f.errors[0].line, f.errors[0].column.as_deref()), (7, Some("Số điện thoại")));
        assert_eq!(f.duplicates, vec![(8, 5, "0912345678".to_owned())]);
        assert_eq!(f.unknown_procedures.get("Thủ tục lạ"), Some(&1));
        assert_eq!(f.unknown_procedures.get("Cấp giấy phép xây dựng"), None, "a bad row is not counted");
    }

    #[test]
    fn english_headers_and_commas() {
        let c = crate::examples::quang_binh().expect("example");
        let text = "No,Full name,Procedure,Address,Phone\n1,An,Đăng ký khai tử,Thôn 1,0356111222\n";
        let f = read_frame(&csv_rows(text), &c).expect("header");
        assert_eq!(f.people.len(), 1);
        assert!(read_frame(&csv_rows("a,b\n1,2\n"), &c).is_err());
    }
}
