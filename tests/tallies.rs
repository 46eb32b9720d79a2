//! Reports read the counts the store keeps as answers arrive. Those counts must
//! equal a recount of every stored response, whichever way the responses came
//! in (online, paper, bulk), and the migration that counts responses stored
//! before the counts existed must agree too — on both backends.

mod common;

use common::{TestDb, example_campaign};
use sipas_aggregator::load;
use sipas_aggregator::report::{self, By, Context};
use sipas_shared::field::demo::Generator;
use sipas_shared::store::{self, NewInvitation, Store, Submission};
use sipas_shared::{Answer, Campaign, QuestionKind};

async fn report_json(store: &dyn Store, campaign: &Campaign, streamed: bool) -> serde_json::Value {
    let agg = if streamed {
        load::aggregate_streamed(store, campaign, &|_| {}).await.expect("recount")
    } else {
        load::aggregate(store, campaign, &|_| {}).await.expect("tallies")
    };
    let ctx = Context {
        generated_at: "now".into(),
        quotas: store.quota_board(&campaign.id).await.expect("quotas"),
        frame_fields: store.frame_field_counts(&campaign.id).await.expect("frame"),
        appraisals: Vec::new(),
        anonymity: Default::default(),
        texts: load::texts(store, campaign).await.expect("texts"),
        above_unit: Default::default(),
    };
    serde_json::to_value(report::build(&agg, &ctx, By::UnitField)).expect("json")
}

/// Online answers with free text and numbers, like a respondent's.
async fn submit_online(store: &dyn Store, campaign: &Campaign, n: usize) {
    let mut generator = Generator::new(campaign, 99).expect("generator");
    for _ in 0..n {
        let r = generator.response();
        let questionnaire = campaign.questionnaire_of(&r.group).expect("questionnaire");
        let mut cells = r.cells.clone();
        for q in questionnaire.questions() {
            match q.kind {
                QuestionKind::Text => {
                    cells.insert(q.code.clone(), "Cần thêm ghế chờ, ông Nguyễn Văn A rất nhiệt tình".into());
                }
                QuestionKind::Number => {
                    cells.insert(q.code.clone(), "3".into());
                }
                _ => {}
            }
        }
        let answers = questionnaire.check_answers(&cells).expect("valid answers");
        assert!(answers.iter().any(|(_, a)| matches!(a, Answer::Text(_))) || !cells.is_empty());
        let token = store
            .create_invitation(&NewInvitation {
                campaign: campaign.id.clone(),
                unit: sipas_shared::UnitCode::parse(&r.unit).expect("unit"),
                group: r.group.clone(),
                field: r.field.clone(),
                person: None,
            })
            .await
            .expect("invite");
        let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        assert_eq!(store.submit(&token, &answers, on).await.expect("submit"), Submission::Stored);
    }
}

#[tokio::test]
async fn the_kept_counts_equal_a_recount_of_every_response() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = Campaign::load(&example_campaign()).expect("campaign");
    store.save_campaign(&campaign).await.expect("save");
    let mut generator = Generator::new(&campaign, 5).expect("generator");
    let batch: Vec<_> = (0..3000).map(|_| generator.response()).collect();
    store.insert_responses(&campaign.id, &batch[..1000]).await.expect("bulk");
    submit_online(&*store, &campaign, 150).await;
    store.insert_responses(&campaign.id, &batch[1000..]).await.expect("bulk");

    let kept = report_json(&*store, &campaign, false).await;
    let recount = report_json(&*store, &campaign, true).await;
    assert_eq!(kept["units"].as_array().map(Vec::len), Some(16), "15 communes and the district");
    assert_eq!(kept, recount);
    // Free text is never counted: the tallies hold no sentence.
    let tallies = store.tallies(&campaign.id).await.expect("tallies");
    assert!(
        tallies.answers.iter().flat_map(|c| &c.rows).all(|(_, answer, _)| !answer.contains(' ')),
        "no free text in the counts"
    );
    // Online answers reach the counts only in batches of k per cell; the rest
    // wait, and come out when the campaign closes.
    let held = store.anonymity(&campaign.id).await.expect("anonymity").held;
    assert!(held > 0 && held < 150, "some of 150 answers in many cells wait: {held}");
    assert_eq!(tallies.cells.iter().map(|c| c.3).sum::<i64>(), 3150 - held);
    let after_close = campaign.closes.succ_opt().expect("day");
    assert_eq!(
        store
            .sweep(sipas_shared::model::clock::start_of(after_close, &campaign.timezone))
            .await
            .expect("sweep")
            .released_at_close,
        u64::try_from(held).expect("n")
    );
    let kept = report_json(&*store, &campaign, false).await;
    let recount = report_json(&*store, &campaign, true).await;
    assert_eq!(kept, recount, "a release at close keeps the counts equal to a recount");
    let tallies = store.tallies(&campaign.id).await.expect("tallies");
    assert_eq!(tallies.cells.iter().map(|c| c.3).sum::<i64>(), 3150);

    // The migration's count of responses stored before the tallies existed.
    recount_with_the_migration(&db).await;
    let migrated = report_json(&*store, &campaign, false).await;
    assert_eq!(migrated, recount);
}

/// Empties the tallies and runs the migration's INSERTs again.
async fn recount_with_the_migration(db: &TestDb) {
    let dir = if db.is_postgres() { "postgres" } else { "sqlite" };
    let sql =
        std::fs::read_to_string(common::root().join(format!("migrations/{dir}/0004_tallies.sql"))).expect("migration");
    let inserts: Vec<String> = sql
        .split(';')
        .map(|s| s.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n"))
        .filter(|s| s.trim_start().starts_with("INSERT"))
        .collect();
    assert_eq!(inserts.len(), 2);
    let statements =
        ["DELETE FROM tallies".to_owned(), "DELETE FROM cell_counts".to_owned()].into_iter().chain(inserts);
    if db.is_postgres() {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("pg");
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s)).execute(&pool).await.expect("statement");
        }
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s)).execute(&pool).await.expect("statement");
        }
    }
}

/// A breakdown by the answer to `code`, recounted from every stored response.
async fn recounted_by_question(store: &dyn Store, campaign: &Campaign, by: By, code: &str) -> serde_json::Value {
    use futures::TryStreamExt;
    let mut agg = sipas_aggregator::Aggregate::new(campaign);
    let mut stream = store.responses(&campaign.id);
    while let Some(mut r) = stream.try_next().await.expect("response") {
        let Some(q) = campaign.questionnaire_of(&r.group).and_then(|x| x.question(code)) else { continue };
        let answer = r.cells.get(code).and_then(|c| Answer::parse(q, c).ok().flatten());
        r.field = Some(sipas_aggregator::crosstab::label(q, answer.as_ref()));
        agg.add(&r);
    }
    serde_json::to_value(report::question_breakdown(&agg, by, code)).expect("json")
}

async fn kept_by_question(store: &dyn Store, campaign: &Campaign, by: By, code: &str) -> serde_json::Value {
    serde_json::to_value(load::breakdown_by_question(store, campaign, by, code).await.expect("breakdown"))
        .expect("json")
}

/// The breakdown by any question, counted from the answers kept column by
/// column, equals a recount of every response: after bulk loads, online
/// answers released in batches, an exclusion, a restore and a fold of the
/// chunks, and for responses stored before chunks were kept — on both backends.
#[tokio::test]
async fn a_breakdown_by_any_question_equals_a_recount() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = Campaign::load(&example_campaign()).expect("campaign");
    store.save_campaign(&campaign).await.expect("save");
    let mut generator = Generator::new(&campaign, 8).expect("generator");
    let batch: Vec<_> = (0..1500).map(|_| generator.response()).collect();
    store.insert_responses(&campaign.id, &batch[..700]).await.expect("bulk");
    submit_online(&*store, &campaign, 120).await;
    store.insert_responses(&campaign.id, &batch[700..]).await.expect("bulk");
    let cases = [(By::Question, "GT"), (By::UnitQuestion, "DT"), (By::Question, "HL"), (By::UnitQuestion, "GY")];
    for (by, code) in cases {
        let kept = kept_by_question(&*store, &campaign, by, code).await;
        assert!(kept["rows"].as_array().is_some_and(|r| r.len() > 2), "{code}: {kept}");
        assert_eq!(kept, recounted_by_question(&*store, &campaign, by, code).await, "{code}");
    }
    let gender = kept_by_question(&*store, &campaign, By::Question, "GT").await;
    let answers: Vec<&str> =
        gender["rows"].as_array().expect("rows").iter().filter_map(|r| r["answer"].as_str()).collect();
    assert_eq!(answers, ["Nam", "Nữ", "Khác", "Không muốn trả lời", "Không trả lời"]);

    // An exclusion takes a response out (a −1 chunk), a restore puts it back.
    let ids: Vec<i64> = if db.is_postgres() {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("pg");
        sqlx::query_scalar("SELECT id FROM responses ORDER BY id LIMIT 2").fetch_all(&pool).await.expect("ids")
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
        sqlx::query_scalar("SELECT id FROM responses ORDER BY id LIMIT 2").fetch_all(&pool).await.expect("ids")
    };
    use sipas_shared::store::field::Review;
    for id in &ids {
        store.review_response(&campaign.id, *id, Review::Exclude("thử"), "quan-tri").await.expect("exclude");
    }
    let kept = kept_by_question(&*store, &campaign, By::UnitQuestion, "GT").await;
    assert_eq!(kept, recounted_by_question(&*store, &campaign, By::UnitQuestion, "GT").await, "after an exclusion");
    store.review_response(&campaign.id, ids[0], Review::Restore, "quan-tri").await.expect("restore");
    let kept = kept_by_question(&*store, &campaign, By::Question, "GT").await;
    assert_eq!(kept, recounted_by_question(&*store, &campaign, By::Question, "GT").await, "after a restore");
    // Folding each cell's chunks into one changes nothing.
    assert!(store.compact_chunks(0).await.expect("fold") > 0);
    let kept = kept_by_question(&*store, &campaign, By::UnitQuestion, "GT").await;
    assert_eq!(kept, recounted_by_question(&*store, &campaign, By::UnitQuestion, "GT").await, "after folding");

    // Responses stored before chunks were kept are encoded when first needed.
    if db.is_postgres() {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("pg");
        sqlx::query("DELETE FROM answer_chunks").execute(&pool).await.expect("delete");
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
        sqlx::query("DELETE FROM answer_chunks").execute(&pool).await.expect("delete");
    }
    let kept = kept_by_question(&*store, &campaign, By::Question, "NN").await;
    assert_eq!(kept, recounted_by_question(&*store, &campaign, By::Question, "NN").await, "encoded again");
}

/// The tallies are read one cell a row, its answers joined by control
/// characters; a stored code that holds one of them (an option renamed with
/// it, a row written by hand) sends that cell back to be read row by row,
/// and every count comes back as stored — on both backends.
#[tokio::test]
async fn a_code_holding_the_separator_is_read_row_by_row() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = Campaign::load(&example_campaign()).expect("campaign");
    store.save_campaign(&campaign).await.expect("save");
    let mut generator = Generator::new(&campaign, 3).expect("generator");
    let batch: Vec<_> = (0..200).map(|_| generator.response()).collect();
    store.insert_responses(&campaign.id, &batch).await.expect("bulk");
    let before = store.tallies(&campaign.id).await.expect("tallies");
    let cell = &before.answers[0];
    let odd = [("QX\u{1e}1", "a\u{1f}b", 7i64), ("QX2", "\u{1e}", 2)];
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    for (question, answer, n) in odd {
        let field = cell.field.clone().unwrap_or_default();
        let values = [campaign.id.as_str(), &cell.unit, &cell.group, &field, question, answer].map(quote).join(", ");
        let sql = format!(
            "INSERT INTO tallies (campaign_id, unit, group_code, field, question, answer, n) VALUES ({values}, {n}) \
             RETURNING CAST(n AS TEXT)"
        );
        assert_eq!(common::query_strings(&db, &sql).await, vec![n.to_string()]);
    }
    let after = store.tallies(&campaign.id).await.expect("tallies");
    let rows = |t: &sipas_shared::store::Tallies| {
        let mut all: Vec<(String, String, Option<String>, String, String, i64)> = t
            .answers
            .iter()
            .flat_map(|c| {
                c.rows
                    .iter()
                    .map(|(q, a, n)| (c.unit.clone(), c.group.clone(), c.field.clone(), q.clone(), a.clone(), *n))
            })
            .collect();
        all.sort();
        all
    };
    let mut expected = rows(&before);
    for (question, answer, n) in odd {
        expected.push((cell.unit.clone(), cell.group.clone(), cell.field.clone(), question.into(), answer.into(), n));
    }
    expected.sort();
    assert_eq!(rows(&after), expected);
    assert_eq!(after.answers.len(), before.answers.len(), "one entry a cell still");
}
