//! Importing counters' transaction lists as offices send them (the files of
//! tests/fixtures/frames are the sample frames of the shared data), on both backends.

mod common;

use common::{TestDb, fixture, sipas, stderr, stdout};
use sipas_shared::store;

async fn loaded() -> TestDb {
    let db = TestDb::new().await;
    let example = common::example_campaign();
    assert!(sipas(&db, &["campaign", "load", example.to_str().expect("path")]).status.success());
    db
}

fn import(db: &TestDb, unit: &str, file: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["frame", "import", "--campaign", "quang-binh-2026", "--unit", unit];
    args.extend_from_slice(extra);
    args.push(file.to_str().expect("path"));
    sipas(db, &args)
}

async fn frame_size(db: &TestDb, unit: &str) -> u64 {
    let store = store::connect(&db.url).await.expect("connect");
    store.frame_field_counts("quang-binh-2026").await.expect("counts").get(unit).map_or(0, |f| f.values().sum())
}

#[tokio::test]
async fn a_file_with_a_bad_row_is_refused_unless_told_to_skip_it() {
    let db = loaded().await;
    let file = fixture("frames/QB04.csv");
    let out = import(&db, "QB04", &file, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("QB04.csv: dòng 13, cột «Số điện thoại»: số điện thoại «12345» không đúng độ dài"), "{err}");
    assert!(err.contains("--skip-bad"), "says how to go on: {err}");
    assert_eq!(frame_size(&db, "QB04").await, 0, "nothing imported");

    let out = import(&db, "QB04", &file, &["--skip-bad"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Đã nhập 132 người vào khung chọn mẫu của QB04 (1 dòng lỗi bỏ qua"),
        "{}",
        stdout(&out)
    );
    assert_eq!(frame_size(&db, "QB04").await, 132);
}

#[tokio::test]
async fn people_listed_twice_are_merged_and_a_second_import_adds_nobody() {
    let db = loaded().await;
    let file = fixture("frames/QB05.csv");
    let out = import(&db, "QB05", &file, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("dòng 186 trùng số điện thoại 0579261222 với dòng 8"), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 180 người"), "{}", stdout(&out));
    let again = import(&db, "QB05", &file, &[]);
    assert!(
        stdout(&again).contains("Đã nhập 0 người") && stdout(&again).contains("180 người đã có từ trước"),
        "{}",
        stdout(&again)
    );
    assert_eq!(frame_size(&db, "QB05").await, 180);
}

#[tokio::test]
async fn a_missing_phone_is_named_and_an_unknown_unit_refused() {
    let db = loaded().await;
    let out = import(&db, "QB03", &fixture("frames/QB03.csv"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cột «Số điện thoại»: thiếu số điện thoại"), "{}", stderr(&out));
    let out = import(&db, "QB99", &fixture("frames/QB01.csv"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("đơn vị «QB99» không có"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_spreadsheet_with_title_rows_and_phones_stored_as_numbers() {
    let db = loaded().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("QB02.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "XÃ BẰNG LANG").expect("cell");
    sheet.write_string(1, 0, "DANH SÁCH").expect("cell");
    for (c, h) in ["TT", "Ho va ten", "Ten thu tuc hanh chinh", "Dia chi", "So dien thoai"].iter().enumerate() {
        sheet.write_string(3, c as u16, *h).expect("cell");
    }
    let rows = [
        ("Nguyễn Văn An", "Đăng ký khai sinh", None, Some("+84 356 111 222")),
        ("Lê Thị Bình", "Đăng ký thường trú", Some(912_345_678.0), None),
    ];
    for (i, (name, procedure, number, text)) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64).expect("cell");
        sheet.write_string(r, 1, *name).expect("cell");
        sheet.write_string(r, 2, *procedure).expect("cell");
        sheet.write_string(r, 3, "Thôn 1").expect("cell");
        match (number, text) {
            (Some(n), _) => sheet.write_number(r, 4, *n).expect("cell"),
            (_, Some(t)) => sheet.write_string(r, 4, *t).expect("cell"),
            _ => sheet,
        };
    }
    book.save(&path).expect("save");
    let out = import(&db, "QB02", &path, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 2 người"), "{}", stdout(&out));

    // Analysts' outputs never carry a name or a phone of the frame.
    let generated = sipas(&db, &["demo", "generate", "--campaign", "quang-binh-2026", "--responses", "200"]);
    assert!(generated.status.success());
    for args in [
        vec!["report", "--campaign", "quang-binh-2026", "--format", "json"],
        vec!["export", "--campaign", "quang-binh-2026", "--format", "csv"],
        vec!["export", "--campaign", "quang-binh-2026", "--format", "json"],
    ] {
        let text = stdout(&sipas(&db, &args));
        for secret in ["Nguyễn Văn An", "Lê Thị Bình", "0356111222", "0912345678", "Thôn 1"] {
            assert!(!text.contains(secret), "{args:?} shows {secret}");
        }
    }
}

#[tokio::test]
async fn a_frame_import_killed_midway_leaves_its_people_and_its_audit_line_together_or_neither() {
    use rand::Rng;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("QB02.csv");
    let mut text = String::from("tt;Họ và tên;Tên thủ tục hành chính;Địa chỉ;Số điện thoại\n");
    for i in 0..3000 {
        text.push_str(&format!("{i};Người thứ {i};Đăng ký khai sinh;Thôn {};09{:08}\n", i % 9, 10_000_000 + i));
    }
    std::fs::write(&path, text).expect("write");
    let file = path.to_str().expect("path");
    let mut rng = rand::rng();
    for round in 0..4 {
        let db = TestDb::new().await;
        let out = sipas(&db, &["campaign", "load", common::example_campaign().to_str().expect("path")]);
        assert!(out.status.success());
        let mut child =
            common::sipas_child(&db, &["frame", "import", "--campaign", "quang-binh-2026", "--unit", "QB02", file]);
        // Killed at a random moment, or (last round) left to finish.
        if round < 3 {
            std::thread::sleep(std::time::Duration::from_millis(rng.random_range(50..1500)));
            let _ = child.kill();
        }
        let _ = child.wait();
        let store = sipas_shared::store::connect(&db.url).await.expect("store");
        let people = store.frame_rows("quang-binh-2026").await.expect("rows").len();
        let lines = store.audit_log("quang-binh-2026", 10, 0).await.expect("log");
        let audited = lines.iter().filter(|e| e.action.code() == "frame_import").count();
        assert!(
            (people, audited) == (0, 0) || (people, audited) == (3000, 1),
            "round {round}: {people} people with {audited} audit lines"
        );
        if round == 3 {
            assert_eq!((people, audited), (3000, 1));
        }
    }
}

#[tokio::test]
async fn decomposed_unicode_and_loose_spaces_match_the_catalogue_as_the_composed_file_does() {
    let db = loaded().await;
    let composed = import(&db, "QB01", &fixture("frames/QB01.csv"), &["--skip-bad"]);
    assert!(composed.status.success(), "{}", stderr(&composed));
    let other = TestDb::new().await;
    assert!(sipas(&other, &["campaign", "load", common::example_campaign().to_str().expect("path")]).status.success());
    // The same list saved by Unikey as «Unicode tổ hợp», «Đăng ký  kết hôn» with two spaces.
    let decomposed = import(&other, "QB01", &fixture("frames/QB01-nfd.csv"), &["--skip-bad"]);
    assert!(decomposed.status.success(), "{}", stderr(&decomposed));
    assert!(!stdout(&decomposed).contains("Thủ tục chưa có trong danh mục"), "{}", stdout(&decomposed));
    let fields = |db: &TestDb| {
        let url = db.url.clone();
        async move {
            store::connect(&url).await.expect("connect").frame_field_counts("quang-binh-2026").await.expect("counts")
        }
    };
    assert_eq!(fields(&db).await, fields(&other).await, "the same people in the same fields");
}

#[tokio::test]
async fn another_units_list_is_refused_unless_forced_and_a_unit_without_citizens_takes_none() {
    let db = loaded().await;
    // QB01's list («THỊ TRẤN YÊN BÌNH», every address in Yên Bình) chosen for QB02.
    let out = import(&db, "QB02", &fixture("frames/QB01.csv"), &["--skip-bad"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("danh sách của «Thị trấn Yên Bình»") && err.contains("--force"), "{err}");
    assert_eq!(frame_size(&db, "QB02").await, 0);
    let out = import(&db, "QB02", &fixture("frames/QB01.csv"), &["--skip-bad", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(frame_size(&db, "QB02").await > 150);
    // The district itself carries no citizen quota: no frame for it.
    let out = import(&db, "QB", &fixture("frames/QB03.csv"), &["--skip-bad"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("không có chỉ tiêu người dân"), "{}", stderr(&out));
    // A file without the header gets advice about the header, not about skipping rows.
    let dir = tempfile::tempdir().expect("dir");
    let headless = dir.path().join("QB05.csv");
    std::fs::write(&headless, "1;Nguyễn Văn A;Đăng ký khai sinh;Thôn 1;0912345678\n").expect("write");
    let out = import(&db, "QB05", &headless, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("dòng tiêu đề cần có") && !stderr(&out).contains("--skip-bad"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_units_list_can_be_seen_removed_and_replaced_keeping_the_invited() {
    let db = loaded().await;
    let file = fixture("frames/QB01.csv");
    assert!(import(&db, "QB01", &file, &["--skip-bad"]).status.success());
    let total = frame_size(&db, "QB01").await;
    assert!(sipas(&db, &["sample", "--campaign", "quang-binh-2026", "--seed", "1"]).status.success());
    let list = stdout(&sipas(&db, &["frame", "list", "--campaign", "quang-binh-2026"]));
    let row = list.lines().find(|l| l.starts_with("QB01")).expect("QB01 listed");
    let numbers: Vec<u64> = row.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert_eq!(numbers, [total, 39], "people and invited (26 + 13 reserves): {row}");
    let out = sipas(&db, &["frame", "remove", "--campaign", "quang-binh-2026", "--unit", "QB01"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("Đã bỏ {} người", total - 39)) && stdout(&out).contains("giữ 39"),
        "{}",
        stdout(&out)
    );
    assert_eq!(frame_size(&db, "QB01").await, 39, "the invited stay");
    let out = import(&db, "QB01", &file, &["--skip-bad", "--replace"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã bỏ 0 người"), "{}", stdout(&out));
    assert_eq!(frame_size(&db, "QB01").await, total);
    let store = store::connect(&db.url).await.expect("connect");
    let log = store.audit_log("quang-binh-2026", 10, 0).await.expect("log");
    assert!(log.iter().any(|e| e.action.code() == "frame_remove" && e.subject == "QB01"));
}

#[tokio::test]
async fn a_workbook_with_a_cover_sheet_is_read_from_the_sheet_with_the_list() {
    let db = loaded().await;
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Bìa")
        .expect("name")
        .write_string(0, 0, "UBND XÃ BẰNG LANG – báo cáo")
        .expect("cell");
    let list = book.add_worksheet();
    for (c, h) in ["TT", "Họ và tên", "Tên thủ tục hành chính", "Địa chỉ", "Số điện thoại"].iter().enumerate()
    {
        list.write_string(1, c as u16, *h).expect("header");
    }
    list.write_string(0, 0, "XÃ BẰNG LANG").expect("title");
    list.write_number(2, 0, 1.0).expect("tt");
    list.write_string(2, 1, "Hoàng Văn Nam").expect("name");
    list.write_string(2, 2, "Đăng ký khai sinh").expect("procedure");
    list.write_string(2, 3, "Thôn Nà Ràng, xã Bằng Lang").expect("address");
    list.write_number(2, 4, 912_345_678.0).expect("phone as a number");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("QB02.xlsx");
    book.save(&file).expect("save");
    let out = import(&db, "QB02", &file, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 1 người"), "{}", stdout(&out));
}

#[tokio::test]
async fn an_admin_removes_a_units_list_from_the_page() {
    let db = loaded().await;
    assert!(import(&db, "QB01", &fixture("frames/QB01.csv"), &["--skip-bad"]).status.success());
    common::add_user(&db, "quan-tri", "admin", &[]);
    let server = common::spawn_server(&db, &[]);
    let admin = common::sign_in(&server.base, "quan-tri").await;
    let page = format!("{}/admin/campaigns/quang-binh-2026", server.base);
    let body = admin.get(&page).send().await.expect("page").text().await.expect("body");
    assert!(body.contains("Bỏ danh sách"), "offered where a unit has a list");
    let csrf = common::csrf_in(&body);
    let resp = admin
        .post(format!("{page}/frame/remove"))
        .form(&[("csrf", csrf.as_str()), ("unit", "QB01")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(frame_size(&db, "QB01").await, 0);
    let resp = admin
        .post(format!("{page}/frame/remove"))
        .form(&[("csrf", "forged"), ("unit", "QB03")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 403);
}

/// The list heads its columns with two rows: «Thông tin người dân» merged
/// over name and address, «Liên hệ» over the phone, and «STT» and the
/// procedure merged down across both rows, as offices lay out their lists.
#[tokio::test]
async fn a_two_row_header_with_merged_cells_is_read() {
    let db = loaded().await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    sheet.write_string(0, 0, "DANH SÁCH NGƯỜI DÂN ĐẾN GIAO DỊCH – XÃ BẰNG LANG").expect("title");
    sheet.merge_range(2, 0, 3, 0, "STT", &bold).expect("merge");
    sheet.merge_range(2, 1, 2, 2, "Thông tin người dân", &bold).expect("merge");
    sheet.write_string_with_format(3, 1, "Họ và tên", &bold).expect("sub");
    sheet.write_string_with_format(3, 2, "Địa chỉ", &bold).expect("sub");
    sheet.merge_range(2, 3, 3, 3, "Tên thủ tục hành chính", &bold).expect("merge");
    sheet.write_string_with_format(2, 4, "Liên hệ", &bold).expect("group");
    sheet.write_string_with_format(3, 4, "Số điện thoại", &bold).expect("sub");
    let people =
        [("Hoàng Văn Nam", "Đăng ký khai sinh", 912_345_678.0), ("Lý Thị Mai", "Đăng ký kết hôn", 987_654_321.0)];
    for (i, (name, procedure, phone)) in people.iter().enumerate() {
        let r = 4 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64).expect("tt");
        sheet.write_string(r, 1, *name).expect("name");
        sheet.write_string(r, 2, "Thôn Nà Ràng, xã Bằng Lang").expect("address");
        sheet.write_string(r, 3, *procedure).expect("procedure");
        sheet.write_number(r, 4, *phone).expect("phone");
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("QB02.xlsx");
    book.save(&file).expect("save");
    let out = import(&db, "QB02", &file, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 2 người"), "{}", stdout(&out));
    assert_eq!(frame_size(&db, "QB02").await, 2);

    // The same as CSV, as a spreadsheet program saves merged cells (blank beside).
    let csv = "DANH SÁCH – XÃ XUÂN GIANG;;;;\n;;;;\nSTT;Thông tin người dân;;Tên thủ tục hành chính;Liên hệ\n\
               ;Họ và tên;Địa chỉ;;Số điện thoại\n1;Nông Văn Tú;Thôn Bản Chang, xã Xuân Giang;Đăng ký khai sinh;0911222333\n";
    let file = dir.path().join("QB03.csv");
    std::fs::write(&file, csv).expect("csv");
    let out = import(&db, "QB03", &file, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 1 người"), "{}", stdout(&out));
}

/// The 2026 province example, its village list imported.
async fn province() -> (TestDb, std::sync::Arc<dyn sipas_shared::Store>) {
    let db = TestDb::new().await;
    let root = common::root().join("examples/province-2026");
    let campaign = root.join("campaign.toml");
    let villages = root.join("villages.csv");
    for args in [
        vec!["campaign", "load", campaign.to_str().expect("path")],
        vec!["villages", "import", "--campaign", "hoa-son-2026", villages.to_str().expect("path")],
    ] {
        let out = sipas(&db, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let store = store::connect(&db.url).await.expect("connect");
    (db, store)
}

#[tokio::test]
async fn households_are_drawn_in_two_stages_with_their_chances_kept_by_village() {
    let (db, store) = province().await;
    let out = sipas(&db, &["villages", "draw", "--campaign", "hoa-son-2026", "--seed", "7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Xã Tân Lập — 17 thôn, 2365 hộ"), "{}", stdout(&out));
    let villages = store.villages("hoa-son-2026").await.expect("villages");
    assert_eq!(villages.len(), 1_930);
    let drawn: Vec<&sipas_shared::store::field::Village> = villages.iter().filter(|v| v.chance.is_some()).collect();
    assert_eq!(drawn.len(), 300, "3 villages in each of 100 communes");
    // The same seed draws the same villages on either backend: the draw runs
    // on whole numbers over the list in code order.
    let first: Vec<&str> = drawn.iter().filter(|v| v.unit == "HS001").map(|v| v.code.as_str()).collect();
    assert_eq!(first, ["HS001-T05", "HS001-T10", "HS001-T16"]);
    // Each chance is 3 × the village's households ÷ the commune's (no village
    // of HS001 is large enough to be certain).
    for v in drawn.iter().filter(|v| v.unit == "HS001") {
        let (num, den) = v.chance.expect("chance");
        assert_eq!(num * 2365, 3 * v.households * den, "{v:?}");
    }
    // Drawing again changes nothing.
    let again = sipas(&db, &["villages", "draw", "--campaign", "hoa-son-2026", "--seed", "8"]);
    assert!(stdout(&again).contains("đã chọn từ trước"), "{}", stdout(&again));
    assert_eq!(store.villages("hoa-son-2026").await.expect("villages"), villages);

    // The commune's household list, then the draw of every group.
    let list = common::root().join("examples/province-2026/households/HS001.csv");
    let out = sipas(
        &db,
        &["households", "import", "--campaign", "hoa-son-2026", "--unit", "HS001", list.to_str().expect("p")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 2365 hộ"), "two households sharing a phone stay two: {}", stdout(&out));
    let out = sipas(&db, &["sample", "--campaign", "hoa-son-2026", "--seed", "7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("thôn chưa chọn hoặc chưa có danh sách hộ"),
        "communes without a list say what they lack"
    );

    let slips: Vec<_> = store
        .slips("hoa-son-2026", Some("HS001"))
        .await
        .expect("slips")
        .into_iter()
        .filter(|s| s.group == "households")
        .collect();
    for code in &first {
        let mine: Vec<_> = slips.iter().filter(|s| s.field.as_deref() == Some(*code)).collect();
        assert_eq!(mine.iter().filter(|s| s.reserve_rank.is_none()).count(), 10, "{code}: 10 households");
        assert_eq!(
            mine.iter().filter(|s| s.reserve_rank.is_some()).count(),
            5,
            "{code}: 5 reserves in the same village"
        );
        // A household is reached at home: a name and an address; a phone only when listed.
        assert!(
            mine.iter().all(|s| s.contact.as_ref().is_some_and(|c| !c.address.is_empty() && !c.phone.starts_with('#')))
        );
    }
    assert_eq!(slips.len(), 45);
    let cells = store.design_cells("hoa-son-2026").await.expect("cells");
    assert_eq!(cells.len(), 3);
    for c in &cells {
        let v = drawn.iter().find(|v| v.code == c.field).expect("a drawn village");
        let (num, den) = v.chance.expect("chance");
        // P(village) × 10 ÷ listed, as a fraction.
        assert_eq!(c.chance_num * den * c.listed, num * 10 * c.chance_den, "{c:?}");
        assert_eq!(c.listed, v.households, "the example's lists hold every household of the village list");
        // PPS × a fixed take: every household of the commune weighs 2365 ÷ 30.
        assert!((c.weight() - 2365.0 / 30.0).abs() < 1e-9, "{c:?}");
    }
}

#[tokio::test]
async fn a_village_list_with_bad_rows_is_refused_and_names_them() {
    let (db, store) = province().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("thon.csv");
    std::fs::write(
        &file,
        "Tên xã;Tên thôn;Số hộ\nXã Tân Lập;Thôn Mới;120\nXã Không Có;Thôn Tây;80\nXã Tân Lập;Thôn Cũ;nhiều\n",
    )
    .expect("write");
    let out = sipas(&db, &["villages", "import", "--campaign", "hoa-son-2026", file.to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("dòng 3, cột «Tên đơn vị»: «Xã Không Có»"), "{err}");
    assert!(err.contains("dòng 4, cột «Số hộ»: «nhiều»"), "{err}");
    assert_eq!(store.villages("hoa-son-2026").await.expect("v").len(), 1_930, "nothing stored");
    let out =
        sipas(&db, &["villages", "import", "--campaign", "hoa-son-2026", "--skip-bad", file.to_str().expect("p")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(store.villages("hoa-son-2026").await.expect("v").len(), 1_931);
}

#[tokio::test]
async fn two_village_draws_at_once_draw_each_commune_once() {
    let (db, store) = province().await;
    // Two offices press «Chọn thôn» at the same moment with different seeds.
    let children: Vec<_> = ["7", "8"]
        .iter()
        .map(|seed| common::sipas_child(&db, &["villages", "draw", "--campaign", "hoa-son-2026", "--seed", seed]))
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let villages = store.villages("hoa-son-2026").await.expect("villages");
    let mut drawn: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for v in villages.iter().filter(|v| v.chance.is_some()) {
        *drawn.entry(v.unit.as_str()).or_default() += 1;
    }
    assert_eq!(drawn.len(), 100);
    assert!(drawn.values().all(|n| *n == 3), "a commune drawn twice: {drawn:?}");
}
