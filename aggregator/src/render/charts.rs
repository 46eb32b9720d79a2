//! Server-rendered SVG charts: no chart library and no JavaScript. Each chart
//! carries a title for screen readers; the same figures are in the tables.

use crate::indices::as_f64;
use crate::report::Report;
use maud::{Markup, html};
use rust_decimal::prelude::ToPrimitive;
use sipas_shared::Campaign;
use sipas_shared::model::questionnaire::default_likert_labels;

const BAR_H: f64 = 22.0;
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
                text x=(LABEL_W - 6.0) y=(y + BAR_H * 0.7) text-anchor="end" font-size="12" { (sipas_shared::model::text::ellipsis(label, 26)) }
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
                text x=(LABEL_W - 6.0) y=(y + BAR_H * 0.7) text-anchor="end" font-size="12" { (sipas_shared::model::text::ellipsis(label, 26)) }
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
            (format!("{} ({} phiếu)", f.field, f.distribution.n), pct)
        })
        .collect();
    let labels = campaign
        .questionnaires
        .iter()
        .find(|q| !q.components.is_empty())
        .map_or_else(default_likert_labels, |q| q.likert_labels.clone());
    [
        bars_with_intervals(
            "Chỉ số SIPAS theo đơn vị, cao xuống thấp, với khoảng tin cậy 95%",
            &ranking,
            target,
            &intervals,
        ),
        bars("Chỉ số năm thành phần SIPAS", &components, target),
        stacked("Phân bố năm mức hài lòng theo lĩnh vực", &by_field, &labels),
    ]
}
