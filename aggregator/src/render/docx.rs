//! The written report an office files (`sipas report --format docx`), laid
//! out as the offices' own: the national heading, the title, the method, the
//! figures of the whole campaign against its targets, each unit's figures and
//! the distribution by field written out in sentences, the ranking with its
//! uncertainty, the PAR survey points, the improvement priorities, the
//! compiled comments, the report's charts (drawn from the page's SVG with
//! resvg) and its tables. Numbers are written the
//! Vietnamese way (71,43%; 1.234 phiếu), in Times New Roman 13 pt on A4.
//!
//! Written with `docx-rs`, a maintained writer of Office Open XML.

use super::{Table, Value, official};
use crate::report::{RankRow, Report, UnitReport};
use crate::stats::Shown;
use docx_rs::{
    AlignmentType, Docx, Header, LineSpacing, PageMargin, PageNum, PageOrientationType, PageSize, Paragraph, Pic, Run,
    RunFonts, Section, SpecialIndentType, Table as DocxTable, TableCell, TableLayoutType, TableRow, WidthType,
};
use rust_decimal::Decimal;
use sipas_shared::Campaign;

pub use super::{vn_count, vn_pct};

fn pct(s: Option<Shown>) -> String {
    s.map_or_else(|| "–".to_owned(), |x| format!("{}%", vn_pct(x.0)))
}

fn text(t: &str) -> Run {
    Run::new().add_text(t)
}

/// A paragraph of the body: justified, its first line indented 1 cm, 6 pt after.
fn para(t: &str) -> Paragraph {
    Paragraph::new()
        .add_run(text(t))
        .align(AlignmentType::Both)
        .indent(None, Some(SpecialIndentType::FirstLine(567)), None, None)
        .line_spacing(LineSpacing::new().before(0).after(120))
}

/// A bold lead-in line (a unit's name before its comments).
fn lead(t: &str) -> Paragraph {
    Paragraph::new()
        .add_run(text(t).bold())
        .indent(None, Some(SpecialIndentType::FirstLine(567)), None, None)
        .line_spacing(LineSpacing::new().before(60).after(60))
}

fn centered(t: &str, bold: bool, size: usize) -> Paragraph {
    let run = if bold { text(t).bold() } else { text(t) };
    Paragraph::new().add_run(run.size(size)).align(AlignmentType::Center)
}

fn heading(t: &str) -> Paragraph {
    Paragraph::new()
        .add_run(text(t).bold())
        .align(AlignmentType::Left)
        .indent(None, Some(SpecialIndentType::FirstLine(567)), None, None)
        .line_spacing(LineSpacing::new().before(120).after(120))
        .keep_next(true)
}

fn cell(t: &str, bold: bool) -> TableCell {
    let run = if bold { text(t).bold().size(TABLE_PT * 2) } else { text(t).size(TABLE_PT * 2) };
    TableCell::new().add_paragraph(Paragraph::new().add_run(run).line_spacing(LineSpacing::new().before(0).after(0)))
}

/// A cell as printed: figures with two places in a column (84,60).
fn value(v: &Value) -> String {
    v.display_vn("–")
}

/// The levels of the five-level scale as the sentence lists them, best first.
const LEVELS: [&str; 5] = ["rất không hài lòng", "không hài lòng", "bình thường", "hài lòng", "rất hài lòng"];

/// "Lĩnh vực Tư pháp – Hộ tịch: tổng số 14 phiếu, trong đó rất hài lòng 0
/// phiếu (0%), hài lòng 10 phiếu (71,43%), …"
pub fn field_sentence(field: &str, d: &crate::indices::Distribution) -> String {
    let parts: Vec<String> = (0..5)
        .rev()
        .map(|i| {
            let share = d.pct.get(i).map_or_else(|| "0".to_owned(), |p| vn_pct(p.0));
            format!("{} {} phiếu ({share}%)", LEVELS[i], vn_count(d.counts[i]))
        })
        .collect();
    format!("Lĩnh vực {field}: tổng số {} phiếu, trong đó {}.", vn_count(d.n), parts.join(", "))
}

/// A unit's fields in one sentence, the share satisfied or very satisfied
/// with the whole service in each: "Tỷ lệ hài lòng và rất hài lòng theo
/// lĩnh vực: Tư pháp – Hộ tịch 71,43% (14 phiếu); …" (the campaign's fields
/// each have a sentence of their own, every level counted).
fn unit_fields_sentence(fields: &[crate::report::FieldRow]) -> Option<String> {
    let parts: Vec<String> = fields
        .iter()
        .filter(|f| f.distribution.n > 0)
        .map(|f| {
            let share = f.distribution.satisfied_pct().map_or_else(|| "–".to_owned(), |s| format!("{}%", vn_pct(s)));
            format!("{} {share} ({} phiếu)", f.field, vn_count(f.distribution.n))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("Tỷ lệ hài lòng và rất hài lòng theo lĩnh vực: {}.", parts.join("; ")))
}

/// The fonts the charts are drawn with: the machine's, loaded once.
fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    static FONTS: std::sync::OnceLock<std::sync::Arc<resvg::usvg::fontdb::Database>> = std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_system_fonts();
            std::sync::Arc::new(db)
        })
        .clone()
}

/// A chart of the report page (SVG) drawn as a PNG at twice its size, for
/// print; `None` if it cannot be drawn.
pub fn chart_png(svg: &str) -> Option<(Vec<u8>, u32, u32)> {
    let db = fonts();
    // A sans-serif face the machine has (the charts name none).
    let families: Vec<String> = db.faces().flat_map(|f| f.families.iter().map(|(n, _)| n.clone())).collect();
    let family = ["DejaVu Sans", "Noto Sans", "Arial", "Liberation Sans", "FreeSans"]
        .iter()
        .find(|f| families.iter().any(|x| x == *f))
        .map(|f| (*f).to_owned())
        .or_else(|| families.first().cloned())?;
    let options = resvg::usvg::Options { fontdb: db, font_family: family, ..resvg::usvg::Options::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &options).ok()?;
    let size = tree.size();
    let (w, h) = ((size.width() * 2.0).ceil() as u32, (size.height() * 2.0).ceil() as u32);
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w.max(1), h.max(1))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(2.0, 2.0), &mut pixmap.as_mut());
    Some((pixmap.encode_png().ok()?, w, h))
}

/// A chart as a picture paragraph, 16 cm wide at most.
fn chart(svg: &str) -> Option<Paragraph> {
    let (png, w, h) = chart_png(svg)?;
    // EMU: 914,400 per inch; the PNG is at 2 × 96 dpi.
    let (mut ew, mut eh) =
        (u32::try_from(u64::from(w) * 914_400 / 192).ok()?, u32::try_from(u64::from(h) * 914_400 / 192).ok()?);
    let max = 5_760_000; // 16 cm
    if ew > max {
        eh = u32::try_from(u64::from(eh) * u64::from(max) / u64::from(ew)).ok()?;
        ew = max;
    }
    Some(Paragraph::new().add_run(Run::new().add_image(Pic::new(&png).size(ew, eh))).align(AlignmentType::Center))
}

fn met(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => "đạt chỉ tiêu",
        Some(false) => "chưa đạt chỉ tiêu",
        None => "",
    }
}

/// "So với năm 2024 (Xã A, Xã B): Chỉ số SIPAS 60,42% so với 65%, giảm 4,58
/// điểm, trong mức dao động do chọn mẫu."
pub fn change_sentence(c: &crate::compare::UnitChange, year: i32) -> Option<String> {
    let (this, last, change) = (c.sipas.this_year?, c.sipas.last_year?, c.sipas.change?);
    let num = |x: f64| vn_pct(Decimal::try_from(x).unwrap_or_default());
    let from = if c.from_names.is_empty() { String::new() } else { format!(" ({})", c.from_names.join(", ")) };
    let way = if change > 0.0 {
        format!("tăng {} điểm", num(change))
    } else if change < 0.0 {
        format!("giảm {} điểm", num(-change))
    } else {
        "không đổi".to_owned()
    };
    let verdict = match c.sipas.beyond_chance {
        Some(true) => ", vượt mức dao động do chọn mẫu (kiểm định 95 %)",
        Some(false) => ", trong mức dao động do chọn mẫu (kiểm định 95 %)",
        None => "",
    };
    let mut line =
        format!("So với năm {year}{from}: Chỉ số SIPAS {}% so với {}%, {way}{verdict}", num(this), num(last));
    if let (Some(a), Some(b), Some(d)) = (c.par_index.this_year, c.par_index.last_year, c.par_index.change) {
        let way = if d > 0.0 {
            format!("tăng {} điểm", num(d))
        } else if d < 0.0 {
            format!("giảm {} điểm", num(-d))
        } else {
            "không đổi".to_owned()
        };
        line.push_str(&format!("; PAR INDEX {}% so với {}%, {way}", num(a), num(b)));
    }
    line.push('.');
    Some(line)
}

fn unit_paragraphs(u: &UnitReport, campaign: &Campaign, report: &Report) -> Vec<Paragraph> {
    let mut out = vec![lead(&u.name)];
    let s = u.figures.sipas.as_ref();
    let mut line = format!("Tổng số {} phiếu khảo sát.", vn_count(u.figures.responses));
    if let Some(index) = s.and_then(|s| s.index) {
        line.push_str(&format!(" Chỉ số SIPAS đạt {}", pct(Some(index))));
        if let Some(t) = campaign.targets.sipas {
            line.push_str(&format!(" ({} {}%)", met(u.targets_met.sipas), vn_pct(t)));
        }
        line.push_str(&format!("; hài lòng chung {}.", pct(s.and_then(|s| s.overall))));
    }
    out.push(para(&line));
    if let Some(s) = s {
        let halves: Vec<String> =
            s.parts.iter().map(|p| format!("{} {}", p.part.to_lowercase(), pct(p.index))).collect();
        if !halves.is_empty() {
            out.push(para(&format!("Hai phần của Chỉ số SIPAS: {}.", halves.join("; "))));
        }
        let parts: Vec<String> = s.components.iter().map(|c| format!("{} {}", c.name, pct(c.index))).collect();
        if !parts.is_empty() {
            out.push(para(&format!("Chỉ số các thành phần: {}.", parts.join("; "))));
        }
    }
    if let Some(line) = unit_fields_sentence(&u.by_field) {
        out.push(para(&line));
    }
    if let Some(c) = &report.comparison
        && let Some(line) = c.units.iter().find(|x| x.unit == u.unit).and_then(|x| change_sentence(x, c.previous_year))
    {
        out.push(para(&line));
    }
    if let Some(p) = &u.figures.par_survey {
        out.push(para(&format!(
            "Điểm các tiêu chí PAR INDEX chấm qua điều tra xã hội học: {} / {} điểm ({}).",
            vn_pct(p.points.0),
            vn_pct(p.max_points.0),
            pct(p.index)
        )));
    }
    out
}

fn ranking_table(rows: &[RankRow]) -> DocxTable {
    let headers = ["Hạng", "Đơn vị", "Chỉ số SIPAS", "Khoảng tin cậy 95%", "Số phiếu tính SIPAS", "Ghi chú"];
    let rows = rows
        .iter()
        .map(|r| {
            let ci = r.ci95.map_or_else(
                || "–".to_owned(),
                |i| {
                    let f = |x: f64| vn_pct(Decimal::try_from(x).unwrap_or_default());
                    format!("{} – {}", f(i.0), f(i.1))
                },
            );
            let mut notes = Vec::new();
            if r.indistinguishable_from_neighbour {
                notes.push("chưa phân biệt được với đơn vị liền kề");
            }
            if r.small_sample {
                notes.push("cỡ mẫu nhỏ (dưới 30)");
            }
            [r.rank.to_string(), r.name.clone(), pct(Some(r.index)), ci, vn_count(r.n), notes.join("; ")]
                .map(Value::Text)
                .to_vec()
        })
        .collect();
    let t =
        Table { name: "Xếp hạng".into(), title: String::new(), headers: headers.map(String::from).to_vec(), rows };
    paper_table(&t, official::portrait_width())
}

/// The written report as DOCX bytes.
///
/// # Errors
/// When the document cannot be packed.
/// The household sample's design-weighted SIPAS in one sentence.
fn design_sentence(d: &crate::weighted::DesignReport, f: &crate::weighted::WeightedFigure) -> String {
    let num = super::vn_decimal;
    let mut line = format!(
        "{} (chọn mẫu nhiều giai đoạn: thôn theo quy mô hộ, rồi hộ trong thôn): Chỉ số SIPAS có trọng số theo thiết kế mẫu đạt {}%",
        d.group_name,
        num(f.weighted)
    );
    if let Some((lo, hi)) = f.ci95 {
        line.push_str(&format!(" (khoảng tin cậy 95%: {}–{}%", num(lo), num(hi)));
        if let Some(deff) = f.deff {
            line.push_str(&format!("; hệ số thiết kế {}", num(deff)));
        }
        line.push(')');
    }
    let parts: Vec<String> =
        d.parts.iter().map(|p| format!("{} {}%", p.name.to_lowercase(), num(p.weighted))).collect();
    if !parts.is_empty() {
        line.push_str(&format!(", gồm {}", parts.join(" và ")));
    }
    line.push_str(&format!(
        "; tính không trọng số: {}%, trên {} phiếu ở {} thôn, tổ dân phố.",
        num(f.unweighted),
        vn_count(f.answers as u64),
        vn_count(f.villages as u64)
    ));
    line
}

/// The body's type: Times New Roman 14 pt, the first line indented 1 cm,
/// 6 pt after each paragraph (Nghị định 30/2020, Phụ lục I).
const BODY_PT: usize = 14;
/// Table text: 11 pt, headers bold.
const TABLE_PT: usize = 11;
/// Comments shown per unit in the written report; the rest are counted
/// (every comment is on the page and in the workbook).
const COMMENTS_PER_UNIT: usize = 10;
/// Above [`crate::render::UNITS_IN_FULL`] units, fewer per unit.
const COMMENTS_PER_UNIT_PROVINCE: usize = 3;
/// An annex table is kept when it fits a landscape page this many columns
/// wide and holds at most [`ANNEX_ROWS`] rows; the rest are in the workbook.
const ANNEX_COLUMNS: usize = 12;
const ANNEX_ROWS: usize = 60;

/// A landscape A4 page's writing width, in twips.
fn landscape_width() -> usize {
    usize::try_from(official::mm(297 - official::MARGINS_MM.1 - official::MARGINS_MM.3)).unwrap_or(14_287)
}

fn margins() -> PageMargin {
    let (top, right, bottom, left) = official::MARGINS_MM;
    PageMargin::new()
        .top(official::mm(top))
        .right(official::mm(right))
        .bottom(official::mm(bottom))
        .left(official::mm(left))
        .header(official::mm(10))
        .footer(official::mm(10))
}

/// The page number, centred in the top margin, 13 pt (not on the first page).
fn page_number() -> Header {
    Header::new().add_paragraph(Paragraph::new().add_page_num(PageNum::new()).align(AlignmentType::Center))
}

/// Twips a character of table text takes, on average (11 pt Times), and a
/// cell's padding.
const TWIPS_PER_CHAR: usize = 135;
const CELL_PADDING: usize = 250;

/// Column widths for a table `total` twips wide: every column at least as
/// wide as its longest header word and its longest number, so no word
/// breaks; the text columns (questions, names) share what is left.
fn column_widths(t: &Table, total: usize) -> Vec<usize> {
    let columns = t.headers.len();
    let mut least = vec![0usize; columns];
    let mut text = vec![0usize; columns];
    for c in 0..columns {
        let header_word = t.headers[c].split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
        let mut widest_word = header_word;
        for v in t.rows.iter().filter_map(|r| r.get(c)) {
            let shown = value(v);
            match v {
                Value::Text(_) => {
                    text[c] = text[c].max(shown.chars().count());
                    widest_word =
                        widest_word.max(shown.split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0));
                }
                _ => widest_word = widest_word.max(shown.chars().count()),
            }
        }
        least[c] = widest_word.max(3) * TWIPS_PER_CHAR + CELL_PADDING;
    }
    let sum: usize = least.iter().sum();
    if sum >= total {
        return least.iter().map(|w| w * total / sum.max(1)).collect();
    }
    // What is left goes to the columns whose texts are longer than their
    // least width, in proportion to what they lack.
    let lack: Vec<usize> =
        (0..columns).map(|c| (text[c].min(60) * TWIPS_PER_CHAR + CELL_PADDING).saturating_sub(least[c])).collect();
    let lacking: usize = lack.iter().sum();
    let spare = total - sum;
    if lacking >= spare {
        return least.iter().zip(&lack).map(|(w, l)| w + spare * l / lacking).collect();
    }
    // Every text whole, and the rest shared evenly.
    let even = (spare - lacking) / columns.max(1);
    least.iter().zip(&lack).map(|(w, l)| w + l + even).collect()
}

/// A report table for paper: its header row repeated on every page, a
/// text repeated from the row above (the question of each option) left blank.
fn paper_table(t: &Table, total: usize) -> DocxTable {
    let widths = column_widths(t, total);
    let header =
        TableRow::new(t.headers.iter().zip(&widths).map(|(h, w)| cell(h, true).width(*w, WidthType::Dxa)).collect())
            .cant_split();
    let mut rows = vec![header];
    let mut above: Option<&Vec<Value>> = None;
    for r in &t.rows {
        let cells = r
            .iter()
            .enumerate()
            .zip(&widths)
            .map(|((c, v), w)| {
                let repeated = matches!(v, Value::Text(s) if !s.is_empty())
                    && above.and_then(|a| a.get(c)) == Some(v)
                    && r[..c].iter().zip(above.into_iter().flatten()).all(|(x, y)| x == y);
                let shown = if repeated { String::new() } else { value(v) };
                cell(&shown, false).width(*w, WidthType::Dxa)
            })
            .collect();
        rows.push(TableRow::new(cells));
        above = Some(r);
    }
    DocxTable::new(rows).set_grid(widths).width(total, WidthType::Dxa).layout(TableLayoutType::Fixed)
}

/// The annex's tables: each detail table with the campaign's rows (every
/// unit's are in the workbook), without a column that says the same on
/// every row; only those that fit a landscape page. Returns them and the
/// titles of those left to the workbook.
fn annex_tables(tables: &[Table]) -> (Vec<Table>, Vec<String>) {
    let mut copy: Vec<Table> = tables
        .iter()
        .filter(|t| !t.rows.is_empty() && !["Xếp hạng", "Ý kiến"].contains(&t.name.as_str()))
        .cloned()
        .collect();
    for t in copy.iter_mut().filter(|t| crate::render::PER_UNIT_DETAIL.contains(&t.name.as_str())) {
        t.rows.retain(|row| crate::render::is_campaign_row(row));
        // The unit's code and name, the same on every campaign row.
        while t.headers.len() > 1
            && ["Mã", "Đơn vị"].contains(&t.headers[0].as_str())
            && t.rows.iter().all(|r| r.first() == t.rows.first().and_then(|f| f.first()))
        {
            t.headers.remove(0);
            for r in &mut t.rows {
                r.remove(0);
            }
        }
    }
    copy.retain(|t| !t.rows.is_empty());
    let (fit, wide): (Vec<Table>, Vec<Table>) =
        copy.into_iter().partition(|t| t.headers.len() <= ANNEX_COLUMNS && t.rows.len() <= ANNEX_ROWS);
    (fit, wide.into_iter().map(|t| t.title).collect())
}

/// The units' indices for the annex: name, answers, SIPAS, its components
/// and the PAR survey share, one row each.
fn unit_index_table(report: &Report) -> Option<Table> {
    let components: Vec<(String, String)> = report
        .totals
        .figures
        .sipas
        .iter()
        .flat_map(|s| &s.components)
        .map(|c| (c.component.clone(), c.name.clone()))
        .collect();
    if components.is_empty() {
        return None;
    }
    let mut headers = vec!["Đơn vị".to_owned(), "Số phiếu".to_owned(), "Chỉ số SIPAS (%)".to_owned()];
    headers.extend(components.iter().map(|(_, n)| format!("{n} (%)")));
    headers.push("Chỉ số PAR khảo sát (%)".into());
    let row = |name: &str, f: &crate::report::Figures| {
        let sipas = f.sipas.as_ref();
        let mut r = vec![
            Value::Text(name.to_owned()),
            Value::Count(f.responses),
            Value::Figure(sipas.and_then(|s| s.index).map(|x| x.0)),
        ];
        for (code, _) in &components {
            let c = sipas.and_then(|s| s.component_index(code));
            r.push(Value::Figure(c.map(|x| x.0)));
        }
        r.push(Value::Figure(f.par_survey.as_ref().and_then(|p| p.index).map(|x| x.0)));
        r
    };
    let mut rows: Vec<Vec<Value>> =
        report.units.iter().filter(|u| !u.quota.is_empty()).map(|u| row(&u.name, &u.figures)).collect();
    rows.push(row("Toàn đợt", &report.totals.figures));
    Some(Table {
        name: "Chỉ số".into(),
        title: "Chỉ số SIPAS, các thành phần và Chỉ số PAR khảo sát theo đơn vị".into(),
        headers,
        rows,
    })
}

/// The comments, summarised: how many, by theme, and each unit's most
/// said (masked) comments up to a bound.
fn comment_paragraphs(report: &Report) -> Vec<Paragraph> {
    let all: Vec<&str> = report.comments.iter().flat_map(|c| c.comments.iter().map(String::as_str)).collect();
    if all.is_empty() {
        return Vec::new();
    }
    let mut out = vec![heading("VI. Ý KIẾN CỦA NGƯỜI TRẢ LỜI")];
    let themes = crate::themes::by_theme(all.iter().copied());
    let listed: Vec<String> =
        themes.iter().map(|(name, n)| format!("{} {} ý kiến", name.to_lowercase(), vn_count(*n))).collect();
    out.push(para(&format!(
        "Người trả lời gửi {} ý kiến. Theo nội dung (phân loại theo từ khóa, một ý kiến có thể thuộc nhiều nhóm): {}.",
        vn_count(all.len() as u64),
        listed.join("; ")
    )));
    let bound = if crate::render::too_many_units(report) { COMMENTS_PER_UNIT_PROVINCE } else { COMMENTS_PER_UNIT };
    out.push(para(&format!(
        "Dưới đây là tối đa {bound} ý kiến được nêu nhiều nhất ở mỗi đơn vị (số điện thoại, số giấy tờ và địa chỉ thư \
         điện tử đã được ẩn); toàn bộ ý kiến có trên trang báo cáo và trong tệp Excel kèm theo."
    )));
    let units: Vec<&str> = report.units.iter().map(|u| u.unit.as_str()).collect();
    for u in crate::themes::per_unit(&report.comments, &units, bound) {
        let name = report.units.iter().find(|r| r.unit == u.unit).map_or(u.unit.as_str(), |r| r.name.as_str());
        out.push(lead(&format!("{name} ({} ý kiến):", vn_count(u.total))));
        for (text, n) in &u.selection {
            let times = if *n > 1 { format!(" ({} ý kiến)", vn_count(*n)) } else { String::new() };
            out.push(para(&format!("– {}{times}.", text.trim_end_matches('.'))));
        }
    }
    out
}

pub fn document(report: &Report, campaign: &Campaign, tables: &[Table]) -> Result<Vec<u8>, String> {
    let font = RunFonts::new().ascii("Times New Roman").hi_ansi("Times New Roman").cs("Times New Roman");
    // The day the report was made, where the campaign runs.
    let date = chrono::DateTime::parse_from_rfc3339(&report.generated_at)
        .map_or_else(|_| campaign.today(), |t| campaign.day_at(t.with_timezone(&chrono::Utc)));
    let frame = official::Frame::new(campaign, date);
    let summary = official::summary(&report.name, report.year);

    let mut body: Vec<Block> = vec![Block::Table(Box::new(official::heading(&frame)))];
    body.extend(official::title(&summary).into_iter().map(Block::from));

    let total = report.totals.figures.responses;
    let two_parts = report.totals.figures.sipas.as_ref().is_some_and(|s| !s.parts.is_empty());
    let sipas_is = if two_parts {
        "chỉ số mỗi phần (xây dựng, tổ chức thực hiện chính sách; cung ứng dịch vụ hành chính công) là trung bình chỉ số \
         các thành phần của phần đó; Chỉ số SIPAS là trung bình chỉ số hai phần"
    } else {
        "Chỉ số SIPAS là trung bình chỉ số các thành phần"
    };
    body.push(heading("I. PHƯƠNG PHÁP").into());
    body.push(
        para(&format!(
            "Khảo sát thu được {} phiếu hợp lệ. Chỉ số hài lòng của từng câu hỏi là tỷ lệ người trả lời \"hài lòng\" \
             hoặc \"rất hài lòng\" trên tổng số người trả lời câu đó (câu \"không biết\" không tính); chỉ số từng thành \
             phần là trung bình chỉ số các câu thuộc thành phần; {sipas_is}. Số liệu tính chính xác, làm tròn nửa lên \
             2 chữ số thập phân. Phiếu được đưa vào tổng hợp theo từng đợt ít nhất {} phiếu cùng đơn vị, nhóm và lĩnh \
             vực để không ai ghép được phiếu với người trả lời. Khoảng tin cậy 95% và ghi chú cỡ mẫu nhỏ là phần bổ \
             sung, ngoài phương pháp chính thức.",
            vn_count(total),
            report.anonymity.k.max(1)
        ))
        .into(),
    );
    for note in crate::report::notes(report) {
        body.push(para(&note).into());
    }

    let sipas = report.totals.figures.sipas.as_ref();
    let [ranking_chart, components_chart, fields_chart] = crate::render::charts::report_charts(campaign, report);
    body.push(heading("II. KẾT QUẢ CHUNG").into());
    let mut line = format!(
        "Chỉ số SIPAS chung (gộp phiếu) đạt {}; mức độ hài lòng chung {}.",
        pct(sipas.and_then(|s| s.index)),
        pct(sipas.and_then(|s| s.overall))
    );
    if let Some(m) = report.totals.sipas_mean_of_units {
        line.push_str(&format!(" Bình quân chỉ số các đơn vị: {}.", pct(Some(m))));
    }
    if let Some(t) = campaign.targets.sipas {
        let met_units =
            report.units.iter().filter(|u| u.targets_met.sipas == Some(true) && !u.quota.is_empty()).count();
        let ranked = report.ranking.len();
        line.push_str(&format!(" Chỉ tiêu SIPAS ≥ {}%: {met_units}/{ranked} đơn vị đạt.", vn_pct(t)));
    }
    body.push(para(&line).into());
    if let Some(c) = &report.comparison
        && let Some(line) = change_sentence(&c.total, c.previous_year)
    {
        body.push(para(&line).into());
        body.push(para(&c.basis_note).into());
    }
    if let Some(s) = sipas {
        // Two parts (METHOD §6): SIPAS is their mean.
        for p in &s.parts {
            body.push(para(&format!("Phần {}: {}.", p.part.to_lowercase(), pct(p.index))).into());
        }
        for c in &s.components {
            body.push(para(&format!("– {}: {}.", c.name, pct(c.index))).into());
        }
    }
    if sipas.is_some()
        && let Some(p) = chart(&components_chart.into_string())
    {
        body.push(p.into());
    }
    if let Some(d) = &report.design
        && let Some(f) = &d.sipas
    {
        body.push(para(&design_sentence(d, f)).into());
    }
    for f in &report.totals.by_field {
        body.push(para(&field_sentence(&f.field, &f.distribution)).into());
    }
    if !report.totals.by_field.is_empty()
        && let Some(p) = chart(&fields_chart.into_string())
    {
        body.push(p.into());
    }

    body.push(heading("III. XẾP HẠNG CÁC ĐƠN VỊ").into());
    body.push(
        para(
            "Các đơn vị xếp theo Chỉ số SIPAS từ cao xuống thấp. Hai đơn vị liền kề có khoảng tin cậy chồng nhau thì \
             khảo sát chưa đủ căn cứ để nói đơn vị nào phục vụ tốt hơn.",
        )
        .into(),
    );
    body.push(Block::Table(Box::new(ranking_table(&report.ranking))));
    if !report.ranking.is_empty()
        && let Some(p) = chart(&ranking_chart.into_string())
    {
        body.push(p.into());
    }
    if let Some(f) = &report.funnel {
        body.push(para(&crate::render::charts::funnel_sentence(f)).into());
    }

    body.push(heading("IV. KẾT QUẢ TỪNG ĐƠN VỊ").into());
    for u in report.units.iter().filter(|u| u.figures.responses > 0) {
        body.extend(unit_paragraphs(u, campaign, report).into_iter().map(Block::from));
    }

    let priorities: Vec<_> = report.totals.figures.answers.iter().filter(|a| a.kind == "multi" && a.n > 0).collect();
    if !priorities.is_empty() {
        body.push(heading("V. NHỮNG NỘI DUNG NGƯỜI TRẢ LỜI ĐỀ NGHỊ ƯU TIÊN CẢI THIỆN").into());
        for a in priorities {
            body.push(para(&format!("{} ({} người trả lời):", a.text, vn_count(a.n))).into());
            let mut options = a.options.clone();
            options.sort_by_key(|o| std::cmp::Reverse(o.count));
            for o in options {
                body.push(para(&format!("– {}: {} lượt chọn ({}).", o.label, vn_count(o.count), pct(o.pct))).into());
            }
        }
    }
    body.extend(comment_paragraphs(report).into_iter().map(Block::from));
    body.push(Paragraph::new().into());
    body.push(Block::Table(Box::new(official::closing(&frame))));

    // The annex, on landscape pages: the tables that fit one.
    let mut annex: Vec<Block> = Vec::new();
    let (mut fit, mut wide) = annex_tables(tables);
    if let Some(units) = unit_index_table(report) {
        fit.retain(|t| t.name != "Chỉ số");
        fit.insert(0, units);
        wide.retain(|t| !t.ends_with("chỉ số theo đơn vị"));
    }
    if !fit.is_empty() {
        annex.push(centered("PHỤ LỤC", true, 28).into());
        annex.push(centered("CÁC BẢNG SỐ LIỆU", true, 28).into());
        annex.push(
            Paragraph::new()
                .add_run(text(&format!("(Kèm theo Báo cáo số{} {})", frame.number, frame.date)).italic())
                .align(AlignmentType::Center)
                .into(),
        );
        let mut note =
            "Các bảng ghi số liệu toàn đợt; số liệu từng đơn vị, từng câu hỏi và toàn bộ ý kiến có trong tệp \
                        Excel (XLSX) kèm theo"
                .to_owned();
        if !wide.is_empty() {
            note.push_str(&format!(", gồm cả các bảng: {}", wide.join("; ")));
        }
        note.push('.');
        annex.push(para(&note).into());
        for (i, t) in fit.iter().enumerate() {
            annex.push(heading(&format!("Bảng {}. {}", i + 1, t.title)).into());
            annex.push(Block::Table(Box::new(paper_table(t, landscape_width()))));
        }
    }

    let mut doc = Docx::new().default_fonts(font).default_size(BODY_PT * 2).header(page_number());
    if annex.is_empty() {
        doc = doc.page_margin(margins()).first_header(Header::new());
        for b in body {
            doc = b.add_to(doc);
        }
    } else {
        // The body on portrait pages: a section of its own, its first page
        // unnumbered; the annex's landscape pages, numbered on, are the
        // document's last section.
        let mut section = Section::new()
            .page_size(PageSize::new().size(11_906, 16_838))
            .page_margin(margins())
            .title_pg()
            .header(page_number());
        for b in body {
            section = match b {
                Block::Paragraph(p) => section.add_paragraph(*p),
                Block::Table(t) => section.add_table(*t),
            };
        }
        doc = doc
            .add_section(section)
            .page_size(16_838, 11_906)
            .page_orient(PageOrientationType::Landscape)
            .page_margin(margins());
        for b in annex {
            doc = b.add_to(doc);
        }
    }
    let mut xml = doc.build();
    xml.doc_props.core = official::core_properties(
        campaign.organiser.as_deref().unwrap_or(&frame.issuer),
        &summary,
        &report.generated_at,
    );
    xml.document = official::thin_section_breaks(&official::repeat_header_rows(&xml.document));
    let mut bytes = std::io::Cursor::new(Vec::new());
    xml.pack(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes.into_inner())
}

/// A paragraph or a table of the document, in order.
enum Block {
    Paragraph(Box<Paragraph>),
    Table(Box<DocxTable>),
}

impl From<Paragraph> for Block {
    fn from(p: Paragraph) -> Self {
        Block::Paragraph(Box::new(p))
    }
}

impl Block {
    fn add_to(self, doc: Docx) -> Docx {
        match self {
            Block::Paragraph(p) => doc.add_paragraph(*p),
            Block::Table(t) => doc.add_table(*t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_the_vietnamese_way() {
        assert_eq!(vn_pct(Decimal::new(714_285, 4)), "71,43");
        assert_eq!(vn_pct(Decimal::ZERO), "0");
        assert_eq!(vn_pct(Decimal::new(5000, 2)), "50");
        assert_eq!(vn_pct(Decimal::new(125, 1)), "12,5");
        assert_eq!(vn_count(1234), "1.234");
        assert_eq!(vn_count(1_000_000), "1.000.000");
        assert_eq!(vn_count(14), "14");
    }

    #[test]
    fn a_field_sentence_as_the_commune_reports_write_it() {
        let d = crate::indices::distribution([0, 0, 4, 10, 0]);
        assert_eq!(
            field_sentence("Tư pháp – Hộ tịch", &d),
            "Lĩnh vực Tư pháp – Hộ tịch: tổng số 14 phiếu, trong đó rất hài lòng 0 phiếu (0%), hài lòng 10 phiếu \
             (71,43%), bình thường 4 phiếu (28,57%), không hài lòng 0 phiếu (0%), rất không hài lòng 0 phiếu (0%)."
        );
    }
}
