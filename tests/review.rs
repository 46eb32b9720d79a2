//! Suspicious answers (SPEC §10): flagged as they arrive, listed for an admin,
//! excluded with a reason and restored, the kept counts always equal to a
//! recount of the responses still in the indices; a wrongly keyed paper
//! ballot withdrawn by its number.

mod common;

use common::{TestDb, add_user, fixture, sipas, spawn_server, stderr};
use sipas_aggregator::load;
use sipas_aggregator::report::{self, By, Context};
use sipas_shared::store::field::Review;
use sipas_shared::store::{self, Flag, NewInvitation, Store};
use sipas_shared::{Campaign, UnitCode};

/// The report from the kept counts and from a recount of every response in
/// the indices, as JSON: they must be equal.
async fn kept_and_recount(store: &dyn Store, campaign: &Campaign) -> (serde_json::Value, serde_json::Value) {
    let ctx = Context {
        generated_at: "now".into(),
        quotas: store.quota_board(&campaign.id).await.expect("quotas"),
        frame_fields: store.frame_field_counts(&campaign.id).await.expect("frame"),
        ..Default::default()
    };
    let kept = load::aggregate(store, campaign, &|_| {}).await.expect("kept");
    let recount = load::aggregate_streamed(store, campaign, &|_| {}).await.expect("recount");
    let json = |agg| serde_json::to_value(report::build(&agg, &ctx, By::UnitField)).expect("json");
    (json(kept), json(recount))
}

/// A citizen's answers as a phone posts them, every rating `level`.
fn form(level: &str, comment: &str) -> Vec<(&'static str, String)> {
    let mut f: Vec<(&str, String)> =
        ["q.HL", "q.HL1", "q.HL2", "q.HL3", "q.HL4"].into_iter().map(|q| (q, level.to_owned())).collect();
    f.extend([("q.GY", "0".to_owned()), ("q.CT", "a".to_owned()), ("q.YK", comment.to_owned())]);
    f.push(("action", "submit".to_owned()));
    f
}

#[tokio::test]
async fn suspicious_answers_are_flagged_and_an_admin_excludes_one_with_the_counts_kept_exact() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = common::example_open_today();
    store.save_campaign(&campaign).await.expect("save");
    add_user(&db, "quan-tri", "admin", &[]);
    let server = spawn_server(&db, &[]);
    let client = reqwest::Client::new();
    // Ten answers posted one after the other from one address, without ever
    // loading the questionnaire: five all "1", five mixed.
    for i in 0..10 {
        let token = store
            .create_invitation(&NewInvitation {
                campaign: campaign.id.clone(),
                unit: UnitCode::parse("QB06").expect("unit"),
                group: "citizens".into(),
                field: Some("Đất đai".into()),
                person: None,
            })
            .await
            .expect("invite");
        let answers = if i < 5 { form("1", "tệ") } else { form(["5", "4", "3"][i % 3], "được") };
        let mut answers = answers;
        if i >= 5 {
            answers[1].1 = "2".into();
        }
        let resp = client.post(format!("{}/s/{token}", server.base)).form(&answers).send().await.expect("post");
        assert_eq!(resp.status().as_u16(), 200);
    }
    let listed = store.review_list(&campaign.id).await.expect("list");
    assert_eq!(listed.len(), 10, "every one flagged: none loaded the page");
    assert!(listed.iter().all(|r| r.flags.contains(&Flag::Fast)));
    assert_eq!(listed.iter().filter(|r| r.flags.contains(&Flag::Straight)).count(), 5);
    // A burst tells when an answer came: never on the response (the answered
    // list would match it), only counted per released batch.
    assert_eq!(listed.iter().filter(|r| r.flags.contains(&Flag::Burst)).count(), 0);
    let bursts: i64 = store.releases(&campaign.id).await.expect("releases").iter().map(|b| b.burst).sum();
    assert_eq!(bursts, 5, "the sixth on from one address");
    // Only coarse signals: nothing in a response row names an address.
    let rows: Vec<String> = listed.iter().map(|r| format!("{r:?}")).collect();
    assert!(rows.iter().all(|r| !r.contains("127.0.0.1")));

    // The admin's page lists them; one straight-lined answer is excluded.
    let admin = common::sign_in(&server.base, "quan-tri").await;
    let review = format!("{}/admin/campaigns/{}/review", server.base, campaign.id);
    let page = admin.get(&review).send().await.expect("page").text().await.expect("body");
    assert!(page.contains("mọi câu đánh giá cùng một mức") && page.contains("Loại khỏi chỉ số"), "{page}");
    // Answers read as the question and the answer's label, not as codes
    // (before: «CC1=4 … DT=u25 GT=nam»).
    let citizens = campaign.questionnaire_of("citizens").expect("citizens");
    let rating = citizens.questions().find(|q| q.kind == sipas_shared::QuestionKind::Likert5).expect("a rating");
    assert!(page.contains(&format!("<dt>{}</dt>", rating.text)), "question texts on the review list");
    assert!(!page.contains(&format!("{}=", rating.code)), "no CODE=value left: {page}");
    let csrf = common::csrf_in(&page);
    let target = listed.iter().find(|r| r.flags.contains(&Flag::Straight)).expect("straight").id;
    let resp = admin
        .post(format!("{review}/{target}"))
        .form(&[("csrf", csrf.as_str()), ("decision", "exclude"), ("reason", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(store.anonymity(&campaign.id).await.expect("a").excluded, 0, "no exclusion without a reason");
    let before = kept_and_recount(&*store, &campaign).await.0;
    let resp = admin
        .post(format!("{review}/{target}"))
        .form(&[("csrf", csrf.as_str()), ("decision", "exclude"), ("reason", "bấm một mức cho mọi câu")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 303);
    let a = store.anonymity(&campaign.id).await.expect("a");
    assert_eq!(a.excluded, 1);
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 10, "excluded, never deleted");
    let (kept, recount) = kept_and_recount(&*store, &campaign).await;
    assert_eq!(kept, recount, "the counts follow the exclusion exactly");
    assert_ne!(kept, before);
    let qb06 = kept["units"].as_array().expect("units").iter().find(|u| u["unit"] == "QB06").expect("QB06").clone();
    assert_eq!(qb06["responses"], 9);
    let text = sipas(&db, &["report", "--campaign", &campaign.id]);
    assert!(common::stdout(&text).contains("1 phiếu bị loại khỏi chỉ số"), "{}", common::stdout(&text));

    // Restored: back as it was, and reviewed (off the list). Another is kept: its flags go.
    store.review_response(&campaign.id, target, Review::Restore, "quan-tri").await.expect("restore");
    assert_eq!(kept_and_recount(&*store, &campaign).await.0, before);
    let other = listed.iter().find(|r| r.id != target).expect("another").id;
    store.review_response(&campaign.id, other, Review::Keep, "quan-tri").await.expect("keep");
    assert_eq!(store.review_list(&campaign.id).await.expect("list").len(), 8);
    let log = store.audit_log(&campaign.id, 20, 0).await.expect("log");
    for (action, id) in [("exclude_response", target), ("restore_response", target), ("review_keep", other)] {
        assert!(log.iter().any(|e| e.action.code() == action && e.subject == format!("phiếu #{id}")), "{action}");
    }
}

#[tokio::test]
async fn a_wrongly_keyed_paper_ballot_is_withdrawn_by_its_number_and_keyed_again() {
    let db = TestDb::new().await;
    let campaign = fixture("report/campaign.toml");
    assert!(sipas(&db, &["campaign", "load", campaign.to_str().expect("path")]).status.success());
    let numbers = common::stdout(&sipas(&db, &["responses", "numbers", "--campaign", "hand", "--unit", "A"]));
    let number = numbers.lines().find(|l| l.contains(",citizens,")).and_then(|l| l.rsplit(',').next()).expect("n");
    let dir = tempfile::tempdir().expect("dir");
    let keyed = |name: &str, level: &str| {
        let path = dir.path().join(name);
        let body = format!(
            "unit,group,field,submitted_at,ballot,HL,HL1,TC1,HL4,KQ1,CT,P1,P2,P3\nA,citizens,F1,2026-10-02,{number},{level},4,5,4,3,a,,,\n"
        );
        std::fs::write(&path, body).expect("write");
        sipas(&db, &["responses", "import", "--campaign", "hand", path.to_str().expect("path")])
    };
    assert!(keyed("wrong.csv", "1").status.success());
    // Keyed again before withdrawing: refused.
    let again = keyed("right.csv", "5");
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));

    add_user(&db, "lan", "enumerator", &["A"]);
    add_user(&db, "binh", "enumerator", &["B"]);
    let server = spawn_server(&db, &[]);
    let store = store::connect(&db.url).await.expect("store");
    // Another unit's enumerator cannot; the unit's own can, with a reason.
    for (who, unit, expect) in [("binh", "A", 403), ("lan", "A", 303)] {
        let s = common::sign_in(&server.base, who).await;
        let own = if who == "binh" { "B" } else { "A" };
        let page = s.get(format!("{}/enumerator/hand/{own}", server.base)).send().await.expect("page");
        let csrf = common::csrf_in(&page.text().await.expect("body"));
        let resp = s
            .post(format!("{}/enumerator/hand/{unit}/withdraw", server.base))
            .form(&[("csrf", csrf.as_str()), ("ballot", &number.to_lowercase()), ("reason", "nhập nhầm mức HL")])
            .send()
            .await
            .expect("withdraw");
        assert_eq!(resp.status().as_u16(), expect, "{who}");
    }
    let a = store.anonymity("hand").await.expect("a");
    assert_eq!(a.excluded, 1);
    // The number is free again for the ballot keyed right.
    let right = keyed("right2.csv", "5");
    assert!(right.status.success(), "{}", stderr(&right));
    let (kept, recount) = kept_and_recount(&*store, &store.campaign("hand").await.expect("c").expect("hand")).await;
    assert_eq!(kept, recount);
    let log = store.audit_log("hand", 20, 0).await.expect("log");
    assert!(
        log.iter().any(|e| e.action.code() == "exclude_response" && e.detail == "nhập nhầm mức HL" && e.actor == "lan")
    );
}
