//! SPEC §10 "no crowd smaller than k, ever", played as an insider who reads
//! every staff page and knows who answered in which field: the batch an
//! answer is released in is the crowd it hides in, and every published table
//! cell rests on k answers or more. On both backends.

mod common;

use common::{TestDb, example_open_today};
use sipas_aggregator::load;
use sipas_aggregator::report::{self, By, Context};
use sipas_shared::Campaign;
use sipas_shared::demo::Generator;
use sipas_shared::questionnaire::QuestionKind;
use sipas_shared::store::release::{ABOVE_UNITS, GENERALISED_FIELD};
use sipas_shared::store::{self, NewInvitation, Store, Submission};
use std::collections::BTreeMap;

/// A person who answered: where the insider knows they answered, and the
/// marker hidden in their comment.
struct Person {
    unit: String,
    group: String,
    field: Option<String>,
    marker: String,
}

/// Every sampled person of `units` answers online, each in one of the
/// campaign's first `fields` fields (citizens) or none (the other groups).
async fn everyone_answers(store: &dyn Store, campaign: &Campaign, units: &[&str], fields: usize) -> Vec<Person> {
    let mut generator = Generator::new(campaign, 23).expect("generator");
    let mut people = Vec::new();
    let on = campaign.opens;
    for (u, unit) in units.iter().enumerate() {
        for group in &campaign.groups {
            for i in 0..group.quota {
                let cells = loop {
                    let r = generator.response();
                    if r.group == group.code {
                        break r.cells;
                    }
                };
                let questionnaire = campaign.questionnaire_of(&group.code).expect("questionnaire");
                let marker = format!("người {u}-{}-{i}.", group.code);
                let mut cells = cells.clone();
                for q in questionnaire.questions() {
                    if q.kind == QuestionKind::Text {
                        cells.insert(q.code.clone(), marker.clone());
                    }
                }
                let answers = questionnaire.check_answers(&cells).expect("valid answers");
                let field = (group.code == "citizens")
                    .then(|| campaign.fields[usize::try_from(i).expect("i") * 7 % fields.min(campaign.fields.len())].clone());
                let token = store
                    .create_invitation(&NewInvitation {
                        campaign: campaign.id.clone(),
                        unit: sipas_shared::UnitCode::parse(unit).expect("unit"),
                        group: group.code.clone(),
                        field: field.clone(),
                        person: None,
                    })
                    .await
                    .expect("invite");
                assert_eq!(store.submit(&token, &answers, on).await.expect("submit"), Submission::Stored);
                people.push(Person { unit: (*unit).to_owned(), group: group.code.clone(), field, marker });
            }
        }
    }
    people
}

/// The campaign of the example with `fields` fields, open today.
fn campaign_with(fields: usize) -> Campaign {
    let mut campaign = example_open_today();
    while campaign.fields.len() < fields {
        let n = campaign.fields.len();
        campaign.fields.push(format!("Lĩnh vực thêm {n}"));
    }
    campaign
}

/// What someone holding the database sees of each response: its cell and
/// day, its transaction on PostgreSQL, and (for the test only) the marker.
async fn released(db: &TestDb) -> Vec<(String, String)> {
    let xmin = if db.is_postgres() { "xmin::text" } else { "''" };
    let sql = format!(
        "SELECT unit || '|' || group_code || '|' || COALESCE(field, '') || '|' || CAST(submitted_on AS TEXT) || '|' || {xmin}, answers
         FROM responses"
    );
    common::query_tuples(db, &sql).await.into_iter().map(|mut r| (r.remove(0), r.remove(0))).collect()
}

/// Closes the campaign and runs the sweep that releases what is left.
async fn close(store: &dyn Store, campaign: &Campaign) {
    let mut closed = campaign.clone();
    closed.closes = closed.opens;
    store.save_campaign(&closed).await.expect("save");
    store.sweep(closed.opens.succ_opt().expect("day")).await.expect("sweep");
}

/// The crowd each person's answer hides in: the responses that look the
/// same as it (cell, day, transaction) and that the person could have given
/// (their unit or above the units, their field or the generalised one).
fn crowds(people: &[Person], rows: &[(String, String)]) -> Vec<usize> {
    let mut looks: BTreeMap<&str, usize> = BTreeMap::new();
    for (look, _) in rows {
        *looks.entry(look.as_str()).or_default() += 1;
    }
    people
        .iter()
        .map(|p| {
            let Some((look, _)) = rows.iter().find(|(_, answers)| answers.contains(&p.marker)) else {
                return usize::MAX; // not released: in no crowd at all
            };
            let parts: Vec<&str> = look.split('|').collect();
            assert!(parts[0] == p.unit || parts[0] == ABOVE_UNITS, "released under another unit: {look}");
            assert_eq!(parts[1], p.group);
            let field = p.field.clone().unwrap_or_default();
            assert!(parts[2] == field || parts[2] == GENERALISED_FIELD, "released under another field: {look}");
            looks[look.as_str()]
        })
        .collect()
}

async fn remainder_attack(fields: usize) {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = campaign_with(fields);
    store.save_campaign(&campaign).await.expect("save");
    let units = ["QB01", "QB02", "QB03", "QB04", "QB05", "QB06"];
    let people = everyone_answers(&*store, &campaign, &units, fields).await;
    close(&*store, &campaign).await;

    let rows = released(&db).await;
    let crowd = crowds(&people, &rows);
    let k = usize::try_from(campaign.anonymity_k).expect("k");
    let below: Vec<(&str, usize)> =
        people.iter().zip(&crowd).filter(|(_, c)| **c < k).map(|(p, c)| (p.marker.as_str(), *c)).collect();
    // Before: with 4 fields, 51 of 156 citizens in batches under 5, 3 of
    // them alone; with 12 fields, all of them.
    assert!(below.is_empty(), "{} answers released in a crowd under k: {below:?}", below.len());
    // Nothing lost: each answer is released or still held, and the counts
    // equal a recount of what was released.
    let a = store.anonymity(&campaign.id).await.expect("anonymity");
    assert_eq!(rows.len() + usize::try_from(a.held).expect("held"), people.len());
    assert_eq!(a.released_below_k, 0);
    assert!(a.generalised > 0, "small cells were generalised, not exposed");
    let (kept, recount) = kept_and_recount(&*store, &campaign).await;
    assert_eq!(kept, recount);
    // A unit × group under k shows no figure of its own, and says so.
    for unit in kept["units"].as_array().expect("units") {
        let n = unit["responses"].as_u64().unwrap_or(0);
        assert!(n == 0 || n >= 5, "unit {} shows figures on {n} answers", unit["unit"]);
    }
}

async fn kept_and_recount(store: &dyn Store, campaign: &Campaign) -> (serde_json::Value, serde_json::Value) {
    let ctx = Context {
        generated_at: "now".into(),
        quotas: store.quota_board(&campaign.id).await.expect("quotas"),
        above_unit: load::above_unit(store, campaign).await.expect("above"),
        ..Default::default()
    };
    let kept = load::aggregate(store, campaign, &|_| {}).await.expect("kept");
    let recount = load::aggregate_streamed(store, campaign, &|_| {}).await.expect("recount");
    let json = |agg| serde_json::to_value(report::build(&agg, &ctx, By::UnitField)).expect("json");
    (json(kept), json(recount))
}

#[tokio::test]
async fn the_remainder_at_close_is_never_a_crowd_under_k_with_four_fields() {
    remainder_attack(4).await;
}

#[tokio::test]
async fn the_remainder_at_close_is_never_a_crowd_under_k_with_a_field_per_procedure() {
    remainder_attack(12).await;
}

#[tokio::test]
async fn a_unit_group_under_k_counts_only_in_the_total_and_its_report_says_so() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let mut campaign = campaign_with(4);
    // Three delegates in each of three communes: 3 < k in every unit, 9 above.
    for g in &mut campaign.groups {
        g.quota = if g.code == "delegates" { 3 } else { 0 };
    }
    store.save_campaign(&campaign).await.expect("save");
    let people = everyone_answers(&*store, &campaign, &["QB01", "QB02", "QB03"], 4).await;
    assert_eq!(people.len(), 9);
    close(&*store, &campaign).await;
    let rows = released(&db).await;
    assert_eq!(rows.len(), 9);
    assert!(rows.iter().all(|(look, _)| look.starts_with(&format!("{ABOVE_UNITS}|delegates||"))), "{rows:?}");
    let ctx = Context {
        generated_at: "now".into(),
        quotas: store.quota_board(&campaign.id).await.expect("quotas"),
        above_unit: load::above_unit(&*store, &campaign).await.expect("above"),
        anonymity: store.anonymity(&campaign.id).await.expect("anonymity"),
        ..Default::default()
    };
    let agg = load::aggregate(&*store, &campaign, &|_| {}).await.expect("agg");
    let r = report::build(&agg, &ctx, By::Unit);
    let qb01 = r.units.iter().find(|u| u.unit == "QB01").expect("QB01");
    assert_eq!((qb01.figures.responses, qb01.counted_above_unit), (0, 3));
    assert!(qb01.figures.sipas.is_none());
    assert_eq!(r.totals.figures.responses, 9, "the nine count in the campaign's figures");
    let notes = report::anonymity_notes(&r.anonymity).join(" ");
    assert!(notes.contains("9 phiếu chỉ được tính vào số liệu chung"), "{notes}");
}

#[tokio::test]
async fn a_group_under_k_in_the_whole_campaign_stays_sealed() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let mut campaign = campaign_with(4);
    for g in &mut campaign.groups {
        g.quota = if g.code == "civil-servants" { 2 } else { 0 };
    }
    store.save_campaign(&campaign).await.expect("save");
    everyone_answers(&*store, &campaign, &["QB01", "QB02"], 4).await;
    close(&*store, &campaign).await;
    assert!(released(&db).await.is_empty(), "four answers in all: no batch of five can be made");
    let a = store.anonymity(&campaign.id).await.expect("anonymity");
    assert_eq!((a.held, a.closed), (4, true));
    assert!(report::anonymity_notes(&a).join(" ").contains("4 phiếu chưa công bố"));
}
