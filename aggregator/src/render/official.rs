//! The frame of an administrative document as Nghị định 30/2020/NĐ-CP
//! (Phụ lục I) lays it out, for the written report: the heading in two
//! columns (the issuing body under its parent on the left, the national
//! title and motto on the right, each with its rule), the number and
//! symbol, the place and the date in words, the document's kind and
//! summary, and at the end the recipients beside the signature. What only
//! the office knows comes from the campaign's `[document]` settings.

use docx_rs::{AlignmentType, LineSpacing, Paragraph, Run, Table, TableCell, TableRow, WidthType};
use sipas_shared::Campaign;

/// Twentieths of a point in a millimetre (Word measures in twips).
pub const TWIPS_PER_MM: f64 = 1440.0 / 25.4;

/// The decree's margins (top, right, bottom, left) in mm: top and bottom
/// 20–25, left 30–35, right 15–20.
pub const MARGINS_MM: (u32, u32, u32, u32) = (20, 15, 20, 30);

/// Millimetres in twips.
pub fn mm(x: u32) -> i32 {
    (f64::from(x) * TWIPS_PER_MM).round() as i32
}

/// The width of the writing area of a portrait A4 page, in twips.
pub fn portrait_width() -> usize {
    usize::try_from(mm(210 - MARGINS_MM.1 - MARGINS_MM.3)).unwrap_or(9354)
}

/// The heading's lines, worked out from the campaign: what it sets in
/// `[document]`, else the organiser ("UBND huyện X – Phòng Nội vụ" gives
/// the parent and the body), else blanks the office fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub parent: Option<String>,
    pub issuer: String,
    /// What follows "Số:": " 12/BC-SNV", or "        /BC" for the clerk to fill.
    pub number: String,
    /// "Quảng Bình": the place before the date, if known.
    pub place: Option<String>,
    /// "ngày 03 tháng 12 năm 2026".
    pub date: String,
    pub signer_title: Vec<String>,
    pub signer_name: Option<String>,
    pub recipients: Vec<String>,
}

/// Room left on the number line for the clerk to write the number in.
const BLANK: &str = "         ";

/// The administrative prefixes a unit's name starts with, dropped before
/// the place name ("Huyện Quang Bình" → "Quang Bình").
const PLACE_PREFIXES: [&str; 9] =
    ["Thành phố", "Thị xã", "Thị trấn", "Đặc khu", "Tỉnh", "Huyện", "Quận", "Phường", "Xã"];

/// The place name of the campaign's top unit, without its kind and any
/// note in brackets ("Huyện Quang Bình (ví dụ)" → "Quang Bình").
fn default_place(campaign: &Campaign) -> Option<String> {
    let tops: Vec<_> = campaign.units.iter().filter(|u| u.parent.is_none()).collect();
    let [top] = tops.as_slice() else { return None };
    let name = top.name.split(" (").next().unwrap_or_default().trim();
    let bare = PLACE_PREFIXES.iter().find_map(|p| name.strip_prefix(p).map(str::trim)).unwrap_or(name);
    (!bare.is_empty()).then(|| bare.to_owned())
}

/// "ngày 03 tháng 12 năm 2026": a day below 10 and the months January and
/// February written with a leading zero, as the decree asks.
pub fn date_in_words(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let month = if date.month() < 3 { format!("{:02}", date.month()) } else { date.month().to_string() };
    format!("ngày {:02} tháng {month} năm {}", date.day(), date.year())
}

impl Frame {
    /// "Số: 12/BC-SNV".
    pub fn number_line(&self) -> String {
        format!("Số:{}", self.number)
    }

    /// "Quảng Bình, ngày 03 tháng 12 năm 2026", or the date alone.
    pub fn place_date(&self) -> String {
        match &self.place {
            Some(p) => format!("{p}, {}", self.date),
            None => capitalise(&self.date),
        }
    }

    pub fn new(campaign: &Campaign, date: chrono::NaiveDate) -> Self {
        let settings = &campaign.document;
        let organiser = campaign.organiser.as_deref().unwrap_or_default();
        // "UBND huyện Quang Bình (ví dụ) – Phòng Nội vụ": the parent, then the body.
        let (org_parent, org_body) = match organiser.rsplit_once(" – ").or_else(|| organiser.rsplit_once(" - ")) {
            Some((p, b)) => (Some(p.trim().to_owned()), b.trim().to_owned()),
            None => (None, organiser.trim().to_owned()),
        };
        let set = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let issuer = set(&settings.issuer).unwrap_or(org_body);
        let parent = set(&settings.parent).or(if settings.issuer.is_some() { None } else { org_parent });
        // A number left for the clerk ("/BC-SNV") keeps room to write it in.
        let number = match set(&settings.number) {
            Some(n) if n.starts_with('/') => format!("{BLANK}{n}"),
            Some(n) => format!(" {n}"),
            None => format!("{BLANK}/BC"),
        };
        let place = set(&settings.place).or_else(|| default_place(campaign));
        let mut recipients: Vec<String> =
            settings.recipients.iter().map(|r| r.trim().trim_end_matches([';', '.']).to_owned()).collect();
        recipients.retain(|r| !r.is_empty());
        if !recipients.iter().any(|r| r.starts_with("Lưu")) {
            recipients.push("Lưu: VT".to_owned());
        }
        Self {
            parent: parent.map(|p| p.to_uppercase()),
            issuer: issuer.to_uppercase(),
            number,
            place,
            date: date_in_words(date),
            signer_title: settings
                .signer_title
                .iter()
                .map(|t| t.trim().to_uppercase())
                .filter(|t| !t.is_empty())
                .collect(),
            signer_name: set(&settings.signer_name),
            recipients,
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn run(t: &str, size_pt: usize) -> Run {
    Run::new().add_text(t).size(size_pt * 2)
}

fn line(r: Run) -> Paragraph {
    Paragraph::new().add_run(r).align(AlignmentType::Center).line_spacing(LineSpacing::new().before(0).after(0))
}

/// A rule under a line of the heading: an underlined run of non-breaking
/// spaces, centred, `chars` wide.
fn rule(chars: usize) -> Paragraph {
    line(Run::new().add_text("\u{a0}".repeat(chars)).underline("single").size(12))
}

fn borderless(cells: Vec<TableCell>) -> TableRow {
    TableRow::new(cells.into_iter().map(TableCell::clear_all_border).collect())
}

/// The heading: two columns, two rows, no borders. The parent and the
/// issuer at 12 pt, the national title at 12 pt bold and the motto at
/// 13 pt bold, as the decree allows, fit their columns on one line each.
pub fn heading(frame: &Frame) -> Table {
    let total = portrait_width();
    let left_w = total * 2 / 5;
    let right_w = total - left_w;
    let mut left = TableCell::new().width(left_w, WidthType::Dxa);
    if let Some(p) = &frame.parent {
        left = left.add_paragraph(line(run(p, 12)));
    }
    left = left.add_paragraph(line(run(&frame.issuer, 12).bold())).add_paragraph(rule(12));
    let right = TableCell::new()
        .width(right_w, WidthType::Dxa)
        .add_paragraph(line(run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12).bold()))
        .add_paragraph(line(run("Độc lập - Tự do - Hạnh phúc", 13).bold()))
        .add_paragraph(rule(34));
    let number = TableCell::new().width(left_w, WidthType::Dxa).add_paragraph(line(run(&frame.number_line(), 13)));
    let date =
        TableCell::new().width(right_w, WidthType::Dxa).add_paragraph(line(run(&frame.place_date(), 14).italic()));
    Table::new(vec![borderless(vec![left, right]), borderless(vec![number, date])])
        .set_grid(vec![left_w, right_w])
        .width(total, WidthType::Dxa)
        .clear_all_border()
}

/// The document's kind and its summary, centred and bold, with the rule
/// under the summary.
pub fn title(summary: &str) -> Vec<Paragraph> {
    let spaced = LineSpacing::new().before(240).after(0);
    vec![
        Paragraph::new().add_run(run("BÁO CÁO", 14).bold()).align(AlignmentType::Center).line_spacing(spaced),
        line(run(summary, 14).bold()),
        rule(20),
        line(run("", 14)),
    ]
}

/// The summary under "BÁO CÁO": the campaign's name as a phrase, with its
/// year once ("Kết quả khảo sát … năm 2026").
pub fn summary(name: &str, year: i32) -> String {
    let lowered = ["Khảo sát", "Điều tra", "Đo lường", "Đánh giá"]
        .iter()
        .find_map(|w| name.strip_prefix(w).map(|rest| format!("{}{rest}", w.to_lowercase())))
        .unwrap_or_else(|| name.to_owned());
    let mut out = format!("Kết quả {lowered}");
    if !name.contains(&year.to_string()) {
        out.push_str(&format!(" năm {year}"));
    }
    out
}

/// Recipients on the left (12 pt and 11 pt), the signature on the right.
pub fn closing(frame: &Frame) -> Table {
    let total = portrait_width();
    let left_w = total * 9 / 20;
    let right_w = total - left_w;
    let left_line = |r: Run| {
        Paragraph::new().add_run(r).align(AlignmentType::Left).line_spacing(LineSpacing::new().before(0).after(0))
    };
    let mut left =
        TableCell::new().width(left_w, WidthType::Dxa).add_paragraph(left_line(run("Nơi nhận:", 12).bold().italic()));
    let last = frame.recipients.len().saturating_sub(1);
    for (i, r) in frame.recipients.iter().enumerate() {
        let end = if i == last { "." } else { ";" };
        left = left.add_paragraph(left_line(run(&format!("- {r}{end}"), 11)));
    }
    let mut right = TableCell::new().width(right_w, WidthType::Dxa);
    if frame.signer_title.is_empty() {
        right = right.add_paragraph(line(run("(Chức vụ người ký)", 14).italic()));
    }
    for t in &frame.signer_title {
        right = right.add_paragraph(line(run(t, 14).bold()));
    }
    for _ in 0..4 {
        right = right.add_paragraph(line(run("", 14)));
    }
    right = right.add_paragraph(match &frame.signer_name {
        Some(n) => line(run(n, 14).bold()),
        None => line(run("(Họ và tên)", 14).italic()),
    });
    // One row, kept whole on one page: the signature never apart from the recipients.
    Table::new(vec![borderless(vec![left, right]).cant_split()])
        .set_grid(vec![left_w, right_w])
        .width(total, WidthType::Dxa)
        .clear_all_border()
}

/// XML text with its five special characters escaped.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// `docProps/core.xml`: the organiser as author, the report's time as
/// created and modified, the summary as title (docx-rs writes "unknown"
/// and 1970).
pub fn core_properties(author: &str, title: &str, at: &str) -> Vec<u8> {
    let (author, title, at) = (escape(author), escape(title), escape(at));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{title}</dc:title><dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy><dc:language>vi-VN</dc:language><dcterms:created xsi:type="dcterms:W3CDTF">{at}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{at}</dcterms:modified><cp:revision>1</cp:revision></cp:coreProperties>"#
    )
    .into_bytes()
}

/// The paragraph docx-rs writes to end a section (the portrait body before
/// the landscape annex) is empty but 14 pt tall: after a full last page it
/// would make a page of its own. Set 1 pt high, it never does.
pub fn thin_section_breaks(document: &[u8]) -> Vec<u8> {
    const BREAK: &str = "<w:pPr><w:sectPr>";
    const THIN: &str = "<w:pPr><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"20\" w:lineRule=\"exact\" /><w:rPr><w:sz w:val=\"2\" /><w:szCs w:val=\"2\" /></w:rPr><w:sectPr>";
    match std::str::from_utf8(document) {
        Ok(text) if text.contains(BREAK) => text.replace(BREAK, THIN).into_bytes(),
        _ => document.to_vec(),
    }
}

/// The marker docx-rs writes for a row that may not split across pages.
const CANT_SPLIT: &str = "<w:cantSplit />";

/// Header rows repeated on every page (`w:tblHeader`, which docx-rs does
/// not write): in each table of more than one row, a first row marked
/// "cannot split" is its header. (A one-row table, the signature block,
/// is only kept whole.)
pub fn repeat_header_rows(document: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(document) else { return document.to_vec() };
    let mut out = String::with_capacity(text.len() + 4096);
    let mut rest = text;
    while let Some(start) = rest.find("<w:tbl>") {
        let end = rest[start..].find("</w:tbl>").map_or(rest.len(), |e| start + e + "</w:tbl>".len());
        let table = &rest[start..end];
        out.push_str(&rest[..start]);
        let first_row = table.find("<w:tr").and_then(|r| table[r..].find("</w:tr>").map(|e| r + e));
        match first_row {
            Some(row_end) if table.matches("</w:tr>").count() > 1 && table[..row_end].contains(CANT_SPLIT) => {
                out.push_str(&table.replacen(CANT_SPLIT, "<w:cantSplit /><w:tblHeader />", 1));
            }
            _ => out.push_str(table),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn dates_are_written_as_the_decree_writes_them() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(date_in_words(d(2026, 12, 3)), "ngày 03 tháng 12 năm 2026");
        assert_eq!(date_in_words(d(2026, 2, 15)), "ngày 15 tháng 02 năm 2026");
        assert_eq!(date_in_words(d(2026, 3, 9)), "ngày 09 tháng 3 năm 2026");
    }

    #[test]
    fn the_summary_names_the_year_once() {
        assert_eq!(
            summary("Khảo sát SIPAS cấp xã huyện Quang Bình năm 2026", 2026),
            "Kết quả khảo sát SIPAS cấp xã huyện Quang Bình năm 2026"
        );
        assert_eq!(summary("Chỉ số SIPAS tỉnh", 2025), "Kết quả Chỉ số SIPAS tỉnh năm 2025");
    }

    #[test]
    fn header_rows_are_marked_to_repeat() {
        let row = |split: bool| {
            format!("<w:tr><w:trPr>{}</w:trPr><w:tc /></w:tr>", if split { "<w:cantSplit />" } else { "" })
        };
        let data = format!("<w:tbl>{}{}{}</w:tbl>", row(true), row(false), row(false));
        let heading = format!("<w:tbl>{}{}</w:tbl>", row(false), row(false));
        let signature = format!("<w:tbl>{}</w:tbl>", row(true));
        let xml = format!("<w:body>{heading}<w:p />{data}{data}{signature}</w:body>");
        let out = String::from_utf8(repeat_header_rows(xml.as_bytes())).expect("utf-8");
        assert_eq!(out.matches("<w:cantSplit /><w:tblHeader />").count(), 2, "the two data tables' headers");
        assert_eq!(out.matches("tblHeader").count(), 2, "not the heading, not the one-row signature");
        assert_eq!(out.matches("<w:cantSplit />").count(), 3, "the signature still kept whole");
    }

    #[test]
    fn a_section_break_is_one_point_high() {
        let xml = br#"<w:p w14:paraId="1"><w:pPr><w:sectPr><w:pgSz w:w="11906" /></w:sectPr></w:pPr></w:p>"#;
        let out = String::from_utf8(thin_section_breaks(xml)).expect("utf-8");
        assert!(
            out.contains(
                r#"<w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact" /><w:rPr><w:sz w:val="2" />"#
            ),
            "{out}"
        );
        assert!(out.contains("<w:sectPr><w:pgSz"), "the section's properties kept: {out}");
    }

    #[test]
    fn properties_escape_the_organiser() {
        let xml = String::from_utf8(core_properties("Sở A & B", "T", "2026-12-06T15:00:00Z")).expect("utf-8");
        assert!(xml.contains("<dc:creator>Sở A &amp; B</dc:creator>"));
        assert!(xml.contains(">2026-12-06T15:00:00Z</dcterms:created>"));
    }
}
