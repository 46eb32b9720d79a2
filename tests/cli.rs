//! The `sipas` binary as a newcomer uses it: load a campaign, list it, serve it.

mod common;

use common::{TestDb, sipas, stderr, stdout};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

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
async fn unfinished_commands_say_so_and_fail() {
    let db = TestDb::new().await;
    let out = sipas(&db, &["demo", "generate", "--campaign", "x", "--responses", "10"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("chưa có trong phiên bản này"), "{}", stderr(&out));
}

#[tokio::test]
async fn serve_demo_loads_the_example_and_answers_healthz() {
    let db = TestDb::new().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipas"))
        .args(["serve", "--demo", "--addr", "127.0.0.1:0", "--db", &db.url])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut addr = None;
    let mut loaded = false;
    for line in lines.by_ref().take(5) {
        let line = line.expect("line");
        loaded |= line.contains("Đã nạp đợt khảo sát mẫu «quang-binh-2026»");
        if let Some(rest) = line.split("http://").nth(1) {
            addr = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let addr = addr.expect("serve prints its address");
    assert!(loaded, "--demo loads the example campaign");
    let body: serde_json::Value =
        reqwest::get(format!("http://{addr}/healthz")).await.expect("get").json().await.expect("json");
    child.kill().expect("kill");
    let _ = child.wait();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["campaigns"], 1);
    assert_eq!(body["backend"], if db.is_postgres() { "postgres" } else { "sqlite" });
}
