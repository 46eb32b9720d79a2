//! Every formula of METHOD §3–§4 on the hand-worked campaign of
//! `tests/fixtures/report/` (ballots.csv). The arithmetic is written out beside
//! each assertion.

use rust_decimal::Decimal;
use sipas_aggregator::report::{self, By, Context, Report, UnitReport};
use sipas_aggregator::stats::Shown;
use sipas_aggregator::{Aggregate, indices};
use sipas_shared::Campaign;
use sipas_shared::files::ballots::read_ballots;
use sipas_shared::model::campaign::ItemIndex;
use sipas_shared::store::{QuotaStatus, StoredResponse};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/report").join(name)
}

fn campaign() -> Campaign {
    Campaign::load(&fixture("campaign.toml")).expect("fixture campaign")
}

fn ballots(c: &Campaign) -> Vec<StoredResponse> {
    let text = std::fs::read_to_string(fixture("ballots.csv")).expect("ballots");
    read_ballots(&text, c).expect("valid ballots")
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

/// A figure as the report shows it (rounded half-up to 2 places).
fn shown(s: Option<Shown>) -> Option<Decimal> {
    s.map(Shown::rounded)
}

fn build(c: &Campaign, by: By) -> Report {
    let mut agg = Aggregate::new(c);
    for r in ballots(c) {
        agg.add(&r);
    }
    let quotas = vec![
        QuotaStatus { unit: "A".into(), group: "citizens".into(), quota: 4, answered: 4, ..Default::default() },
        QuotaStatus { unit: "B".into(), group: "citizens".into(), quota: 4, answered: 2, ..Default::default() },
    ];
    let frame_fields =
        BTreeMap::from([("A".to_owned(), BTreeMap::from([("F1".to_owned(), 30), ("F2".to_owned(), 10)]))]);
    report::build(&agg, &Context { generated_at: "now".into(), quotas, frame_fields, ..Default::default() }, by)
}

fn unit<'a>(r: &'a Report, code: &str) -> &'a UnitReport {
    r.units.iter().find(|u| u.unit == code).expect("unit")
}

#[test]
fn question_indices_both_methods() {
    let c = campaign();
    let r = build(&c, By::Unit);
    let sipas = unit(&r, "A").figures.sipas.as_ref().expect("sipas");
    let q = |code: &str| sipas.questions.iter().find(|q| q.question == code).expect("question");
    // HL in A: 5, 4, 2, 4 → n 4; satisfied (4–5) 3 of 4 = 75 %; score 15 ÷ (5 × 4) = 75 %.
    assert_eq!(q("HL").counts, [0, 1, 0, 2, 1]);
    assert_eq!((shown(q("HL").satisfied_pct), shown(q("HL").score_pct)), (Some(d("75")), Some(d("75"))));
    // HL1: 4, 3, 5, 2 → satisfied 2/4 = 50 %; score 14/20 = 70 %.
    assert_eq!((shown(q("HL1").satisfied_pct), shown(q("HL1").score_pct)), (Some(d("50")), Some(d("70"))));
    // TC1: 5, 4, (empty), 3 → n 3, the empty one is left out; satisfied 2/3 = 66.67 %; score 12/15 = 80 %.
    assert_eq!(q("TC1").n, 3);
    assert_eq!((shown(q("TC1").satisfied_pct), shown(q("TC1").score_pct)), (Some(d("66.67")), Some(d("80"))));
    assert!(q("TC1").small_sample);
}

#[test]
fn components_sipas_overall_and_targets() {
    let c = campaign();
    let r = build(&c, By::Unit);
    let a = unit(&r, "A");
    let s = a.figures.sipas.as_ref().expect("sipas");
    // acc = mean(HL1 50, TC1 66.666…) = 58.333… → 58.33
    // res = mean(HL4 75 (4,5,4,2), KQ1 50 (3,5,4,1)) = 62.50
    // SIPAS = mean(58.333…, 62.5) = 60.41666… → 60.42, computed from the unrounded components.
    assert_eq!(shown(s.components[0].index), Some(d("58.33")));
    assert_eq!(shown(s.components[1].index), Some(d("62.50")));
    assert_eq!(shown(s.index), Some(d("60.42")));
    // rust_decimal keeps 28 significant digits: 60.41666… × 24 is 1450 to 1e-24.
    let off = s.index.map(|x| (x.0 * Decimal::from(24) - d("1450")).abs()).expect("index");
    assert!(off < d("0.000000000000000000000001"), "{off}");
    assert_eq!(shown(s.overall), Some(d("75")));
    // Target SIPAS ≥ 60: met.
    assert_eq!(a.targets_met.sipas, Some(true));
    // SIPAS feeds PAR criterion 8.1: 10 × 60.41666… ÷ 100 = 6.041666… → 6.04.
    assert_eq!(shown(a.sipas_par_points), Some(d("6.04")));

    // B: HL1 5,4 → 100; TC1 5,2 → 50; acc 75. HL4 5,3 → 50; KQ1 5,4 → 100; res 75. SIPAS 75.
    let b = unit(&r, "B").figures.sipas.as_ref().expect("sipas");
    assert_eq!(shown(b.index), Some(d("75")));
}

#[test]
fn score_ratio_setting_feeds_components() {
    let mut c = campaign();
    c.scoring.item_index = ItemIndex::ScoreRatio;
    let r = build(&c, By::Unit);
    let s = unit(&r, "A").figures.sipas.as_ref().expect("sipas");
    // acc = mean(70, 80) = 75; res = mean(HL4 15/20 = 75, KQ1 13/20 = 65) = 70; SIPAS 72.5.
    assert_eq!(shown(s.components[0].index), Some(d("75")));
    assert_eq!(shown(s.components[1].index), Some(d("70")));
    assert_eq!(shown(s.index), Some(d("72.5")));
}

#[test]
fn district_rollup_pooled_and_mean_of_units() {
    let c = campaign();
    let r = build(&c, By::Unit);
    let district = unit(&r, "D");
    assert_eq!(district.rollup, "pooled");
    assert_eq!(district.figures.responses, 10);
    // Pooled over A and B: HL1 4,3,5,2,5,4 → 4/6; TC1 5,4,3,5,2 → 3/5 = 60; acc = (66.666… + 60)/2 = 63.333…
    // HL4 4,5,4,2,5,3 → 4/6; KQ1 3,5,4,1,5,4 → 4/6; res = 66.666…; SIPAS = (63.333… + 66.666…)/2 = 65.
    let s = district.figures.sipas.as_ref().expect("sipas");
    assert_eq!(shown(s.index), Some(d("65")));
    // Mean of units: (60.41666… + 75) ÷ 2 = 67.708333… → 67.71.
    assert_eq!(shown(district.sipas_mean_of_units), Some(d("67.71")));
    // Totals: the mean over the units that carry quotas (A and B) is the same 67.71;
    // the pooled total equals the district's pooled 65.
    assert_eq!(shown(r.totals.sipas_mean_of_units), Some(d("67.71")));
    assert_eq!(shown(r.totals.figures.sipas.as_ref().and_then(|s| s.index)), Some(d("65")));
    assert_eq!((r.totals.quota, r.totals.answered), (8, 6));
}

#[test]
fn distribution_by_field_is_rounded_independently() {
    let c = campaign();
    let r = build(&c, By::Unit);
    let a = unit(&r, "A");
    // F1 in A: HL 5, 4, 2 → counts [0,1,0,1,1], each 1/3 = 33.333… → 33.33 (sum 99.99, as published).
    let f1 = a.by_field.iter().find(|f| f.field == "F1").expect("F1");
    assert_eq!(f1.distribution.counts, [0, 1, 0, 1, 1]);
    let pct: Vec<Decimal> = f1.distribution.pct.iter().map(|p| p.rounded()).collect();
    assert_eq!(pct, vec![d("0"), d("33.33"), d("0"), d("33.33"), d("33.33")]);
    let f2 = a.by_field.iter().find(|f| f.field == "F2").expect("F2");
    assert_eq!(f2.distribution.counts, [0, 0, 0, 1, 0]);
}

#[test]
fn par_criterion_points_use_option_weights() {
    let c = campaign();
    let r = build(&c, By::Unit);
    let a = unit(&r, "A");
    let crit = |code: &str| a.figures.par_criteria.iter().find(|x| x.criterion == code).expect("criterion");
    // 3.5 (max 2): P1 5, 4, 2 → weights (v−1)/4 = 1, 0.75, 0.25; P2 rt, t, k, t → 1, 0.67, 0, 0.67.
    // Σ = 4.34 over n = 7 → mean 0.62 → points 2 × 0.62 = 1.24.
    assert_eq!(crit("3.5").n, 7);
    assert_eq!(shown(crit("3.5").points), Some(d("1.24")));
    // 5.3 (max 1): P3 yes, no, (empty), yes → 2/3 → 0.67 points.
    assert_eq!(crit("5.3").n, 3);
    assert_eq!(shown(crit("5.3").points), Some(d("0.67")));
    // Survey score 1.24 + 0.666… = 1.90666… → 1.91 of 3; index 63.555… → 63.56; target 80 not met.
    let survey = a.figures.par_survey.as_ref().expect("survey");
    assert_eq!(survey.points.rounded(), d("1.91"));
    assert_eq!(survey.max_points.rounded(), d("3"));
    assert_eq!(shown(survey.index), Some(d("63.56")));
    assert_eq!(a.targets_met.par_survey, Some(false));
    // B had no delegates: criteria listed with n = 0 and no points (not 0, not NaN).
    let b = unit(&r, "B");
    assert!(b.figures.par_criteria.is_empty());
}

#[test]
fn field_weighted_index_uses_frame_shares() {
    let c = campaign();
    let r = build(&c, By::Unit);
    // A's frame: F1 30, F2 10. SIPAS of A in F1: acc mean(HL1 4,3,5 → 66.666…, TC1 5,4 → 100) = 83.333…,
    // res mean(HL4 4,5,4 → 100, KQ1 3,5,4 → 66.666…) = 83.333…; in F2 (one ballot of 2,3,2,1) 0.
    // Weighted: (30 × 83.333… + 10 × 0) ÷ 40 = 62.5.
    assert_eq!(shown(unit(&r, "A").sipas_field_weighted), Some(d("62.5")));
    assert_eq!(unit(&r, "B").sipas_field_weighted, None, "no frame for B");
}

#[test]
fn breakdowns_by_field_and_group() {
    let c = campaign();
    let r = build(&c, By::Field);
    let rows = &r.breakdown.as_ref().expect("breakdown").rows;
    let f1 = rows.iter().find(|x| x.field.as_deref() == Some("F1")).expect("F1");
    // F1 pooled: A's three + B's two citizens.
    assert_eq!(f1.figures.responses, 5);
    let r = build(&c, By::Group);
    let rows = &r.breakdown.as_ref().expect("breakdown").rows;
    let delegates = rows.iter().find(|x| x.group.as_deref() == Some("delegates")).expect("delegates");
    assert_eq!(delegates.figures.responses, 4);
    assert!(delegates.figures.sipas.is_none());
    assert_eq!(shown(delegates.figures.par_survey.as_ref().and_then(|s| s.index)), Some(d("63.56")));
}

#[test]
fn a_question_without_answers_reports_n_zero_and_no_percentage() {
    let c = campaign();
    let q = c.questionnaire("sipas").expect("q").question("KQ1").expect("KQ1");
    let row = indices::question_row(q, &Default::default());
    assert_eq!(row.n, 0);
    assert_eq!((row.satisfied_pct, row.score_pct, row.ci95), (None, None, None));
    let json = serde_json::to_value(&row).expect("json");
    assert!(json.get("satisfied_pct").is_none() && json.get("score_pct").is_none(), "{json}");
}

/// The fixture's free-text answers as the store gives them.
fn texts(c: &Campaign) -> Vec<(String, String, Option<String>, String, String)> {
    ballots(c)
        .into_iter()
        .filter_map(|r| {
            let text = r.cells.get("YK").filter(|t| !t.trim().is_empty())?.clone();
            Some((r.unit, r.group, r.field, "YK".to_owned(), text))
        })
        .collect()
}

#[test]
fn choices_yes_no_numbers_and_comments() {
    let c = campaign();
    let mut agg = Aggregate::new(&c);
    for r in ballots(&c) {
        agg.add(&r);
    }
    let r =
        report::build(&agg, &Context { generated_at: "now".into(), texts: texts(&c), ..Default::default() }, By::Unit);
    let answer = |u: &UnitReport, code: &str| {
        u.figures.answers.iter().find(|a| a.question == code).cloned().unwrap_or_else(|| panic!("{code}"))
    };
    // CT (multi) in A: a; a;b; –; b → 3 respondents chose; a 2 (66.67 %), b 2 (66.67 %).
    let ct = answer(unit(&r, "A"), "CT");
    assert_eq!((ct.kind, ct.n), ("multi", 3));
    let opts: Vec<(&str, u64, Option<Decimal>)> =
        ct.options.iter().map(|o| (o.code.as_str(), o.count, shown(o.pct))).collect();
    assert_eq!(opts, [("a", 2, Some(d("66.67"))), ("b", 2, Some(d("66.67")))]);
    // P2 (single) of the delegates in A: rt, t, k, t → 4; t 2 = 50 %, rt 1 = 25 %, k 1 = 25 %.
    let p2 = answer(unit(&r, "A"), "P2");
    let opts: Vec<(&str, u64, Option<Decimal>)> =
        p2.options.iter().map(|o| (o.code.as_str(), o.count, shown(o.pct))).collect();
    assert_eq!(opts, [("rt", 1, Some(d("25"))), ("t", 2, Some(d("50"))), ("k", 1, Some(d("25")))]);
    // P3 (yes/no): 1, 0, –, 1 → n 3, yes 2 = 66.67 %.
    let p3 = answer(unit(&r, "A"), "P3");
    assert_eq!((p3.n, p3.yes, p3.no, shown(p3.yes_pct)), (3, Some(2), Some(1), Some(d("66.67"))));
    // SL (number) in A: 1, 3, 2 → n 3, mean 2, median 2. In B: 4, 1 → mean 2.5, median (1 + 4) ÷ 2 = 2.5.
    let sl = answer(unit(&r, "A"), "SL");
    assert_eq!((sl.n, shown(sl.mean), shown(sl.median)), (3, Some(d("2")), Some(d("2"))));
    let sl = answer(unit(&r, "B"), "SL");
    assert_eq!((sl.n, shown(sl.mean), shown(sl.median)), (2, Some(d("2.5")), Some(d("2.5"))));
    // Totals pool all five: 1, 3, 2, 4, 1 → mean 11 ÷ 5 = 2.2, median 2.
    let sl = r.totals.figures.answers.iter().find(|a| a.question == "SL").expect("SL");
    assert_eq!((sl.n, shown(sl.mean), shown(sl.median)), (5, Some(d("2.2")), Some(d("2"))));
    // Comments per unit and field, masked.
    let a_f1 = r.comments.iter().find(|x| x.unit == "A" && x.field.as_deref() == Some("F1")).expect("A F1");
    assert_eq!(a_f1.comments, ["Cần thêm ghế", "Gọi [số đã ẩn] để góp ý"], "sorted, masked");
    let b_f1 = r.comments.iter().find(|x| x.unit == "B").expect("B");
    assert_eq!(b_f1.comments, ["Email [email đã ẩn], CCCD [số đã ẩn]"]);
    // And the tables every format is written from carry them.
    let tables = sipas_aggregator::render::tables(&r);
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    for name in ["Lựa chọn", "Có – Không", "Số", "Ý kiến"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
}
