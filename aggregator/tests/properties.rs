//! Properties every aggregate must have, whatever the answers.

use proptest::prelude::*;
use rust_decimal::Decimal;
use sipas_aggregator::report::{self, By, Context, Report};
use sipas_aggregator::{Aggregate, CellKey};
use sipas_shared::Campaign;
use sipas_shared::store::StoredResponse;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn campaign() -> Campaign {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/report/campaign.toml");
    Campaign::load(&path).expect("fixture campaign")
}

/// A citizen or delegate ballot with any mix of answered and empty questions.
fn ballot() -> impl Strategy<Value = StoredResponse> {
    let level = prop::option::of(1u8..=5);
    (
        prop::sample::select(vec!["A", "B"]),
        prop::bool::ANY,
        prop::option::of(prop::sample::select(vec!["F1", "F2"])),
        prop::collection::vec(level, 6),
        prop::option::of(prop::sample::select(vec!["rt", "t", "k"])),
        prop::option::of(prop::bool::ANY),
        prop::bool::ANY,
    )
        .prop_map(|(unit, citizen, field, levels, p2, p3, dont_know)| {
            let mut cells = BTreeMap::new();
            let codes = if citizen { ["HL", "HL1", "TC1", "HL4", "KQ1", "P1"] } else { ["P1", "", "", "", "", ""] };
            for (code, level) in codes.iter().zip(&levels) {
                if let (false, Some(l)) = (code.is_empty(), level) {
                    cells.insert((*code).to_owned(), l.to_string());
                }
            }
            if citizen {
                cells.remove("P1");
                if dont_know {
                    cells.insert("KQ1".into(), "0".into());
                }
            } else {
                if let Some(p2) = p2 {
                    cells.insert("P2".into(), p2.into());
                }
                if let Some(p3) = p3 {
                    cells.insert("P3".into(), if p3 { "1" } else { "0" }.into());
                }
            }
            StoredResponse {
                unit: unit.into(),
                group: if citizen { "citizens" } else { "delegates" }.into(),
                field: if citizen { field.map(str::to_owned) } else { None },
                submitted_on: chrono::NaiveDate::from_ymd_opt(2026, 10, 2).expect("date"),
                source: "paper".into(),
                ballot: None,
                cells,
            }
        })
}

fn report_of<'a>(c: &'a Campaign, rs: impl IntoIterator<Item = &'a StoredResponse>) -> Report {
    let mut agg = Aggregate::new(c);
    for r in rs {
        agg.add(r);
    }
    report::build(&agg, &Context::default(), By::UnitField)
}

/// Every percentage in a report document.
fn percentages(v: &serde_json::Value, out: &mut Vec<f64>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let is_pct = k.ends_with("_pct") || k == "index" || k == "overall" || k.starts_with("sipas_");
                if is_pct && let Some(f) = x.as_f64() {
                    out.push(f);
                }
                if k == "pct"
                    && let Some(a) = x.as_array()
                {
                    out.extend(a.iter().filter_map(serde_json::Value::as_f64));
                }
                percentages(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| percentages(x, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn order_does_not_matter(ballots in prop::collection::vec(ballot(), 0..40), seed in any::<u64>()) {
        let c = campaign();
        let mut shuffled = ballots.clone();
        // A deterministic shuffle from the seed.
        let n = shuffled.len();
        for i in (1..n).rev() {
            let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        prop_assert_eq!(report_of(&c, &ballots), report_of(&c, &shuffled));
    }

    #[test]
    fn percentages_lie_between_0_and_100(ballots in prop::collection::vec(ballot(), 0..40)) {
        let c = campaign();
        let json = serde_json::to_value(report_of(&c, &ballots)).expect("json");
        let mut found = Vec::new();
        percentages(&json, &mut found);
        for p in found {
            prop_assert!((0.0..=100.0).contains(&p), "{} out of range", p);
        }
    }

    #[test]
    fn merging_two_halves_gives_the_whole(ballots in prop::collection::vec(ballot(), 0..40), cut in 0usize..40) {
        let c = campaign();
        let cut = cut.min(ballots.len());
        let mut first = Aggregate::new(&c);
        let mut second = Aggregate::new(&c);
        let mut whole = Aggregate::new(&c);
        for (i, r) in ballots.iter().enumerate() {
            if i < cut { first.add(r) } else { second.add(r) }
            whole.add(r);
        }
        first.merge(&second);
        prop_assert_eq!(&first.cells, &whole.cells);
        let ctx = Context::default();
        prop_assert_eq!(report::build(&first, &ctx, By::Unit), report::build(&whole, &ctx, By::Unit));
    }

    #[test]
    fn unanswered_questions_have_no_percentage(ballots in prop::collection::vec(ballot(), 0..20)) {
        let c = campaign();
        let r = report_of(&c, &ballots);
        for u in &r.units {
            if let Some(s) = &u.figures.sipas {
                for q in &s.questions {
                    prop_assert_eq!(q.n == 0, q.satisfied_pct.is_none());
                    prop_assert_eq!(q.n == 0, q.score_pct.is_none());
                    prop_assert_eq!(q.n, q.counts.iter().sum::<u64>());
                }
                for comp in &s.components {
                    prop_assert_eq!(comp.questions == 0, comp.index.is_none());
                }
            }
            for crit in &u.figures.par_criteria {
                prop_assert_eq!(crit.n == 0, crit.points.is_none());
                if let Some(p) = crit.points {
                    prop_assert!(p.0 >= Decimal::ZERO && p.0 <= crit.max_points.0);
                }
            }
        }
    }
}

#[test]
fn cells_are_keyed_by_unit_group_and_field() {
    let c = campaign();
    let mut agg = Aggregate::new(&c);
    let r = StoredResponse {
        unit: "A".into(),
        group: "citizens".into(),
        field: Some("F1".into()),
        submitted_on: chrono::NaiveDate::from_ymd_opt(2026, 10, 2).expect("date"),
        source: "online".into(),
        ballot: None,
        cells: BTreeMap::from([("HL".to_owned(), "4".to_owned()), ("GONE".to_owned(), "1".to_owned())]),
    };
    agg.add(&r);
    let key = CellKey { unit: "A".into(), group: "citizens".into(), field: Some("F1".into()) };
    assert_eq!(agg.cells[&key].responses, 1);
    assert_eq!(agg.cells[&key].questions[0].levels, [0, 0, 0, 1, 0]);
    assert_eq!(agg.ignored_answers, 1, "a stored answer to a question no longer in the form is counted apart");
}
