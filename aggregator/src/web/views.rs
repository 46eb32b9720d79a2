//! Report pages (maud): one layout, small fragments, full pages built from them.

use crate::indices::as_f64;
use crate::render::charts;
use crate::render::{self, Table, Value};
use crate::report::{By, Report};
use maud::{DOCTYPE, Markup, html};
use sipas_shared::Campaign;
use sipas_shared::store::CampaignSummary;

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.45}
header{background:#1f3a5f;color:#fff;padding:.8rem 1.2rem}header a{color:#fff}
main{padding:1rem 1.2rem;max-width:1200px}
h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
.scroll{overflow-x:auto;max-width:100%}.scroll:focus{outline:2px solid #1f3a5f;outline-offset:2px}
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:right;white-space:nowrap}
th{background:#eef3f9;position:sticky;top:0}td.t,th.t{text-align:left;white-space:normal;min-width:8rem}
.met{color:#0b6b2b;font-weight:600}.unmet{color:#b2182b;font-weight:600}
.buttons a,.by a{display:inline-block;margin:.2rem .4rem .2rem 0;padding:.35rem .7rem;border:1px solid #1f3a5f;border-radius:4px;color:#1f3a5f;text-decoration:none}
.by a.on{background:#1f3a5f;color:#fff}.note{color:#555;font-size:.85rem}.chart{max-width:100%;height:auto}
";

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – sipas" }
                style { (STYLE) }
            }
            body {
                header { a href="/reports" { "sipas" } " · Báo cáo khảo sát" }
                main { (body) }
            }
        }
    }
}

pub fn error_page(message: &str) -> Markup {
    layout("Lỗi", html! { h1 { (message) } p { a href="/reports" { "Về danh sách đợt khảo sát" } } })
}

pub fn campaign_list(list: &[CampaignSummary]) -> Markup {
    layout(
        "Đợt khảo sát",
        html! {
            h1 { "Các đợt khảo sát" }
            @if list.is_empty() {
                p { "Chưa có đợt khảo sát nào. Nạp một đợt bằng " code { "sipas campaign load tệp.toml" } "." }
            } @else {
                div.scroll role="region" tabindex="0" aria-label="Các đợt khảo sát" { table {
                    thead { tr { th.t scope="col" { "Mã" } th.t scope="col" { "Tên" } th scope="col" { "Năm" } th scope="col" { "Thời gian khảo sát" } } }
                    tbody {
                        @for c in list {
                            tr {
                                td.t { a href=(format!("/reports/{}", c.id)) { (c.id) } }
                                td.t { (c.name) }
                                td { (c.year) }
                                td { (c.opens.format("%d/%m/%Y")) " – " (c.closes.format("%d/%m/%Y")) }
                            }
                        }
                    }
                } }
            }
        },
    )
}

fn cell(v: &Value) -> Markup {
    match v {
        Value::Text(s) if s == "đạt" => html! { td.met { "đạt" } },
        Value::Text(s) if s == "chưa đạt" => html! { td.unmet { "chưa đạt" } },
        Value::Text(s) => html! { td.t { (s) } },
        other => html! { td { (other.display_vn("–")) } },
    }
}

/// A report table in a region that scrolls sideways on a phone; the region
/// takes keyboard focus so it can be scrolled without a pointer (WCAG 2.1.1).
fn table(t: &Table) -> Markup {
    html! {
        @if t.rows.is_empty() {
            p.note { "Chưa có số liệu." }
        } @else {
            div.scroll role="region" tabindex="0" aria-label=(t.title) {
                table {
                    thead { tr { @for h in &t.headers { th.t scope="col" { (h) } } } }
                    tbody { @for row in &t.rows { tr { @for v in row { (cell(v)) } } } }
                }
            }
        }
    }
}

/// The questions a report can be broken down by, offered on the page: one
/// answer from a list (likert questions too, through `?by=question:CODE`).
fn breakdown_questions(campaign: &Campaign) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for q in campaign.questionnaires.iter().flat_map(|q| q.questions()) {
        let listed = matches!(
            q.kind,
            sipas_shared::model::questionnaire::QuestionKind::Single
                | sipas_shared::model::questionnaire::QuestionKind::Yesno
        );
        if listed && q.options.iter().all(|o| o.weight.is_none()) && !out.iter().any(|(c, _)| *c == q.code) {
            out.push((q.code.as_str(), q.text.as_str()));
        }
    }
    out
}

/// The report page: its summary, the breakdown chosen, the charts, every
/// table, in the order an analyst reads them.
pub fn report_page(campaign: &Campaign, report: &Report, unit: Option<&str>) -> Markup {
    let by = report.breakdown.as_ref().map_or(By::Unit, |b| b.by);
    let question = report.breakdown.as_ref().and_then(|b| b.question.as_deref());
    let mut tables = render::tables(report);
    let by_unit = render::too_many_units(report);
    let chosen = unit.and_then(|code| report.units.iter().find(|u| u.unit == code));
    if by_unit {
        render::one_unit_at_a_time(&mut tables, chosen.map(|u| (u.unit.as_str(), u.name.as_str())));
    }
    layout(
        &report.name,
        html! {
            (summary(campaign, report, by, question))
            (breakdown_nav(campaign, by, question))
            (report_charts(campaign, report))
            (option_charts(report))
            @for t in &tables {
                @if by_unit && t.name == render::PER_UNIT_DETAIL[0] {
                    (unit_picker(campaign, report, by, question, chosen.map(|u| u.unit.as_str())))
                }
                h2 { (t.title) }
                @if t.rows.is_empty() && by_unit && render::PER_UNIT_DETAIL.contains(&t.name.as_str()) {
                    p.note { "Bảng này có số liệu theo từng đơn vị: chọn một đơn vị ở trên để xem." }
                } @else {
                    (table(t))
                }
            }
            p.note {
                "Khoảng tin cậy 95 %, cảnh báo cỡ mẫu nhỏ (n < 30) và chỉ số gia quyền theo lĩnh vực là phần bổ sung, "
                "ngoài phương pháp chính thức; xem trong tệp JSON."
            }
        },
    )
}

/// Which unit's detail tables a province-scale page shows.
fn unit_picker(campaign: &Campaign, report: &Report, by: By, question: Option<&str>, chosen: Option<&str>) -> Markup {
    html! {
        h2 id="chi-tiet" { "Chi tiết theo đơn vị" }
        p.note {
            "Đợt có " (report.units.len()) " đơn vị: các bảng chi tiết dưới đây (từng câu hỏi, lĩnh vực, phương án, ý kiến) "
            "hiện số liệu toàn đợt, hoặc của một đơn vị khi chọn. Tệp XLSX và JSON có đủ mọi đơn vị."
        }
        form.unit-picker method="get" action=(format!("/reports/{}#chi-tiet", campaign.id)) {
            @if by != By::Unit { input type="hidden" name="by" value=(by.spec(question)); }
            label for="unit" { "Đơn vị" }
            select id="unit" name="unit" {
                option value="" selected[chosen.is_none()] { "Toàn đợt" }
                @for u in &report.units {
                    option value=(u.unit) selected[chosen == Some(u.unit.as_str())] { (u.name) }
                }
            }
            button type="submit" { "Xem" }
        }
    }
}

/// A headline percentage: «82,68 %», or a dash.
fn pct(s: Option<crate::stats::Shown>) -> String {
    s.map_or_else(|| "–".to_owned(), |x| format!("{} %", render::vn_figure(x.0)))
}

/// The title, what the figures rest on, the headline indices and the downloads.
fn summary(campaign: &Campaign, report: &Report, by: By, question: Option<&str>) -> Markup {
    let query = if by == By::Unit { String::new() } else { format!("?by={}", by.spec(question)) };
    let sipas_total = report.totals.figures.sipas.as_ref();
    html! {
    h1 { (report.name) }
    p.note {
        "Năm " (report.year) " · " (report.totals.figures.responses) " phiếu · lập lúc " (report.generated_local)
        " · số liệu tính chính xác, làm tròn nửa lên 2 chữ số thập phân."
    }
    @for note in crate::report::notes(report) {
        p.note.anonymity { (note) }
    }
    p {
        "Chỉ số SIPAS (gộp phiếu): "
        strong { (pct(sipas_total.and_then(|s| s.index))) }
        " · Hài lòng chung: "
        strong { (pct(sipas_total.and_then(|s| s.overall))) }
        @if let Some(m) = report.totals.sipas_mean_of_units {
            " · Bình quân chỉ số các đơn vị: " strong { (pct(Some(m))) }
        }
        @if let Some(t) = campaign.targets.sipas { " · Chỉ tiêu SIPAS ≥ " (render::vn_pct(t)) " %" }
    }
    @if let Some(d) = &report.design {
        @if let Some(f) = &d.sipas {
            p {
                (d.group_name) ", có trọng số theo thiết kế mẫu: "
                strong { "SIPAS " (render::vn_decimal(f.weighted)) " %" }
                @if let Some((lo, hi)) = f.ci95 { " (khoảng tin cậy 95 %: " (render::vn_decimal(lo)) "–" (render::vn_decimal(hi)) " %)" }
                " · không trọng số " (render::vn_decimal(f.unweighted)) " %"
                @for p in &d.parts { " · " (p.name) " " (render::vn_decimal(p.weighted)) " %" }
                " · " (f.answers) " hộ ở " (f.villages) " thôn, tổ dân phố."
            }
        }
    }
    nav.buttons aria-label="Tải báo cáo" {
        a href=(format!("/reports/{}/download/report.docx{query}", campaign.id)) { "Tải báo cáo (Word)" }
        a href=(format!("/reports/{}/download/report.xlsx{query}", campaign.id)) { "Tải XLSX" }
        a href=(format!("/reports/{}/download/report.csv{query}", campaign.id)) { "Tải CSV" }
        a href=(format!("/reports/{}/download/report.json{query}", campaign.id)) { "Tải JSON" }
    }
    }
}

/// The breakdowns a reader can switch to, the chosen one marked.
fn breakdown_nav(campaign: &Campaign, by: By, question: Option<&str>) -> Markup {
    html! {
    nav.by aria-label="Phân tổ" {
        "Phân tổ: "
        @for (b, label) in [(By::Unit, "đơn vị"), (By::Group, "nhóm đối tượng"), (By::Field, "lĩnh vực"), (By::UnitField, "đơn vị × lĩnh vực")] {
            a class=[(b == by).then_some("on")] href=(format!("/reports/{}?by={}", campaign.id, b.spec(None))) { (label) }
        }
        @let offered = breakdown_questions(campaign);
        @if !offered.is_empty() {
            br;
            "Theo câu trả lời: "
            @for (code, text) in offered {
                @let on = question == Some(code);
                a class=[on.then_some("on")] title=(text) href=(format!("/reports/{}?by=question:{code}", campaign.id)) { (text) }
                a class=[(on && by == By::UnitQuestion).then_some("on")] title=(format!("Đơn vị × {text}")) href=(format!("/reports/{}?by=unit,question:{code}", campaign.id)) { "× đơn vị" }
            }
        }
    }
    }
}

/// The ranking, the components and the fields, as charts.
fn report_charts(campaign: &Campaign, report: &Report) -> Markup {
    let alike = report.ranking.iter().filter(|r| r.indistinguishable_from_neighbour).count();
    let [ranking_chart, components_chart, fields_chart] = charts::report_charts(campaign, report);
    html! {
    h2 { "Xếp hạng chỉ số SIPAS các đơn vị" }
    (ranking_chart)
    p.note {
        "Vạch đen: khoảng tin cậy 95% (bổ sung, ngoài phương pháp chính thức). "
        @if alike > 0 { (alike) " đơn vị có khoảng tin cậy chồng với đơn vị liền kề: khảo sát chưa đủ căn cứ để phân biệt thứ hạng giữa chúng. " }
        "* dưới 30 phiếu (cỡ mẫu nhỏ)."
    }
    @if let Some(f) = &report.funnel {
        h2 { "Biểu đồ phễu: các đơn vị so với toàn đợt" }
        (charts::funnel(f))
        p.note {
            (charts::funnel_sentence(f)) " "
            "Nét đứt: giới hạn 95 %; nét liền: giới hạn 99,8 % (Spiegelhalter 2005), hẹp dần khi số phiếu tăng; "
            "chấm xanh: cao hơn, đỏ: thấp hơn, xám: chưa khác biệt (bổ sung, ngoài phương pháp chính thức)."
        }
    }
    h2 { "Chỉ số các thành phần (toàn đợt)" }
    (components_chart)
    h2 { "Mức độ hài lòng chung theo lĩnh vực" }
    @if report.totals.by_field.is_empty() { p.note { "Chưa có số liệu." } } @else { (fields_chart) }
    }
}

/// The options chosen in the questions off the five-level scale, campaign-wide.
fn option_charts(report: &Report) -> Markup {
    html! {
    @let chosen: Vec<_> = report.totals.figures.answers.iter().filter(|a| matches!(a.kind, "single" | "multi") && a.n > 0).collect();
    @if !chosen.is_empty() {
        h2 { "Các phương án được chọn (toàn đợt)" }
        @for a in &chosen {
            @let bars: Vec<(String, Option<f64>)> = a.options.iter().map(|o| (format!("{} ({})", o.label, o.count), o.pct.map(as_f64))).collect();
            (charts::bars(&format!("{} {} — tỷ lệ trong {} người trả lời", a.question, a.text, a.n), &bars, None))
        }
    }
    }
}
