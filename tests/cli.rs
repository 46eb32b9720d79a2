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

/// A 2026 campaign follows last year's through a lineage file: Yên Hà
/// absorbed Nà Khương and Bản Rịa. Loaded after last year's, it is checked
/// against it: an old unit forgotten, or one last year did not have, is
/// refused by line with nothing saved; the whole lineage loads.
#[tokio::test]
async fn a_campaign_follows_last_year_through_its_lineage() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let example = common::example_campaign();
    let from = example.parent().expect("dir");
    for entry in std::fs::read_dir(from).expect("example") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    let text = std::fs::read_to_string(&example).expect("campaign");
    let units = std::fs::read_to_string(from.join("units.csv")).expect("units");
    let merged: String =
        units.lines().filter(|l| !l.starts_with("QB14") && !l.starts_with("QB15")).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("units-2026.csv"), merged).expect("units");
    std::fs::write(dir.path().join("last.toml"), text.replace("id = \"quang-binh-2026\"", "id = \"quang-binh-2024\""))
        .expect("last");
    let next = text.replace("id = \"quang-binh-2026\"", "id = \"quang-binh-2026-xa\"").replace(
        "units_csv = \"units.csv\"",
        "units_csv = \"units-2026.csv\"\nfollows = \"quang-binh-2024\"\nlineage_csv = \"lineage.csv\"",
    );
    std::fs::write(dir.path().join("next.toml"), &next).expect("next");
    let lineage = |rows: &str| {
        std::fs::write(
            dir.path().join("lineage.csv"),
            format!("Mã đơn vị mới,Mã đơn vị cũ,Tên đơn vị cũ,Tỷ lệ,Văn bản\n{rows}"),
        )
        .expect("lineage")
    };
    let load = |file: &str| sipas(&db, &["campaign", "load", dir.path().join(file).to_str().expect("path")]);
    let act = "Nghị quyết 1680/NQ-UBTVQH15 ngày 16/6/2025";

    // Before last year's is loaded: a note, and the campaign loads.
    lineage(&format!("QB13,QB14,Xã Nà Khương,,{act}\nQB13,QB15,Xã Bản Rịa,,{act}\n"));
    let early = load("next.toml");
    assert!(early.status.success(), "{}", stderr(&early));
    assert!(stderr(&early).contains("chưa có trong cơ sở dữ liệu"), "{}", stderr(&early));

    assert!(load("last.toml").status.success());
    // Bản Rịa forgotten, and an old unit last year did not have.
    lineage(&format!("QB13,QB14,Xã Nà Khương,,{act}\nQB13,QB99,Xã Không Có,,{act}\n"));
    let refused = load("next.toml");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let err = stderr(&refused);
    assert!(err.contains("dòng 3, cột «Mã đơn vị cũ»: đơn vị cũ «QB99» không có trong đợt khảo sát trước"), "{err}");
    assert!(err.contains("«Xã Bản Rịa» (QB15) của đợt trước không còn trong đợt này"), "{err}");

    // A share that does not add up, and a row without its act, on load.
    lineage(&format!("QB13,QB14,,,{act}\nQB13,QB15,,60 %,{act}\nQB12,QB15,,30 %,\n"));
    let bad = load("next.toml");
    assert_eq!(bad.status.code(), Some(2));
    let err = stderr(&bad);
    assert!(err.contains("lineage.csv") && err.contains("dòng 4, cột «Văn bản»"), "{err}");
    assert!(err.contains("dòng 4, cột «Tỷ lệ»: đơn vị cũ «QB15» chia cho 2 đơn vị mới (QB13, QB12)"), "{err}");
    assert!(err.contains("đang là 90 %"), "{err}");

    lineage(&format!(
        "QB13,QB14,Xã Nà Khương,,{act}\nQB13,QB15,Xã Bản Rịa,60 %,{act}\nQB12,QB15,Xã Bản Rịa,40 %,{act}\n"
    ));
    let loaded = load("next.toml");
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    let store = sipas_shared::store::connect(&db.url).await.expect("store");
    let kept = store.campaign("quang-binh-2026-xa").await.expect("read").expect("campaign");
    assert_eq!(kept.follows.as_deref(), Some("quang-binh-2024"));
    let parts: Vec<(&str, &str, String)> =
        kept.lineage.iter().map(|p| (p.unit.as_str(), p.from.as_str(), p.share.to_string())).collect();
    assert_eq!(
        parts,
        vec![("QB13", "QB14", "1".into()), ("QB13", "QB15", "0.6".into()), ("QB12", "QB15", "0.4".into())]
    );

    // A lineage without the campaign it follows is refused by key.
    std::fs::write(dir.path().join("orphan.toml"), next.replace("follows = \"quang-binh-2024\"\n", ""))
        .expect("orphan");
    let orphan = load("orphan.toml");
    assert_eq!(orphan.status.code(), Some(2));
    assert!(stderr(&orphan).contains("lineage_csv"), "{}", stderr(&orphan));
}
