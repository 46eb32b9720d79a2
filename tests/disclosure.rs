//! SPEC §10 "no crowd smaller than k, ever", played as an insider who reads
//! every staff page and knows who answered in which field: the batch an
//! answer is released in is the crowd it hides in, and every published table
//! cell rests on k answers or more. On both backends.

mod common;

use common::{TestDb, example_open_today};
use sipas_aggregator::load;
use sipas_aggregator::report::{self, By, Context};
use sipas_shared::Campaign;
use sipas_shared::field::demo::Generator;
use sipas_shared::model::questionnaire::QuestionKind;
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
                let field = (group.code == "citizens").then(|| {
                    campaign.fields[usize::try_from(i).expect("i") * 7 % fields.min(campaign.fields.len())].clone()
                });
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

/// A QB01 delegate's answers, as the form takes them, submitted online.
async fn submit_delegate(store: &dyn Store, campaign: &Campaign, cells: &BTreeMap<String, String>) {
    submit_delegate_flagged(store, campaign, cells, Vec::new()).await;
}

/// Like [`submit_delegate`], with the review flags the form would have set.
async fn submit_delegate_flagged(
    store: &dyn Store,
    campaign: &Campaign,
    cells: &BTreeMap<String, String>,
    flags: Vec<sipas_shared::store::Flag>,
) {
    let questionnaire = campaign.questionnaire_of("delegates").expect("questionnaire");
    let answers = questionnaire.check_answers(cells).expect("the form takes it");
    let token = store
        .create_invitation(&NewInvitation {
            campaign: campaign.id.clone(),
            unit: sipas_shared::UnitCode::parse("QB01").expect("unit"),
            group: "delegates".into(),
            field: None,
            person: None,
        })
        .await
        .expect("invite");
    let outcome = store.submit_flagged(&token, &answers, campaign.opens, flags).await.expect("submit");
    assert_eq!(outcome, Submission::Stored);
}

/// A fresh database with the example campaign of `fields` fields saved.
async fn setup(fields: usize) -> (TestDb, std::sync::Arc<dyn Store>, Campaign) {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = campaign_with(fields);
    store.save_campaign(&campaign).await.expect("save");
    (db, store, campaign)
}

/// Like [`setup`] with four fields, where only `group` has a quota, of `quota`
/// in every unit.
async fn setup_only(group: &str, quota: u32) -> (TestDb, std::sync::Arc<dyn Store>, Campaign) {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let mut campaign = campaign_with(4);
    for g in &mut campaign.groups {
        g.quota = if g.code == group { quota } else { 0 };
    }
    store.save_campaign(&campaign).await.expect("save");
    (db, store, campaign)
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
    store
        .sweep(sipas_shared::model::clock::start_of(closed.opens.succ_opt().expect("day"), &closed.timezone))
        .await
        .expect("sweep");
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
    let (db, store, campaign) = setup(fields).await;
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
    // Three delegates in each of three communes: 3 < k in every unit, 9 above.
    let (db, store, campaign) = setup_only("delegates", 3).await;
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
    let (db, store, campaign) = setup_only("civil-servants", 2).await;
    everyone_answers(&*store, &campaign, &["QB01", "QB02"], 4).await;
    close(&*store, &campaign).await;
    assert!(released(&db).await.is_empty(), "four answers in all: no batch of five can be made");
    let a = store.anonymity(&campaign.id).await.expect("anonymity");
    assert_eq!((a.held, a.closed), (4, true));
    assert!(report::anonymity_notes(&a).join(" ").contains("4 phiếu chưa công bố"));
}

/// Responses of QB01's citizens stored as they are (a table test: the
/// release is not what is under test), every one alike but for its gender.
async fn citizens_by_gender(store: &dyn Store, campaign: &Campaign, genders: &[(&str, usize)]) {
    let profiles: Vec<(&str, &str, usize)> = genders.iter().map(|(g, n)| (*g, "25-34", *n)).collect();
    citizens_by_profile(store, campaign, &profiles).await;
}

/// The same with gender and age group as given.
async fn citizens_by_profile(store: &dyn Store, campaign: &Campaign, profiles: &[(&str, &str, usize)]) {
    let mut generator = Generator::new(campaign, 5).expect("generator");
    let mut rows = Vec::new();
    for (gender, age, n) in profiles {
        for _ in 0..*n {
            let mut r = loop {
                let r = generator.response();
                if r.group == "citizens" {
                    break r;
                }
            };
            r.unit = "QB01".into();
            r.field = Some(campaign.fields[0].clone());
            r.cells.insert("GT".into(), (*gender).into());
            for q in ["DT", "DTOC", "HV", "NN"] {
                r.cells.insert(q.into(), "kt".into());
            }
            r.cells.insert("DT".into(), (*age).into());
            r.cells.insert("DTOC".into(), "kinh".into());
            r.cells.remove("HV");
            r.cells.remove("NN");
            rows.push(r);
        }
    }
    store.insert_responses(&campaign.id, &rows).await.expect("insert");
}

#[tokio::test]
async fn a_cross_tab_shows_no_cell_of_one_and_its_total_gives_none_back() {
    let (db, store, campaign) = setup(4).await;
    // 15 men, 4 women, 1 «other»: before, «QB01 · Khác · 1 phiếu».
    citizens_by_gender(&*store, &campaign, &[("nam", 15), ("nu", 4), ("khac", 1)]).await;
    let report = load::report(&*store, &campaign, By::UnitQuestion, Some("GT"), &|_| {}).await.expect("report");
    let rows = &report.breakdown.as_ref().expect("breakdown").rows;
    let qb01: Vec<_> = rows.iter().filter(|r| r.unit.as_deref() == Some("QB01")).collect();
    for r in &qb01 {
        assert!(r.figures.responses >= 5, "a cell of {}: {:?}", r.figures.responses, r.answer);
    }
    // Differencing: the unit's total less every row shown alone leaves the
    // merged row, which holds k or more.
    let total = report.units.iter().find(|u| u.unit == "QB01").expect("QB01").figures.responses;
    assert_eq!(total, 20);
    assert_eq!(qb01.iter().map(|r| r.figures.responses).sum::<u64>(), total, "every answer in one row");
    let merged: Vec<_> = qb01.iter().filter(|r| r.answer.as_deref().is_some_and(|a| a.starts_with("Gộp:"))).collect();
    assert_eq!(merged.len(), 1, "{qb01:?}");
    assert_eq!(merged[0].figures.responses, 5, "women and «other» together");
    assert!(!qb01.iter().any(|r| r.answer.as_deref() == Some("Khác")), "«other» alone is never shown");

    // The same as the page and the API give it.
    let server = common::spawn_server(&db, &[]);
    let analyst = common::analyst(&db, &server.base).await;
    let page = analyst
        .get(format!("{}/reports/{}?by=unit,question:GT", server.base, campaign.id))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(!page.contains("1 phiếu"), "the page shows a cell of one");
}

#[tokio::test]
async fn no_exported_row_is_unique_on_its_quasi_identifiers() {
    let (_db, store, campaign) = setup(4).await;
    citizens_by_gender(&*store, &campaign, &[("nam", 15), ("nu", 4), ("khac", 1)]).await;
    let mut out = Vec::new();
    let n = sipas_aggregator::export::csv(&*store, &campaign, &mut out, &|_| {}).await.expect("export");
    assert_eq!(n, 20);
    let text = String::from_utf8(out).expect("utf8");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let at = |c: &str| header.iter().position(|h| h == c).expect(c);
    let quasi = ["unit", "group", "field", "submitted_at", "GT", "DT", "DTOC", "HV", "NN"].map(at);
    let mut combos: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    let mut withheld = 0;
    for row in reader.records() {
        let row = row.expect("row");
        withheld += quasi.iter().filter(|&&c| &row[c] == sipas_aggregator::export::WITHHELD).count();
        *combos.entry(quasi.iter().map(|&c| row[c].to_owned()).collect()).or_default() += 1;
    }
    // Before: the one «other» was a row of its own, a person.
    assert!(combos.values().all(|n| *n >= 5), "rows shared by fewer than k: {combos:?}");
    assert!(withheld >= 1, "the rare genders were withheld");
    assert!(!text.contains(",khac,"), "the one «other» is not in the export");
    let plan = sipas_aggregator::export::plan(&*store, &campaign).await.expect("plan");
    assert_eq!(plan.generalised, u64::try_from(withheld).expect("n"), "the export says how many values it withheld");
}

#[tokio::test]
async fn paper_ballots_keyed_one_by_one_come_out_in_batches_that_keep_no_order() {
    let (db, store, campaign) = setup(4).await;
    store
        .issue_ballot_numbers(&campaign.id, &[("QB01".into(), "delegates".into(), 8)], "admin")
        .await
        .expect("numbers");
    let numbers: Vec<String> = store
        .ballot_numbers(&campaign.id, Some("QB01"))
        .await
        .expect("numbers")
        .into_iter()
        .filter(|b| b.group == "delegates")
        .map(|b| b.number)
        .collect();
    assert_eq!(numbers.len(), 8);
    let key = |number: &String, cells: BTreeMap<String, String>| {
        let (store, campaign, number) = (store.clone(), campaign.clone(), number.clone());
        async move { key_one(&*store, &campaign, paper_ballot(&number, "delegates", None, campaign.opens, cells)).await }
    };
    let mut generator = Generator::new(&campaign, 3).expect("generator");
    // The enumerator marks a person «answered on paper», then keys that
    // person's ballot, eight times: each keying its own transaction.
    for (i, number) in numbers.iter().enumerate() {
        let mut cells = loop {
            let r = generator.response();
            if r.group == "delegates" {
                break r.cells;
            }
        };
        cells.insert("D10".into(), format!("phiếu giấy {i}."));
        key(number, cells).await.expect("key");
    }
    // The same number twice is refused, though it is not yet marked used.
    let refused = key(&numbers[7], BTreeMap::new()).await;
    assert!(refused.is_err_and(|e| e.to_string().contains("đã được nhập rồi")));

    // Five came out together; three wait for more. Before: 8 responses at
    // once, ids, audit lines and used_at in keying order, 8 of 8 pinned.
    let rows = released(&db).await;
    assert_eq!(rows.len(), 5);
    let mut looks: BTreeMap<&str, usize> = BTreeMap::new();
    for (look, _) in &rows {
        *looks.entry(look.as_str()).or_default() += 1;
    }
    assert!(looks.values().all(|n| *n >= 5), "{looks:?}");
    let used =
        common::query_strings(&db, "SELECT CAST(used_at AS TEXT) FROM ballot_numbers WHERE used_at IS NOT NULL").await;
    assert_eq!(used.len(), 5, "numbers are marked used when released, not when keyed");
    assert!(used.iter().all(|u| *u == used[0]), "one time for the whole batch: {used:?}");
    let board = store.quota_board(&campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB01" && r.group == "delegates").expect("row");
    assert_eq!(row.answered, 8, "every keyed ballot counts against the quota at once");
    // No audit line names a ballot's number.
    let log = store.audit_log(&campaign.id, 100, 0).await.expect("log");
    assert!(log.iter().all(|e| numbers.iter().all(|n| !format!("{e:?}").contains(n.as_str()))));
}

#[tokio::test]
async fn a_long_comment_seals_to_the_same_size_as_a_short_one() {
    let (db, store, campaign) = setup(4).await;
    let mut generator = Generator::new(&campaign, 8).expect("generator");
    // 1,000 double quotes, 1,000 emoji, 1,000 control characters, a word:
    // before, 8 KiB beside 4 KiB.
    for comment in ["\"".repeat(1000), "😀".repeat(1000), "\u{1}".repeat(1000), "tốt".to_owned()] {
        let mut cells = loop {
            let r = generator.response();
            if r.group == "delegates" {
                break r.cells;
            }
        };
        cells.insert("D10".into(), comment);
        submit_delegate(&*store, &campaign, &cells).await;
    }
    let sizes = common::query_strings(&db, "SELECT CAST(LENGTH(sealed) AS TEXT) FROM held_answers").await;
    assert_eq!(sizes.len(), 4);
    assert!(sizes.iter().all(|s| *s == sizes[0]), "sealed sizes tell answers apart: {sizes:?}");
    if db.is_postgres() {
        // Each held answer stays in its row, one page, not in TOAST chunks
        // (at 8 KiB four chunks a row, a third of a submission's time).
        let toasted = common::query_strings(
            &db,
            "SELECT CAST(pg_relation_size(reltoastrelid) AS TEXT) FROM pg_class WHERE oid = to_regclass('held_answers')",
        )
        .await;
        assert_eq!(toasted, vec!["0".to_owned()], "held answers went to TOAST");
    }
}

#[test]
fn a_questionnaire_whose_longest_answer_would_not_fit_one_sealed_block_is_refused() {
    let path = common::example_campaign().with_file_name("par-delegates.toml");
    let text = std::fs::read_to_string(&path).expect("questionnaire");
    let long = text.replace("max_length = 1000", "max_length = 20000");
    let err = sipas_shared::model::questionnaire::Questionnaire::from_toml(&path, &long).expect_err("refused");
    assert!(err.to_string().contains("max_length"), "{err}");
    assert!(sipas_shared::model::questionnaire::Questionnaire::from_toml(&path, &text).is_ok());
}

/// The export as CSV rows: each row's quasi-identifiers, and how many rows
/// share them.
async fn exported_classes(store: &dyn Store, campaign: &Campaign) -> BTreeMap<Vec<String>, usize> {
    let mut out = Vec::new();
    sipas_aggregator::export::csv(store, campaign, &mut out, &|_| {}).await.expect("export");
    let text = String::from_utf8(out).expect("utf8");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let at = |c: &str| header.iter().position(|h| h == c).expect(c);
    let quasi = ["unit", "group", "field", "submitted_at", "GT", "DT", "DTOC", "HV", "NN"].map(at);
    let mut combos: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for row in reader.records() {
        let row = row.expect("row");
        *combos.entry(quasi.iter().map(|&c| row[c].to_owned()).collect()).or_default() += 1;
    }
    combos
}

#[tokio::test]
async fn a_row_left_alone_after_generalising_joins_a_class_of_k() {
    // Found in review: (man, 25–34) × 4 and (man, 35–49) × 1 merge into
    // (man, «không công bố») = 5 and stop; the one woman gave up everything
    // and still stood alone beside rows that all say «man».
    let (_db, store, campaign) = setup(4).await;
    citizens_by_profile(&*store, &campaign, &[("nam", "25-34", 4), ("nam", "35-49", 1), ("nu", "u25", 1)]).await;
    let combos = exported_classes(&*store, &campaign).await;
    assert_eq!(combos.values().sum::<usize>(), 6, "nothing lost: {combos:?}");
    assert!(combos.values().all(|n| *n >= 5), "{combos:?}");
}

/// One ballot number printed for QB01's `group`.
async fn one_number(store: &dyn Store, campaign: &Campaign, group: &str) -> String {
    store.issue_ballot_numbers(&campaign.id, &[("QB01".into(), group.into(), 1)], "admin").await.expect("numbers");
    store.ballot_numbers(&campaign.id, Some("QB01")).await.expect("numbers").remove(0).number
}

/// A delegate's answers as the generator makes them.
fn delegate_cells(generator: &mut Generator) -> BTreeMap<String, String> {
    loop {
        let r = generator.response();
        if r.group == "delegates" {
            break r.cells;
        }
    }
}

/// A paper ballot of QB01 with its printed number.
fn paper_ballot(
    number: &str,
    group: &str,
    field: Option<String>,
    day: chrono::NaiveDate,
    cells: BTreeMap<String, String>,
) -> sipas_shared::store::StoredResponse {
    sipas_shared::store::StoredResponse {
        unit: "QB01".into(),
        group: group.into(),
        field,
        submitted_on: day,
        source: "paper".into(),
        ballot: Some(number.to_owned()),
        cells,
    }
}

/// Keys one ballot on the enumerator's page.
async fn key_one(
    store: &dyn Store,
    campaign: &Campaign,
    ballot: sipas_shared::store::StoredResponse,
) -> Result<(), sipas_shared::store::StoreError> {
    use sipas_shared::store::field::{Audit, PaperBatch};
    let audit = Audit {
        actor: "keyer",
        campaign: &campaign.id,
        action: sipas_shared::model::AuditAction::KeyBallot,
        subject: "QB01",
        detail: "một phiếu",
    };
    let ballots = [(1, ballot)];
    store
        .key_paper_ballots(
            &campaign.id,
            PaperBatch { ballots: &ballots, allow_over_quota: false, fingerprint: None, audit },
        )
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_paper_ballot_released_among_online_answers_looks_like_them() {
    // Found in review: in a batch of four online answers and one ballot keyed
    // on the page, `source = paper` and the ballot's number were the one
    // person the enumerator marked «trả lời trên giấy». And paper is never
    // "fast": four online answers flagged fast left the one unflagged row
    // as the paper ballot.
    let (db, store, campaign) = setup(4).await;
    let number = one_number(&*store, &campaign, "delegates").await;
    let mut generator = Generator::new(&campaign, 9).expect("generator");
    for _ in 0..4 {
        let cells = delegate_cells(&mut generator);
        submit_delegate_flagged(&*store, &campaign, &cells, vec![sipas_shared::store::Flag::Fast]).await;
    }
    let ballot = paper_ballot(&number, "delegates", None, campaign.opens, delegate_cells(&mut generator));
    key_one(&*store, &campaign, ballot).await.expect("key");
    let xmin = if db.is_postgres() { "xmin::text" } else { "''" };
    let sql = format!(
        "SELECT unit || '|' || COALESCE(field, '') || '|' || CAST(submitted_on AS TEXT) || '|' || source || '|' ||
                CASE WHEN ballot IS NULL THEN 'none' WHEN ballot = '{number}' THEN 'number' ELSE 'tag' END || '|' ||
                COALESCE(flags, '') || '|' || {xmin}
         FROM responses"
    );
    let looks = common::query_strings(&db, &sql).await;
    assert_eq!(looks.len(), 5);
    assert!(looks.iter().all(|l| *l == looks[0]), "rows that tell the paper ballot apart: {looks:?}");
    // Found in review: the tag that stops a number being keyed twice was the
    // released row's own tag, so a join of the two tables named the ballot.
    let joined = common::query_strings(
        &db,
        "SELECT CAST(COUNT(*) AS TEXT) FROM responses r JOIN keyed_ballots k ON k.campaign_id = r.campaign_id AND k.tag = r.ballot",
    )
    .await;
    assert_eq!(joined, ["0"], "no released row joins the keyed numbers");
    // The review page still learns that four answers of the batch were fast.
    let batches = store.releases(&campaign.id).await.expect("releases");
    assert_eq!(batches.iter().map(|b| (b.n, b.fast)).collect::<Vec<_>>(), [(5, 4)]);
    // The ballot can still be withdrawn by its number, and the number is used.
    store.withdraw_ballot(&campaign.id, "QB01", &number, "nhập nhầm", "lan").await.expect("withdraw");
    assert_eq!(store.anonymity(&campaign.id).await.expect("a").excluded, 1);
}

/// A citizen's questionnaire with every rating the same: what the review
/// flags as straight-lined.
fn straight_citizen(campaign: &Campaign) -> BTreeMap<String, String> {
    let q = campaign.questionnaire_of("citizens").expect("questionnaire");
    let mut cells = BTreeMap::new();
    for x in q.questions() {
        let v = match x.kind {
            QuestionKind::Likert5 => "4".to_owned(),
            QuestionKind::Yesno => "0".to_owned(),
            QuestionKind::Number => "1".to_owned(),
            QuestionKind::Text => continue,
            QuestionKind::Single | QuestionKind::Multi => x.options[0].code.clone(),
        };
        cells.insert(x.code.clone(), v);
    }
    let answers = q.check_answers(&cells).expect("the form takes it");
    assert!(answers.straight_lined());
    answers.to_cells()
}

#[tokio::test]
async fn a_straight_lined_paper_ballot_carries_the_flag_an_online_one_does() {
    // Straight-lining shows in the answers: a ballot that kept no flag where
    // the online answers beside it, alike in every rating, were flagged, was
    // the one row the «trả lời trên giấy» mark names.
    let (db, store, campaign) = setup(4).await;
    let field = campaign.fields[0].clone();
    let number = one_number(&*store, &campaign, "citizens").await;
    let cells = straight_citizen(&campaign);
    let answers = campaign.questionnaire_of("citizens").expect("q").check_answers(&cells).expect("valid");
    for _ in 0..4 {
        let token = store
            .create_invitation(&NewInvitation {
                campaign: campaign.id.clone(),
                unit: sipas_shared::UnitCode::parse("QB01").expect("unit"),
                group: "citizens".into(),
                field: Some(field.clone()),
                person: None,
            })
            .await
            .expect("invite");
        assert_eq!(store.submit(&token, &answers, campaign.opens).await.expect("submit"), Submission::Stored);
    }
    key_one(&*store, &campaign, paper_ballot(&number, "citizens", Some(field), campaign.opens, cells))
        .await
        .expect("key");
    let flags = common::query_strings(&db, "SELECT COALESCE(flags, 'none') FROM responses").await;
    assert_eq!(flags, ["straight"; 5], "every row alike, the ballot among them");
}

#[tokio::test]
async fn numbers_keyed_before_keyed_tags_are_retagged_and_still_refuse_a_second_keying() {
    let (db, store, campaign) = setup(4).await;
    let number = one_number(&*store, &campaign, "delegates").await;
    let mut generator = Generator::new(&campaign, 5).expect("generator");
    let ballot = paper_ballot(&number, "delegates", None, campaign.opens, delegate_cells(&mut generator));
    key_one(&*store, &campaign, ballot.clone()).await.expect("keyed once");
    // As a database from before this version holds it: the keyed tag was the
    // released row's tag, and the retagging has not run.
    let old = store.service_key().ballot_tag(&campaign.id, &number);
    let new = store.service_key().keyed_tag(&campaign.id, &number);
    common::query_tuples(&db, &format!("UPDATE keyed_ballots SET tag = '{old}'")).await;
    common::query_tuples(&db, "DELETE FROM service_settings WHERE name = 'keyed_tags'").await;
    drop(store);
    let store = store::connect(&db.url).await.expect("reopen");
    assert_eq!(common::query_strings(&db, "SELECT tag FROM keyed_ballots").await, [new]);
    let refused = key_one(&*store, &campaign, ballot).await;
    assert!(refused.is_err(), "the same number keyed again: {refused:?}");
}

#[tokio::test]
async fn a_ballot_file_of_two_is_not_a_batch_of_two() {
    use sipas_shared::store::field::{Audit, PaperBatch};
    // Before: a file keyed elsewhere went into the answers whole, so a file
    // of two delegates' ballots was a batch of two under k = 5, and the
    // «answered on paper» marks named the two people it could be.
    let (_db, store, campaign) = setup(4).await;
    let mut generator = Generator::new(&campaign, 5).expect("generator");
    let mut ballots = Vec::new();
    while ballots.len() < 2 {
        let r = generator.response();
        if r.group == "delegates" && r.unit == "QB01" {
            let mut r = r;
            r.source = "paper".into();
            r.ballot = None;
            ballots.push((ballots.len() + 2, r));
        }
    }
    let audit = Audit {
        actor: "keyer",
        campaign: &campaign.id,
        action: sipas_shared::model::AuditAction::PaperImport,
        subject: "-",
        detail: "phieu.csv",
    };
    let batch = PaperBatch { ballots: &ballots, allow_over_quota: false, fingerprint: Some("f1"), audit };
    store.key_paper_ballots(&campaign.id, batch).await.expect("import");
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 0, "nothing released under k");
    assert_eq!(store.anonymity(&campaign.id).await.expect("anonymity").held, 2, "both wait, sealed");
    let board = store.quota_board(&campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB01" && r.group == "delegates").expect("row");
    assert_eq!(row.answered, 2, "the quota counts them at once");
    // Three more delegates answer online: the cell holds k and is released
    // as one batch of five, paper and online alike.
    for _ in 0..3 {
        let cells = loop {
            let r = generator.response();
            if r.group == "delegates" {
                break r.cells;
            }
        };
        submit_delegate(&*store, &campaign, &cells).await;
    }
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 5);
}

/// The province example open today, HS001's villages and households drawn.
async fn households_drawn() -> (TestDb, std::sync::Arc<dyn Store>, Campaign) {
    use sipas_shared::ops::frame::{Allow, Provenance};
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let mut campaign = sipas_shared::files::examples::province().expect("province");
    let today = sipas_shared::model::clock::day_in(&campaign.timezone, sipas_shared::model::clock::now());
    (campaign.opens, campaign.closes) = (today, today + chrono::Duration::days(30));
    store.save_campaign(&campaign).await.expect("save");
    let from = Provenance { actor: "test", file_name: "villages.csv" };
    let rows = sipas_shared::files::frame::csv_rows(sipas_shared::files::examples::province_villages());
    sipas_shared::ops::households::import_villages(&*store, &campaign, &rows, Allow::default(), from)
        .await
        .expect("villages");
    sipas_shared::ops::households::draw_villages(&*store, &campaign, 7, "test").await.expect("draw villages");
    let list = std::fs::read(common::root().join("examples/province-2026/households/HS001.csv")).expect("list");
    let rows = sipas_shared::files::villages::list_rows("HS001.csv", &list).expect("rows");
    let unit = sipas_shared::UnitCode::parse("HS001").expect("unit");
    let from = Provenance { actor: "test", file_name: "HS001.csv" };
    sipas_shared::ops::households::import_households(&*store, &campaign, &unit, &rows, Allow::default(), from)
        .await
        .expect("households");
    sipas_shared::ops::sampling::run(&*store, &campaign, 7, 50, "test").await.expect("sample");
    (db, store, campaign)
}

#[tokio::test]
async fn a_design_weight_never_singles_out_a_households_answer() {
    let (db, store, campaign) = households_drawn().await;
    let slips: Vec<_> = store
        .slips(&campaign.id, Some("HS001"))
        .await
        .expect("slips")
        .into_iter()
        .filter(|s| s.group == "households" && s.reserve_rank.is_none())
        .collect();
    let mut villages: Vec<String> = slips.iter().filter_map(|s| s.field.clone()).collect();
    villages.sort();
    villages.dedup();
    assert_eq!(villages.len(), 3);
    // 7, 8 and 4 households of the three villages answer: each village
    // releases a batch of 5 and keeps 2, 3 and 4, which close pools.
    let mut generator = Generator::new(&campaign, 5).expect("generator");
    let questionnaire = campaign.questionnaire_of("households").expect("questionnaire");
    for (village, answering) in villages.iter().zip([7usize, 8, 4]) {
        for slip in slips.iter().filter(|s| s.field.as_ref() == Some(village)).take(answering) {
            let cells = loop {
                let r = generator.response();
                if r.group == "households" {
                    break r.cells;
                }
            };
            let answers = questionnaire.check_answers(&cells).expect("valid answers");
            assert_eq!(store.submit(&slip.token, &answers, campaign.opens).await.expect("submit"), Submission::Stored);
        }
    }
    close(&*store, &campaign).await;
    let cells = store.design_cells(&campaign.id).await.expect("cells");
    let weight_of = |field: &str| cells.iter().find(|c| c.field == field).map(|c| c.weight());
    // What anyone holding the database can tie to an answer: its cell, its
    // day, its transaction (PostgreSQL) and, through the cell, its weight.
    let mut crowds: BTreeMap<String, usize> = BTreeMap::new();
    let rows = released(&db).await;
    assert_eq!(rows.len(), 19, "every answer released at close");
    for (look, _) in &rows {
        let field = look.split('|').nth(2).unwrap_or_default();
        let weight = weight_of(field).map_or_else(|| "mean of the commune".to_owned(), |w| format!("{w:.6}"));
        *crowds.entry(format!("{look}|{weight}")).or_default() += 1;
    }
    assert!(crowds.values().all(|n| *n >= 5), "an answer in a crowd under k: {crowds:?}");
    // The design is kept by village, never by answer: no column of
    // `responses` holds a weight or a chance.
    let columns = if db.is_postgres() {
        common::query_strings(&db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'responses'")
            .await
    } else {
        common::query_strings(&db, "SELECT name FROM pragma_table_info('responses')").await
    };
    assert!(columns.iter().all(|c| !c.contains("weight") && !c.contains("chance")), "{columns:?}");
    // The weighted report rests on the same batches.
    let report = load::report(&*store, &campaign, By::Unit, None, &|_| {}).await.expect("report");
    let design = report.design.expect("design figures");
    assert_eq!(design.sipas.expect("SIPAS").answers, 19);
}

/// Citizens of `unit` in the first field: `n` answers that came from
/// `source`, each with `comment` as its free text.
fn citizens_from(campaign: &Campaign, unit: &str, source: &str, n: usize, comment: &str) -> Vec<store::StoredResponse> {
    let mut generator = Generator::new(campaign, 11).expect("generator");
    let mut rows = Vec::new();
    while rows.len() < n {
        let mut r = generator.response();
        if r.group != "citizens" {
            continue;
        }
        r.unit = unit.into();
        r.field = Some(campaign.fields[0].clone());
        r.source = source.into();
        r.cells.insert("YK".into(), comment.into());
        rows.push(r);
    }
    rows
}

/// A filter by source is a differencing machine: QB01's citizens gave 15
/// answers online and one on paper, in one field. «Paper only» would show that one
/// answer, and «online only» everything but it, the whole less it. Both
/// leave QB01's cell out (and say so); QB02's 10 online and 6 paper
/// answers, each at least k, are shown under both. Nothing of the paper
/// answer reaches the filtered figures, comments or files.
#[tokio::test]
async fn a_filter_by_source_never_shows_one_answer_or_the_whole_less_one() {
    let (db, store, campaign) = setup(4).await;
    let mut rows = citizens_from(&campaign, "QB01", "online", 15, "ổn");
    rows.extend(citizens_from(&campaign, "QB01", "paper", 1, "người-trên-giấy"));
    rows.extend(citizens_from(&campaign, "QB02", "online", 10, "ổn"));
    rows.extend(citizens_from(&campaign, "QB02", "paper", 6, "giấy-QB02"));
    store.insert_responses(&campaign.id, &rows).await.expect("insert");

    let responses =
        |r: &report::Report, unit: &str| r.units.iter().find(|u| u.unit == unit).map_or(0, |u| u.figures.responses);
    let all = load::report(&*store, &campaign, By::Unit, None, &|_| {}).await.expect("report");
    assert_eq!((responses(&all, "QB01"), responses(&all, "QB02")), (16, 16));
    for (source, qb02) in [("paper", 6), ("online", 10)] {
        let filter = sipas_aggregator::filter::Filter::parse(Some(source), None, None).expect("filter");
        let r =
            load::report_of_group(&*store, &campaign, By::Group, None, None, &filter, &|_| {}).await.expect("report");
        assert_eq!(responses(&r, "QB01"), 0, "{source}: QB01's 15 + 1 would be split");
        assert_eq!(responses(&r, "QB02"), qb02, "{source}");
        let note = r.filter.as_ref().expect("the filter is told");
        assert_eq!((note.cells_withheld, note.answers), (1, qb02), "{source}");
        let json = serde_json::to_string(&r).expect("json");
        assert!(!json.contains("người-trên-giấy"), "{source}: the paper answer's comment is shown");
        assert_eq!(json.contains("giấy-QB02"), source == "paper", "{source}");
        for row in &r.breakdown.as_ref().expect("by unit and field").rows {
            assert!(row.figures.responses == 0 || row.figures.responses >= 5, "{source}: {row:?}");
        }
    }

    // Chunks written before they kept the source (the migration empties
    // them) are encoded again from the responses, with it.
    assert!(common::query_strings(&db, "DELETE FROM answer_chunks").await.is_empty());
    let paper = sipas_aggregator::filter::Filter::parse(Some("paper"), None, None).expect("filter");
    let again = load::report_of_group(&*store, &campaign, By::Unit, None, None, &paper, &|_| {}).await.expect("report");
    assert_eq!((responses(&again, "QB01"), responses(&again, "QB02")), (0, 6));

    // The same through the page, the downloads and the API.
    let server = common::spawn_server(&db, &[]);
    let analyst = common::analyst(&db, &server.base).await;
    let get = |path: String| {
        let analyst = analyst.clone();
        let base = server.base.clone();
        async move {
            let resp = analyst.get(format!("{base}{path}")).send().await.expect("get");
            (resp.status().as_u16(), resp.text().await.expect("body"))
        }
    };
    let (status, page) = get(format!("/reports/{}?source=paper", campaign.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Đang lọc: <strong>nguồn Phiếu giấy</strong> — 6 phiếu."), "the page says what it shows");
    assert!(page.contains("1 ô (đơn vị × nhóm × lĩnh vực) không được tính"), "the page says what it left out");
    assert!(page.contains("download/report.xlsx?source=paper"), "the downloads keep the filter");
    assert!(!page.contains("người-trên-giấy"));
    let (status, json) = get(format!("/reports/{}/download/report.json?source=online", campaign.id)).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(json["filter"]["cells_withheld"], 1);
    assert_eq!(json["totals"]["responses"], 10);
    let api = common::bearer_client(&common::api_token(&db, "may-phan-tich", "analyst", &[]));
    for (query, field) in [
        ("source=fax", "source"),
        ("from=11/2026", "from"),
        ("by=unit,question:GT&source=paper", "by"),
        ("compare=hoa-son-2025&source=paper", "compare"),
    ] {
        let resp = api
            .get(format!("{}/api/v1/campaigns/{}/report?{query}", server.base, campaign.id))
            .send()
            .await
            .expect("get");
        let (status, body) = (resp.status().as_u16(), resp.text().await.expect("body"));
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body.contains(&format!("\"{field}\"")), "{query}: {body}");
    }
}

/// A paper ballot released in one batch with four online answers: the
/// responses say «mixed» for all five, and so must the answers kept column
/// by column, which carry each answer's source for filtered reports. Read
/// as someone holding the database: no source in any cell's chunks is
/// carried by fewer than k answers. Before, the chunks said «paper» for
/// the one ballot, whose keyer knows whose it is.
#[tokio::test]
async fn a_paper_ballot_among_online_answers_is_no_crowd_of_one_in_the_chunks() {
    use sipas_shared::store::columns::{self, decode};
    let (db, store, campaign) = setup(4).await;
    let mut generator = Generator::new(&campaign, 9).expect("generator");
    let mut delegate = || loop {
        let r = generator.response();
        if r.group == "delegates" {
            break r.cells;
        }
    };
    for _ in 0..4 {
        submit_delegate(&*store, &campaign, &delegate()).await;
    }
    store
        .issue_ballot_numbers(&campaign.id, &[("QB01".into(), "delegates".into(), 1)], "admin")
        .await
        .expect("numbers");
    let number = store.ballot_numbers(&campaign.id, Some("QB01")).await.expect("numbers")[0].number.clone();
    key_one(&*store, &campaign, paper_ballot(&number, "delegates", None, campaign.opens, delegate()))
        .await
        .expect("key");
    let sources = common::query_strings(&db, "SELECT source FROM responses").await;
    assert_eq!(sources, vec!["mixed"; 5], "the five came out as one batch");
    let mut kept: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (unit, group, _, _, body) in store.answer_chunks(&campaign.id).await.expect("chunks") {
        let d = decode(&body).expect("chunk");
        let at = d.questions.iter().position(|q| q == columns::SOURCE).expect("each row keeps its source");
        for r in 0..d.rows {
            let source = d.answers[usize::from(d.get(r, at)) - 1].clone();
            *kept.entry((format!("{unit}/{group}"), source)).or_default() += 1;
        }
    }
    assert_eq!(kept, BTreeMap::from([(("QB01/delegates".to_owned(), "mixed".to_owned()), 5)]));
    // And a report of paper answers only has none of them.
    let paper = sipas_aggregator::filter::Filter::parse(Some("paper"), None, None).expect("filter");
    let r = load::report_of_group(&*store, &campaign, By::Unit, None, None, &paper, &|_| {}).await.expect("report");
    assert_eq!(r.totals.figures.responses, 0);
}

/// After a reviewer's exclusions a part of a field can fall below k though
/// the unit's parts do not: QB01's citizens gave 5 online and 5 paper
/// answers in one field and 10 online in another; 4 of the first field's
/// online answers are excluded. By unit, online (11) and paper (5) both
/// hold k; but the page by unit and field shows the first field's 6, and
/// that less the unit's 5 paper answers would be the one online answer
/// left there. Parts are grouped within each field, so the first field is
/// in no source's figures, and its one answer in no difference.
#[tokio::test]
async fn an_exclusion_does_not_leave_a_field_to_be_subtracted_from() {
    let (db, store, campaign) = setup(4).await;
    let field = |i: usize| campaign.fields[i].clone();
    let mut rows = citizens_from(&campaign, "QB01", "online", 5, "ổn");
    rows.extend(citizens_from(&campaign, "QB01", "paper", 5, "giấy"));
    let mut second = citizens_from(&campaign, "QB01", "online", 10, "ổn");
    for r in &mut second {
        r.field = Some(field(1));
    }
    rows.extend(second);
    store.insert_responses(&campaign.id, &rows).await.expect("insert");
    let first_online = format!(
        "SELECT CAST(id AS TEXT) FROM responses WHERE field = '{}' AND source = 'online' ORDER BY id LIMIT 4",
        field(0)
    );
    use sipas_shared::store::field::Review;
    for id in common::query_strings(&db, &first_online).await {
        let id: i64 = id.parse().expect("id");
        store.review_response(&campaign.id, id, Review::Exclude("trùng"), "quan-tri").await.expect("exclude");
    }
    let by_field = load::report(&*store, &campaign, By::UnitField, None, &|_| {}).await.expect("report");
    let first: u64 = by_field
        .breakdown
        .as_ref()
        .expect("breakdown")
        .rows
        .iter()
        .filter(|r| r.unit.as_deref() == Some("QB01") && r.field.as_deref() == Some(field(0).as_str()))
        .map(|r| r.figures.responses)
        .sum();
    assert_eq!(first, 6, "the first field's row, as the page shows it");
    for (source, taken) in [("paper", 0), ("online", 10)] {
        let filter = sipas_aggregator::filter::Filter::parse(Some(source), None, None).expect("filter");
        let r = load::report_of_group(&*store, &campaign, By::UnitField, None, None, &filter, &|_| {})
            .await
            .expect("report");
        let qb01 = r.units.iter().find(|u| u.unit == "QB01").map_or(0, |u| u.figures.responses);
        assert_eq!(qb01, taken, "{source}: only the second field's whole parts");
        assert_eq!(r.filter.as_ref().expect("note").cells_withheld, 1, "{source}");
    }
}
