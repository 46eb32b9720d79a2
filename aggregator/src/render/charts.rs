//! Server-rendered SVG charts: no chart library and no JavaScript. Each chart
//! carries a title for screen readers; the same figures are in the tables.

use crate::indices::as_f64;
use crate::report::Report;
use maud::{Markup, html};
use rust_decimal::prelude::ToPrimitive;
use sipas_shared::Campaign;
use sipas_shared::model::questionnaire::default_likert_labels;

const BAR_H: f64 = 26.0;
const GAP: f64 = 6.0;
const LABEL_W: f64 = 190.0;
const PLOT_W: f64 = 360.0;
const VALUE_W: f64 = 60.0;

/// Colours of the five levels, very dissatisfied → very satisfied (colour-blind safe).
pub const LEVEL_COLOURS: [&str; 5] = ["#b2182b", "#ef8a62", "#cccccc", "#67a9cf", "#2166ac"];

fn x_of(pct: f64) -> f64 {
    LABEL_W + PLOT_W * pct.clamp(0.0, 100.0) / 100.0
}

/// Horizontal bars in percent with an optional target line; a missing value is
/// drawn as "không có phiếu", never as 0.
pub fn bars(title: &str, rows: &[(String, Option<f64>)], target: Option<f64>) -> Markup {
    bars_with_intervals(title, rows, target, &[])
}

/// [`bars`] with each bar's 95 % interval drawn across it (`intervals[i]`
/// for `rows[i]`), so two units whose lines overlap are seen to be alike.
pub fn bars_with_intervals(
    title: &str,
    rows: &[(String, Option<f64>)],
    target: Option<f64>,
    intervals: &[Option<(f64, f64)>],
) -> Markup {
    let height = rows.len() as f64 * (BAR_H + GAP) + 30.0;
    let width = LABEL_W + PLOT_W + VALUE_W;
    html! {
        svg class="chart" role="img" viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (i, (label, value)) in rows.iter().enumerate() {
                @let y = i as f64 * (BAR_H + GAP) + 4.0;
                (svg_label(label, y))
                rect x=(LABEL_W) y=(y) width=(PLOT_W) height=(BAR_H) fill="#f2f2f2" {}
                @if let Some(v) = value {
                    rect x=(LABEL_W) y=(y) width=(x_of(*v) - LABEL_W) height=(BAR_H) fill="#2166ac" {}
                    text x=(LABEL_W + PLOT_W + 6.0) y=(y + BAR_H * 0.7) font-size="12" { (super::vn_decimal(*v)) }
                    @if let Some(Some((lo, hi))) = intervals.get(i) {
                        @let mid = y + BAR_H / 2.0;
                        g class="ci" stroke="#1a1a1a" stroke-width="1.5" {
                            title { "khoảng tin cậy 95 %: " (super::vn_decimal(*lo)) " – " (super::vn_decimal(*hi)) }
                            line x1=(x_of(*lo)) x2=(x_of(*hi)) y1=(mid) y2=(mid) {}
                            line x1=(x_of(*lo)) x2=(x_of(*lo)) y1=(mid - 5.0) y2=(mid + 5.0) {}
                            line x1=(x_of(*hi)) x2=(x_of(*hi)) y1=(mid - 5.0) y2=(mid + 5.0) {}
                        }
                    }
                } @else {
                    text x=(LABEL_W + 6.0) y=(y + BAR_H * 0.7) font-size="12" fill="#555" { "không có phiếu" }
                }
            }
            @if let Some(t) = target {
                @let bottom = rows.len() as f64 * (BAR_H + GAP) + 4.0;
                line x1=(x_of(t)) x2=(x_of(t)) y1="0" y2=(bottom) stroke="#d7301f" stroke-width="2" stroke-dasharray="4 3" {}
                text x=(x_of(t)) y=(bottom + 16.0) text-anchor="middle" font-size="12" fill="#d7301f" { "chỉ tiêu " (t) " %" }
            }
        }
    }
}

/// A bar's label, right-aligned before it: on one line, or on two of at
/// most [`LABEL_CHARS`] where it is longer (the second shortened only if
/// it must be), the whole text in its title.
fn svg_label(label: &str, y: f64) -> Markup {
    let lines = label_lines(label, LABEL_CHARS);
    html! {
        @if let [one] = lines.as_slice() {
            text x=(LABEL_W - 6.0) y=(y + BAR_H * 0.68) text-anchor="end" font-size="12" { title { (label) } (one) }
        } @else {
            text x=(LABEL_W - 6.0) y=(y + BAR_H * 0.42) text-anchor="end" font-size="11" {
                title { (label) }
                @for (i, line) in lines.iter().enumerate() {
                    tspan x=(LABEL_W - 6.0) dy=(if i == 0 { 0.0 } else { 12.0 }) { (line) }
                }
            }
        }
    }
}

/// The characters a label line holds beside a bar.
const LABEL_CHARS: usize = 30;

/// `text` in at most two lines of `width` characters, broken at spaces.
pub fn label_lines(text: &str, width: usize) -> Vec<String> {
    if text.chars().count() <= width {
        return vec![text.to_owned()];
    }
    let mut first = String::new();
    let mut rest = text;
    for (i, word) in text.split(' ').enumerate() {
        let candidate = if i == 0 { word.to_owned() } else { format!("{first} {word}") };
        if candidate.chars().count() > width && !first.is_empty() {
            break;
        }
        first = candidate;
        rest = text[first.len()..].trim_start();
    }
    vec![first, sipas_shared::model::text::ellipsis(rest, width)]
}

/// (level, where it starts, its share) of each non-empty level.
fn segments(pct: &[f64; 5]) -> Vec<(usize, f64, f64)> {
    let mut start = 0.0;
    let mut out = Vec::new();
    for (level, p) in pct.iter().enumerate() {
        if *p > 0.0 {
            out.push((level, start, *p));
        }
        start += p;
    }
    out
}

/// Stacked five-level bars, one per row, each summing to 100 %.
pub fn stacked(title: &str, rows: &[(String, [f64; 5])], level_labels: &[String]) -> Markup {
    let height = rows.len() as f64 * (BAR_H + GAP) + 40.0;
    let width = LABEL_W + PLOT_W + VALUE_W;
    html! {
        svg class="chart" role="img" viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (i, (label, pct)) in rows.iter().enumerate() {
                @let y = i as f64 * (BAR_H + GAP) + 4.0;
                (svg_label(label, y))
                @for (level, start, p) in segments(pct) {
                    rect x=(x_of(start)) y=(y) width=(x_of(start + p) - x_of(start)) height=(BAR_H) fill=(LEVEL_COLOURS[level]) {
                        title { (level_labels.get(level).map_or("", String::as_str)) ": " (super::vn_decimal(p)) " %" }
                    }
                }
            }
            @let legend_y = rows.len() as f64 * (BAR_H + GAP) + 20.0;
            @for (level, colour) in LEVEL_COLOURS.iter().enumerate() {
                // Five legend entries across the whole width, each 122 px.
                @let x = level as f64 * (width / 5.0);
                rect x=(x) y=(legend_y - 10.0) width="10" height="10" fill=(colour) {}
                text x=(x + 14.0) y=(legend_y) font-size="11" { (sipas_shared::model::text::ellipsis(level_labels.get(level).map_or("", String::as_str), 19)) }
            }
        }
    }
}

/// The report's three charts — the ranking with its intervals, the
/// components, the levels by field — as the page shows them and the written
/// report prints them.
pub fn report_charts(campaign: &Campaign, report: &Report) -> [Markup; 3] {
    let d = chart_data(campaign, report);
    [
        bars_with_intervals(RANKING_TITLE, &d.ranking, d.target, &d.intervals),
        bars(COMPONENTS_TITLE, &d.components, d.target),
        stacked(FIELDS_TITLE, &d.by_field, &d.labels),
    ]
}

const RANKING_TITLE: &str = "Chỉ số SIPAS theo đơn vị, cao xuống thấp, với khoảng tin cậy 95%";
const COMPONENTS_TITLE: &str = "Chỉ số năm thành phần SIPAS";
const FIELDS_TITLE: &str = "Phân bố năm mức hài lòng theo lĩnh vực";

/// What the report's three charts draw.
struct ChartData {
    target: Option<f64>,
    ranking: Vec<(String, Option<f64>)>,
    intervals: Vec<Option<(f64, f64)>>,
    components: Vec<(String, Option<f64>)>,
    by_field: Vec<(String, [f64; 5])>,
    labels: Vec<String>,
}

fn chart_data(campaign: &Campaign, report: &Report) -> ChartData {
    let target = campaign.targets.sipas.and_then(|t| t.to_f64());
    let ranking: Vec<(String, Option<f64>)> = report
        .ranking
        .iter()
        .map(|r| (if r.small_sample { format!("{} *", r.name) } else { r.name.clone() }, Some(as_f64(r.index))))
        .collect();
    let intervals: Vec<Option<(f64, f64)>> = report.ranking.iter().map(|r| r.ci95.map(|i| (i.0, i.1))).collect();
    let components: Vec<(String, Option<f64>)> = report
        .totals
        .figures
        .sipas
        .iter()
        .flat_map(|s| &s.components)
        .map(|c| (c.name.clone(), c.index.map(as_f64)))
        .collect();
    let by_field: Vec<(String, [f64; 5])> = report
        .totals
        .by_field
        .iter()
        .map(|f| {
            let mut pct = [0.0; 5];
            for (slot, p) in pct.iter_mut().zip(&f.distribution.pct) {
                *slot = as_f64(*p);
            }
            (format!("{} ({} phiếu)", f.field, super::vn_count(f.distribution.n)), pct)
        })
        .collect();
    let labels = campaign
        .questionnaires
        .iter()
        .find(|q| !q.components.is_empty())
        .map_or_else(default_likert_labels, |q| q.likert_labels.clone());
    ChartData { target, ranking, intervals, components, by_field, labels }
}

/// The funnel plot: each ranked unit's SIPAS (a dot) against its number of
/// answers, around the campaign's figure, with the 95 % (dashed) and 99.8 %
/// (solid) limits narrowing as the answers grow. A dot's title names it.
pub fn funnel(f: &crate::funnel::Funnel) -> Markup {
    use crate::funnel::{Position, limits};
    // Narrow, with large type: at 360 px it is drawn at about 0.8 of its
    // size and its smallest text stays near 12 px.
    const W: f64 = 400.0;
    const H: f64 = 300.0;
    const LEFT: f64 = 58.0;
    const BOTTOM: f64 = 52.0;
    const FONT: &str = "15";
    let largest = f.units.iter().map(|p| p.n).max().unwrap_or(1).max(1) as f64;
    let smallest = f.units.iter().map(|p| p.n).min().unwrap_or(1).max(1) as f64;
    // Answers on a round scale from just below the smallest unit.
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0]
        .into_iter()
        .find(|s| (largest - smallest) / s <= 4.0)
        .unwrap_or(20_000.0);
    let (low_n, high_n) = ((smallest / step).floor() * step, (largest / step).ceil() * step);
    let high_n = if high_n <= low_n { low_n + step } else { high_n };
    let values = f.units.iter().map(|p| crate::indices::as_f64(p.index));
    let floor =
        values.chain(f.units.iter().map(|p| p.limits998.0)).fold(f.centre, f64::min).min(f.centre - 5.0).max(0.0);
    let floor = (floor / 10.0).floor() * 10.0;
    let x = |n: f64| LEFT + (W - LEFT - 12.0) * (n - low_n) / (high_n - low_n);
    let y = |v: f64| 10.0 + (H - BOTTOM - 10.0) * (100.0 - v) / (100.0 - floor).max(1.0);
    // The limits drawn from the smallest unit on, within the plot.
    let start = smallest.max(2.0);
    let steps: Vec<f64> = (0..=60).map(|i| start + (high_n - start) * f64::from(i) / 60.0).collect();
    let curve = |coverage: f64, upper: bool| -> String {
        steps
            .iter()
            .map(|n| {
                let (lo, hi) = limits(f.centre, *n as u64, coverage);
                format!("{:.1},{:.1}", x(*n), y(if upper { hi } else { lo }.max(floor)))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let colour = |p: Position| match p {
        Position::WellAbove | Position::Above => "#2166ac",
        Position::Within => "#7f7f7f",
        Position::Below | Position::WellBelow => "#b2182b",
    };
    let y_ticks: Vec<f64> = (0..=((100.0 - floor) / 10.0) as u32).map(|i| floor + 10.0 * f64::from(i)).collect();
    let x_ticks: Vec<f64> =
        (0..=((high_n - low_n) / step).round() as u32).map(|i| low_n + step * f64::from(i)).collect();
    html! {
        svg class="chart" role="img" viewBox=(format!("0 0 {W} {H}")) width=(W) height=(H) xmlns="http://www.w3.org/2000/svg" {
            title { "Biểu đồ phễu: chỉ số SIPAS của từng đơn vị theo số phiếu, quanh chỉ số toàn đợt " (super::vn_decimal(f.centre)) " %" }
            @for t in &y_ticks {
                line x1=(LEFT) x2=(W - 12.0) y1=(y(*t)) y2=(y(*t)) stroke="#eeeeee" {}
                text x=(LEFT - 5.0) y=(y(*t) + 5.0) text-anchor="end" font-size=(FONT) { (t) }
            }
            @for t in &x_ticks {
                text x=(x(*t)) y=(H - BOTTOM + 20.0) text-anchor="middle" font-size=(FONT) { (super::vn_count(*t as u64)) }
            }
            line x1=(LEFT) x2=(W - 12.0) y1=(y(f.centre)) y2=(y(f.centre)) stroke="#1a1a1a" stroke-width="1.5" {}
            polyline points=(curve(0.95, true)) fill="none" stroke="#555555" stroke-dasharray="5 4" {}
            polyline points=(curve(0.95, false)) fill="none" stroke="#555555" stroke-dasharray="5 4" {}
            polyline points=(curve(0.998, true)) fill="none" stroke="#555555" {}
            polyline points=(curve(0.998, false)) fill="none" stroke="#555555" {}
            @for p in &f.units {
                circle cx=(format!("{:.1}", x(p.n as f64))) cy=(format!("{:.1}", y(crate::indices::as_f64(p.index)))) r="5" fill=(colour(p.position)) fill-opacity="0.8" {
                    title { (p.name) ": " (super::vn_decimal(crate::indices::as_f64(p.index))) " % · " (p.n) " phiếu · " (p.position.label()) }
                }
            }
            text x=((LEFT + W) / 2.0) y=(H - 6.0) text-anchor="middle" font-size=(FONT) { "Số phiếu của đơn vị" }
            text x="14" y=(10.0 + (H - BOTTOM) / 2.0) text-anchor="middle" font-size=(FONT) transform=(format!("rotate(-90 14 {})", 10.0 + (H - BOTTOM) / 2.0)) { "Chỉ số SIPAS (%)" }
        }
    }
}

/// One sentence of what the funnel shows, for the page and the Word report.
pub fn funnel_sentence(f: &crate::funnel::Funnel) -> String {
    use crate::funnel::Position;
    let count = |want: &[Position]| f.units.iter().filter(|p| want.contains(&p.position)).count();
    let names = |want: &[Position]| -> String {
        f.units.iter().filter(|p| want.contains(&p.position)).map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
    };
    let (above, below) = ([Position::Above, Position::WellAbove], [Position::Below, Position::WellBelow]);
    let mut s = format!(
        "So với chỉ số toàn đợt ({} %), {}/{} đơn vị nằm trong giới hạn 95 % của biểu đồ phễu: khảo sát chưa cho thấy \
         các đơn vị này khác toàn đợt.",
        super::vn_decimal(f.centre),
        count(&[Position::Within]),
        f.units.len()
    );
    if count(&above) > 0 {
        s.push_str(&format!(" Cao hơn toàn đợt: {}.", names(&above)));
    }
    if count(&below) > 0 {
        s.push_str(&format!(" Thấp hơn toàn đợt: {}.", names(&below)));
    }
    s
}

/// A percentage's place on a bar, for a style attribute.
fn at(pct: f64) -> String {
    format!("{:.2}%", pct.clamp(0.0, 100.0))
}

/// Bars for the page, in HTML: each label whole (wrapped, above its bar on
/// a phone), the type the page's own, the value written the Vietnamese
/// way; a missing value is "không có phiếu", never 0. The written report
/// draws the same figures with [`bars_with_intervals`].
pub fn html_bars(
    title: &str,
    rows: &[(String, Option<f64>)],
    target: Option<f64>,
    intervals: &[Option<(f64, f64)>],
) -> Markup {
    html! {
        figure.bars {
            figcaption { (title) }
            @for (i, (label, value)) in rows.iter().enumerate() {
                div.bar {
                    span.label { (label) }
                    span.track aria-hidden="true" {
                        @if let Some(v) = value { span.fill style=(format!("width:{}", at(*v))) {} }
                        @if let Some(Some((lo, hi))) = intervals.get(i) {
                            span.ci style=(format!("left:{};width:{}", at(*lo), at(hi - lo))) {}
                        }
                        @if let Some(t) = target { span.target style=(format!("left:{}", at(t))) {} }
                    }
                    @match value {
                        Some(v) => span.value {
                            (super::vn_decimal(*v))
                            @if let Some(Some((lo, hi))) = intervals.get(i) {
                                span.sr { " (khoảng tin cậy 95 %: " (super::vn_decimal(*lo)) "–" (super::vn_decimal(*hi)) ")" }
                            }
                        },
                        None => span.value.none { "không có phiếu" },
                    }
                }
            }
            @if let Some(t) = target {
                p.legend { span.tmark {} "chỉ tiêu " (super::vn_decimal(t)) " %" }
            }
        }
    }
}

/// Stacked five-level bars for the page, in HTML, each row summing to
/// 100 %, with the levels named in a legend and in each segment's title.
pub fn html_stacked(title: &str, rows: &[(String, [f64; 5])], level_labels: &[String]) -> Markup {
    let label = |level: usize| level_labels.get(level).map_or("", String::as_str);
    html! {
        figure.bars {
            figcaption { (title) }
            @for (name, pct) in rows {
                div.bar.stacked {
                    span.label { (name) }
                    span.track role="img" aria-label=(segments(pct).iter().map(|(l, _, p)| format!("{}: {} %", label(*l), super::vn_decimal(*p))).collect::<Vec<_>>().join("; ")) {
                        @for (level, _, p) in segments(pct) {
                            span.seg style=(format!("width:{};background:{}", at(p), LEVEL_COLOURS[level])) title=(format!("{}: {} %", label(level), super::vn_decimal(p))) {}
                        }
                    }
                    span.value { (super::vn_decimal(pct[3] + pct[4])) }
                }
            }
            p.legend {
                @for (level, colour) in LEVEL_COLOURS.iter().enumerate() {
                    span { span.sw style=(format!("background:{colour}")) {} (label(level)) }
                }
                span { "· số bên phải: tỷ lệ hài lòng và rất hài lòng (%)" }
            }
        }
    }
}

/// The report's three charts for the page, in HTML ([`report_charts`] draws
/// them for paper).
pub fn report_html_charts(campaign: &Campaign, report: &Report) -> [Markup; 3] {
    let d = chart_data(campaign, report);
    [
        html_bars(RANKING_TITLE, &d.ranking, d.target, &d.intervals),
        html_bars(COMPONENTS_TITLE, &d.components, d.target, &[]),
        html_stacked(FIELDS_TITLE, &d.by_field, &d.labels),
    ]
}
