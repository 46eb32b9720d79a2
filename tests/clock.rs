//! The campaign's own clock: it opens, closes and releases at midnight in its
//! time zone, whatever the server's zone. Every process here runs in UTC
//! (`TZ=UTC`) with the service's clock put at 23:30 and 00:30 Việt Nam time on
//! either side of the closing day's end.

mod common;

use common::{TestDb, spawn_server_env};
use sipas_shared::store::{self, NewInvitation, Store, Submission};
use sipas_shared::{Campaign, UnitCode};

/// 23:30 on 02/12/2026 in Việt Nam (UTC+7): still the closing day.
const LATE_ON_CLOSING_DAY: &str = "2026-12-02T16:30:00Z";
/// 00:30 on 03/12/2026 in Việt Nam: the day after; still 02/12 in UTC.
const JUST_AFTER: &str = "2026-12-02T17:30:00Z";

async fn campaign_closing_on_02_12(db: &TestDb, k: u32) -> (std::sync::Arc<dyn Store>, Campaign) {
    let store = store::connect(&db.url).await.expect("connect");
    let mut campaign = Campaign::load(&common::example_campaign()).expect("example");
    campaign.opens = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    campaign.closes = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
    campaign.anonymity_k = k;
    campaign.counter_poster = true;
    assert_eq!(campaign.timezone, "Asia/Ho_Chi_Minh");
    store.save_campaign(&campaign).await.expect("save");
    (store, campaign)
}

async fn invite(store: &dyn Store, campaign: &Campaign) -> sipas_shared::Token {
    invite_in(store, campaign, "Đất đai").await
}

async fn invite_in(store: &dyn Store, campaign: &Campaign, field: &str) -> sipas_shared::Token {
    store
        .create_invitation(&NewInvitation {
            campaign: campaign.id.clone(),
            unit: UnitCode::parse("QB01").expect("unit"),
            group: "citizens".into(),
            field: Some(field.into()),
            person: None,
        })
        .await
        .expect("invitation")
}

fn answers(campaign: &Campaign) -> sipas_shared::Answers {
    let cells = [("HL", "4"), ("HL1", "5"), ("HL2", "4"), ("HL3", "3"), ("HL4", "4"), ("GY", "0"), ("CT", "c;a")];
    let cells = cells.iter().map(|(q, a)| ((*q).to_owned(), (*a).to_owned())).collect();
    campaign.questionnaire_of("citizens").expect("citizens").check_answers(&cells).expect("valid answers")
}

fn at(now: &str) -> [(&'static str, String); 2] {
    [("SIPAS_NOW", now.to_owned()), ("TZ", "UTC".to_owned())]
}

async fn page(url: &str) -> String {
    reqwest::get(url).await.expect("get").text().await.expect("body")
}

#[tokio::test]
async fn links_and_the_counter_close_at_midnight_in_viet_nam_not_in_utc() {
    let db = TestDb::new().await;
    let (store, campaign) = campaign_closing_on_02_12(&db, 1).await;
    let token = invite(&*store, &campaign).await;
    let counter = |base: &str| format!("{base}/c/{}~QB01", campaign.id);

    let env = at(LATE_ON_CLOSING_DAY);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = spawn_server_env(&db, &[], &env);
    let form = page(&format!("{}/s/{token}", server.base)).await;
    assert!(form.contains("<form") && !form.contains("không nhận phiếu"), "open at 23:30 on the closing day");
    let screen = page(&counter(&server.base)).await;
    assert!(screen.contains("Bắt đầu trả lời"), "the counter still starts questionnaires at 23:30: {screen}");
    drop(server);

    // Before: with the server in UTC it was still 02/12 and the link opened.
    let env = at(JUST_AFTER);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = spawn_server_env(&db, &[], &env);
    let closed = page(&format!("{}/s/{token}", server.base)).await;
    assert!(closed.contains("Đợt khảo sát không nhận phiếu lúc này") && !closed.contains("<form"), "{closed}");
    let posted = reqwest::Client::new()
        .post(format!("{}/s/{token}", server.base))
        .form(&[("q.HL", "4"), ("action", "submit")])
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("body");
    assert!(posted.contains("không nhận phiếu"), "no answer taken at 00:30 the day after");
    let screen = page(&counter(&server.base)).await;
    assert!(screen.contains("không nhận phiếu") && !screen.contains("Bắt đầu trả lời"), "{screen}");
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 0);
}

#[tokio::test]
async fn what_waits_sealed_is_released_at_midnight_in_the_campaigns_zone() {
    let db = TestDb::new().await;
    let (store, campaign) = campaign_closing_on_02_12(&db, 5).await;
    let answers = answers(&campaign);
    // Six answers in one cell under k = 5 would release at once; keep it under.
    for _ in 0..4 {
        let token = invite(&*store, &campaign).await;
        assert_eq!(store.submit(&token, &answers, campaign.closes).await.expect("submit"), Submission::Stored);
    }
    // Four wait; the whole campaign cannot reach k, so at close they stay
    // sealed: the sweep's decision is what this test reads.
    let sweep = |now: &str| {
        let now = chrono::DateTime::parse_from_rfc3339(now).expect("instant").with_timezone(&chrono::Utc);
        let store = store.clone();
        async move { store.sweep(now).await.expect("sweep") }
    };
    let late = sweep(LATE_ON_CLOSING_DAY).await;
    assert_eq!((late.released_at_close, late.drafts_expired), (0, 0));
    let mut k4 = campaign.clone();
    k4.anonymity_k = 4;
    store.save_campaign(&k4).await.expect("save");
    assert_eq!(sweep(LATE_ON_CLOSING_DAY).await.released_at_close, 0, "the closing day is not over at 23:30");
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 0);
    // Before: the sweep compared with the UTC date, still 02/12 at 00:30.
    assert_eq!(sweep(JUST_AFTER).await.released_at_close, 4, "released at 00:30 Việt Nam time");
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 4);
}

#[tokio::test]
async fn the_report_command_releases_by_the_campaigns_day_too() {
    let db = TestDb::new().await;
    let (store, campaign) = campaign_closing_on_02_12(&db, 2).await;
    let answers = answers(&campaign);
    // One answer in each of two fields, under k = 2 in each: at close they
    // are released together as one crowd of two, «Gộp các lĩnh vực ít phiếu».
    for field in ["Đất đai", "Tư pháp – Hộ tịch"] {
        let token = invite_in(&*store, &campaign, field).await;
        store.submit(&token, &answers, campaign.closes).await.expect("submit");
    }
    assert_eq!(store.anonymity(&campaign.id).await.expect("a").held, 2);
    let report = |now: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipas"))
            .args(["report", "--db", &db.url, "--campaign", &campaign.id])
            .env("SIPAS_NOW", now)
            .env("TZ", "UTC")
            .env_remove("DATABASE_URL")
            .output()
            .expect("report")
    };
    let out = report(LATE_ON_CLOSING_DAY);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(!common::stderr(&out).contains("đã kết thúc"), "{}", common::stderr(&out));
    assert_eq!(store.anonymity(&campaign.id).await.expect("a").held, 2, "still sealed at 23:30");
    // Before: the report compared with the server's date, still 02/12.
    let out = report(JUST_AFTER);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("đã đưa 2 phiếu"), "{}", common::stderr(&out));
    assert_eq!(store.anonymity(&campaign.id).await.expect("a").held, 0);
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 2);
}
