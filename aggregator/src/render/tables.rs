//! The report as tables: indices, questions, distribution by field, PAR criteria.

use super::{Table, Value};
use crate::report::{By, Figures, Report};
use crate::stats::Shown;

fn fig(s: Option<Shown>) -> Value {
    Value::Figure(s.map(|x| x.0))
}

fn yes_no(b: Option<bool>) -> Value {
    Value::Text(match b {
        Some(true) => "đạt".into(),
        Some(false) => "chưa đạt".into(),
        None => String::new(),
    })
}

/// What a part's column is keyed by among the components' (no component
/// code holds a space, every part name does not start with it).
const PART: &str = "part ";

/// The parts (where SIPAS has two, METHOD §6), then the components, in the
/// order the report's SIPAS blocks list them: (key, name).
fn component_names(report: &Report) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let blocks =
        || report.units.iter().filter_map(|u| u.figures.sipas.as_ref()).chain(report.totals.figures.sipas.as_ref());
    for s in blocks() {
        for p in &s.parts {
            let key = format!("{PART}{}", p.part);
            if !out.iter().any(|(code, _)| *code == key) {
                out.push((key, format!("Phần {}", p.part.to_lowercase())));
            }
        }
    }
    for s in blocks() {
        for c in &s.components {
            if !out.iter().any(|(code, _)| code == &c.component) {
                out.push((c.component.clone(), c.name.clone()));
            }
        }
    }
    out
}

fn figure_cells(f: &Figures, components: &[(String, String)]) -> Vec<Value> {
    let sipas = f.sipas.as_ref();
    let mut cells =
        vec![Value::Count(f.responses), fig(sipas.and_then(|s| s.index)), fig(sipas.and_then(|s| s.overall))];
    for (code, _) in components {
        let index = match code.strip_prefix(PART) {
            Some(part) => sipas.and_then(|s| s.part_index(part)),
            None => sipas.and_then(|s| s.component_index(code)),
        };
        cells.push(fig(index));
    }
    let survey = f.par_survey.as_ref();
    cells.push(fig(survey.map(|s| s.points)));
    cells.push(fig(survey.map(|s| s.max_points)));
    cells.push(fig(survey.and_then(|s| s.index)));
    cells
}

fn figure_headers(components: &[(String, String)]) -> Vec<String> {
    let mut h = vec!["Số phiếu".to_owned(), "Chỉ số SIPAS (%)".to_owned(), "Hài lòng chung (%)".to_owned()];
    h.extend(components.iter().map(|(_, name)| format!("{name} (%)")));
    h.extend(["Điểm PAR khảo sát".to_owned(), "Điểm tối đa".to_owned(), "Chỉ số PAR khảo sát (%)".to_owned()]);
    h
}

/// The tables that repeat their rows for every unit, the unit's code in
/// their first column (the campaign's own rows with «Tổng hợp» or no code):
/// at province scale a page shows them one unit at a time.
pub const PER_UNIT_DETAIL: [&str; 7] = ["Câu hỏi", "Lĩnh vực", "PAR", "Lựa chọn", "Có – Không", "Số", "Ý kiến"];

pub use sipas_shared::model::campaign::UNITS_IN_FULL;

/// Whether a row of a [`PER_UNIT_DETAIL`] table is the campaign's own.
pub fn is_campaign_row(row: &[Value]) -> bool {
    matches!(row.first(), Some(Value::Text(code)) if code.is_empty() || code == "Tổng hợp")
}

/// Whether a report has more units than a page or the Word report shows
/// the detail tables of at once.
pub fn too_many_units(report: &Report) -> bool {
    report.units.len() > UNITS_IN_FULL
}

/// Keeps, in each [`PER_UNIT_DETAIL`] table, the rows of one unit (code,
/// name) or else the campaign's own, and says so in its title.
pub fn one_unit_at_a_time(tables: &mut [Table], unit: Option<(&str, &str)>) {
    for t in tables.iter_mut().filter(|t| PER_UNIT_DETAIL.contains(&t.name.as_str())) {
        t.rows.retain(|row| match unit {
            Some((code, _)) => matches!(row.first(), Some(Value::Text(c)) if c == code),
            None => is_campaign_row(row),
        });
        t.title = format!("{} – {}", t.title, unit.map_or("toàn đợt", |(_, name)| name));
    }
}

/// Every table of a report, the main one first: the breakdown asked for,
/// the units' indices, each SIPAS question, each field, the composite PAR
/// INDEX, its survey criteria, the ranking, then the other questions' answers.
pub fn tables(report: &Report) -> Vec<Table> {
    let components = component_names(report);
    let c = components.as_slice();
    let mut out: Vec<Table> = breakdown_table(report, c).into_iter().collect();
    out.push(index_table(report, c));
    out.extend(design_tables(report));
    out.extend([question_table(report), field_table(report)]);
    out.extend(par_index_table(report));
    out.push(par_criteria_table(report));
    out.extend(ranking_table(report));
    out.extend(comparison_table(report));
    out.extend(answer_tables(report));
    out
}

/// A measured figure (a change, a z) as a table's figure.
fn measured(x: Option<f64>) -> Value {
    Value::Figure(x.and_then(|x| rust_decimal::Decimal::try_from(x).ok()))
}

/// Each unit this year against its predecessors last year, when asked for.
fn comparison_table(report: &Report) -> Option<Table> {
    let c = report.comparison.as_ref()?;
    let verdict = |b: Option<bool>| {
        Value::Text(match b {
            Some(true) => "vượt mức dao động do chọn mẫu".into(),
            Some(false) => "trong mức dao động do chọn mẫu".into(),
            None => String::new(),
        })
    };
    let rows = c
        .units
        .iter()
        .chain(std::iter::once(&c.total))
        .map(|u| {
            vec![
                Value::Text(u.name.clone()),
                Value::Text(u.from_names.join(", ")),
                Value::Count(u.last_year_responses),
                measured(u.sipas.this_year),
                measured(u.sipas.last_year),
                measured(u.sipas.change),
                measured(u.sipas.z),
                verdict(u.sipas.beyond_chance),
                measured(u.par_survey.this_year),
                measured(u.par_survey.last_year),
                measured(u.par_survey.change),
                measured(u.par_index.this_year),
                measured(u.par_index.last_year),
                measured(u.par_index.change),
            ]
        })
        .collect();
    Some(Table {
        name: "So với năm trước".into(),
        title: format!(
            "So với {} (năm {}), qua các đơn vị được hợp nhất; {} [bổ sung]",
            c.previous_name,
            c.previous_year,
            match c.basis {
                "published" => "năm trước: số liệu đã công bố, trung bình theo số phiếu",
                _ => "năm trước: tính lại từ phiếu trả lời",
            }
        ),
        headers: [
            "Đơn vị",
            "Đơn vị năm trước",
            "Số phiếu năm trước",
            "Chỉ số SIPAS năm nay (%)",
            "Chỉ số SIPAS năm trước (%)",
            "Thay đổi (điểm)",
            "z",
            "Kiểm định thay đổi (95 %)",
            "Chỉ số PAR khảo sát năm nay (%)",
            "năm trước (%)",
            "Thay đổi PAR (điểm)",
            "PAR INDEX năm nay (%)",
            "PAR INDEX năm trước (%)",
            "Thay đổi PAR INDEX (điểm)",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// The units' indices and the campaign's, one row each.
fn index_table(report: &Report, components: &[(String, String)]) -> Table {
    let mut headers = vec!["Mã".to_owned(), "Đơn vị".to_owned(), "Cách tính".to_owned()];
    headers.extend(figure_headers(components));
    headers.extend([
        "SIPAS bình quân các đơn vị (%)".to_owned(),
        "SIPAS gia quyền lĩnh vực (%) [bổ sung]".to_owned(),
        "Đạt chỉ tiêu SIPAS".to_owned(),
        "Đạt chỉ tiêu PAR khảo sát".to_owned(),
    ]);
    let mut rows = Vec::new();
    for u in &report.units {
        let mut row = vec![
            Value::Text(u.unit.clone()),
            Value::Text(u.name.clone()),
            Value::Text(
                if u.rollup == "pooled" {
                    "gộp phiếu đơn vị cấp dưới"
                } else {
                    "phiếu của đơn vị"
                }
                .into(),
            ),
        ];
        row.extend(figure_cells(&u.figures, components));
        row.extend([
            fig(u.sipas_mean_of_units),
            fig(u.sipas_field_weighted),
            yes_no(u.targets_met.sipas),
            yes_no(u.targets_met.par_survey),
        ]);
        rows.push(row);
    }
    let mut total =
        vec![Value::Text(String::new()), Value::Text("Tổng hợp".into()), Value::Text("gộp tất cả phiếu".into())];
    total.extend(figure_cells(&report.totals.figures, components));
    total.extend([fig(report.totals.sipas_mean_of_units), Value::Figure(None), yes_no(None), yes_no(None)]);
    rows.push(total);
    Table { name: "Chỉ số".into(), title: format!("{} — chỉ số theo đơn vị", report.name), headers, rows }
}

/// The breakdown the report was asked for (`--by`), if one.
fn breakdown_table(report: &Report, components: &[(String, String)]) -> Option<Table> {
    let b = report.breakdown.as_ref()?;
    let mut headers: Vec<String> = Vec::new();
    let by_unit = matches!(b.by, By::Unit | By::UnitField | By::UnitQuestion);
    let by_group = b.by == By::Group;
    let by_field = matches!(b.by, By::Field | By::UnitField);
    let by_answer = matches!(b.by, By::Question | By::UnitQuestion);
    let question = b.question.clone().unwrap_or_default();
    if by_unit {
        headers.push("Đơn vị".into());
    }
    if by_group {
        headers.push("Nhóm đối tượng".into());
    }
    if by_field {
        headers.push("Lĩnh vực".into());
    }
    if by_answer {
        headers.push(format!("Trả lời câu {question}"));
    }
    headers.extend(figure_headers(components));
    let rows = b
        .rows
        .iter()
        .map(|r| {
            let mut row = Vec::new();
            if by_unit {
                row.push(Value::Text(r.unit.clone().unwrap_or_default()));
            }
            if by_group {
                row.push(Value::Text(r.group.clone().unwrap_or_default()));
            }
            if by_field {
                row.push(Value::Text(r.field.clone().filter(|f| !f.is_empty()).unwrap_or_else(|| "Không rõ".into())));
            }
            if by_answer {
                row.push(Value::Text(r.answer.clone().unwrap_or_default()));
            }
            row.extend(figure_cells(&r.figures, components));
            row
        })
        .collect();
    let title = match b.by {
        By::Unit => "theo đơn vị".to_owned(),
        By::Group => "theo nhóm đối tượng".to_owned(),
        By::Field => "theo lĩnh vực".to_owned(),
        By::UnitField => "theo đơn vị × lĩnh vực".to_owned(),
        By::Question => format!("theo câu trả lời câu {question}"),
        By::UnitQuestion => format!("theo đơn vị × câu trả lời câu {question}"),
    };
    Some(Table { name: "Phân tổ".into(), title: format!("{} — {title}", report.name), headers, rows })
}

/// Each SIPAS question of each unit: its levels, share satisfied and score.
fn question_table(report: &Report) -> Table {
    let mut rows = Vec::new();
    for u in &report.units {
        for q in u.figures.sipas.iter().flat_map(|s| &s.questions) {
            let mut row =
                vec![Value::Text(u.unit.clone()), Value::Text(q.question.clone()), Value::Text(q.text.clone())];
            row.push(Value::Count(q.n));
            row.extend(q.counts.iter().map(|c| Value::Count(*c)));
            row.push(Value::Count(q.dont_know));
            row.extend([fig(q.satisfied_pct), fig(q.score_pct)]);
            row.push(Value::Text(if q.small_sample { "n < 30".into() } else { String::new() }));
            rows.push(row);
        }
    }
    let mut headers: Vec<String> = ["Đơn vị", "Câu", "Nội dung", "n"].map(String::from).to_vec();
    headers.extend((1..=5).map(|l| format!("Mức {l}")));
    headers.extend(["Không biết", "Tỷ lệ hài lòng (%)", "Tỷ lệ điểm (%)", "Cỡ mẫu nhỏ"].map(String::from));
    Table { name: "Câu hỏi".into(), title: "Chỉ số từng câu hỏi SIPAS".into(), headers, rows }
}

/// Overall satisfaction by field, per unit and in total.
fn field_table(report: &Report) -> Table {
    let mut rows = Vec::new();
    let totals = std::iter::once(("Tổng hợp".to_owned(), &report.totals.by_field));
    for (unit, fields) in report.units.iter().map(|u| (u.unit.clone(), &u.by_field)).chain(totals) {
        for f in fields {
            let mut row = vec![Value::Text(unit.clone()), Value::Text(f.field.clone()), Value::Count(f.distribution.n)];
            for (i, c) in f.distribution.counts.iter().enumerate() {
                row.push(Value::Count(*c));
                row.push(fig(f.distribution.pct.get(i).copied()));
            }
            rows.push(row);
        }
    }
    let mut headers: Vec<String> = ["Đơn vị", "Lĩnh vực", "Số phiếu"].map(String::from).to_vec();
    for label in ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"] {
        headers.push(label.to_owned());
        headers.push(format!("{label} (%)"));
    }
    Table { name: "Lĩnh vực".into(), title: "Mức độ hài lòng chung theo lĩnh vực".into(), headers, rows }
}

/// The PAR INDEX criteria scored by the survey, per unit.
fn par_criteria_table(report: &Report) -> Table {
    let mut rows = Vec::new();
    for u in &report.units {
        for c in &u.figures.par_criteria {
            rows.push(vec![
                Value::Text(u.unit.clone()),
                Value::Text(c.criterion.clone()),
                Value::Text(c.name.clone()),
                Value::Text(c.area.clone().unwrap_or_default()),
                fig(Some(c.max_points)),
                fig(c.points),
                Value::Count(c.n),
            ]);
        }
    }
    Table {
        name: "PAR".into(),
        title: "Điểm tiêu chí PAR INDEX chấm qua điều tra xã hội học".into(),
        headers: ["Đơn vị", "Tiêu chí", "Nội dung", "Lĩnh vực", "Điểm tối đa", "Điểm đạt", "Số câu trả lời"]
            .map(String::from)
            .to_vec(),
        rows,
    }
}

/// The composite PAR INDEX, when appraisals were loaded.
fn par_index_table(report: &Report) -> Option<Table> {
    let composites: Vec<_> = report.units.iter().filter_map(|u| u.par_index.as_ref().map(|p| (u, p))).collect();
    if composites.is_empty() {
        return None;
    }
    {
        let rows = composites
            .iter()
            .map(|(u, p)| {
                vec![
                    Value::Text(u.unit.clone()),
                    Value::Text(u.name.clone()),
                    fig(Some(p.appraised_points)),
                    fig(Some(p.survey_points)),
                    fig(p.sipas_points),
                    fig(Some(p.points)),
                    fig(Some(p.max_points)),
                    fig(Some(p.pct)),
                    Value::Count(p.rank as u64),
                    Value::Text(p.band.clone().unwrap_or_default()),
                    fig(p.last_year),
                    fig(p.change_pct),
                    yes_no(p.target_met),
                    Value::Text(p.incomplete.join(", ")),
                ]
            })
            .collect();
        Some(Table {
            name: "PAR INDEX".into(),
            title: "Chỉ số cải cách hành chính tổng hợp".into(),
            headers: [
                "Mã",
                "Đơn vị",
                "Điểm thẩm định",
                "Điểm điều tra XHH",
                "Điểm SIPAS",
                "Tổng điểm",
                "Điểm tối đa",
                "Chỉ số (%)",
                "Xếp hạng",
                "Xếp loại",
                "Tổng điểm năm trước",
                "So với năm trước (%)",
                "Đạt chỉ tiêu",
                "Tiêu chí chưa có phiếu (tính 0 điểm)",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        })
    }
}

/// The household sample's design-weighted figures beside the unweighted
/// ones: SIPAS, its parts and components, then each commune's SIPAS.
fn design_tables(report: &Report) -> Vec<Table> {
    let Some(d) = &report.design else { return Vec::new() };
    let num = |x: f64| Value::Figure(rust_decimal::Decimal::try_from(x).ok());
    let row = |label: &str, f: &crate::weighted::WeightedFigure| {
        vec![
            Value::Text(label.to_owned()),
            Value::Text(f.name.clone()),
            num(f.unweighted),
            num(f.weighted),
            num(f.se),
            Value::Figure(f.ci95.and_then(|c| rust_decimal::Decimal::try_from(c.0).ok())),
            Value::Figure(f.ci95.and_then(|c| rust_decimal::Decimal::try_from(c.1).ok())),
            Value::Figure(f.deff.and_then(|x| rust_decimal::Decimal::try_from(x).ok())),
            Value::Count(f.answers as u64),
            Value::Count(f.villages as u64),
        ]
    };
    let headers = |first: &str| {
        [
            first,
            "Tên",
            "Không trọng số (%)",
            "Có trọng số (%)",
            "Sai số chuẩn",
            "KTC 95% từ",
            "KTC 95% đến",
            "Hệ số thiết kế",
            "Số phiếu",
            "Số thôn",
        ]
        .map(String::from)
        .to_vec()
    };
    let mut rows = Vec::new();
    if let Some(f) = &d.sipas {
        rows.push(row("SIPAS", f));
    }
    rows.extend(d.parts.iter().map(|f| row("Phần", f)));
    rows.extend(d.components.iter().map(|f| row("Yếu tố", f)));
    let mut out = vec![Table {
        name: "Có trọng số".into(),
        title: format!("{} – chỉ số có trọng số theo thiết kế mẫu, bên cạnh chỉ số không trọng số", d.group_name),
        headers: headers("Chỉ tiêu"),
        rows,
    }];
    if !d.units.is_empty() {
        out.push(Table {
            name: "Có trọng số theo xã".into(),
            title: format!("{} – Chỉ số SIPAS từng đơn vị, có trọng số, với khoảng tin cậy theo thôn", d.group_name),
            headers: headers("Mã"),
            rows: d.units.iter().map(|f| row(&f.code, f)).collect(),
        });
    }
    out
}

/// The SIPAS ranking with its 95 % intervals, when there is one.
fn ranking_table(report: &Report) -> Option<Table> {
    if report.ranking.is_empty() {
        return None;
    }
    {
        let rows = report
            .ranking
            .iter()
            .map(|r| {
                let ci = |v: Option<f64>| Value::Figure(v.and_then(|x| rust_decimal::Decimal::try_from(x).ok()));
                vec![
                    Value::Count(r.rank as u64),
                    Value::Text(r.unit.clone()),
                    Value::Text(r.name.clone()),
                    fig(Some(r.index)),
                    ci(r.ci95.map(|i| i.0)),
                    ci(r.ci95.map(|i| i.1)),
                    Value::Count(r.n),
                    Value::Text(if r.small_sample { "dưới 30 phiếu".into() } else { String::new() }),
                    Value::Text(if r.indistinguishable_from_neighbour {
                        "chưa phân biệt được".into()
                    } else {
                        String::new()
                    }),
                    fig(r.field_weighted),
                    Value::Text(
                        report
                            .funnel
                            .iter()
                            .flat_map(|f| &f.units)
                            .find(|p| p.unit == r.unit)
                            .map_or_else(String::new, |p| p.position.label().to_owned()),
                    ),
                ]
            })
            .collect();
        Some(Table {
            name: "Xếp hạng".into(),
            title: "Xếp hạng Chỉ số SIPAS các đơn vị, với khoảng tin cậy 95% [bổ sung]".into(),
            headers: [
                "Hạng",
                "Mã",
                "Đơn vị",
                "Chỉ số SIPAS (%)",
                "KTC 95% từ",
                "KTC 95% đến",
                "Số phiếu tính SIPAS",
                "Cỡ mẫu nhỏ",
                "So với đơn vị liền kề",
                "SIPAS gia quyền lĩnh vực (%)",
                "So với toàn đợt (biểu đồ phễu)",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        })
    }
}

/// Each unit's figures and the totals, with the unit's code and name.
fn scopes(report: &Report) -> Vec<(String, String, &Figures)> {
    report
        .units
        .iter()
        .map(|u| (u.unit.clone(), u.name.clone(), &u.figures))
        .chain(std::iter::once((String::new(), "Tổng hợp".to_owned(), &report.totals.figures)))
        .collect()
}

/// The questions off the scale: options chosen, yes/no, numbers, comments.
fn answer_tables(report: &Report) -> Vec<Table> {
    let mut out = Vec::new();
    let (mut choices, mut yes_no, mut numbers) = (Vec::new(), Vec::new(), Vec::new());
    for (code, name, f) in scopes(report) {
        for a in &f.answers {
            let head = || vec![Value::Text(code.clone()), Value::Text(name.clone()), Value::Text(a.question.clone())];
            match a.kind {
                "single" | "multi" => {
                    for o in &a.options {
                        let mut row = head();
                        row.extend([
                            Value::Text(a.text.clone()),
                            Value::Text(o.label.clone()),
                            Value::Count(o.count),
                            fig(o.pct),
                            Value::Count(a.n),
                        ]);
                        choices.push(row);
                    }
                }
                "yesno" => {
                    let mut row = head();
                    row.extend([
                        Value::Text(a.text.clone()),
                        Value::Count(a.n),
                        Value::Count(a.yes.unwrap_or_default()),
                        Value::Count(a.no.unwrap_or_default()),
                        fig(a.yes_pct),
                        Value::Count(a.dont_know),
                    ]);
                    yes_no.push(row);
                }
                _ => {
                    let mut row = head();
                    row.extend([Value::Text(a.text.clone()), Value::Count(a.n), fig(a.mean), fig(a.median)]);
                    numbers.push(row);
                }
            }
        }
    }
    let headers = |rest: &[&str]| {
        let mut h: Vec<String> = ["Mã", "Đơn vị", "Câu"].map(String::from).to_vec();
        h.extend(rest.iter().map(|s| (*s).to_owned()));
        h
    };
    if !choices.is_empty() {
        out.push(Table {
            name: "Lựa chọn".into(),
            title: "Các phương án được chọn (câu một lựa chọn và nhiều lựa chọn)".into(),
            headers: headers(&["Nội dung", "Phương án", "Số người chọn", "Tỷ lệ (%)", "Số người trả lời"]),
            rows: choices,
        });
    }
    if !yes_no.is_empty() {
        out.push(Table {
            name: "Có – Không".into(),
            title: "Câu hỏi có/không".into(),
            headers: headers(&["Nội dung", "Số người trả lời", "Có", "Không", "Tỷ lệ có (%)", "Không biết"]),
            rows: yes_no,
        });
    }
    if !numbers.is_empty() {
        out.push(Table {
            name: "Số".into(),
            title: "Câu hỏi trả lời bằng số".into(),
            headers: headers(&["Nội dung", "Số người trả lời", "Trung bình", "Trung vị"]),
            rows: numbers,
        });
    }
    let name_of =
        |code: &str| report.units.iter().find(|u| u.unit == code).map_or_else(|| code.to_owned(), |u| u.name.clone());
    let rows: Vec<Vec<Value>> = report
        .comments
        .iter()
        .flat_map(|c| {
            c.comments.iter().map(move |text| {
                vec![
                    Value::Text(c.unit.clone()),
                    Value::Text(name_of(&c.unit)),
                    Value::Text(c.field.clone().unwrap_or_else(|| "Không rõ".into())),
                    Value::Text(c.question.clone()),
                    Value::Text(text.clone()),
                ]
            })
        })
        .collect();
    if !rows.is_empty() {
        out.push(Table {
            name: "Ý kiến".into(),
            title: "Ý kiến của người trả lời (số điện thoại, số giấy tờ, thư điện tử đã được ẩn)".into(),
            headers: ["Mã", "Đơn vị", "Lĩnh vực", "Câu", "Ý kiến"].map(String::from).to_vec(),
            rows,
        });
    }
    out
}

/// A question's kind as the workbook names it.
fn kind_vi(kind: &str) -> &'static str {
    match kind {
        "likert5" => "thang 5 mức",
        "single" => "một lựa chọn",
        "multi" => "nhiều lựa chọn",
        "yesno" => "có/không",
        "number" => "số",
        _ => "văn bản",
    }
}

/// The codebook as a table: a line per answer code (one for a question
/// without codes), the questionnaire by its short id, for the workbook's
/// last sheet.
pub fn codebook_table(codebook: &[crate::codebook::CodebookQuestion]) -> Table {
    use Value::Text;
    let mut rows = Vec::new();
    for q in codebook {
        let first = |code: &str, label: &str| {
            vec![
                Text(q.questionnaire_id.clone()),
                Text(q.code.clone()),
                Text(kind_vi(q.kind).to_owned()),
                Text(q.text.clone()),
                Text(code.to_owned()),
                Text(label.to_owned()),
            ]
        };
        if q.answers.is_empty() {
            rows.push(first("", ""));
        }
        for a in &q.answers {
            rows.push(first(&a.code, &a.label));
        }
    }
    Table {
        name: "Mã hóa".into(),
        title: "Bảng mã: các câu hỏi, mã và nhãn của câu trả lời".into(),
        headers: ["Bộ câu hỏi", "Câu", "Loại", "Nội dung", "Mã trả lời", "Nhãn"].map(String::from).to_vec(),
        rows,
    }
}
