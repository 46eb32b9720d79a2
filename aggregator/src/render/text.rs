//! Tables as aligned plain text for the terminal.

use super::Table;
use std::fmt::Write;

/// Renders tables one after another, columns padded to their widest cell.
pub fn render(tables: &[Table]) -> String {
    let mut out = String::new();
    for t in tables {
        if t.rows.is_empty() {
            continue;
        }
        let cells: Vec<Vec<String>> = t.rows.iter().map(|r| r.iter().map(|v| v.display("–")).collect()).collect();
        let width = |i: usize| {
            let h = t.headers.get(i).map_or(0, |h| h.chars().count());
            cells.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0).max(h)
        };
        let widths: Vec<usize> = (0..t.headers.len()).map(width).collect();
        let _ = writeln!(out, "{}", t.title);
        let line = |row: &[String]| {
            row.iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        let _ = writeln!(out, "{}", line(&t.headers));
        let _ = writeln!(out, "{}", widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("  "));
        for r in &cells {
            let _ = writeln!(out, "{}", line(r));
        }
        out.push('\n');
    }
    out
}

/// The whole report for a terminal: a heading, then every table.
pub fn render_report(report: &crate::report::Report, tables: &[Table]) -> String {
    let mut out = format!(
        "{}\nĐợt khảo sát: {} · năm {} · lập lúc {}\nCách tính: chỉ số câu hỏi = {}; số liệu làm tròn nửa lên 2 chữ số thập phân.\n",
        report.name,
        report.campaign,
        report.year,
        report.generated_local,
        match report.method.item_index {
            sipas_shared::model::campaign::ItemIndex::SatisfiedShare => "tỷ lệ hài lòng (mức 4–5)",
            sipas_shared::model::campaign::ItemIndex::ScoreRatio => "tỷ lệ điểm p ÷ P",
        }
    );
    if let Some(t) = report.targets.sipas {
        let _ = writeln!(out, "Chỉ tiêu SIPAS ≥ {t}%");
    }
    if let Some(t) = report.targets.par_survey {
        let _ = writeln!(out, "Chỉ tiêu PAR khảo sát ≥ {t}%");
    }
    out.push('\n');
    out.push_str(&render(tables));
    if report.ignored_answers > 0 {
        let _ = writeln!(
            out,
            "Lưu ý: {} câu trả lời không còn khớp phiếu hiện tại nên không được tính.",
            report.ignored_answers
        );
    }
    for note in crate::report::notes(report) {
        let _ = writeln!(out, "Lưu ý: {note}");
    }
    out
}
