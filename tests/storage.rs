//! The storage story on whichever backend the environment names: load a
//! campaign, read it back, quotas, a frame person, an invitation, a response.

mod common;

use common::TestDb;
use futures::TryStreamExt;
use sipas_shared::store::{self, NewInvitation, NewPerson, Submission};
use sipas_shared::{Answers, Campaign, Phone, Token, UnitCode};
use std::collections::BTreeMap;

fn cells(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn citizen_answers(campaign: &Campaign) -> Answers {
    let q = campaign.questionnaire_of("citizens").expect("citizens questionnaire");
    q.check_answers(&cells(&[
        ("HL", "4"),
        ("HL1", "5"),
        ("HL2", "4"),
        ("HL3", "3"),
        ("HL4", "4"),
        ("GY", "0"),
        ("CT", "c;a"),
    ]))
    .expect("valid answers")
}

#[tokio::test]
async fn campaign_round_trips_and_loading_twice_changes_nothing() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    assert_eq!(store.backend() == store::Backend::Postgres, db.is_postgres());
    assert!(store.is_empty().await.expect("empty"));

    let campaign = Campaign::load(&common::example_campaign()).expect("example loads");
    assert!(store.save_campaign(&campaign).await.expect("save"), "first load creates");
    assert!(!store.save_campaign(&campaign).await.expect("save again"), "second load updates");

    let back = store.campaign("quang-binh-2026").await.expect("read").expect("present");
    assert_eq!(back, campaign);
    let list = store.campaigns().await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, "quang-binh-2026");
    assert!(store.campaign("no-such").await.expect("read").is_none());

    let board = store.quota_board("quang-binh-2026").await.expect("board");
    assert_eq!(board.len(), 45);
    assert_eq!(board.iter().map(|r| r.quota).sum::<i64>(), 690);
    let qb01_citizens = board.iter().find(|r| r.unit == "QB01" && r.group == "citizens").expect("row");
    assert_eq!((qb01_citizens.quota, qb01_citizens.answered, qb01_citizens.remaining()), (26, 0, 26));
}

#[tokio::test]
async fn changed_quota_is_applied_on_reload() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let mut campaign = Campaign::load(&common::example_campaign()).expect("loads");
    store.save_campaign(&campaign).await.expect("save");
    let qb02 = UnitCode::parse("QB02").expect("code");
    let citizens = campaign.groups.iter_mut().find(|g| g.code == "citizens").expect("group");
    citizens.overrides.insert(qb02, 30);
    store.save_campaign(&campaign).await.expect("reload");
    let board = store.quota_board(&campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB02" && r.group == "citizens").expect("row");
    assert_eq!(row.quota, 30);
    assert_eq!(board.iter().map(|r| r.quota).sum::<i64>(), 694);
}

#[tokio::test]
async fn a_response_is_stored_once_and_never_linked_to_its_person() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let campaign = Campaign::load(&common::example_campaign()).expect("loads");
    store.save_campaign(&campaign).await.expect("save");
    let unit = UnitCode::parse("QB01").expect("code");

    let person = store
        .add_person(
            &campaign.id,
            &NewPerson {
                unit: unit.clone(),
                roster_of: None,
                full_name: "Đặng Quang Nga".into(),
                procedure: "Xác nhận tình trạng hôn nhân".into(),
                field: campaign.field_of("Xác nhận tình trạng hôn nhân").map(str::to_owned),
                address: "Thôn 1, Thị trấn Yên Bình".into(),
                phone: Some(Phone::parse("0565.064.788").expect("phone")),
                email: None,
                household: false,
                source_line: Some(6),
            },
        )
        .await
        .expect("person");
    let token = store
        .create_invitation(&NewInvitation {
            campaign: campaign.id.clone(),
            unit: unit.clone(),
            group: "citizens".into(),
            field: Some("Tư pháp – Hộ tịch".into()),
            person: Some(person),
        })
        .await
        .expect("invitation");
    let board = store.quota_board(&campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB01" && r.group == "citizens").expect("row");
    assert_eq!((row.invited, row.answered), (1, 0));

    let answers = citizen_answers(&campaign);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    assert_eq!(store.submit(&token, &answers, day).await.expect("submit"), Submission::Stored);
    assert_eq!(store.submit(&token, &answers, day).await.expect("resubmit"), Submission::AlreadyAnswered);
    assert_eq!(store.submit(&Token::generate(), &answers, day).await.expect("unknown"), Submission::UnknownToken);

    // The answer counts against the quota at once, but waits, sealed, until
    // its cell holds k answers or the campaign closes.
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 0);
    assert_eq!(store.anonymity(&campaign.id).await.expect("held").held, 1);
    let board = store.quota_board(&campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB01" && r.group == "citizens").expect("row");
    assert_eq!(row.answered, 1, "quotas count at submit time");
    let after_close = campaign.closes.succ_opt().expect("day");
    // One answer in the whole campaign: no batch of k can be made even above
    // the units, so at close it stays sealed (before: released alone).
    assert_eq!(
        store
            .sweep(sipas_shared::model::clock::start_of(after_close, &campaign.timezone))
            .await
            .expect("sweep")
            .released_at_close,
        0
    );
    let a = store.anonymity(&campaign.id).await.expect("sealed");
    assert_eq!((a.held, a.released_below_k), (1, 0), "never a batch under k");
    // A campaign that publishes at k = 1 releases it, as it was stored.
    let mut k1 = campaign.clone();
    k1.anonymity_k = 1;
    store.save_campaign(&k1).await.expect("save");
    assert_eq!(
        store
            .sweep(sipas_shared::model::clock::start_of(after_close, &campaign.timezone))
            .await
            .expect("sweep")
            .released_at_close,
        1
    );
    assert_eq!(store.count_responses(&campaign.id).await.expect("count"), 1);
    let stored: Vec<_> = store.responses(&campaign.id).try_collect().await.expect("stream");
    assert_eq!(stored.len(), 1);
    let r = &stored[0];
    assert_eq!(
        (r.unit.as_str(), r.group.as_str(), r.field.as_deref()),
        ("QB01", "citizens", Some("Tư pháp – Hộ tịch"))
    );
    assert_eq!(r.submitted_on, day);
    assert_eq!(r.cells.get("HL").map(String::as_str), Some("4"));
    assert_eq!(r.cells.get("CT").map(String::as_str), Some("a;c"), "multi answers in questionnaire order");
    assert!(!r.cells.contains_key("GY1"), "a question hidden by skip logic is not stored");
    let json = serde_json::to_string(r).expect("json");
    assert!(
        !json.contains(token.as_str()) && !json.contains("Nga") && !json.contains("0565064788"),
        "response holds no token or person: {json}"
    );

    let board = store.quota_board(&campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB01" && r.group == "citizens").expect("row");
    assert_eq!((row.invited, row.answered, row.remaining()), (1, 1, 25));
}

#[tokio::test]
async fn concurrent_submissions_of_one_token_store_one_response() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let campaign = Campaign::load(&common::example_campaign()).expect("loads");
    store.save_campaign(&campaign).await.expect("save");
    let token = store
        .create_invitation(&NewInvitation {
            campaign: campaign.id.clone(),
            unit: UnitCode::parse("QB03").expect("code"),
            group: "citizens".into(),
            field: None,
            person: None,
        })
        .await
        .expect("invitation");
    let answers = citizen_answers(&campaign);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let tries = (0..8).map(|_| {
        let store = store.clone();
        let (token, answers) = (token.clone(), answers.clone());
        tokio::spawn(async move { store.submit(&token, &answers, day).await })
    });
    let mut stored = 0;
    for t in tries {
        match t.await.expect("join").expect("submit") {
            Submission::Stored => stored += 1,
            Submission::AlreadyAnswered => {}
            Submission::UnknownToken => panic!("token vanished"),
        }
    }
    assert_eq!(stored, 1);
    assert_eq!(store.anonymity(&campaign.id).await.expect("held").held, 1);
}

#[tokio::test]
async fn an_unsupported_url_is_refused_with_a_clear_message() {
    let err = store::connect("mysql://localhost/x").await.err().expect("refused");
    assert!(err.to_string().contains("sqlite://"), "{err}");
}

#[tokio::test]
async fn a_database_opens_only_with_the_key_it_was_sealed_with() {
    use sipas_shared::store::key::KeySource;
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let first = KeySource::File(dir.path().join("first.key"));
    store::connect_with_key(&db.url, &first).await.expect("a new database adopts a new key");
    assert!(dir.path().join("first.key").exists(), "the key is written outside the database");
    store::connect_with_key(&db.url, &first).await.expect("and opens with it again");
    // Another key, or none, would seal answers no other process could open.
    let other = KeySource::Inline("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into());
    let err = store::connect_with_key(&db.url, &other).await.err().expect("another key is refused");
    assert!(err.to_string().contains("không phải khoá đã niêm phong"), "{err}");
    let missing = KeySource::File(dir.path().join("lost.key"));
    let err = store::connect_with_key(&db.url, &missing).await.err().expect("a lost key is refused");
    assert!(err.to_string().contains("không tìm thấy tệp khoá"), "{err}");
    assert!(!dir.path().join("lost.key").exists(), "and never replaced by a new one");
}

#[tokio::test]
async fn drafts_are_sealed_and_expire_when_the_campaign_closes() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let campaign = Campaign::load(&common::example_campaign()).expect("loads");
    store.save_campaign(&campaign).await.expect("save");
    let token = store
        .create_invitation(&NewInvitation {
            campaign: campaign.id.clone(),
            unit: UnitCode::parse("QB05").expect("code"),
            group: "citizens".into(),
            field: None,
            person: None,
        })
        .await
        .expect("invitation");
    let cells: std::collections::BTreeMap<String, String> = [("YK".to_owned(), "ghế chờ còn thiếu".to_owned())].into();
    store.save_draft(&token, &cells).await.expect("draft");
    assert_eq!(store.draft(&token).await.expect("read"), Some(cells));
    let during = campaign.closes;
    assert_eq!(
        store
            .sweep(sipas_shared::model::clock::start_of(during, &campaign.timezone))
            .await
            .expect("sweep")
            .drafts_expired,
        0,
        "kept while the campaign runs"
    );
    assert!(store.draft(&token).await.expect("read").is_some());
    let after = campaign.closes.succ_opt().expect("day");
    assert_eq!(
        store
            .sweep(sipas_shared::model::clock::start_of(after, &campaign.timezone))
            .await
            .expect("sweep")
            .drafts_expired,
        1,
        "gone when it closes"
    );
    assert_eq!(store.draft(&token).await.expect("read"), None);
}

#[tokio::test]
async fn a_formula_typed_as_an_answer_leaves_the_export_as_text() {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let campaign = Campaign::load(&common::example_campaign()).expect("loads");
    store.save_campaign(&campaign).await.expect("save");
    let mut cells: BTreeMap<String, String> = citizen_answers(&campaign).to_cells();
    cells.insert("YK".into(), "=HYPERLINK(\"http://evil.example\",\"Bấm vào đây\")".into());
    let r = sipas_shared::store::StoredResponse {
        unit: "QB01".into(),
        group: "citizens".into(),
        field: None,
        submitted_on: campaign.opens,
        source: "paper".into(),
        ballot: None,
        cells,
    };
    // Five alike: the export leaves out a unit × group of fewer than k.
    store.insert_responses(&campaign.id, &vec![r; 5]).await.expect("insert");
    let out = common::sipas(&db, &["export", "--campaign", &campaign.id, "--format", "csv"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let csv = common::stdout(&out);
    assert!(csv.contains("\"'=HYPERLINK("), "a spreadsheet shows it as text: {csv}");
    assert!(!csv.contains(",\"=HYPERLINK(") && !csv.contains(",=HYPERLINK("), "{csv}");
}
