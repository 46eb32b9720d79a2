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

use super::{Table, Value};
use crate::report::{RankRow, Report, UnitReport};
use crate::stats::Shown;
use docx_rs::{
    AlignmentType, BreakType, Docx, PageMargin, Paragraph, Pic, Run, RunFonts, Table as DocxTable, TableCell, TableRow,
    WidthType,
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

fn para(t: &str) -> Paragraph {
    Paragraph::new().add_run(text(t)).align(AlignmentType::Both)
}

fn centered(t: &str, bold: bool, size: usize) -> Paragraph {
    let run = if bold { text(t).bold() } else { text(t) };
    Paragraph::new().add_run(run.size(size)).align(AlignmentType::Center)
}

fn heading(t: &str) -> Paragraph {
    Paragraph::new().add_run(text(t).bold()).align(AlignmentType::Left)
}

fn cell(t: &str, bold: bool) -> TableCell {
    let run = if bold { text(t).bold().size(22) } else { text(t).size(22) };
    TableCell::new().add_paragraph(Paragraph::new().add_run(run))
}

fn value(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Count(n) => vn_count(*n),
        Value::Figure(Some(d)) => vn_pct(*d),
        Value::Figure(None) => "–".to_owned(),
    }
}

fn table(t: &Table) -> DocxTable {
    let mut rows = vec![TableRow::new(t.headers.iter().map(|h| cell(h, true)).collect())];
    rows.extend(t.rows.iter().map(|r| TableRow::new(r.iter().map(|v| cell(&value(v), false)).collect())));
    DocxTable::new(rows).width(9000, WidthType::Dxa)
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

fn unit_paragraphs(u: &UnitReport, campaign: &Campaign) -> Vec<Paragraph> {
    let mut out = vec![heading(&format!("{} ({})", u.name, u.unit))];
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
    for f in &u.by_field {
        out.push(para(&field_sentence(&f.field, &f.distribution)));
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
    let mut out = vec![TableRow::new(
        ["Hạng", "Đơn vị", "Chỉ số SIPAS", "Khoảng tin cậy 95%", "Số phiếu", "Ghi chú"]
            .iter()
            .map(|h| cell(h, true))
            .collect(),
    )];
    for r in rows {
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
        out.push(TableRow::new(vec![
            cell(&r.rank.to_string(), false),
            cell(&r.name, false),
            cell(&pct(Some(r.index)), false),
            cell(&ci, false),
            cell(&vn_count(r.n), false),
            cell(&notes.join("; "), false),
        ]));
    }
    DocxTable::new(out).width(9000, WidthType::Dxa)
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

pub fn document(report: &Report, campaign: &Campaign, tables: &[Table]) -> Result<Vec<u8>, String> {
    let font = RunFonts::new().ascii("Times New Roman").hi_ansi("Times New Roman").cs("Times New Roman");
    let mut doc = Docx::new()
        .default_fonts(font)
        .default_size(26)
        .page_margin(PageMargin::new().top(1134).bottom(1134).left(1701).right(1134));
    let organiser = campaign.organiser.clone().unwrap_or_default().to_uppercase();
    if !organiser.is_empty() {
        doc = doc.add_paragraph(centered(&organiser, true, 26));
    }
    doc = doc
        .add_paragraph(centered("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", true, 26))
        .add_paragraph(
            Paragraph::new()
                .add_run(text("Độc lập - Tự do - Hạnh phúc").bold().underline("single"))
                .align(AlignmentType::Center),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(
                    text(&format!("Lập ngày {}", report.generated_local.split(' ').next().unwrap_or_default()))
                        .italic(),
                )
                .align(AlignmentType::Right),
        )
        .add_paragraph(centered("BÁO CÁO", true, 28))
        .add_paragraph(centered(&format!("Kết quả {} năm {}", report.name, report.year), true, 26));

    let total = report.totals.figures.responses;
    let two_parts = report.totals.figures.sipas.as_ref().is_some_and(|s| !s.parts.is_empty());
    let sipas_is = if two_parts {
        "chỉ số mỗi phần (xây dựng, tổ chức thực hiện chính sách; cung ứng dịch vụ hành chính công) là trung bình chỉ số \
         các thành phần của phần đó; Chỉ số SIPAS là trung bình chỉ số hai phần"
    } else {
        "Chỉ số SIPAS là trung bình chỉ số các thành phần"
    };
    doc = doc.add_paragraph(heading("I. PHƯƠNG PHÁP")).add_paragraph(para(&format!(
        "Khảo sát thu được {} phiếu hợp lệ. Chỉ số hài lòng của từng câu hỏi là tỷ lệ người trả lời \"hài lòng\" \
         hoặc \"rất hài lòng\" trên tổng số người trả lời câu đó (câu \"không biết\" không tính); chỉ số từng thành \
         phần là trung bình chỉ số các câu thuộc thành phần; {sipas_is}. Số liệu \
         tính chính xác, làm tròn nửa lên 2 chữ số thập phân. Phiếu được đưa vào tổng hợp theo từng đợt ít nhất {} phiếu \
         cùng đơn vị, nhóm và lĩnh vực để không ai ghép được phiếu với người trả lời. Khoảng tin cậy 95% và ghi chú cỡ \
         mẫu nhỏ là phần bổ sung, ngoài phương pháp chính thức.",
        vn_count(total),
        report.anonymity.k.max(1)
    )));
    for note in crate::report::notes(report) {
        doc = doc.add_paragraph(para(&note));
    }

    let sipas = report.totals.figures.sipas.as_ref();
    let [ranking_chart, components_chart, fields_chart] = crate::render::charts::report_charts(campaign, report);
    doc = doc.add_paragraph(heading("II. KẾT QUẢ CHUNG"));
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
    doc = doc.add_paragraph(para(&line));
    if let Some(s) = sipas {
        // Two parts (METHOD §6): SIPAS is their mean.
        for p in &s.parts {
            doc = doc.add_paragraph(para(&format!("Phần {}: {}.", p.part.to_lowercase(), pct(p.index))));
        }
        for c in &s.components {
            doc = doc.add_paragraph(para(&format!("– {}: {}.", c.name, pct(c.index))));
        }
    }
    if sipas.is_some()
        && let Some(p) = chart(&components_chart.into_string())
    {
        doc = doc.add_paragraph(p);
    }
    if let Some(d) = &report.design
        && let Some(f) = &d.sipas
    {
        doc = doc.add_paragraph(para(&design_sentence(d, f)));
    }
    for f in &report.totals.by_field {
        doc = doc.add_paragraph(para(&field_sentence(&f.field, &f.distribution)));
    }
    if !report.totals.by_field.is_empty()
        && let Some(p) = chart(&fields_chart.into_string())
    {
        doc = doc.add_paragraph(p);
    }

    doc = doc.add_paragraph(heading("III. XẾP HẠNG CÁC ĐƠN VỊ")).add_paragraph(para(
        "Các đơn vị xếp theo Chỉ số SIPAS từ cao xuống thấp. Hai đơn vị liền kề có khoảng tin cậy chồng nhau thì khảo sát \
         chưa đủ căn cứ để nói đơn vị nào phục vụ tốt hơn.",
    ));
    doc = doc.add_table(ranking_table(&report.ranking));
    if !report.ranking.is_empty()
        && let Some(p) = chart(&ranking_chart.into_string())
    {
        doc = doc.add_paragraph(p);
    }
    if let Some(f) = &report.funnel {
        doc = doc.add_paragraph(para(&crate::render::charts::funnel_sentence(f)));
    }

    doc = doc.add_paragraph(heading("IV. KẾT QUẢ TỪNG ĐƠN VỊ"));
    for u in report.units.iter().filter(|u| u.figures.responses > 0) {
        for p in unit_paragraphs(u, campaign) {
            doc = doc.add_paragraph(p);
        }
    }

    let priorities: Vec<_> = report.totals.figures.answers.iter().filter(|a| a.kind == "multi" && a.n > 0).collect();
    if !priorities.is_empty() {
        doc = doc.add_paragraph(heading("V. NHỮNG NỘI DUNG NGƯỜI TRẢ LỜI ĐỀ NGHỊ ƯU TIÊN CẢI THIỆN"));
        for a in priorities {
            doc = doc.add_paragraph(para(&format!("{} ({} người trả lời):", a.text, vn_count(a.n))));
            let mut options = a.options.clone();
            options.sort_by_key(|o| std::cmp::Reverse(o.count));
            for o in options {
                doc = doc.add_paragraph(para(&format!(
                    "– {}: {} lượt chọn ({}).",
                    o.label,
                    vn_count(o.count),
                    pct(o.pct)
                )));
            }
        }
    }

    if !report.comments.is_empty() {
        doc = doc
            .add_paragraph(heading("VI. Ý KIẾN CỦA NGƯỜI TRẢ LỜI"))
            .add_paragraph(para("Tổng hợp nguyên văn; số điện thoại, số giấy tờ và địa chỉ thư điện tử đã được ẩn."));
        for c in &report.comments {
            let unit = report.units.iter().find(|u| u.unit == c.unit).map_or(c.unit.as_str(), |u| u.name.as_str());
            let field = c.field.as_deref().map(|f| format!(", lĩnh vực {f}")).unwrap_or_default();
            doc = doc.add_paragraph(heading(&format!("{unit}{field}")));
            for t in &c.comments {
                doc = doc.add_paragraph(para(&format!("– {t}")));
            }
        }
    }

    doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
    doc = doc.add_paragraph(heading("PHỤ LỤC: CÁC BẢNG SỐ LIỆU"));
    // A province's hundred units would make the appendix tens of thousands
    // of rows (39 MB, more than ten minutes to open): its detail tables keep
    // the campaign's rows, and the workbook has every unit's.
    let campaign_rows: Vec<Table>;
    let tables = if crate::render::too_many_units(report) {
        doc = doc.add_paragraph(para(
            "Các bảng chi tiết (từng câu hỏi, lĩnh vực, phương án, ý kiến) ghi số liệu toàn đợt; \
             số liệu từng đơn vị có trong tệp Excel (XLSX) kèm theo.",
        ));
        let mut copy = tables.to_vec();
        crate::render::one_unit_at_a_time(&mut copy, None);
        campaign_rows = copy;
        &campaign_rows
    } else {
        tables
    };
    for t in tables.iter().filter(|t| !t.rows.is_empty()) {
        doc = doc.add_paragraph(heading(&t.title)).add_table(table(t));
    }
    let mut bytes = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes.into_inner())
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
