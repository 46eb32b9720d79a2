//! The lineage file of a campaign that follows another (`lineage_csv`): one
//! row per old unit absorbed by a new one, as provinces list their mergers.
//! CSV with title rows above the header allowed, headers with or without
//! diacritics; each refused row named by line and column.
//!
//! ```text
//! Mã đơn vị mới,Mã đơn vị cũ,Tên đơn vị cũ,Tỷ lệ,Văn bản
//! HS001,HS-2024-001,Xã Hòa Sơn,,Nghị quyết 1680/NQ-UBTVQH15 ngày 16/6/2025
//! HS001,HS-2024-002,Xã Hòa Lạc,,Nghị quyết 1680/NQ-UBTVQH15 ngày 16/6/2025
//! HS002,HS-2024-003,Xã Hòa Bình,60 %,Nghị quyết 1680/NQ-UBTVQH15 ngày 16/6/2025
//! HS003,HS-2024-003,Xã Hòa Bình,40 %,Nghị quyết 1680/NQ-UBTVQH15 ngày 16/6/2025
//! ```

use crate::model::RowError;
use crate::model::lineage::Predecessor;
use crate::model::text::{fold_header, tidy};
use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(Clone, Copy)]
struct Columns {
    unit: usize,
    from: usize,
    from_name: Option<usize>,
    share: Option<usize>,
    act: Option<usize>,
}

fn columns(row: &[String]) -> Option<Columns> {
    let folded: Vec<String> = row.iter().map(|c| fold_header(c)).collect();
    let find = |test: &dyn Fn(&str) -> bool| folded.iter().position(|h| test(h));
    Some(Columns {
        unit: find(&|h| h.starts_with("madonvimoi") || h.starts_with("maxamoi") || h == "newunit")?,
        from: find(&|h| h.starts_with("madonvicu") || h.starts_with("maxacu") || h == "oldunit")?,
        from_name: find(&|h| h.starts_with("tendonvicu") || h.starts_with("tenxacu") || h == "oldname"),
        share: find(&|h| h.starts_with("tyle") || h == "share"),
        act: find(&|h| h.starts_with("vanban") || h.starts_with("cancu") || h == "act"),
    })
}

/// A share as offices write it: `60 %`, `60`, `0,6`, `0.6`; empty is whole.
fn share(raw: &str) -> Result<Decimal, String> {
    let text = raw.trim().trim_end_matches('%').trim().replace(',', ".");
    if text.is_empty() {
        return Ok(Decimal::ONE);
    }
    let value = Decimal::from_str(&text).map_err(|_| format!("«{raw}» không phải tỷ lệ (ví dụ: 60 % hoặc 0,6)"))?;
    let value = if raw.contains('%') || value > Decimal::ONE { value / Decimal::ONE_HUNDRED } else { value };
    if value <= Decimal::ZERO || value > Decimal::ONE {
        return Err(format!("tỷ lệ «{raw}» phải lớn hơn 0 và không quá 100 %"));
    }
    Ok(value.normalize())
}

/// Reads a lineage file's rows: every row it could read, and every fault.
///
/// # Errors
/// A [`RowError`] when no header names the new and the old unit's codes.
pub fn read_lineage(rows: &[(usize, Vec<String>)]) -> Result<(Vec<Predecessor>, Vec<RowError>), RowError> {
    let Some((start, cols)) = rows.iter().enumerate().find_map(|(i, (_, r))| columns(r).map(|c| (i, c))) else {
        return Err(RowError {
            line: rows.first().map_or(1, |(l, _)| *l),
            column: None,
            message: "không tìm thấy dòng tiêu đề có các cột «Mã đơn vị mới» và «Mã đơn vị cũ»".into(),
        });
    };
    let (mut lineage, mut errors) = (Vec::new(), Vec::new());
    for (line, row) in &rows[start + 1..] {
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map(|c| tidy(c)).unwrap_or_default();
        let (unit, from) = (cell(Some(cols.unit)), cell(Some(cols.from)));
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let err = |column: &str, message: String| RowError { line: *line, column: Some(column.into()), message };
        if unit.is_empty() {
            errors.push(err("Mã đơn vị mới", "thiếu mã đơn vị mới".into()));
            continue;
        }
        if from.is_empty() {
            errors.push(err("Mã đơn vị cũ", format!("thiếu mã đơn vị cũ mà «{unit}» tiếp nhận")));
            continue;
        }
        match share(&cell(cols.share)) {
            Ok(share) => lineage.push(Predecessor {
                line: *line,
                unit,
                from,
                from_name: cell(cols.from_name),
                share,
                act: cell(cols.act),
            }),
            Err(message) => errors.push(err("Tỷ lệ", message)),
        }
    }
    Ok((lineage, errors))
}

/// A percentage as a report prints it: `85,71`, `85.71`, `85,71 %`; empty is none.
fn percent(raw: &str) -> Result<Option<Decimal>, String> {
    let t = raw.trim().trim_end_matches('%').trim().replace(' ', "");
    if t.is_empty() || t == "-" || t == "–" {
        return Ok(None);
    }
    let d = Decimal::from_str(&t.replace(',', "."))
        .map_err(|_| format!("«{raw}» không phải một tỷ lệ phần trăm (vd. 85,71)"))?;
    if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
        return Err(format!("{raw} nằm ngoài 0–100"));
    }
    Ok(Some(d))
}

/// Reads last year's published unit figures (`previous_figures_csv`):
///
/// ```text
/// Mã đơn vị,Tên đơn vị,Số phiếu,SIPAS,Tiếp cận dịch vụ,…,Điểm điều tra XHH,PAR INDEX
/// QB-2024-01,Xã Hòa Sơn,180,82,5,…,71,2,78,45
/// ```
///
/// A SIPAS component's column is headed by its code or its name in this
/// year's questionnaires (`components`: code, name). Each refused cell is
/// named by line and column.
///
/// # Errors
/// A [`RowError`] when no header with the unit's code and the number of answers is found.
pub fn read_published(
    rows: &[(usize, Vec<String>)],
    components: &[(String, String)],
) -> Result<(Vec<crate::model::lineage::PublishedFigures>, Vec<RowError>), RowError> {
    let find_header = |row: &[String]| {
        let folded: Vec<String> = row.iter().map(|c| fold_header(c)).collect();
        let find = |test: &dyn Fn(&str) -> bool| folded.iter().position(|h| test(h));
        let unit = find(&|h| h == "madonvi" || h == "ma" || h == "unit" || h == "madonvicu")?;
        let responses = find(&|h| h.starts_with("sophieu") || h == "responses" || h == "n")?;
        Some((folded.clone(), unit, responses))
    };
    let (start, (headers, unit_col, responses_col)) =
        rows.iter().enumerate().find_map(|(i, (_, r))| find_header(r).map(|h| (i, h))).ok_or_else(|| RowError {
            line: 1,
            column: None,
            message: "không tìm thấy dòng tiêu đề có các cột «Mã đơn vị» và «Số phiếu»".into(),
        })?;
    let header_line = rows[start].0;
    let col = |test: &dyn Fn(&str) -> bool| headers.iter().position(|h| test(h));
    let name_col = col(&|h| h.starts_with("tendonvi") || h == "name");
    let sipas_col = col(&|h| h == "sipas" || h.starts_with("chisohailong"));
    let survey_col = col(&|h| h.starts_with("diemdieutra") || h.contains("dieutraxahoihoc") || h == "parsurvey");
    let index_col = col(&|h| h == "parindex" || h.starts_with("chisocaicach"));
    let component_cols: Vec<(String, usize)> = components
        .iter()
        .filter_map(|(code, name)| {
            col(&|h| h == fold_header(code) || h == fold_header(name)).map(|c| (code.clone(), c))
        })
        .collect();
    let original: Vec<String> = rows[start].1.clone();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for (line, row) in &rows[start + 1..] {
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).map(|v| tidy(v)).unwrap_or_default();
        let unit = cell(Some(unit_col));
        if unit.is_empty() {
            continue;
        }
        let mut fault = |c: usize, message: String| {
            errors.push(RowError { line: *line, column: original.get(c).cloned(), message });
        };
        if let Some(first) = seen.insert(unit.clone(), *line) {
            fault(unit_col, format!("đơn vị «{unit}» đã có ở dòng {first}"));
            continue;
        }
        let responses = match cell(Some(responses_col)).replace(['.', ' '], "").parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                fault(responses_col, format!("số phiếu «{}» phải là số nguyên dương", cell(Some(responses_col))));
                continue;
            }
        };
        let mut read = |c: Option<usize>| match c {
            None => None,
            Some(c) => percent(&cell(Some(c))).unwrap_or_else(|m| {
                fault(c, m);
                None
            }),
        };
        let sipas = read(sipas_col);
        let par_survey = read(survey_col);
        let par_index = read(index_col);
        let components =
            component_cols.iter().filter_map(|(code, c)| read(Some(*c)).map(|v| (code.clone(), v))).collect();
        out.push(crate::model::lineage::PublishedFigures {
            line: *line,
            unit,
            name: cell(name_col),
            responses,
            sipas,
            components,
            par_survey,
            par_index,
        });
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(RowError { line: header_line, column: None, message: "tệp không có đơn vị nào".into() });
    }
    Ok((out, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::frame::csv_rows;
    use crate::model::lineage::check;
    use std::collections::BTreeSet;

    const ACT: &str = "Nghị quyết 1680/NQ-UBTVQH15";

    fn read(text: &str) -> (Vec<Predecessor>, Vec<RowError>) {
        read_lineage(&csv_rows(text)).expect("header")
    }

    #[test]
    fn merged_and_split_units_are_read_with_their_shares() {
        let (lineage, errors) = read(&format!(
            "Danh sách sắp xếp đơn vị hành chính cấp xã\n\
             Mã xã mới;Mã xã cũ;Tên xã cũ;Tỷ lệ;Văn bản\n\
             HS001;A;Xã A;;{ACT}\nHS001;B;Xã B;;{ACT}\nHS002;C;Xã C;60 %;{ACT}\nHS003;C;Xã C;0,4;{ACT}\n"
        ));
        assert_eq!(errors, vec![]);
        let shares: Vec<(&str, &str, String)> =
            lineage.iter().map(|p| (p.unit.as_str(), p.from.as_str(), p.share.to_string())).collect();
        assert_eq!(
            shares,
            vec![
                ("HS001", "A", "1".into()),
                ("HS001", "B", "1".into()),
                ("HS002", "C", "0.6".into()),
                ("HS003", "C", "0.4".into())
            ]
        );
        assert_eq!(lineage[0].line, 3, "lines as the office sees them, title included");
        let units = BTreeSet::from(["HS001", "HS002", "HS003"]);
        assert_eq!(check(&lineage, &units), vec![]);
    }

    #[test]
    fn each_fault_is_named_by_line_and_column() {
        let (lineage, errors) = read(&format!(
            "Mã đơn vị mới,Mã đơn vị cũ,Tỷ lệ,Văn bản\n\
             HS001,A,,{ACT}\n\
             ,B,,{ACT}\n\
             HS002,C,sáu mươi,{ACT}\n\
             HS002,D,70 %,{ACT}\n\
             HS003,D,40 %,{ACT}\n\
             HS009,E,,{ACT}\n\
             HS001,F,,\n\
             HS001,A,,{ACT}\n"
        ));
        let at = |e: &RowError| (e.line, e.column.clone().unwrap_or_default());
        assert_eq!(errors.iter().map(at).collect::<Vec<_>>(), vec![(3, "Mã đơn vị mới".into()), (4, "Tỷ lệ".into())]);
        assert!(errors[1].message.contains("sáu mươi"), "{}", errors[1].message);
        let units = BTreeSet::from(["HS001", "HS002", "HS003"]);
        let checked = check(&lineage, &units);
        assert_eq!(
            checked.iter().map(at).collect::<Vec<_>>(),
            vec![(7, "Mã đơn vị mới".into()), (8, "Văn bản".into()), (9, "Mã đơn vị cũ".into()), (6, "Tỷ lệ".into())]
        );
        assert!(checked[2].message.contains("dòng 2"), "{}", checked[2].message);
        assert!(checked[3].message.contains("110 %"), "{}", checked[3].message);
    }
}

#[cfg(test)]
mod published_tests {
    use super::read_published;
    use crate::files::frame::csv_rows;

    #[test]
    fn published_figures_are_read_as_printed_and_faults_named() {
        let text = "KẾT QUẢ SIPAS NĂM 2024\n\
                    Mã đơn vị;Tên đơn vị;Số phiếu;SIPAS;Tiếp cận dịch vụ;Điểm điều tra XHH;PAR INDEX\n\
                    A;Xã A;1.200;85,71 %;80,5;70;78,45\n\
                    B;Xã B;60;;;;\n\
                    C;Xã C;0;80;;;\n\
                    D;Xã D;90;180;;;\n";
        let components = vec![("TC".to_owned(), "Tiếp cận dịch vụ".to_owned())];
        let (figures, errors) = read_published(&csv_rows(text), &components).expect("header");
        assert_eq!(figures.len(), 3);
        assert_eq!(figures[0].responses, 1200);
        assert_eq!(figures[0].sipas.map(|d| d.to_string()), Some("85.71".into()));
        assert_eq!(figures[0].components, vec![("TC".to_owned(), rust_decimal::Decimal::new(805, 1))]);
        assert_eq!(figures[0].par_index.map(|d| d.to_string()), Some("78.45".into()));
        assert_eq!(figures[1].sipas, None);
        let named: Vec<(usize, Option<&str>)> = errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(named, vec![(5, Some("Số phiếu")), (6, Some("SIPAS"))]);
    }
}
