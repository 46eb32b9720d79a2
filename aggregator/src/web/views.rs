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
.scroll{overflow:auto;max-width:100%;max-height:75vh}.scroll:focus{outline:2px solid #1f3a5f;outline-offset:2px}
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:right;white-space:nowrap}
th{background:#eef3f9;position:sticky;top:0;z-index:1}td.t,th.t{text-align:left;white-space:normal;min-width:8rem}
.scroll td:first-child{position:sticky;left:0;background:#fff}.scroll th:first-child{position:sticky;left:0;z-index:2}
nav.toc{font-size:.95rem;background:#f6f8fb;padding:.5rem .8rem;border-radius:6px}nav.toc a{display:inline-block;padding:.15rem .5rem .15rem 0;margin-right:.3rem}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.8rem;margin:1rem 0}
.summary>div{border:1px solid #d5dde8;border-radius:6px;padding:.6rem .8rem}.summary h3{font-size:1rem;margin:.1rem 0 .4rem}
.summary ol{margin:.2rem 0;padding-left:1.3rem}.summary p{margin:.2rem 0}.big{font-size:1.5rem;font-weight:700}
details.questions summary{cursor:pointer;color:#1f3a5f;margin:.4rem 0}
figure.bars{margin:1rem 0;max-width:760px}figure.bars figcaption{font-weight:600;margin-bottom:.4rem}
.bar{display:grid;grid-template-columns:minmax(7rem,16rem) 1fr 4.5rem;gap:.2rem .6rem;align-items:center;margin:.35rem 0;font-size:.9rem}
.bar .label{overflow-wrap:anywhere}.track{position:relative;height:1.1rem;background:#f2f2f2;display:flex}
.fill{background:#2166ac;height:100%}.seg{height:100%}.ci{position:absolute;top:50%;border-top:2px solid #1a1a1a}
.target{position:absolute;top:-3px;bottom:-3px;border-left:2px dashed #d7301f}.value{text-align:right;font-variant-numeric:tabular-nums}
.value.none{color:#555;font-size:.85rem}.sr{position:absolute;left:-9999px}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;color:#333}.sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
.tmark{display:inline-block;width:0;height:.9rem;border-left:2px dashed #d7301f;margin-right:.4rem;vertical-align:middle}
.csv{font-size:.85rem}form.search{margin:.5rem 0}form.search input{font-size:1rem;padding:.3rem;max-width:100%}
.by .q{display:block;margin:.3rem 0}
form.filter{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;margin:.6rem 0}form.filter span{min-width:0;max-width:100%}form.filter select{font-size:1rem;padding:.2rem;max-width:100%}
.note.filtered{background:#fff8e1;border-left:4px solid #e0a800;padding:.4rem .6rem;color:#1a1a1a}
@media (max-width:600px){main{padding:.8rem}.bar{grid-template-columns:1fr 4.2rem}.bar .label{grid-column:1/-1}}
.met{color:#0b6b2b;font-weight:600}.unmet{color:#b2182b;font-weight:600}
.buttons a,.by a{display:inline-block;margin:.2rem .4rem .2rem 0;padding:.35rem .7rem;border:1px solid #1f3a5f;border-radius:4px;color:#1f3a5f;text-decoration:none}
.by a.on{background:#1f3a5f;color:#fff}.note{color:#555;font-size:.85rem}.chart{max-width:100%;height:auto}
";

fn layout(title: &str, body: Markup) -> Markup {
    layout_with(title, "", body)
}

/// [`layout`] with more style (a printed sheet's page rules).
pub(super) fn layout_with(title: &str, extra_style: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – sipas" }
                style { (STYLE) (extra_style) }
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

/// The query that keeps the reader's breakdown and group on the page's
/// links and downloads ("?by=field&group=citizens").
fn page_query(report: &Report, by: By, question: Option<&str>) -> String {
    page_query_with(report, by, question, true)
}

/// [`page_query`], with the reader's filter or without it.
fn page_query_with(report: &Report, by: By, question: Option<&str>, filtered: bool) -> String {
    let mut parts = Vec::new();
    if by != By::Unit {
        parts.push(format!("by={}", by.spec(question)));
    }
    if let Some(g) = &report.group {
        parts.push(format!("group={g}"));
    }
    if let Some(f) = report.filter.as_ref().filter(|_| filtered) {
        parts.extend(f.source.iter().map(|s| format!("source={s}")));
        parts.extend(f.from.iter().map(|m| format!("from={m}")));
        parts.extend(f.to.iter().map(|m| format!("to={m}")));
    }
    if let Some(c) = &report.comparison {
        parts.push(format!("compare={}", c.previous));
    }
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

/// Comments a page shows at a time.
pub const COMMENTS_PER_PAGE: usize = 50;

/// What the reader asked of the comments: words to find, which page.
#[derive(Debug, Default, Clone)]
pub struct CommentQuery {
    pub find: Option<String>,
    pub page: usize,
}

/// An anchor for a table, from its sheet name.
fn anchor(t: &Table) -> String {
    anchor_of(&t.name)
}

fn anchor_of(sheet: &str) -> String {
    let bare: String = sheet
        .to_lowercase()
        .chars()
        .map(sipas_shared::model::text::fold_vietnamese)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let words: Vec<&str> = bare.split('-').filter(|w| !w.is_empty()).collect();
    format!("bang-{}", words.join("-"))
}

/// The report page for reading: contents, a one-screen summary, the
/// breakdown chosen, the charts, every table with its own CSV, and the
/// comments paged and searchable.
pub fn report_page(campaign: &Campaign, report: &Report, unit: Option<&str>, comments: &CommentQuery) -> Markup {
    let by = report.breakdown.as_ref().map_or(By::Unit, |b| b.by);
    let question = report.breakdown.as_ref().and_then(|b| b.question.as_deref());
    let query = page_query(report, by, question);
    let mut tables = render::tables(report);
    let by_unit = render::too_many_units(report);
    let chosen = unit.and_then(|code| report.units.iter().find(|u| u.unit == code));
    if by_unit {
        render::one_unit_at_a_time(&mut tables, chosen.map(|u| (u.unit.as_str(), u.name.as_str())));
    }
    let shown: Vec<(usize, &Table)> = tables.iter().enumerate().filter(|(_, t)| t.name != COMMENTS).collect();
    let comment_table = tables.iter().find(|t| t.name == COMMENTS);
    let has_options = report.totals.figures.answers.iter().any(|a| matches!(a.kind, "single" | "multi") && a.n > 0);
    layout(
        &report.name,
        html! {
            h1 { (report.name) }
            p.note {
                "Năm " (report.year) " · " (render::vn_count(report.totals.figures.responses)) " phiếu · lập lúc " (report.generated_local)
                " · số liệu tính chính xác, làm tròn nửa lên 2 chữ số thập phân."
            }
            nav.toc aria-label="Mục lục" {
                a href="#tom-tat" { "Tóm tắt" }
                a href="#phan-to" { "Phân tổ" }
                a href="#xep-hang" { "Xếp hạng các đơn vị" }
                @if report.funnel.is_some() { a href="#pheu" { "Biểu đồ phễu" } }
                a href="#thanh-phan" { "Các thành phần" }
                a href="#linh-vuc" { "Theo lĩnh vực" }
                @if has_options { a href="#phuong-an" { "Các phương án được chọn" } }
                @for (_, t) in &shown { a href=(format!("#{}", anchor(t))) title=(t.title) { "Bảng: " (t.name) } }
                @if comment_table.is_some() { a href="#y-kien" { "Ý kiến" } }
                a href=(format!("/reports/{}/units", campaign.id)) { "Phiếu từng đơn vị (in A4)" }
                a href=(format!("/reports/{}/compare", campaign.id)) { "So sánh hai đơn vị" }
                @if let Some(previous) = &campaign.follows {
                    @if report.comparison.is_none() {
                        a href=(format!("/reports/{}?compare={previous}", campaign.id)) { "So với năm trước" }
                    } @else {
                        a href=(format!("#{}", anchor_of("So với năm trước"))) { "So với năm trước" }
                    }
                }
            }
            (summary(campaign, report, &query))
            (breakdown_nav(campaign, by, question))
            (group_filter(campaign, report, by, question))
            (report_charts(campaign, report))
            (option_charts(report))
            @for (i, t) in &shown {
                @if by_unit && t.name == render::PER_UNIT_DETAIL[0] {
                    (unit_picker(campaign, report, by, question, chosen.map(|u| u.unit.as_str())))
                }
                h2 id=(anchor(t)) { (t.title) }
                @if t.rows.is_empty() && by_unit && render::PER_UNIT_DETAIL.contains(&t.name.as_str()) {
                    p.note { "Bảng này có số liệu theo từng đơn vị: chọn một đơn vị ở trên để xem." }
                } @else {
                    (table(t))
                    p.csv { a href=(table_csv_link(campaign, *i, &query, chosen.map(|u| u.unit.as_str()))) { "Tải bảng này (CSV)" } }
                }
            }
            @if let Some(t) = comment_table {
                (comment_section(campaign, t, comments, &query, chosen.map(|u| u.unit.as_str())))
            }
            p.note {
                "Khoảng tin cậy 95 %, cảnh báo cỡ mẫu nhỏ (n < 30) và chỉ số gia quyền theo lĩnh vực là phần bổ sung, "
                "ngoài phương pháp chính thức; xem trong tệp JSON."
            }
        },
    )
}

/// The sheet name of the comments' table.
const COMMENTS: &str = "Ý kiến";

fn table_csv_link(campaign: &Campaign, index: usize, query: &str, unit: Option<&str>) -> String {
    let mut link = format!("/reports/{}/download/table-{index}.csv{query}", campaign.id);
    if let Some(u) = unit {
        link.push(if query.is_empty() { '?' } else { '&' });
        link.push_str(&format!("unit={u}"));
    }
    link
}

/// The comments, [`COMMENTS_PER_PAGE`] at a time, with a search over their
/// words, unit and field.
fn comment_section(campaign: &Campaign, t: &Table, q: &CommentQuery, query: &str, unit: Option<&str>) -> Markup {
    let find = q.find.as_deref().map(str::trim).filter(|f| !f.is_empty());
    let wanted = find.map(|f| f.to_lowercase());
    let matching: Vec<&Vec<Value>> = t
        .rows
        .iter()
        .filter(|row| {
            wanted.as_ref().is_none_or(|w| {
                row.iter().any(|v| matches!(v, Value::Text(s) if s.to_lowercase().contains(w.as_str())))
            })
        })
        .collect();
    let pages = matching.len().div_ceil(COMMENTS_PER_PAGE).max(1);
    let page = q.page.clamp(1, pages);
    let from = (page - 1) * COMMENTS_PER_PAGE;
    let slice = Table {
        name: t.name.clone(),
        title: t.title.clone(),
        headers: t.headers.clone(),
        rows: matching.iter().skip(from).take(COMMENTS_PER_PAGE).map(|r| (*r).clone()).collect(),
    };
    let base = format!("/reports/{}", campaign.id);
    let keep = |page: usize| {
        let mut parts: Vec<String> =
            query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()).map(str::to_owned).collect();
        if let Some(u) = unit {
            parts.push(format!("unit={u}"));
        }
        if let Some(f) = find {
            parts.push(format!("tim={}", sipas_shared::model::text::percent_encode(f, b"")));
        }
        parts.push(format!("trang={page}"));
        format!("{base}?{}#y-kien", parts.join("&"))
    };
    html! {
        h2 id="y-kien" { (t.title) }
        form.search method="get" action=(format!("{base}#y-kien")) role="search" {
            @for part in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
                @if let Some((k, v)) = part.split_once('=') { input type="hidden" name=(k) value=(v); }
            }
            @if let Some(u) = unit { input type="hidden" name="unit" value=(u); }
            label for="tim" { "Tìm trong ý kiến " }
            input id="tim" name="tim" type="search" value=(find.unwrap_or_default()) placeholder="từ ngữ, đơn vị, lĩnh vực";
            " " button type="submit" { "Tìm" }
        }
        p.note {
            (render::vn_count(matching.len() as u64)) " ý kiến"
            @if find.is_some() { " có «" (find.unwrap_or_default()) "»" }
            @if pages > 1 { " · trang " (page) "/" (pages) }
        }
        (table(&slice))
        @if pages > 1 {
            nav.buttons aria-label="Trang ý kiến" {
                @if page > 1 { a href=(keep(page - 1)) rel="prev" { "← Trang trước" } }
                @if page < pages { a href=(keep(page + 1)) rel="next" { "Trang sau →" } }
            }
        }
    }
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
pub(super) fn pct(s: Option<crate::stats::Shown>) -> String {
    s.map_or_else(|| "–".to_owned(), |x| format!("{} %", render::vn_figure(x.0)))
}

/// Met or not against a target, as a word.
fn against(value: Option<crate::stats::Shown>, target: Option<rust_decimal::Decimal>) -> Markup {
    html! {
        @if let (Some(v), Some(t)) = (value, target) {
            @if v.0 >= t { span.met { "đạt chỉ tiêu " (render::vn_pct(t)) " %" } } @else { span.unmet { "chưa đạt chỉ tiêu " (render::vn_pct(t)) " %" } }
        }
    }
}

/// The one-screen summary: the headline indices against their targets,
/// the best and the worst units with their intervals, the top three
/// priorities, what the figures rest on, and the downloads.
fn summary(campaign: &Campaign, report: &Report, query: &str) -> Markup {
    let sipas_total = report.totals.figures.sipas.as_ref();
    let par = report.totals.figures.par_survey.as_ref();
    let ranked = &report.ranking;
    let best: Vec<_> = ranked.iter().take(3).collect();
    let worst: Vec<_> =
        if ranked.len() > 3 { ranked.iter().rev().take(3.min(ranked.len() - 3)).collect() } else { Vec::new() };
    let ci = |r: &crate::report::RankRow| {
        r.ci95.map_or_else(String::new, |i| format!(" ({}–{})", render::vn_decimal(i.0), render::vn_decimal(i.1)))
    };
    let priorities = crate::answers::top_choices(&report.totals.figures.answers, 3);
    html! {
    section #tom-tat aria-label="Tóm tắt" {
        div.summary {
            div {
                h3 { "Chỉ số SIPAS (gộp phiếu)" }
                p.big { (pct(sipas_total.and_then(|s| s.index))) }
                p { (against(sipas_total.and_then(|s| s.index), campaign.targets.sipas)) }
                p.note {
                    "Hài lòng chung " (pct(sipas_total.and_then(|s| s.overall)))
                    @if let Some(m) = report.totals.sipas_mean_of_units { " · bình quân các đơn vị " (pct(Some(m))) }
                }
            }
            @if let Some(p) = par {
                div {
                    h3 { "Chỉ số PAR chấm qua khảo sát" }
                    p.big { (pct(p.index)) }
                    p { (against(p.index, campaign.targets.par_survey)) }
                    p.note { (render::vn_figure(p.points.0)) " / " (render::vn_figure(p.max_points.0)) " điểm" }
                }
            }
            @if !best.is_empty() {
                div {
                    h3 { "Cao nhất" }
                    ol { @for r in &best { li { (r.name) ": " strong { (pct(Some(r.index))) } span.note { (ci(r)) } } } }
                    @if !worst.is_empty() {
                        h3 { "Thấp nhất" }
                        ol reversed start=(ranked.len()) { @for r in &worst { li { (r.name) ": " strong { (pct(Some(r.index))) } span.note { (ci(r)) } } } }
                    }
                    p.note { "Trong ngoặc: khoảng tin cậy 95 %." }
                }
            }
            @if !priorities.is_empty() {
                div {
                    h3 { "Ba nội dung được đề nghị ưu tiên nhiều nhất" }
                    ol { @for (label, count, share) in &priorities { li { (label) ": " strong { (pct(*share)) } span.note { " (" (render::vn_count(*count)) " lượt chọn)" } } } }
                }
            }
        }
        @for note in crate::report::notes(report) {
            p.note.anonymity { (note) }
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
}

/// The breakdowns a reader can switch to, the chosen one marked; each
/// question's pair of links says which question it breaks down by.
fn breakdown_nav(campaign: &Campaign, by: By, question: Option<&str>) -> Markup {
    html! {
    nav.by #phan-to aria-label="Phân tổ" {
        "Phân tổ theo: "
        @for (b, label) in [(By::Unit, "đơn vị"), (By::Group, "nhóm đối tượng"), (By::Field, "lĩnh vực"), (By::UnitField, "đơn vị × lĩnh vực")] {
            a class=[(b == by).then_some("on")] href=(format!("/reports/{}?by={}", campaign.id, b.spec(None))) { (label) }
        }
        @let offered = breakdown_questions(campaign);
        @if !offered.is_empty() {
            details.questions open[question.is_some()] {
            summary { "Theo câu trả lời của một câu hỏi (" (offered.len()) " câu; toàn đợt, hoặc từng đơn vị)" }
            @for (code, text) in offered {
                @let on = question == Some(code);
                span.q {
                    (code) " · " (text) " "
                    a class=[(on && by != By::UnitQuestion).then_some("on")] href=(format!("/reports/{}?by=question:{code}", campaign.id)) aria-label=(format!("Phân tổ theo câu {code}, toàn đợt")) { "toàn đợt" }
                    a class=[(on && by == By::UnitQuestion).then_some("on")] href=(format!("/reports/{}?by=unit,question:{code}", campaign.id)) aria-label=(format!("Phân tổ theo câu {code}, từng đơn vị")) { "từng đơn vị" }
                }
            }
            }
        }
    }
    }
}

/// Which answers the figures are of: every group or one, every source or
/// one, every month or some; and, when filtered, what the filter left out.
fn group_filter(campaign: &Campaign, report: &Report, by: By, question: Option<&str>) -> Markup {
    let months = crate::filter::campaign_months(campaign);
    let note = report.filter.as_ref();
    // The page as it is without the filter: the same breakdown and group.
    let unfiltered = format!("/reports/{}{}", campaign.id, page_query_with(report, by, question, false));
    html! {
        form.filter method="get" action=(format!("/reports/{}", campaign.id)) {
            @if by != By::Unit { input type="hidden" name="by" value=(by.spec(question)); }
            span {
                label for="group" { "Nhóm đối tượng " }
                select id="group" name="group" {
                    option value="" selected[report.group.is_none()] { "Tất cả các nhóm" }
                    @for g in &campaign.groups {
                        option value=(g.code) selected[report.group.as_deref() == Some(g.code.as_str())] { (g.name) }
                    }
                }
            }
            @if question.is_none() {
                " "
                span {
                    label for="source" { "Nguồn phiếu " }
                    select id="source" name="source" {
                        option value="" selected[note.is_none_or(|n| n.source.is_none())] { "Mọi nguồn" }
                        @for (code, name) in crate::filter::SOURCES {
                            option value=(code) selected[note.and_then(|n| n.source.as_deref()) == Some(code)] { (name) }
                        }
                    }
                }
                @if months.len() > 1 {
                    " "
                    (month_select("from", "Từ tháng ", &months, note.and_then(|n| n.from.as_deref())))
                    " "
                    (month_select("to", "đến tháng ", &months, note.and_then(|n| n.to.as_deref())))
                }
            }
            " " button type="submit" { "Xem" }
        }
        @if let Some(n) = note {
            p.note.filtered {
                "Đang lọc: " strong { (n.label) } " — " (render::vn_count(n.answers)) " phiếu. "
                @for s in n.sentences(i64::from(campaign.anonymity_k.max(1))) { (s) " " }
                a href=(unfiltered) { "Bỏ lọc" }
            }
        }
    }
}

/// A choice of one of the campaign's months (`YYYY-MM`), or none.
fn month_select(name: &str, label: &str, months: &[crate::filter::Month], chosen: Option<&str>) -> Markup {
    html! {
        span {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                option value="" { "—" }
                @for m in months {
                    @let value = crate::filter::month_value(*m);
                    option value=(value) selected[chosen == Some(value.as_str())] { (crate::filter::month_label(*m)) }
                }
            }
        }
    }
}

/// The ranking, the components and the fields, as charts.
fn report_charts(campaign: &Campaign, report: &Report) -> Markup {
    let alike = report.ranking.iter().filter(|r| r.indistinguishable_from_neighbour).count();
    let [ranking_chart, components_chart, fields_chart] = charts::report_html_charts(campaign, report);
    html! {
    h2 #xep-hang { "Xếp hạng chỉ số SIPAS các đơn vị" }
    (ranking_chart)
    p.note {
        "Vạch đen: khoảng tin cậy 95% (bổ sung, ngoài phương pháp chính thức). "
        @if alike > 0 { (alike) " đơn vị có khoảng tin cậy chồng với đơn vị liền kề: khảo sát chưa đủ căn cứ để phân biệt thứ hạng giữa chúng. " }
        "* dưới 30 phiếu (cỡ mẫu nhỏ)."
    }
    @if let Some(f) = &report.funnel {
        h2 #pheu { "Biểu đồ phễu: các đơn vị so với toàn đợt" }
        (charts::funnel(f))
        p.note {
            (charts::funnel_sentence(f)) " "
            "Nét đứt: giới hạn 95 %; nét liền: giới hạn 99,8 % (Spiegelhalter 2005), hẹp dần khi số phiếu tăng; "
            "chấm xanh: cao hơn, đỏ: thấp hơn, xám: chưa khác biệt (bổ sung, ngoài phương pháp chính thức)."
        }
    }
    h2 #thanh-phan { "Chỉ số các thành phần (toàn đợt)" }
    (components_chart)
    h2 #linh-vuc { "Mức độ hài lòng chung theo lĩnh vực" }
    @if report.totals.by_field.is_empty() { p.note { "Chưa có số liệu." } } @else { (fields_chart) }
    }
}

/// The options chosen in the questions off the five-level scale,
/// campaign-wide, each chart titled with its question.
fn option_charts(report: &Report) -> Markup {
    html! {
    @let chosen: Vec<_> = report.totals.figures.answers.iter().filter(|a| matches!(a.kind, "single" | "multi") && a.n > 0).collect();
    @if !chosen.is_empty() {
        h2 #phuong-an { "Các phương án được chọn (toàn đợt)" }
        @for a in &chosen {
            @let bars: Vec<(String, Option<f64>)> = a.options.iter().map(|o| (format!("{} ({})", o.label, render::vn_count(o.count)), o.pct.map(as_f64))).collect();
            (charts::html_bars(&format!("{} · {} — tỷ lệ trong {} người trả lời{}", a.question, a.text, render::vn_count(a.n), if a.kind == "multi" { ", chọn nhiều phương án" } else { "" }), &bars, None, &[]))
        }
    }
    }
}
