//! The household SIPAS's lists (METHOD §6), as communes send them: the
//! villages and residential groups (*thôn, tổ dân phố*) of each commune with
//! their number of households, and a commune's household list by village.
//! CSV or a workbook's first sheet; title rows above the header, headers
//! with or without diacritics; each refused row named by line and column.

use crate::files::frame::MAX_CELL_CHARS;
#[cfg(test)]
use crate::files::frame::csv_rows;
use crate::model::text::{fold_header, tidy};
use crate::model::{Campaign, Phone, RowError, UnitCode};
use std::collections::BTreeMap;

/// One village of a commune's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageRow {
    pub line: usize,
    pub unit: UnitCode,
    pub code: String,
    pub name: String,
    /// Households, the size measure the villages are drawn by.
    pub households: u64,
}

/// What reading a village list found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VillageList {
    pub villages: Vec<VillageRow>,
    pub errors: Vec<RowError>,
}

#[derive(Clone, Copy)]
struct VillageColumns {
    unit_code: Option<usize>,
    unit_name: Option<usize>,
    code: Option<usize>,
    name: usize,
    households: usize,
}

fn village_columns(row: &[String]) -> Option<VillageColumns> {
    let folded: Vec<String> = row.iter().map(|c| fold_header(c)).collect();
    let find = |test: &dyn Fn(&str) -> bool| folded.iter().position(|h| test(h));
    let households = find(&|h| h == "soho" || h.starts_with("sohogiadinh") || h == "households" || h == "tongsoho")?;
    let name = find(&|h| {
        h.starts_with("tenthon")
            || h == "thon"
            || h.starts_with("thonto")
            || h.starts_with("todanpho")
            || h == "village"
    })?;
    let code = find(&|h| h.starts_with("mathon") || h == "villagecode" || h.starts_with("mato"));
    let unit_code =
        find(&|h| h == "madonvi" || h == "maxa" || h.starts_with("maxaphuong") || h == "unit" || h == "unitcode");
    let unit_name = find(&|h| {
        h == "tendonvi" || h == "donvi" || h == "tenxa" || h == "xa" || h.starts_with("xaphuong") || h == "unitname"
    });
    (unit_code.is_some() || unit_name.is_some()).then_some(VillageColumns {
        unit_code,
        unit_name,
        code,
        name,
        households,
    })
}

/// The header row's index and columns: the first row that names a village,
/// its households and its commune.
fn header<T: Copy>(rows: &[(usize, Vec<String>)], find: fn(&[String]) -> Option<T>) -> Option<(usize, T)> {
    rows.iter().enumerate().find_map(|(i, (_, r))| find(r).map(|c| (i, c)))
}

/// A village's code when the list gives none: its commune's code and its
/// name folded («Thôn Đông» of HS001 → `HS001-thondong`), the same on every import.
fn code_of(unit: &UnitCode, name: &str) -> String {
    format!("{unit}-{}", fold_header(name))
}

/// Reads a village list. A village's commune is named by code or by name
/// and must be a unit of the campaign with a household group.
///
/// # Errors
/// A [`RowError`] when no header names the village, its households and its commune.
pub fn read_villages(rows: &[(usize, Vec<String>)], campaign: &Campaign) -> Result<VillageList, RowError> {
    let Some((start, cols)) = header(rows, village_columns) else {
        return Err(RowError {
            line: rows.first().map_or(1, |(l, _)| *l),
            column: None,
            message: "không tìm thấy dòng tiêu đề có các cột «Mã đơn vị» (hoặc «Tên đơn vị»), «Tên thôn/tổ dân phố» và «Số hộ»"
                .into(),
        });
    };
    let quotas = campaign.quotas();
    let household_units: Vec<&crate::model::Unit> = campaign
        .units
        .iter()
        .filter(|u| {
            quotas.iter().any(|q| q.unit == u.code && campaign.group(&q.group).is_some_and(|g| g.households.is_some()))
        })
        .collect();
    let by_name: BTreeMap<String, &UnitCode> =
        household_units.iter().map(|u| (fold_header(&u.name), &u.code)).collect();
    let mut list = VillageList::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (line, row) in &rows[start + 1..] {
        let line = *line;
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map(|c| tidy(c)).unwrap_or_default();
        let (unit_code, unit_name, code, name, households) = (
            cell(cols.unit_code),
            cell(cols.unit_name),
            cell(cols.code),
            cell(Some(cols.name)),
            cell(Some(cols.households)),
        );
        if [&unit_code, &unit_name, &code, &name, &households].iter().all(|c| c.is_empty()) {
            continue;
        }
        let err = |column: &str, message: String| RowError { line, column: Some(column.to_owned()), message };
        let before = list.errors.len();
        let unit = if unit_code.is_empty() {
            by_name.get(&fold_header(&unit_name)).map(|c| (*c).clone())
        } else {
            UnitCode::parse(&unit_code).ok().filter(|c| household_units.iter().any(|u| u.code == *c))
        };
        if unit.is_none() {
            let (column, shown) = if unit_code.is_empty() {
                ("Tên đơn vị", unit_name.as_str())
            } else {
                ("Mã đơn vị", unit_code.as_str())
            };
            list.errors
                .push(err(column, format!("«{shown}» không phải đơn vị cấp xã có khảo sát hộ gia đình trong đợt này")));
        }
        if name.is_empty() {
            list.errors.push(err("Tên thôn/tổ dân phố", "thiếu tên thôn, tổ dân phố".into()));
        } else if name.chars().count() > MAX_CELL_CHARS {
            list.errors.push(err("Tên thôn/tổ dân phố", format!("dài quá {MAX_CELL_CHARS} ký tự")));
        }
        let count = households.replace(['.', ' '], "").parse::<u64>();
        match count {
            Ok(n) if n <= 1_000_000 => {}
            Ok(_) => list.errors.push(err("Số hộ", format!("«{households}» hộ: quá lớn cho một thôn"))),
            Err(_) => list.errors.push(err("Số hộ", format!("«{households}» không phải số hộ (một số nguyên)"))),
        }
        let (Some(unit), Ok(households)) = (unit, count) else { continue };
        if list.errors.len() != before {
            continue;
        }
        let code = if code.is_empty() { code_of(&unit, &name) } else { code };
        if let Some(first) = seen.get(&code) {
            list.errors.push(err("Mã thôn", format!("mã thôn «{code}» đã có ở dòng {first}")));
            continue;
        }
        seen.insert(code.clone(), line);
        list.villages.push(VillageRow { line, unit, code, name, households });
    }
    Ok(list)
}

/// One household of a commune's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRow {
    pub line: usize,
    /// The village's code in the campaign's village list.
    pub village: String,
    /// The head of household, as listed.
    pub head: String,
    pub address: String,
    /// Most households are reached at home; a phone when the list has one.
    pub phone: Option<Phone>,
}

/// What reading a household list found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdList {
    pub households: Vec<HouseholdRow>,
    /// Rows refused: no head, a village not in the list.
    pub errors: Vec<RowError>,
    /// Rows kept without their phone, which could not be read.
    pub warnings: Vec<RowError>,
}

#[derive(Clone, Copy)]
struct HouseholdColumns {
    village_code: Option<usize>,
    village_name: Option<usize>,
    head: usize,
    address: Option<usize>,
    phone: Option<usize>,
}

fn household_columns(row: &[String]) -> Option<HouseholdColumns> {
    let folded: Vec<String> = row.iter().map(|c| fold_header(c)).collect();
    let find = |test: &dyn Fn(&str) -> bool| folded.iter().position(|h| test(h));
    let head = find(&|h| h.contains("chuho") || h.starts_with("hovaten") || h.starts_with("hoten") || h == "head")?;
    let village_code = find(&|h| h.starts_with("mathon") || h == "villagecode" || h.starts_with("mato"));
    let village_name = find(&|h| {
        h.starts_with("tenthon")
            || h == "thon"
            || h.starts_with("thonto")
            || h.starts_with("todanpho")
            || h == "village"
    });
    let address = find(&|h| h.contains("diachi") || h.contains("address"));
    let phone = find(&|h| h.contains("dienthoai") || h.contains("phone") || h == "sdt");
    (village_code.is_some() || village_name.is_some()).then_some(HouseholdColumns {
        village_code,
        village_name,
        head,
        address,
        phone,
    })
}

/// Reads one commune's household list against its villages (code, name).
///
/// # Errors
/// A [`RowError`] when no header names the household head and the village.
pub fn read_households(
    rows: &[(usize, Vec<String>)],
    villages: &[(String, String)],
) -> Result<HouseholdList, RowError> {
    let Some((start, cols)) = header(rows, household_columns) else {
        return Err(RowError {
            line: rows.first().map_or(1, |(l, _)| *l),
            column: None,
            message: "không tìm thấy dòng tiêu đề có các cột «Họ và tên chủ hộ» và «Mã thôn» (hoặc «Thôn/Tổ dân phố»)"
                .into(),
        });
    };
    let by_code: BTreeMap<String, &str> = villages.iter().map(|(c, _)| (fold_header(c), c.as_str())).collect();
    let by_name: BTreeMap<String, &str> = villages.iter().map(|(c, n)| (fold_header(n), c.as_str())).collect();
    let mut list = HouseholdList::default();
    for (line, row) in &rows[start + 1..] {
        let line = *line;
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map(|c| tidy(c)).unwrap_or_default();
        let (code, name, head, address, phone) = (
            cell(cols.village_code),
            cell(cols.village_name),
            cell(Some(cols.head)),
            cell(cols.address),
            cell(cols.phone),
        );
        // Blank rows and the signature block («Người lập danh sách») name
        // no village, no address and no phone.
        if code.is_empty() && name.is_empty() && address.is_empty() && phone.is_empty() {
            continue;
        }
        let err = |column: &str, message: String| RowError { line, column: Some(column.to_owned()), message };
        let before = list.errors.len();
        if head.is_empty() {
            list.errors.push(err("Họ và tên chủ hộ", "thiếu họ và tên chủ hộ".into()));
        }
        for (column, value) in [("Họ và tên chủ hộ", &head), ("Địa chỉ", &address)] {
            let n = value.chars().count();
            if n > MAX_CELL_CHARS {
                list.errors.push(err(column, format!("dài {n} ký tự, quá {MAX_CELL_CHARS} ký tự một ô")));
            }
        }
        let village =
            by_code.get(&fold_header(&code)).or_else(|| by_name.get(&fold_header(&name))).map(|c| (*c).to_owned());
        if village.is_none() {
            let (column, shown) = if code.is_empty() { ("Thôn/Tổ dân phố", &name) } else { ("Mã thôn", &code) };
            list.errors.push(err(column, format!("«{shown}» không có trong danh sách thôn, tổ dân phố của đơn vị")));
        }
        let Some(village) = village.filter(|_| list.errors.len() == before) else { continue };
        let phone = if phone.is_empty() {
            None
        } else {
            match Phone::parse(&phone) {
                Ok(p) => Some(p),
                Err(e) => {
                    list.warnings.push(err("Số điện thoại", format!("{e}; giữ hộ này, không có số điện thoại")));
                    None
                }
            }
        };
        list.households.push(HouseholdRow { line, village, head, address, phone });
    }
    Ok(list)
}

/// Raw rows of a village or household list: CSV (UTF-8) or a workbook's
/// first sheet, numbered as the office sees them.
///
/// # Errors
/// A message naming what is wrong with the file as a whole.
pub fn list_rows(name: &str, bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, String> {
    list_rows_until(name, bytes, None)
}

/// Like [`list_rows`], giving up once `deadline` has passed.
///
/// # Errors
/// As [`list_rows`], or that the deadline passed.
pub fn list_rows_until(
    name: &str,
    bytes: &[u8],
    deadline: Option<std::time::Instant>,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    crate::files::frame::rows_until(
        name,
        bytes,
        &|row| village_columns(row).is_some() || household_columns(row).is_some(),
        deadline,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn province() -> Campaign {
        Campaign::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/province-2026/campaign.toml"),
        )
        .expect("the province example loads")
    }

    fn rows(text: &str) -> Vec<(usize, Vec<String>)> {
        csv_rows(text)
    }

    #[test]
    fn the_province_village_list_reads_whole() {
        let c = province();
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/province-2026/villages.csv"),
        )
        .expect("file");
        let list = read_villages(&rows(&text), &c).expect("header");
        assert!(list.errors.is_empty(), "{:?}", &list.errors[..list.errors.len().min(3)]);
        assert_eq!(list.villages.len(), 1_930);
        assert_eq!(list.villages.iter().map(|v| v.households).sum::<u64>(), 312_750);
        let units: std::collections::BTreeSet<&str> = list.villages.iter().map(|v| v.unit.as_str()).collect();
        assert_eq!(units.len(), 100);
    }

    #[test]
    fn a_messy_village_list_names_each_refused_row_by_line_and_column() {
        let c = province();
        let text = "DANH SÁCH THÔN, TỔ DÂN PHỐ\n\
                    \n\
                    TEN XA;Ten thon/to dan pho;So ho\n\
                    Xã Tân Lập;Thôn Đông;120\n\
                    Xã Không Có;Thôn Tây;80\n\
                    Xã Tân Lập;;50\n\
                    Xã Tân Lập;Thôn Bắc;một trăm\n\
                    Xã Tân Lập;Thôn Nam;1.250\n\
                    Xã Tân Lập;Thôn Đông;90\n";
        let list = read_villages(&rows(text), &c).expect("header");
        let faults: Vec<String> = list.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            faults,
            [
                "dòng 5, cột «Tên đơn vị»: «Xã Không Có» không phải đơn vị cấp xã có khảo sát hộ gia đình trong đợt này",
                "dòng 6, cột «Tên thôn/tổ dân phố»: thiếu tên thôn, tổ dân phố",
                "dòng 7, cột «Số hộ»: «một trăm» không phải số hộ (một số nguyên)",
                "dòng 9, cột «Mã thôn»: mã thôn «HS001-thondong» đã có ở dòng 4",
            ]
        );
        let kept: Vec<(&str, u64)> = list.villages.iter().map(|v| (v.code.as_str(), v.households)).collect();
        assert_eq!(kept, [("HS001-thondong", 120), ("HS001-thonnam", 1_250)]);
    }

    #[test]
    fn a_household_list_keeps_a_household_whose_phone_is_unreadable() {
        let villages = vec![
            ("HS001-T01".to_owned(), "Thôn Trung".to_owned()),
            ("HS001-T02".to_owned(), "Thôn Cầu Mới".to_owned()),
        ];
        let text = "UBND XÃ TÂN LẬP,,,,\n\
                    STT,Thôn/Tổ dân phố,Họ và tên chủ hộ,Địa chỉ,SĐT\n\
                    1,Thôn Trung,Nguyễn Văn An,\"Số 1, Thôn Trung\",0912.345.678\n\
                    2,thon cau moi,Lê Thị Bình,Số 2,\n\
                    3,Thôn Trung,Trần Văn Cường,Số 3,12345\n\
                    4,Thôn Xa,Phạm Thị Dung,Số 4,\n\
                    5,Thôn Trung,,Số 5,\n\
                    ,,,,\n\
                    ,,Người lập danh sách,,\n";
        let list = read_households(&rows(text), &villages).expect("header");
        let heads: Vec<(&str, &str, bool)> =
            list.households.iter().map(|h| (h.head.as_str(), h.village.as_str(), h.phone.is_some())).collect();
        assert_eq!(
            heads,
            [
                ("Nguyễn Văn An", "HS001-T01", true),
                ("Lê Thị Bình", "HS001-T02", false),
                ("Trần Văn Cường", "HS001-T01", false)
            ]
        );
        assert_eq!(list.warnings.len(), 1);
        assert_eq!((list.warnings[0].line, list.warnings[0].column.as_deref()), (5, Some("Số điện thoại")));
        let faults: Vec<String> = list.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            faults,
            [
                "dòng 6, cột «Thôn/Tổ dân phố»: «Thôn Xa» không có trong danh sách thôn, tổ dân phố của đơn vị",
                "dòng 7, cột «Họ và tên chủ hộ»: thiếu họ và tên chủ hộ",
            ]
        );
    }
}
