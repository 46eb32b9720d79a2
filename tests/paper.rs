//! Paper ballots played as an attacker (SPEC §10): keyed past the quota,
//! keyed twice, imported twice, numbers guessed or borrowed from another unit.

mod common;

use common::{TestDb, add_user, fixture, sipas, spawn_server, stderr, stdout};
use sipas_shared::store;

const HEADER: &str = "unit,group,field,submitted_at,ballot,HL,HL1,TC1,HL4,KQ1,CT,P1,P2,P3";

/// The hand-worked campaign (units A and B, 4 citizens and 4 delegates each),
/// nothing keyed yet.
async fn hand() -> TestDb {
    let db = TestDb::new().await;
    let campaign = fixture("report/campaign.toml");
    let out = sipas(&db, &["campaign", "load", campaign.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    db
}

/// A citizen's ballot for `unit` with printed number `number` ("" for none).
fn row(unit: &str, number: &str, day: &str) -> String {
    format!("{unit},citizens,F1,{day},{number},5,4,5,4,3,a,,,")
}

fn file(dir: &tempfile::TempDir, name: &str, rows: &[String]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).expect("write");
    path.to_str().expect("path").to_owned()
}

fn import(db: &TestDb, path: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["responses", "import", "--campaign", "hand", path];
    args.extend(extra);
    sipas(db, &args)
}

async fn count(db: &TestDb) -> i64 {
    store::connect(&db.url).await.expect("store").count_responses("hand").await.expect("count")
}

#[tokio::test]
async fn ballots_without_a_number_stop_at_the_quota_unless_an_admin_allows_more() {
    let db = hand().await;
    let dir = tempfile::tempdir().expect("dir");
    let six: Vec<String> = (0..6).map(|_| row("B", "", "2026-10-02")).collect();
    let path = file(&dir, "b.csv", &six);
    let out = import(&db, &path, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("dòng 2, cột «ballot»: 6 phiếu không số của B, nhóm citizens vượt chỉ tiêu"),
        "{}",
        stderr(&out)
    );
    assert_eq!(count(&db).await, 0, "all rows or none");
    let out = import(&db, &path, &["--allow-over-quota"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(count(&db).await, 6);
    // The same file again imports nothing, whatever the flags.
    let out = import(&db, &path, &["--allow-over-quota"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tệp này đã được nhập lúc"), "{}", stderr(&out));
    assert_eq!(count(&db).await, 6);
    let store = store::connect(&db.url).await.expect("store");
    let log = store.audit_log("hand", 20, 0).await.expect("log");
    assert_eq!(log.iter().filter(|e| e.action.code() == "paper_import").count(), 1, "audited with the ballots, once");
}

#[tokio::test]
async fn a_printed_number_takes_one_ballot_of_its_own_unit_and_group() {
    let db = hand().await;
    let out = sipas(&db, &["responses", "numbers", "--campaign", "hand", "--unit", "A"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = stdout(&out);
    assert!(listed.starts_with("Mã đơn vị,Đơn vị,Mã nhóm,Nhóm đối tượng,Số phiếu"), "{listed}");
    let numbers: Vec<(String, String)> = listed
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[2].to_owned(), c[4].to_owned())
        })
        .collect();
    // Quota 4 and 20 % spare, rounded up: 5 for each group of unit A.
    let citizens: Vec<&String> = numbers.iter().filter(|(g, _)| g == "citizens").map(|(_, n)| n).collect();
    let delegates: Vec<&String> = numbers.iter().filter(|(g, _)| g == "delegates").map(|(_, n)| n).collect();
    assert_eq!((citizens.len(), delegates.len()), (5, 5), "{listed}");
    let again = sipas(&db, &["responses", "numbers", "--campaign", "hand", "--unit", "A"]);
    assert_eq!(stdout(&again).lines().count(), 11, "asking again issues no more");

    let dir = tempfile::tempdir().expect("dir");
    let first = file(&dir, "one.csv", &[row("A", citizens[0], "2026-10-02"), row("A", citizens[1], "2026-10-03")]);
    assert!(import(&db, &first, &[]).status.success());
    assert_eq!(count(&db).await, 2);
    // Keyed again under another file; a guessed number; a delegate's number on
    // a citizen's ballot; a day outside the survey.
    let bad = file(
        &dir,
        "bad.csv",
        &[
            row("A", &citizens[0].to_lowercase(), "2026-10-04"),
            row("A", "ZZZZ-ZZZZ", "2026-10-04"),
            row("A", delegates[0], "2026-10-04"),
            row("A", citizens[2], "2026-11-20"),
        ],
    );
    let out = import(&db, &bad, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let expected = "dòng 5, cột «submitted_at»: ngày 20/11/2026 nằm ngoài thời gian khảo sát (01/10/2026 – 31/10/2026)";
    assert!(err.contains(expected), "missing «{expected}» in:\n{err}");
    // Once the date is right, the numbers themselves are judged.
    let bad = file(
        &dir,
        "bad2.csv",
        &[
            row("A", &citizens[0].to_lowercase(), "2026-10-04"),
            row("A", "ZZZZ-ZZZZ", "2026-10-04"),
            row("A", delegates[0], "2026-10-04"),
        ],
    );
    let err = stderr(&import(&db, &bad, &[]));
    for expected in [
        "dòng 2, cột «ballot»: phiếu số «",
        "đã được nhập rồi",
        // The number as printed, units and groups by their names (before:
        // «ZZZZZZZZ», «A, nhóm delegates»).
        "dòng 3, cột «ballot»: số phiếu «ZZZZ-ZZZZ» không được phát cho đợt khảo sát này",
        "dòng 4, cột «ballot»: số phiếu «",
        "được phát cho Xã A, nhóm Đại biểu, không phải Xã A, nhóm Người dân",
    ] {
        assert!(err.contains(expected), "missing «{expected}» in:\n{err}");
    }
    assert_eq!(count(&db).await, 2, "nothing of a refused file is kept");
}

#[tokio::test]
async fn an_enumerator_cannot_key_more_ballots_than_the_quota() {
    let db = hand().await;
    add_user(&db, "lan", "enumerator", &["A"]);
    let server = spawn_server(&db, &[]);
    let client = common::sign_in(&server.base, "lan").await;
    let form_url = format!("{}/enumerator/hand/A/ballot", server.base);
    let page = client.get(format!("{form_url}?group=citizens")).send().await.expect("form").text().await.expect("body");
    let token = common::csrf_in(&page);
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let fields = [
            ("csrf", token.as_str()),
            ("group", "citizens"),
            ("field", "F1"),
            ("ballot", ""),
            ("q.HL", "1"),
            ("q.HL1", "1"),
            ("q.TC1", "1"),
            ("q.HL4", "1"),
            ("q.KQ1", "1"),
        ];
        statuses.push(client.post(&form_url).form(&fields).send().await.expect("key").status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 4, "before: every one of 40 accepted: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 422).count(), 6, "{statuses:?}");
    assert_eq!(count(&db).await, 4);
    let store = store::connect(&db.url).await.expect("store");
    let log = store.audit_log("hand", 50, 0).await.expect("log");
    assert_eq!(log.iter().filter(|e| e.action.code() == "key_ballot").count(), 4, "each keyed ballot audited with it");
}

/// The README's paper-ballot example, as a reader would copy it into a file.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(common::root().join("README.md")).expect("README");
    let at = readme.find("A paper-ballot file is CSV").expect("the section");
    let block = &readme[at..];
    let start = block.find("```\n").expect("example") + 4;
    let end = start + block[start..].find("```").expect("end of example");
    block[start..end].to_owned()
}

#[tokio::test]
async fn the_readme_s_ballot_file_imports_into_the_example_campaign() {
    // Before: the README pointed at "SPEC §7 columns", which no reader has.
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let mut campaign = sipas_shared::Campaign::load(&common::example_campaign()).expect("example");
    campaign.opens = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).expect("date");
    campaign.closes = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    store.save_campaign(&campaign).await.expect("save");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ballots.csv");
    std::fs::write(&path, readme_example()).expect("write");
    let out = sipas(&db, &["responses", "import", "--campaign", &campaign.id, path.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 1 phiếu giấy"), "{}", stdout(&out));
}
