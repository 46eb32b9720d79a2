//! A campaign file (TOML) and the unit and procedure CSVs it names: read,
//! checked, and its faults placed at the file, line and key they are on.

use crate::files::csv::read_rows;
use crate::files::source::SourceError;
use crate::model::campaign::*;
use crate::model::questionnaire::Questionnaire;
use crate::model::text::fold_header;
use crate::model::{RowError, Unit, UnitCode, UnitKind, check_hierarchy};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

impl Campaign {
    /// Loads a campaign file and everything it names (questionnaires, unit and
    /// procedure CSVs), relative to the campaign file's folder.
    ///
    /// # Errors
    /// A [`SourceError`] naming the file, line and key at fault.
    pub fn load(path: &Path) -> Result<Self, SourceError> {
        Self::load_with(path, &read)
    }

    /// Loads a campaign, reading each file it names through `read` (for the
    /// example campaign embedded in the binary).
    ///
    /// # Errors
    /// A [`SourceError`] naming the file, line and key at fault.
    pub fn load_with(path: &Path, read: &dyn Fn(&Path) -> Result<String, SourceError>) -> Result<Self, SourceError> {
        let text = read(path)?;
        let text = text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text);
        let file: CampaignFile = toml::from_str(&text).map_err(|e| SourceError::from_toml(path, &text, &e))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let at = |key: &str, msg: String| {
            let mut e = SourceError::new(path, msg).key(key);
            if let Some(line) = key_line(&text, key.split(['.', '[']).next().unwrap_or(key)) {
                e = e.at_line(line);
            }
            e
        };
        // Locates a fault by the value at fault, for keys written in many places.
        let at_value = |key: &str, needle: &str, msg: String| {
            let mut e = at(key, msg);
            if let Some(i) = text.lines().position(|l| l.contains(needle)) {
                e = e.at_line(i + 1);
            }
            e
        };

        let id = file.id.trim().to_owned();
        if UnitCode::parse(&id).is_err() {
            return Err(at(
                "id",
                format!("mã đợt khảo sát «{id}» chỉ được dùng chữ cái không dấu, chữ số, '-', '_', '.'"),
            ));
        }
        let opens = toml_date(&file.opens).ok_or_else(|| at("opens", "ngày mở phải là ngày dạng 2026-10-01".into()))?;
        let closes =
            toml_date(&file.closes).ok_or_else(|| at("closes", "ngày đóng phải là ngày dạng 2026-10-31".into()))?;
        if closes < opens {
            return Err(at("closes", format!("ngày đóng {closes} trước ngày mở {opens}")));
        }

        let mut units = Vec::new();
        // Where each unit was written, to point at the right file and line.
        let mut origins: Vec<(PathBuf, usize)> = Vec::new();
        if let Some(csv_name) = &file.units_csv {
            let csv_path = dir.join(csv_name);
            for (line, unit) in load_units_csv(&csv_path, read)? {
                origins.push((csv_path.clone(), line));
                units.push(unit);
            }
        }
        for (i, u) in file.units.iter().enumerate() {
            let key = format!("units[{i}]");
            let code = UnitCode::parse(&u.code).map_err(|e| at_value(&key, &u.code, e.to_string()))?;
            let parent = match u.parent.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => Some(UnitCode::parse(p).map_err(|e| at_value(&key, p, e.to_string()))?),
                None => None,
            };
            let line = text.lines().position(|l| l.contains(&format!("\"{}\"", u.code))).map_or(0, |i| i + 1);
            origins.push((path.to_owned(), line));
            units.push(Unit { code, name: u.name.clone(), kind: u.kind, parent });
        }
        if units.is_empty() {
            return Err(at("units", "đợt khảo sát chưa có đơn vị nào (units hoặc units_csv)".into()));
        }
        check_hierarchy(&units).map_err(|(i, msg)| {
            let (file, line) = &origins[i];
            SourceError::new(file, msg).at_line(*line).key(if file == path { "units" } else { "parent" })
        })?;
        let unit_codes: BTreeSet<&UnitCode> = units.iter().map(|u| &u.code).collect();

        let mut questionnaires: Vec<Questionnaire> = Vec::new();
        let mut loaded_from: BTreeMap<PathBuf, String> = BTreeMap::new();
        let mut groups = Vec::new();
        if file.groups.is_empty() {
            return Err(at("groups", "đợt khảo sát chưa có nhóm đối tượng nào ([[groups]])".into()));
        }
        for (i, g) in file.groups.iter().enumerate() {
            let key = format!("groups[{i}]");
            if g.code.trim().is_empty() || groups.iter().any(|x: &Group| x.code == g.code) {
                return Err(at_value(
                    &key,
                    &format!("\"{}\"", g.code),
                    format!("mã nhóm «{}» trống hoặc bị trùng", g.code),
                ));
            }
            let qpath = dir.join(&g.questionnaire);
            let qid = match loaded_from.get(&qpath) {
                Some(id) => id.clone(),
                None => {
                    // A file that cannot be read is reported at the line of
                    // campaign.toml that names it, where the fix is made.
                    let qtext = read(&qpath).map_err(|e| {
                        let mut at_line = at_value(
                            &format!("{key}.questionnaire"),
                            &format!("\"{}\"", g.questionnaire),
                            format!("phiếu «{}» của nhóm «{}»: {}", g.questionnaire, g.code, e.message),
                        );
                        at_line.file = path.to_owned();
                        at_line
                    })?;
                    let qtext = qtext.strip_prefix('\u{feff}').unwrap_or(&qtext);
                    let q = Questionnaire::from_toml(&qpath, qtext)?;
                    if questionnaires.iter().any(|x| x.id == q.id) {
                        return Err(
                            SourceError::new(&qpath, format!("hai phiếu khác nhau cùng mã «{}»", q.id)).key("id")
                        );
                    }
                    let id = q.id.clone();
                    loaded_from.insert(qpath, id.clone());
                    questionnaires.push(q);
                    id
                }
            };
            let mut overrides = BTreeMap::new();
            for (code, quota) in &g.overrides {
                let code =
                    UnitCode::parse(code).map_err(|e| at_value(&format!("{key}.overrides"), code, e.to_string()))?;
                if !unit_codes.contains(&code) {
                    return Err(at_value(
                        &format!("{key}.overrides"),
                        code.as_str(),
                        format!("chỉ tiêu riêng cho đơn vị «{code}» không có trong danh sách đơn vị"),
                    ));
                }
                overrides.insert(code, *quota);
            }
            if let Some(design) = g.households {
                if design.villages == 0 || design.per_village == 0 {
                    return Err(at(
                        &format!("{key}.households"),
                        "số thôn và số hộ mỗi thôn phải lớn hơn 0".to_owned(),
                    ));
                }
                if g.frame {
                    return Err(at(
                        &format!("{key}.households"),
                        "nhóm hộ gia đình được chọn theo thôn, không theo danh sách giao dịch (bỏ frame = true)"
                            .to_owned(),
                    ));
                }
                if u64::from(design.villages) * u64::from(design.per_village) != u64::from(g.quota) {
                    return Err(at(
                        &format!("{key}.quota"),
                        format!(
                            "chỉ tiêu {} phải bằng số thôn × số hộ mỗi thôn ({} × {} = {})",
                            g.quota,
                            design.villages,
                            design.per_village,
                            u64::from(design.villages) * u64::from(design.per_village)
                        ),
                    ));
                }
            }
            groups.push(Group {
                code: g.code.trim().to_owned(),
                name: g.name.clone(),
                questionnaire: qid,
                quota: g.quota,
                overrides,
                applies_to: g.applies_to.clone(),
                frame: g.frame,
                households: g.households,
            });
        }

        let mut procedures = BTreeMap::new();
        let mut fields: Vec<String> = Vec::new();
        if let Some(csv_name) = &file.procedures_csv {
            for (procedure, field) in load_procedures_csv(&dir.join(csv_name), read)? {
                if !fields.contains(&field) {
                    fields.push(field.clone());
                }
                procedures.insert(procedure, field);
            }
        }
        for (procedure, field) in &file.procedures {
            if !fields.contains(field) {
                fields.push(field.clone());
            }
            procedures.insert(procedure.clone(), field.clone());
        }
        for f in &file.fields {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }

        for (key, v) in [
            ("targets.sipas", file.targets.sipas),
            ("targets.par_survey", file.targets.par_survey),
            ("targets.par_index", file.targets.par_index),
        ] {
            if v.is_some_and(|v| v < Decimal::ZERO || v > Decimal::ONE_HUNDRED) {
                return Err(at(key, "chỉ tiêu phải là phần trăm từ 0 đến 100".into()));
            }
        }
        let anonymity_k = file.anonymity_k.unwrap_or(DEFAULT_ANONYMITY_K);
        if !(1..=50).contains(&anonymity_k) {
            return Err(at("anonymity_k", "số phiếu tối thiểu mỗi lần công bố phải từ 1 đến 50".into()));
        }
        let timezone = file.timezone.unwrap_or_else(default_timezone);
        if timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(at("timezone", format!("«{timezone}» không phải múi giờ (ví dụ: \"Asia/Ho_Chi_Minh\")")));
        }
        let mut band_names = BTreeSet::new();
        for b in &file.par.bands {
            if b.min < Decimal::ZERO || b.min > Decimal::ONE_HUNDRED || !band_names.insert(b.name.as_str()) {
                return Err(at("par", format!("xếp loại «{}»: ngưỡng phải từ 0 đến 100 và tên không trùng", b.name)));
            }
        }

        let follows = file.follows.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty());
        let lineage = match &file.lineage_csv {
            None => Vec::new(),
            Some(_) if follows.is_none() => {
                return Err(at("lineage_csv", "tệp sắp xếp đơn vị cần follows: mã đợt khảo sát năm trước".into()));
            }
            Some(name) => {
                let csv_path = dir.join(name);
                let rows = crate::files::frame::csv_rows(&read(&csv_path)?);
                let fault = |e: &crate::model::RowError| {
                    let column = e.column.as_deref().map(|c| format!(", cột «{c}»")).unwrap_or_default();
                    format!("dòng {}{column}: {}", e.line, e.message)
                };
                let (lineage, mut errors) = crate::files::lineage::read_lineage(&rows)
                    .map_err(|e| SourceError::new(&csv_path, e.message.clone()).at_line(e.line))?;
                let codes: BTreeSet<&str> = units.iter().map(|u| u.code.as_str()).collect();
                errors.extend(crate::model::lineage::check(&lineage, &codes));
                if let Some(first) = errors.first() {
                    let all: Vec<String> = errors.iter().map(fault).collect();
                    return Err(SourceError::new(&csv_path, all.join("; ")).at_line(first.line));
                }
                lineage
            }
        };
        let previous_figures = match &file.previous_figures_csv {
            None => Vec::new(),
            Some(_) if follows.is_none() => {
                return Err(at(
                    "previous_figures_csv",
                    "tệp kết quả năm trước cần follows: mã (tên gọi) của đợt khảo sát năm trước".into(),
                ));
            }
            Some(name) => {
                let csv_path = dir.join(name);
                let rows = crate::files::frame::csv_rows(&read(&csv_path)?);
                let components: Vec<(String, String)> = questionnaires
                    .iter()
                    .flat_map(|q| q.components.iter().map(|c| (c.code.clone(), c.name.clone())))
                    .collect();
                let (figures, errors) = crate::files::lineage::read_published(&rows, &components)
                    .map_err(|e| SourceError::new(&csv_path, e.message.clone()).at_line(e.line))?;
                let mut errors = errors;
                errors.extend(crate::model::lineage::check_against_published(&lineage, &figures));
                if let Some(first) = errors.first() {
                    let all: Vec<String> = errors
                        .iter()
                        .map(|e| {
                            let column = e.column.as_deref().map(|c| format!(", cột «{c}»")).unwrap_or_default();
                            format!("dòng {}{column}: {}", e.line, e.message)
                        })
                        .collect();
                    return Err(SourceError::new(&csv_path, all.join("; ")).at_line(first.line));
                }
                figures
            }
        };
        Ok(Campaign {
            previous_figures,
            id,
            name: file.name,
            year: file.year,
            opens,
            closes,
            organiser: file.organiser,
            contact: file.contact,
            timezone,
            units,
            groups,
            questionnaires,
            procedures,
            fields,
            targets: file.targets,
            scoring: file.scoring,
            par: file.par,
            anonymity_k,
            counter_poster: file.counter_poster,
            follows,
            lineage,
            document: file.document,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignFile {
    id: String,
    name: String,
    year: i32,
    opens: toml::value::Datetime,
    closes: toml::value::Datetime,
    #[serde(default)]
    organiser: Option<String>,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    units_csv: Option<String>,
    #[serde(default)]
    units: Vec<UnitEntry>,
    #[serde(default)]
    groups: Vec<GroupEntry>,
    #[serde(default)]
    procedures_csv: Option<String>,
    #[serde(default)]
    procedures: BTreeMap<String, String>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    targets: Targets,
    #[serde(default)]
    scoring: Scoring,
    #[serde(default)]
    par: ParSettings,
    #[serde(default)]
    anonymity_k: Option<u32>,
    #[serde(default)]
    counter_poster: bool,
    #[serde(default)]
    follows: Option<String>,
    #[serde(default)]
    lineage_csv: Option<String>,
    #[serde(default)]
    previous_figures_csv: Option<String>,
    #[serde(default)]
    document: crate::model::campaign::DocumentSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitEntry {
    code: String,
    name: String,
    kind: UnitKind,
    #[serde(default)]
    parent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupEntry {
    code: String,
    name: String,
    questionnaire: String,
    quota: u32,
    #[serde(default)]
    overrides: BTreeMap<String, u32>,
    #[serde(default)]
    applies_to: Option<Vec<UnitKind>>,
    #[serde(default)]
    frame: bool,
    #[serde(default)]
    households: Option<crate::model::campaign::HouseholdDesign>,
}

/// Reads a text file, dropping a UTF-8 byte-order mark.
///
/// # Errors
/// When the file is missing or not UTF-8.
pub fn read(path: &Path) -> Result<String, SourceError> {
    let bytes = std::fs::read(path)
        .map_err(|e| SourceError::new(path, format!("không đọc được tệp: {}", crate::files::source::io_message(&e))))?;
    let text = String::from_utf8(bytes).map_err(|_| SourceError::new(path, "tệp không phải văn bản UTF-8"))?;
    Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text))
}

fn toml_date(d: &toml::value::Datetime) -> Option<NaiveDate> {
    if d.time.is_some() {
        return None;
    }
    let date = d.date?;
    NaiveDate::from_ymd_opt(i32::from(date.year), u32::from(date.month), u32::from(date.day))
}

/// The line on which a top-level key or table is first written.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            let t = t.trim_start_matches('[');
            t.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(['=', ']', '.']))
        })
        .map(|i| i + 1)
}

/// Folded header cells, and each non-blank record with its line number.
type CsvTable = (Vec<String>, Vec<(usize, Vec<String>)>);

/// Reads a small CSV (`,` or `;`, optional BOM) into header and records with line numbers.
fn read_small_csv(path: &Path, read: &dyn Fn(&Path) -> Result<String, SourceError>) -> Result<CsvTable, SourceError> {
    let text = read(path)?;
    let at = |e: RowError| SourceError::new(path, e.message).at_line(e.line);
    let rows = read_rows(&text).map_err(at)?;
    if let Some(e) = rows.errors.into_iter().next() {
        return Err(at(e));
    }
    let header = rows.header.iter().map(|h| fold_header(h)).collect();
    let records =
        rows.records.into_iter().map(|(line, r)| (line, r.iter().map(|c| c.trim().to_owned()).collect())).collect();
    Ok((header, records))
}

fn column(header: &[String], path: &Path, names: &[&str], shown: &str) -> Result<usize, SourceError> {
    header
        .iter()
        .position(|h| names.contains(&h.as_str()))
        .ok_or_else(|| SourceError::new(path, format!("thiếu cột «{shown}»")).at_line(1).key(shown))
}

/// Units from a CSV `code,name,kind,parent` (Vietnamese headers accepted),
/// each with the line it was read from.
///
/// # Errors
/// The first bad row, with its line and column.
pub fn load_units_csv(
    path: &Path,
    read: &dyn Fn(&Path) -> Result<String, SourceError>,
) -> Result<Vec<(usize, Unit)>, SourceError> {
    let (header, rows) = read_small_csv(path, read)?;
    let c_code = column(&header, path, &["code", "ma", "madonvi"], "code")?;
    let c_name = column(&header, path, &["name", "ten", "tendonvi"], "name")?;
    let c_kind = column(&header, path, &["kind", "cap", "loai", "loaidonvi"], "kind")?;
    let c_parent = header.iter().position(|h| ["parent", "captren", "donvicaptren"].contains(&h.as_str()));
    let cell = |row: &[String], i: usize| row.get(i).cloned().unwrap_or_default();
    let mut units = Vec::new();
    for (line, row) in rows {
        let err = |key: &str, msg: String| SourceError::new(path, msg).at_line(line).key(key);
        let code = UnitCode::parse(&cell(&row, c_code)).map_err(|e| err("code", e.to_string()))?;
        let name = cell(&row, c_name);
        if name.is_empty() {
            return Err(err("name", "thiếu tên đơn vị".into()));
        }
        let kind_text = cell(&row, c_kind);
        let kind = UnitKind::parse(&kind_text).ok_or_else(|| {
            err(
                "kind",
                format!(
                    "cấp đơn vị «{kind_text}» không hợp lệ (department, district, commune, ward, residential-group)"
                ),
            )
        })?;
        let parent = match c_parent.map(|i| cell(&row, i)).filter(|p| !p.is_empty()) {
            Some(p) => Some(UnitCode::parse(&p).map_err(|e| err("parent", e.to_string()))?),
            None => None,
        };
        units.push((line, Unit { code, name, kind, parent }));
    }
    Ok(units)
}

/// The procedure → field catalogue from a CSV `procedure,field`.
///
/// # Errors
/// A missing column or a row without a procedure or field.
pub fn load_procedures_csv(
    path: &Path,
    read: &dyn Fn(&Path) -> Result<String, SourceError>,
) -> Result<Vec<(String, String)>, SourceError> {
    let (header, rows) = read_small_csv(path, read)?;
    let c_proc = column(&header, path, &["procedure", "thutuc", "tenthutuc", "tenthutuchanhchinh"], "procedure")?;
    let c_field = column(&header, path, &["field", "linhvuc"], "field")?;
    let mut out = Vec::new();
    for (line, row) in rows {
        let p = row.get(c_proc).cloned().unwrap_or_default();
        let f = row.get(c_field).cloned().unwrap_or_default();
        if p.is_empty() || f.is_empty() {
            return Err(SourceError::new(path, "thiếu tên thủ tục hoặc lĩnh vực").at_line(line));
        }
        out.push((p, f));
    }
    Ok(out)
}
