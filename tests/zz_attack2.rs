mod common;

use common::{TestDb, example_open_today};
use sipas_aggregator::filter::Filter;
use sipas_aggregator::load;
use sipas_aggregator::report::By;
use sipas_shared::Campaign;
use sipas_shared::field::demo::Generator;
use sipas_shared::store::{self, Store};

async fn setup() -> (TestDb, std::sync::Arc<dyn Store>, Campaign) {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = example_open_today();
    store.save_campaign(&campaign).await.expect("save");
    (db, store, campaign)
}

fn citizens(c: &Campaign, unit: &str, field: usize, source: &str, n: usize, seed: u64, set: &[(&str, &str)]) -> Vec<store::StoredResponse> {
    let mut g = Generator::new(c, seed).expect("gen");
    let mut rows = Vec::new();
    while rows.len() < n {
        let mut r = g.response();
        if r.group != "citizens" { continue; }
        r.unit = unit.into();
        r.field = Some(c.fields[field].clone());
        r.source = source.into();
        r.submitted_on = c.opens;
        for (k, v) in set {
            if v.is_empty() { r.cells.remove(*k); } else { r.cells.insert((*k).into(), (*v).into()); }
        }
        rows.push(r);
    }
    rows
}

/// The question row `code` in `unit`'s figures: (n, counts, dont_know).
fn q(report: &sipas_aggregator::report::Report, unit: &str, code: &str) -> Option<(u64, [u64; 5], u64)> {
    let u = report.units.iter().find(|u| u.unit == unit)?;
    let s = u.figures.sipas.as_ref()?;
    s.questions.iter().find(|r| r.question == code).map(|r| (r.n, r.counts, r.dont_know))
}

fn f(source: Option<&str>, from: Option<&str>) -> Filter { Filter::parse(source, from, None).expect("filter") }

/// A: a follow-up answered by < k in one field of a unit. A filter that
/// takes EVERY answer (all online, from the opening month) holds back the
/// question in that field only (merge_small of a total < k is None), so
/// unfiltered unit row − filtered unit row = the few answers.
#[tokio::test]
async fn attack_a_question_under_k_in_a_field() {
    let (_db, store, c) = setup().await;
    let mut rows = citizens(&c, "QB01", 0, "online", 9, 1, &[("GY", "0"), ("GY1", ""), ("GY2", ""), ("GY3", ""), ("GY4", "")]);
    rows.extend(citizens(&c, "QB01", 0, "online", 1, 2, &[("GY", "1"), ("GY1", "1"), ("GY2", "1"), ("GY3", "1"), ("GY4", "1")]));
    rows.extend(citizens(&c, "QB01", 1, "online", 10, 3, &[("GY", "1"), ("GY1", "5"), ("GY2", "5"), ("GY3", "5"), ("GY4", "5")]));
    store.insert_responses(&c.id, &rows).await.expect("insert");
    let all = load::report(&*store, &c, By::UnitField, None, &|_| {}).await.expect("report");
    let month = format!("{}", c.opens.format("%Y-%m"));
    let everything = f(None, Some(&month));
    let fil = load::report_of_group(&*store, &c, By::UnitField, None, None, &everything, &|_| {}).await.expect("r");
    eprintln!("A unfiltered QB01 GY1 {:?}  filtered(from={month}) {:?}", q(&all, "QB01", "GY1"), q(&fil, "QB01", "GY1"));
    eprintln!("A responses {} vs {} note {:?}", all.totals.figures.responses, fil.totals.figures.responses, fil.filter);
    // field rows unfiltered
    for row in &all.breakdown.as_ref().unwrap().rows {
        let gy1 = row.figures.sipas.as_ref().and_then(|s| s.questions.iter().find(|r| r.question == "GY1").map(|r| (r.n, r.counts)));
        eprintln!("A unfiltered row {:?}/{:?}/{:?} n={} GY1={:?}", row.unit, row.group, row.field, row.figures.responses, gy1);
    }
}

/// A2: a cell under k answers (after exclusions, or a bulk import): a filter
/// that takes everything leaves the cell out; the unit row does not.
#[tokio::test]
async fn attack_a2_cell_under_k() {
    let (db, store, c) = setup().await;
    let mut rows = citizens(&c, "QB01", 0, "online", 10, 1, &[]);
    rows.extend(citizens(&c, "QB01", 1, "online", 5, 2, &[("HL", "1")]));
    store.insert_responses(&c.id, &rows).await.expect("insert");
    use sipas_shared::store::field::Review;
    let ids = common::query_strings(&db, &format!("SELECT CAST(id AS TEXT) FROM responses WHERE field = '{}' ORDER BY id LIMIT 4", c.fields[1])).await;
    for id in ids {
        store.review_response(&c.id, id.parse().unwrap(), Review::Exclude("trùng"), "quan-tri").await.expect("exclude");
    }
    let all = load::report(&*store, &c, By::UnitField, None, &|_| {}).await.expect("report");
    let month = format!("{}", c.opens.format("%Y-%m"));
    let fil = load::report_of_group(&*store, &c, By::UnitField, None, None, &f(Some("online"), None), &|_| {}).await.expect("r");
    let fil2 = load::report_of_group(&*store, &c, By::UnitField, None, None, &f(None, Some(&month)), &|_| {}).await.expect("r");
    eprintln!("A2 HL unfiltered {:?} online {:?} from {:?}", q(&all, "QB01", "HL"), q(&fil, "QB01", "HL"), q(&fil2, "QB01", "HL"));
    eprintln!("A2 responses {} / {} / {}", all.totals.figures.responses, fil.totals.figures.responses, fil2.totals.figures.responses);
    for row in &all.breakdown.as_ref().unwrap().rows {
        eprintln!("A2 unfiltered row {:?}/{:?} n={} HL={:?}", row.unit, row.field, row.figures.responses,
            row.figures.sipas.as_ref().and_then(|s| s.questions.iter().find(|r| r.question == "HL").map(|r| r.counts)));
    }
}

/// B: «không biết» counts as answering for the grouping but not in the
/// figures: 10 online gave HL5 = 4; 5 on paper: 4 «không biết», 1 gave 1.
#[tokio::test]
async fn attack_b_dont_know() {
    let (_db, store, c) = setup().await;
    let mut rows = citizens(&c, "QB01", 0, "online", 10, 1, &[("HL5", "4")]);
    rows.extend(citizens(&c, "QB01", 0, "paper", 4, 2, &[("HL5", "kb")]));
    rows.extend(citizens(&c, "QB01", 0, "paper", 1, 3, &[("HL5", "1")]));
    store.insert_responses(&c.id, &rows).await.expect("insert");
    let all = load::report(&*store, &c, By::UnitField, None, &|_| {}).await.expect("report");
    let fil = load::report_of_group(&*store, &c, By::UnitField, None, None, &f(Some("online"), None), &|_| {}).await.expect("r");
    let pap = load::report_of_group(&*store, &c, By::UnitField, None, None, &f(Some("paper"), None), &|_| {}).await.expect("r");
    eprintln!("B HL5 unfiltered {:?} online {:?} paper {:?}", q(&all, "QB01", "HL5"), q(&fil, "QB01", "HL5"), q(&pap, "QB01", "HL5"));
    eprintln!("B note {:?}", fil.filter);
}

/// A through the API and the page.
#[tokio::test]
async fn attack_a_over_http() {
    let (db, store, c) = setup().await;
    let mut rows = citizens(&c, "QB01", 0, "online", 9, 1, &[("GY", "0"), ("GY1", ""), ("GY2", ""), ("GY3", ""), ("GY4", "")]);
    rows.extend(citizens(&c, "QB01", 0, "online", 1, 2, &[("GY", "1"), ("GY1", "1"), ("GY2", "1"), ("GY3", "1"), ("GY4", "1")]));
    rows.extend(citizens(&c, "QB01", 1, "online", 10, 3, &[("GY", "1"), ("GY1", "5"), ("GY2", "5"), ("GY3", "5"), ("GY4", "5")]));
    store.insert_responses(&c.id, &rows).await.expect("insert");
    let server = common::spawn_server(&db, &[]);
    let api = common::bearer_client(&common::api_token(&db, "may-phan-tich", "analyst", &[]));
    let month = format!("{}", c.opens.format("%Y-%m"));
    for query in ["".to_owned(), format!("from={month}"), "source=online".to_owned()] {
        let url = format!("{}/api/v1/campaigns/{}/report?{query}", server.base, c.id);
        let resp = api.get(&url).send().await.unwrap(); let status = resp.status(); let text = resp.text().await.unwrap(); eprintln!("STATUS {status} {}", &text[..text.len().min(400)]); let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if body["units"].as_array().is_none() { eprintln!("KEYS {:?}", body.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>())); }
        eprintln!("UNITS {}", body["units"].as_array().unwrap().iter().map(|u| format!("{}:{}", u["unit"], u["figures"]["responses"])).collect::<Vec<_>>().join(" "));
        let unit = body["units"].as_array().unwrap().iter().find(|u| u["unit"] == "QB01").unwrap();
        eprintln!("UKEYS {:?}", unit.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()));
        let gy1 = unit["sipas"]["questions"].as_array().unwrap().iter().find(|q| q["question"] == "GY1").cloned();
        eprintln!("HTTP GET /api/v1/campaigns/{}/report?{query}: QB01 GY1 = {}", c.id, gy1.map(|q| format!("n={} counts={} score={}", q["n"], q["counts"], q["score_pct"])).unwrap_or_default());
        eprintln!("   filter = {}", body["filter"]);
    }
    let analyst = common::analyst(&db, &server.base).await;
    let page = analyst.get(format!("{}/reports/{}?from={month}", server.base, c.id)).send().await.unwrap().text().await.unwrap();
    for line in page.lines().filter(|l| l.contains("Đang lọc") || l.contains("câu hỏi") && l.contains("ô")) { eprintln!("PAGE: {}", line.trim()); }
    let csv = analyst.get(format!("{}/reports/{}/download/report.csv?from={month}", server.base, c.id)).send().await.unwrap();
    eprintln!("CSV status {}", csv.status());
}
