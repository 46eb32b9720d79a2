//! Tables as aligned plain text for the terminal.

use super::Table;
use std::fmt::Write;

/// How wide the text is laid out when the terminal does not say (`COLUMNS`).
pub const DEFAULT_WIDTH: usize = 100;

/// No column is wrapped narrower than this.
const MIN_COLUMN: usize = 12;

/// The width to lay out for: `COLUMNS` when it is a number of at least 40.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok()).filter(|w| *w >= 40).unwrap_or(DEFAULT_WIDTH)
}

/// Renders tables one after another, within [`terminal_width`].
pub fn render(tables: &[Table]) -> String {
    render_within(tables, terminal_width())
}

/// Renders tables one after another, no line wider than `max` characters
/// where it can be helped: long cells (question texts, names) wrap onto more
/// lines, and a table with more columns than fit is printed in parts, each
/// repeating the first column.
pub fn render_within(tables: &[Table], max: usize) -> String {
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
        let natural: Vec<usize> = (0..t.headers.len()).map(width).collect();
        // A code column first is followed by its name: both head each part.
        let keys = if t.headers.first().is_some_and(|h| h == "Mã") && t.headers.len() > 3 { 2 } else { 1 };
        let parts = column_parts(&natural, max, keys);
        for (n, part) in parts.iter().enumerate() {
            let title = if parts.len() > 1 {
                format!("{} (phần {}/{})", t.title, n + 1, parts.len())
            } else {
                t.title.clone()
            };
            let _ = writeln!(out, "{title}");
            let widths = fit(&part.iter().map(|&i| natural[i]).collect::<Vec<_>>(), max);
            let pick =
                |row: &[String]| part.iter().map(|&i| row.get(i).cloned().unwrap_or_default()).collect::<Vec<_>>();
            write_row(&mut out, &pick(&t.headers), &widths);
            let _ = writeln!(out, "{}", widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("  "));
            for r in &cells {
                write_row(&mut out, &pick(r), &widths);
            }
            out.push('\n');
        }
    }
    out
}

/// The columns of each printed part: all in one when they fit once wrapped
/// to [`MIN_COLUMN`], else the first `keys` columns and as many more as fit,
/// part after part.
fn column_parts(natural: &[usize], max: usize, keys: usize) -> Vec<Vec<usize>> {
    let least = |w: usize| w.min(MIN_COLUMN);
    let total =
        |cols: &[usize]| cols.iter().map(|&i| least(natural[i])).sum::<usize>() + 2 * cols.len().saturating_sub(1);
    let all: Vec<usize> = (0..natural.len()).collect();
    if natural.len() <= keys + 1 || total(&all) <= max {
        return vec![all];
    }
    let head: Vec<usize> = (0..keys).collect();
    let mut parts = Vec::new();
    let mut part = head.clone();
    for i in keys..natural.len() {
        part.push(i);
        if part.len() > keys + 1 && total(&part) > max {
            part.pop();
            let mut next = head.clone();
            next.push(i);
            parts.push(std::mem::replace(&mut part, next));
        }
    }
    parts.push(part);
    parts
}

/// Column widths no wider in all than `max`: the widest column gives way
/// first, none below [`MIN_COLUMN`] (or its own width).
fn fit(natural: &[usize], max: usize) -> Vec<usize> {
    let mut widths = natural.to_vec();
    let gaps = 2 * widths.len().saturating_sub(1);
    while widths.iter().sum::<usize>() + gaps > max {
        let Some((i, w)) = widths.iter().enumerate().max_by_key(|(_, w)| **w).map(|(i, w)| (i, *w)) else { break };
        if w <= MIN_COLUMN {
            break;
        }
        let over = widths.iter().sum::<usize>() + gaps - max;
        let second = widths.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, w)| *w).max().unwrap_or(0);
        widths[i] = w.saturating_sub(over).max(second.min(w - 1)).max(MIN_COLUMN);
    }
    widths
}

/// A cell's text in lines of at most `width` characters, broken between
/// words where it can be.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_owned();
        loop {
            let have = line.chars().count();
            let need = word.chars().count() + usize::from(have > 0);
            if have + need <= width {
                if have > 0 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if have > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than the column is cut.
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn write_row(out: &mut String, row: &[String], widths: &[usize]) {
    let wrapped: Vec<Vec<String>> = row.iter().zip(widths).map(|(c, w)| wrap(c, *w)).collect();
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    for l in 0..height {
        let line = wrapped
            .iter()
            .zip(widths)
            .map(|(cell, w)| {
                let c = cell.get(l).map_or("", String::as_str);
                format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count())))
            })
            .collect::<Vec<_>>()
            .join("  ");
        let _ = writeln!(out, "{}", line.trim_end());
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Value;

    fn table(headers: &[&str], rows: Vec<Vec<Value>>) -> Table {
        Table {
            name: "t".into(),
            title: "Bảng".into(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows,
        }
    }

    #[test]
    fn a_long_question_wraps_within_the_width_and_loses_no_word() {
        let text = "Ông/Bà hài lòng thế nào về việc tiếp cận dịch vụ (nơi làm thủ tục, chỗ ngồi chờ, trang thiết bị, tìm hiểu thông tin)? ".repeat(2);
        let t = table(
            &["Câu", "Nội dung", "Chỉ số"],
            vec![vec![Value::Text("HL1".into()), Value::Text(text.clone()), Value::Text("85,71".into())]],
        );
        let out = render_within(&[t], 60);
        assert!(out.lines().all(|l| l.chars().count() <= 60), "{out}");
        let words: Vec<&str> = out.lines().skip(3).flat_map(|l| l.split_whitespace()).collect();
        let expected: Vec<&str> = ["HL1"].into_iter().chain(text.split_whitespace()).chain(["85,71"]).collect();
        let mut got = words.clone();
        got.sort_unstable();
        let mut want = expected.clone();
        want.sort_unstable();
        assert_eq!(got, want, "{out}");
        assert!(out.lines().nth(3).is_some_and(|l| l.starts_with("HL1") && l.ends_with("85,71")), "{out}");
    }

    #[test]
    fn a_table_of_many_columns_prints_in_parts_that_repeat_its_first_column() {
        let headers: Vec<String> =
            std::iter::once("Đơn vị".to_owned()).chain((1..=30).map(|i| format!("Chỉ số thành phần {i}"))).collect();
        let row: Vec<Value> = std::iter::once(Value::Text("Xã Bằng Lang".into()))
            .chain((1..=30).map(|i| Value::Text(format!("{i},50"))))
            .collect();
        let t = Table { name: "t".into(), title: "Bảng".into(), headers, rows: vec![row] };
        let out = render_within(&[t], 100);
        assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
        let parts = out.lines().filter(|l| l.starts_with("Bảng (phần")).count();
        assert!(parts > 1, "{out}");
        assert_eq!(out.matches("Xã Bằng Lang").count(), parts, "the unit on every part: {out}");
        for i in 1..=30 {
            assert!(out.contains(&format!("{i},50")), "column {i} printed: {out}");
        }
    }
}
