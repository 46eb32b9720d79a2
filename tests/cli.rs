//! The `sipas` binary as a newcomer uses it: load a campaign, list it, serve it.

mod common;

use common::{TestDb, sipas, stderr, stdout};

#[tokio::test]
async fn campaign_load_is_idempotent_and_list_puts_the_id_first() {
    let db = TestDb::new().await;
    let example = common::example_campaign();
    let first = sipas(&db, &["campaign", "load", example.to_str().expect("path")]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("Đã tạo đợt khảo sát quang-binh-2026: 16 đơn vị, 3 nhóm đối tượng, 690 phiếu"),
        "{}",
        stdout(&first)
    );
    let second = sipas(&db, &["campaign", "load", example.to_str().expect("path")]);
    assert!(stdout(&second).starts_with("Đã cập nhật"), "{}", stdout(&second));

    let list = sipas(&db, &["campaign", "list"]);
    assert!(list.status.success());
    let lines: Vec<String> = stdout(&list).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].split('\t').next(), Some("quang-binh-2026"));
    // Dates as people in Việt Nam write them.
    let c = sipas_shared::Campaign::load(&example).expect("example");
    let shown = format!("{} – {}", c.opens.format("%d/%m/%Y"), c.closes.format("%d/%m/%Y"));
    assert!(lines[0].ends_with(&shown), "{}", lines[0]);
}

#[tokio::test]
async fn a_bad_campaign_file_exits_2_naming_file_line_and_key() {
    let db = TestDb::new().await;
    let bad = common::fixture("campaigns/unknown-override-unit/campaign.toml");
    let out = sipas(&db, &["campaign", "load", bad.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unknown-override-unit/campaign.toml, dòng 23, mục «groups[0].overrides»"), "{err}");
    let list = sipas(&db, &["campaign", "list"]);
    assert_eq!(stdout(&list), "", "nothing was loaded");
}

#[tokio::test]
async fn an_unknown_campaign_is_bad_input_and_named() {
    let db = TestDb::new().await;
    let out = sipas(&db, &["sample", "--campaign", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("không có đợt khảo sát «x»"), "{}", stderr(&out));
}

#[tokio::test]
async fn serve_demo_loads_the_example_and_answers_healthz() {
    let db = TestDb::new().await;
    let server = common::spawn_server(&db, &["--demo"]);
    assert!(
        server.banner.iter().any(|l| l.contains("Đã nạp đợt khảo sát mẫu «quang-binh-2026»")),
        "--demo loads the example campaign: {:?}",
        server.banner
    );
    let body: serde_json::Value =
        reqwest::get(format!("{}/healthz", server.base)).await.expect("get").json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["campaigns"], 1);
    assert_eq!(body["backend"], if db.is_postgres() { "postgres" } else { "sqlite" });
}
