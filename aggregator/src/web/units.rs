//! A unit's one-page result sheet, to print on A4 and send back to the
//! commune, and two units side by side, each beside the whole campaign.

use super::views::{layout_with, pct};
use crate::render;
use crate::report::{Figures, Report, UnitReport};
use crate::stats::Shown;
use maud::{Markup, html};
use rust_decimal::Decimal;
use sipas_shared::Campaign;

/// One line of a comparison: a heading over the lines below it, or what a
/// figure is, the figure per column and the campaign's target for it.
enum Line {
    Heading(String),
    Figures { label: String, values: Vec<String>, target: Option<Decimal> },
}

fn figures(label: impl Into<String>, values: Vec<String>) -> Line {
    Line::Figures { label: label.into(), values, target: None }
}

/// The SIPAS index, its parts and components, overall satisfaction, each
/// field's satisfied share and the PAR survey share of `columns`, one line
/// each, in the campaign's order, with the campaign's targets.
fn lines(
    campaign: &Campaign,
    columns: &[(&Figures, &[crate::report::FieldRow])],
    ranking: &[Option<String>],
) -> Vec<Line> {
    let each = |f: &dyn Fn(&Figures) -> String| columns.iter().map(|(x, _)| f(x)).collect::<Vec<_>>();
    let mut out = vec![figures("Số phiếu (mọi nhóm đối tượng)", each(&|f| render::vn_count(f.responses)))];
    out.push(Line::Figures {
        label: "Chỉ số SIPAS".into(),
        values: each(&|f| pct(f.sipas.as_ref().and_then(|s| s.index))),
        target: campaign.targets.sipas,
    });
    out.push(figures(
        "Khoảng tin cậy 95 %",
        each(&|f| {
            f.sipas
                .as_ref()
                .and_then(|s| s.ci95)
                .map_or_else(|| "–".to_owned(), |i| format!("{}–{}", render::vn_decimal(i.0), render::vn_decimal(i.1)))
        }),
    ));
    if ranking.iter().any(Option::is_some) {
        out.push(figures("Xếp hạng", ranking.iter().map(|r| r.clone().unwrap_or_else(|| "–".into())).collect()));
    }
    out.push(figures("Hài lòng chung", each(&|f| pct(f.sipas.as_ref().and_then(|s| s.overall)))));
    let first = columns.iter().find_map(|(f, _)| f.sipas.as_ref());
    for part in first.iter().flat_map(|s| &s.parts) {
        out.push(figures(
            format!("Phần {}", part.part.to_lowercase()),
            each(&|f| pct(f.sipas.as_ref().and_then(|s| s.part_index(&part.part)))),
        ));
    }
    for c in first.iter().flat_map(|s| &s.components) {
        out.push(figures(
            c.name.clone(),
            each(&|f| pct(f.sipas.as_ref().and_then(|s| s.component_index(&c.component)))),
        ));
    }
    let mut fields: Vec<&str> = Vec::new();
    for (_, by_field) in columns {
        for f in *by_field {
            if !fields.contains(&f.field.as_str()) {
                fields.push(&f.field);
            }
        }
    }
    if !fields.is_empty() {
        out.push(Line::Heading("Hài lòng và rất hài lòng, theo lĩnh vực".into()));
    }
    for field in fields {
        let values = columns
            .iter()
            .map(|(_, by_field)| {
                by_field
                    .iter()
                    .find(|f| f.field == field)
                    .and_then(|f| f.distribution.satisfied_pct().map(|p| (p, f)))
                    .map_or_else(
                        || "–".to_owned(),
                        |(p, f)| format!("{} ({} phiếu)", pct(Some(Shown(p))), render::vn_count(f.distribution.n)),
                    )
            })
            .collect();
        out.push(figures(field, values));
    }
    if columns.iter().any(|(f, _)| f.par_survey.is_some()) {
        out.push(Line::Figures {
            label: "Chỉ số PAR chấm qua khảo sát".into(),
            values: each(&|f| pct(f.par_survey.as_ref().and_then(|p| p.index))),
            target: campaign.targets.par_survey,
        });
        out.push(figures(
            "Điểm PAR khảo sát / tối đa",
            each(&|f| {
                f.par_survey.as_ref().map_or_else(
                    || "–".to_owned(),
                    |p| format!("{} / {}", render::vn_figure(p.points.0), render::vn_figure(p.max_points.0)),
                )
            }),
        ));
    }
    out
}

/// "3/15", and where the funnel places it.
fn rank_of(report: &Report, unit: &str) -> Option<String> {
    let r = report.ranking.iter().find(|r| r.unit == unit)?;
    let mut out = format!("{}/{}", r.rank, report.ranking.len());
    if let Some(p) = report.funnel.as_ref().and_then(|f| f.units.iter().find(|p| p.unit == unit)) {
        out.push_str(&format!(" · {}", p.position.label()));
    }
    Some(out)
}

/// The lines as a table under `headers`; with `with_targets`, the last
/// column (its header among `headers`) gives each line's target.
fn comparison(headers: &[String], lines: &[Line], with_targets: bool) -> Markup {
    html! {
        div.scroll role="region" tabindex="0" aria-label="So sánh" {
            table {
                thead { tr { th.t scope="col" { "Chỉ số" } @for h in headers { th scope="col" { (h) } } } }
                tbody {
                    @for l in lines {
                        @match l {
                            Line::Heading(heading) => tr { th.t colspan=(headers.len() + 1) scope="rowgroup" { (heading) } },
                            Line::Figures { label, values, target } => tr {
                                th.t scope="row" { (label) }
                                @for v in values { td { (v) } }
                                @if with_targets {
                                    td { (target.map_or_else(String::new, |t| format!("≥ {} %", render::vn_pct(t)))) }
                                }
                            },
                        }
                    }
                }
            }
        }
    }
}

const PRINT: &str = ".scroll td{white-space:normal;min-width:4.5rem}.scroll th.t{min-width:7rem}\
    @page{size:A4;margin:12mm}@media print{header,.noprint{display:none}main{padding:0;max-width:none}\
    body{font-size:11pt}table{font-size:10pt}.scroll{max-height:none;overflow:visible}}";

/// The list of units whose sheets can be printed.
pub fn unit_list(campaign: &Campaign, report: &Report) -> Markup {
    layout_with(
        &format!("Phiếu kết quả từng đơn vị – {}", report.name),
        PRINT,
        html! {
            h1 { "Phiếu kết quả từng đơn vị" }
            p.note { (report.name) ". Mỗi phiếu vừa một trang A4, để gửi lại đơn vị." }
            ul {
                @for u in report.units.iter().filter(|u| !u.quota.is_empty()) {
                    li { a href=(format!("/reports/{}/units/{}", campaign.id, u.unit)) { (u.name) } " (" (render::vn_count(u.figures.responses)) " phiếu)" }
                }
            }
            p { a href=(format!("/reports/{}", campaign.id)) { "← Về báo cáo" } }
        },
    )
}

/// A unit's one-page sheet: its figures beside the campaign's and the
/// targets, its rank, its fields, its priorities.
pub fn unit_sheet(campaign: &Campaign, report: &Report, u: &UnitReport) -> Markup {
    let columns = [(&u.figures, u.by_field.as_slice()), (&report.totals.figures, report.totals.by_field.as_slice())];
    let ranking = [rank_of(report, &u.unit), None];
    let lines = lines(campaign, &columns, &ranking);
    let headers = [u.name.clone(), "Toàn đợt".to_owned(), "Chỉ tiêu".to_owned()];
    let asks = crate::answers::top_choices(&u.figures.answers, 3);
    layout_with(
        &format!("{} – {}", u.name, report.name),
        PRINT,
        html! {
            p.noprint { a href=(format!("/reports/{}/units", campaign.id)) { "← Các đơn vị" } " · In trang này (Ctrl+P) ra một tờ A4." }
            h1 { "Kết quả khảo sát: " (u.name) }
            p.note {
                (report.name) " · " (campaign.organiser.as_deref().unwrap_or_default()) " · lập lúc " (report.generated_local)
            }
            @if u.counted_above_unit > 0 {
                p.note { (u.counted_above_unit) " phiếu của đơn vị có ít hơn " (report.anonymity.k) " phiếu cùng nhóm đối tượng nên chỉ được tính vào số liệu toàn đợt." }
            }
            (comparison(&headers, &lines, true))
            @if !asks.is_empty() {
                h2 { "Người trả lời đề nghị ưu tiên cải thiện" }
                ol { @for (label, count, share) in &asks { li { (label) ": " (pct(*share)) " (" (render::vn_count(*count)) " lượt chọn)" } } }
            }
            p.note {
                "Chỉ số tính theo phương pháp chính thức, làm tròn nửa lên 2 chữ số thập phân; khoảng tin cậy và xếp hạng "
                "so với toàn đợt (biểu đồ phễu) là phần bổ sung."
            }
        },
    )
}

/// Two units side by side, with the campaign beside them.
pub fn compare(campaign: &Campaign, report: &Report, a: Option<&UnitReport>, b: Option<&UnitReport>) -> Markup {
    let chosen: Vec<&UnitReport> = [a, b].into_iter().flatten().collect();
    let mut columns: Vec<(&Figures, &[crate::report::FieldRow])> =
        chosen.iter().map(|u| (&u.figures, u.by_field.as_slice())).collect();
    columns.push((&report.totals.figures, report.totals.by_field.as_slice()));
    let mut ranking: Vec<Option<String>> = chosen.iter().map(|u| rank_of(report, &u.unit)).collect();
    ranking.push(None);
    let mut headers: Vec<String> = chosen.iter().map(|u| u.name.clone()).collect();
    headers.push("Toàn đợt".into());
    let picker = |name: &str, label: &str, on: Option<&UnitReport>| {
        html! {
            label for=(name) { (label) " " }
            select id=(name) name=(name) {
                option value="" { "— chọn —" }
                @for u in report.units.iter().filter(|u| !u.quota.is_empty()) {
                    option value=(u.unit) selected[on.is_some_and(|x| x.unit == u.unit)] { (u.name) }
                }
            }
        }
    };
    layout_with(
        &format!("So sánh hai đơn vị – {}", report.name),
        PRINT,
        html! {
            h1 { "So sánh hai đơn vị" }
            p.note { (report.name) }
            form.noprint method="get" action=(format!("/reports/{}/compare", campaign.id)) {
                (picker("a", "Đơn vị thứ nhất", a)) " " (picker("b", "Đơn vị thứ hai", b)) " "
                button type="submit" { "So sánh" }
            }
            @if chosen.is_empty() {
                p { "Chọn hai đơn vị để xem số liệu cạnh nhau." }
            } @else {
                (comparison(&headers, &lines(campaign, &columns, &ranking), false))
                p.note {
                    "Hai đơn vị có khoảng tin cậy 95 % chồng nhau thì khảo sát chưa đủ căn cứ để nói đơn vị nào phục vụ tốt hơn."
                }
            }
            p.noprint { a href=(format!("/reports/{}", campaign.id)) { "← Về báo cáo" } }
        },
    )
}
