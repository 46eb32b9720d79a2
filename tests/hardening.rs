//! The service as an attacker and an operator meet it: hostile workbooks,
//! API tokens out of their place, an outsider locking a colleague out,
//! connections that never finish their request, the metrics page, a backup
//! taken while serving and restored, a clean stop, and logs without secrets.
//! Each attack here succeeded against the service before it was hardened.

mod common;

use common::{
    PASSWORD, TestDb, add_user, api_token, bearer_client, example_campaign, sipas, spawn_server, stderr, stdout,
};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const CAMPAIGN: &str = "quang-binh-2026";

fn run(db: &TestDb, args: &[&str]) -> String {
    let out = sipas(db, args);
    assert!(out.status.success(), "sipas {args:?}: {}", stderr(&out));
    stdout(&out)
}

async fn loaded() -> TestDb {
    let db = TestDb::new().await;
    run(&db, &["campaign", "load", example_campaign().to_str().expect("path")]);
    db
}

/// A frame workbook as a counter sends it, with a stray cell in the last
/// column of the last row: the sheet claims 16,384 × 1,048,576 cells.
fn dimension_bomb() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["TT", "Họ và tên", "Tên thủ tục hành chính", "Địa chỉ", "Số điện thoại"].iter().enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for (r, (name, phone)) in [("Nguyễn Văn An", "0912345678"), ("Trần Thị Bình", "0987654321")].iter().enumerate()
    {
        let r = r as u32 + 1;
        sheet.write_number(r, 0, f64::from(r)).expect("tt");
        sheet.write_string(r, 1, *name).expect("name");
        sheet.write_string(r, 2, "Đăng ký khai sinh").expect("procedure");
        sheet.write_string(r, 3, "Thôn 1").expect("address");
        sheet.write_string(r, 4, *phone).expect("phone");
    }
    sheet.write_string(1_048_575, 16_383, "x").expect("far cell");
    book.save_to_buffer().expect("xlsx")
}

/// A small workbook whose sheet unpacks to more than 200 MB (blank space
/// inside the sheet's XML, which deflate squeezes a thousandfold).
fn zip_bomb() -> Vec<u8> {
    let normal = dimension_bomb();
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(normal)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..source.len() {
        let mut entry = source.by_index(i).expect("entry");
        let name = entry.name().expect("name").into_owned();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).expect("read entry");
        out.start_file(name.as_str(), options).expect("start");
        if name == "xl/worksheets/sheet1.xml" {
            let text = String::from_utf8(body).expect("xml");
            let (head, tail) = text.split_at(text.find("<sheetData>").expect("sheet data"));
            out.write_all(head.as_bytes()).expect("head");
            let blank = vec![b' '; 1 << 20];
            for _ in 0..210 {
                out.write_all(&blank).expect("padding");
            }
            out.write_all(tail.as_bytes()).expect("tail");
        } else {
            out.write_all(&body).expect("copy");
        }
    }
    out.finish().expect("finish").into_inner()
}

/// A 0.3 MB workbook whose one 1 MB shared string is referenced by 128,000
/// cells: read as copies, 128 GB.
fn shared_string_bomb() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["TT", "Họ và tên", "Tên thủ tục hành chính", "Địa chỉ", "Số điện thoại"].iter().enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    sheet.write_string(1, 1, "BOMB").expect("cell");
    let normal = book.save_to_buffer().expect("xlsx");
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(normal)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut index = None;
    let mut parts = Vec::new();
    for i in 0..source.len() {
        let mut entry = source.by_index(i).expect("entry");
        let name = entry.name().expect("name").into_owned();
        let mut body = String::new();
        entry.read_to_string(&mut body).expect("read entry");
        if name == "xl/sharedStrings.xml" {
            index = Some(body.split("<si>").skip(1).position(|si| si.contains(">BOMB<")).expect("the string"));
            body = body.replace(">BOMB<", &format!(">{}<", "A".repeat(1 << 20)));
        }
        parts.push((name, body));
    }
    let index = index.expect("shared strings");
    for (name, body) in parts {
        out.start_file(name.as_str(), options).expect("start");
        if name == "xl/worksheets/sheet1.xml" {
            let start = body.find("<row r=\"2\"").expect("row 2");
            let end = body.find("</sheetData>").expect("end");
            out.write_all(&body.as_bytes()[..start]).expect("head");
            for r in 2..128_002 {
                let row = format!(
                    "<row r=\"{r}\"><c r=\"B{r}\" t=\"s\"><v>{index}</v></c><c r=\"C{r}\" t=\"s\"><v>{index}</v></c></row>"
                );
                out.write_all(row.as_bytes()).expect("row");
            }
            out.write_all(&body.as_bytes()[end..]).expect("tail");
        } else {
            out.write_all(body.as_bytes()).expect("copy");
        }
    }
    out.finish().expect("finish").into_inner()
}

async fn healthy(base: &str) -> bool {
    reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success())
}

#[tokio::test]
async fn hostile_workbooks_are_read_within_bounds_and_the_server_keeps_answering() {
    let db = loaded().await;
    let dir = tempfile::tempdir().expect("dir");
    // From the command line: the stray cell is ignored, the two people are read.
    let bomb = dir.path().join("QB01.xlsx");
    std::fs::write(&bomb, dimension_bomb()).expect("write");
    let started = Instant::now();
    let out = sipas(&db, &["frame", "import", "--campaign", CAMPAIGN, "--unit", "QB01", bomb.to_str().expect("path")]);
    assert!(out.status.success(), "the process survives the sheet's claimed size: {:?} {}", out.status, stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 2 người"), "{}", stdout(&out));
    eprintln!("dimension bomb imported in {:?}", started.elapsed());

    // From the page, while respondents keep being served.
    add_user(&db, "quan-tri", "admin", &[]);
    let server = spawn_server(&db, &[]);
    let admin = common::sign_in(&server.base, "quan-tri").await;
    let page = format!("{}/admin/campaigns/{CAMPAIGN}", server.base);
    let csrf = common::csrf_in(&admin.get(&page).send().await.expect("page").text().await.expect("body"));
    let upload = |bytes: Vec<u8>, name: &'static str, unit: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("unit", unit)
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        admin.post(format!("{page}/frame")).multipart(form).send()
    };
    let message = |resp: reqwest::Response| {
        let admin = &admin;
        let base = server.base.clone();
        async move {
            assert_eq!(resp.status().as_u16(), 303);
            let to = resp.headers()["location"].to_str().expect("location").to_owned();
            assert!(!to.contains("err=") && !to.contains("ok="), "no message text in the URL: {to}");
            let body = admin.get(format!("{base}{to}")).send().await.expect("get").text().await.expect("body");
            let doc = scraper::Html::parse_document(&body);
            let sel = scraper::Selector::parse("main .ok, main .alert").expect("selector");
            doc.select(&sel).next().map(|e| e.text().collect::<String>()).unwrap_or_default()
        }
    };
    let bomb = zip_bomb();
    assert!(bomb.len() < 2 * 1024 * 1024, "a small upload: {} bytes", bomb.len());
    let upload_bomb = upload(bomb, "QB02.xlsx", "QB02");
    let (resp, alive) = tokio::join!(upload_bomb, async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        healthy(&server.base).await
    });
    assert!(alive, "/healthz answers while the bomb is read");
    let said = message(resp.expect("upload")).await;
    assert!(said.contains("giải nén ra hơn 192 MB"), "{said}");
    assert!(healthy(&server.base).await);

    // One long shared string in every cell: refused at its first cell, never
    // copied (before: the server aborted after 12 s under a 6 GB cap).
    let bomb = shared_string_bomb();
    assert!(bomb.len() < 1024 * 1024, "a small upload: {} bytes", bomb.len());
    let upload_bomb = upload(bomb, "QB02.xlsx", "QB02");
    let (resp, alive) = tokio::join!(upload_bomb, async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        healthy(&server.base).await
    });
    assert!(alive, "/healthz answers while the bomb is read");
    let said = message(resp.expect("upload")).await;
    assert!(said.contains("ô B2") && said.contains("dài hơn 4096 byte"), "{said}");
    assert!(healthy(&server.base).await);
    // Memory, not time: the server never held more than 200 MB (the zip
    // bomb above, streamed into nothing, stays under it too).
    if let Some(peak) = server.peak_rss_kib() {
        eprintln!("server peak memory after the workbook bombs: {} MB", peak / 1024);
        assert!(peak < 200 * 1024, "the server's peak memory was {} MB", peak / 1024);
    }

    let said = message(upload(dimension_bomb(), "QB03.xlsx", "QB03").await.expect("upload")).await;
    assert!(said.contains("Đã nhập khung chọn mẫu QB03") && said.contains("thêm 2,"), "{said}");
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(4096, 0);
    let said = message(upload(xls, "QB04.xls", "QB04").await.expect("upload")).await;
    assert!(said.contains(".xls") && said.contains("Excel Workbook (.xlsx)"), "advice that fits: {said}");
    assert!(healthy(&server.base).await);
}

/// Runs SQL on the test database directly, as someone holding it would.
async fn execute(db: &TestDb, sql: &str) {
    if db.is_postgres() {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.expect("sql");
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.expect("sql");
        pool.close().await;
    }
}

#[tokio::test]
async fn api_tokens_open_the_api_only_expire_and_are_revoked_with_their_account() {
    let db = loaded().await;
    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "1"]);
    let enumerator = bearer_client(&api_token(&db, "dtv", "enumerator", &["QB01"]));
    let admin_token = api_token(&db, "quan-tri", "admin", &[]);
    let admin = bearer_client(&admin_token);
    let server = spawn_server(&db, &[]);
    let base = &server.base;

    // The enumerator's token does not download the unit's slips (names, phones).
    let resp = enumerator.get(format!("{base}/enumerator/{CAMPAIGN}/QB01/slips?format=csv")).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 303);
    assert!(resp.headers()["location"].to_str().expect("location").starts_with("/login"));
    assert!(!resp.text().await.expect("body").contains("09"), "no phone in what comes back");
    let resp =
        admin.get(format!("{base}/admin/campaigns/{CAMPAIGN}/invitations?format=csv")).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 303, "an admin's token opens no page either");
    let api = format!("{base}/api/v1/campaigns");
    assert_eq!(admin.get(&api).send().await.expect("get").status().as_u16(), 200);

    // Revoked: the API says so at once.
    let out = run(&db, &["user", "revoke", "quan-tri"]);
    assert!(out.contains("1 khoá"), "{out}");
    let resp = admin.get(&api).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 401);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthorized");

    // Expired: a token past its date opens nothing.
    let fresh = bearer_client(stdout(&sipas(&db, &["user", "token", "--days", "30", "quan-tri"])).trim());
    assert_eq!(fresh.get(&api).send().await.expect("get").status().as_u16(), 200);
    execute(&db, "UPDATE api_tokens SET expires_at = created_at WHERE revoked_at IS NULL").await;
    assert_eq!(fresh.get(&api).send().await.expect("get").status().as_u16(), 401, "expired");
    assert_eq!(sipas(&db, &["user", "token", "--days", "0", "quan-tri"]).status.code(), Some(2));

    // A disabled account: its session ends and its new token is refused.
    let newest = bearer_client(stdout(&sipas(&db, &["user", "token", "quan-tri"])).trim());
    let session = common::sign_in(base, "quan-tri").await;
    assert_eq!(session.get(format!("{base}/admin")).send().await.expect("get").status().as_u16(), 200);
    run(&db, &["user", "disable", "quan-tri"]);
    assert_eq!(session.get(format!("{base}/admin")).send().await.expect("get").status().as_u16(), 303);
    assert_eq!(newest.get(&api).send().await.expect("get").status().as_u16(), 401);
    run(&db, &["user", "enable", "quan-tri"]);
    assert_eq!(newest.get(&api).send().await.expect("get").status().as_u16(), 200);
    // A new password signs every session out.
    let session = common::sign_in(base, "quan-tri").await;
    let out = common::sipas_stdin(&db, &["user", "passwd", "--password-stdin", "quan-tri"], "mật-khẩu-mới-dài-hơn\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(session.get(format!("{base}/admin")).send().await.expect("get").status().as_u16(), 303);
    assert_eq!(sipas(&db, &["user", "revoke", "không-có-ai"]).status.code(), Some(2));
}

#[tokio::test]
async fn an_enumerators_units_hold_in_their_own_campaign_only() {
    let db = loaded().await;
    // Next year's campaign has the same unit codes.
    let dir = tempfile::tempdir().expect("dir");
    let mut next = sipas_shared::Campaign::load(&example_campaign()).expect("campaign");
    next.id = "quang-binh-2027".into();
    let store = sipas_shared::store::connect(&db.url).await.expect("connect");
    store.save_campaign(&next).await.expect("save");
    drop(store);
    let _ = dir;
    // A bare code found in two campaigns must say which.
    let out = common::sipas_stdin(
        &db,
        &["user", "add", "--role", "enumerator", "--unit", "QB01", "--password-stdin", "lan"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("có trong nhiều đợt"), "{}", stderr(&out));
    let out = common::sipas_stdin(
        &db,
        &["user", "add", "--role", "enumerator", "--campaign", CAMPAIGN, "--unit", "QB99", "--password-stdin", "lan"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(out.status.code(), Some(2), "an unknown unit is refused");
    assert!(stderr(&out).contains("QB99"), "{}", stderr(&out));
    let out = common::sipas_stdin(
        &db,
        &["user", "add", "--role", "enumerator", "--campaign", CAMPAIGN, "--unit", "QB01", "--password-stdin", "lan"],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let server = spawn_server(&db, &[]);
    let lan = common::sign_in(&server.base, "lan").await;
    let status = |path: String| {
        let lan = &lan;
        let base = server.base.clone();
        async move { lan.get(format!("{base}{path}")).send().await.expect("get").status().as_u16() }
    };
    assert_eq!(status(format!("/enumerator/{CAMPAIGN}/QB01")).await, 200);
    assert_eq!(status("/enumerator/quang-binh-2027/QB01".into()).await, 403, "the same code next year");
    // Moved to next year's QB02.
    run(&db, &["user", "units", "--unit", "quang-binh-2027/QB02", "lan"]);
    assert_eq!(status(format!("/enumerator/{CAMPAIGN}/QB01")).await, 403);
    assert_eq!(status("/enumerator/quang-binh-2027/QB02".into()).await, 200);
}

/// A sign-in attempt from `client` (an address behind the trusted proxy).
async fn try_login(base: &str, from: &str, name: &str, password: &str) -> (u16, Duration) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client.get(format!("{base}/login")).send().await.expect("login").text().await.expect("body");
    let csrf = common::csrf_in(&page);
    let started = Instant::now();
    let resp = client
        .post(format!("{base}/login"))
        .header("x-forwarded-for", from)
        .form(&[("name", name), ("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    (resp.status().as_u16(), started.elapsed())
}

/// A sign-in attempt with `browser`'s cookies, from `from` behind the proxy.
async fn login_with(browser: &reqwest::Client, base: &str, from: &str, name: &str, password: &str) -> u16 {
    let page = browser.get(format!("{base}/login")).send().await.expect("login").text().await.expect("body");
    let csrf = common::csrf_in(&page);
    let resp = browser
        .post(format!("{base}/login"))
        .header("x-forwarded-for", from)
        .form(&[("name", name), ("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    resp.status().as_u16()
}

#[tokio::test]
async fn behind_one_office_address_nobody_locks_out_a_colleague_who_signed_in_before() {
    let db = loaded().await;
    add_user(&db, "hoa", "admin", &[]);
    let server = spawn_server(&db, &["--trust-proxy"]);
    let base = &server.base;
    let office = "203.0.113.20";
    let browser = || {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    };
    // Hoa signs in on her own browser once, from the office's one address.
    let hoa = browser();
    assert_eq!(login_with(&hoa, base, office, "hoa", PASSWORD).await, 303);
    // Someone on the same office Wi-Fi types wrong passwords for her name:
    // before, five of them locked Hoa out for 15 minutes.
    let other = browser();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(login_with(&other, base, office, "hoa", "sai-mật-khẩu").await);
    }
    assert_eq!(statuses.last(), Some(&429), "the guessing browser is stopped: {statuses:?}");
    // Hoa's browser, from the same address, still signs in.
    assert_eq!(login_with(&hoa, base, office, "hoa", PASSWORD).await, 303, "the colleague is not locked out");
    // A forged device cookie is no device: it is counted with the guesses.
    let forged = browser();
    forged.get(format!("{base}/login")).send().await.expect("login");
    let jar_url: reqwest::Url = format!("{base}/login").parse().expect("url");
    let with_cookie = reqwest::Client::builder()
        .cookie_provider(std::sync::Arc::new({
            let jar = reqwest::cookie::Jar::default();
            jar.add_cookie_str("sipas_device=abc.def; Path=/login", &jar_url);
            jar
        }))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    assert_eq!(login_with(&with_cookie, base, office, "hoa", PASSWORD).await, 429);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn an_outsider_cannot_lock_a_colleague_out_nor_fill_the_disk_nor_tell_names_apart() {
    let db = loaded().await;
    add_user(&db, "hoa", "admin", &[]);
    let server = spawn_server(&db, &["--trust-proxy"]);
    let base = &server.base;
    // The outsider guesses hoa's password until refused.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(try_login(base, "203.0.113.9", "hoa", "đoán-mò-mật-khẩu").await.0);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "the outsider's own address is locked");
    assert_eq!(try_login(base, "203.0.113.9", "hoa", PASSWORD).await.0, 429, "even with the right password");
    // Hoa, at her own desk, signs in.
    assert_eq!(try_login(base, "198.51.100.7", "hoa", PASSWORD).await.0, 303, "the colleague is not locked out");

    // Names of 100,000 characters cost the database a few bytes each.
    let file = db.url.strip_prefix("sqlite://").map(std::path::PathBuf::from);
    let size = |f: &Option<std::path::PathBuf>| {
        f.as_ref().map_or(0, |f| {
            ["", "-wal"]
                .iter()
                .map(|s| std::fs::metadata(format!("{}{s}", f.display())).map_or(0, |m| m.len()))
                .sum::<u64>()
        })
    };
    let before = size(&file);
    for i in 0..8 {
        let long = format!("{i}{}", "x".repeat(100_000));
        assert_eq!(try_login(base, "192.0.2.44", &long, "sai").await.0, 401);
    }
    let grown = size(&file).saturating_sub(before);
    assert!(grown < 200_000, "eight 100 KB names grew the database by {grown} bytes");

    // An unknown name takes as long to refuse as a wrong password.
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..4 {
        known.push(try_login(base, &format!("192.0.2.{}", 100 + i), "hoa", "sai-mật-khẩu").await.1);
        unknown.push(try_login(base, &format!("192.0.2.{}", 150 + i), "không-ai-tên-này", "sai-mật-khẩu").await.1);
    }
    let (known, unknown) = (median(known), median(unknown));
    assert!(unknown * 3 >= known, "unknown names answered in {unknown:?}, known in {known:?}");

    // The login form follows only a path of this site.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{base}/login?next=/%09/evil.example"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let csrf = common::csrf_in(&page);
    let resp = client
        .post(format!("{base}/login"))
        .header("x-forwarded-for", "198.51.100.8")
        .form(&[("name", "hoa"), ("password", PASSWORD), ("csrf", csrf.as_str()), ("next", "/\t/evil.example")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/admin", "never off-site");
}

#[tokio::test]
async fn connections_that_never_finish_their_request_are_closed() {
    let db = loaded().await;
    let server = spawn_server(&db, &["--header-timeout", "2"]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: sipas\r\nX-Slow: ").expect("write");
        held.push(s);
    }
    // Meanwhile a respondent elsewhere is served (the trickling address holds
    // at most its own share of connections).
    let elsewhere =
        reqwest::Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, 3])).build().expect("client");
    let served = elsewhere.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status().is_success());
    assert!(served, "answers with 300 trickling connections open");
    // Every trickling connection is closed by the server within the timeout.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut closed = 0;
    for mut s in held {
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(10));
        closed += usize::from(closed_within(&mut s, left));
    }
    assert_eq!(closed, 300, "connections closed by the server");
    assert!(healthy(&server.base).await);
}

/// Whether the server closes `s` within `within` (end of stream or reset).
fn closed_within(s: &mut std::net::TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        s.set_read_timeout(Some(left)).expect("timeout");
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn silent_sockets_and_idle_http2_connections_cannot_hold_the_service() {
    let db = loaded().await;
    let server = spawn_server(&db, &["--header-timeout", "2"]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    // 1,100 sockets from one address that never send a byte, and 20 that
    // speak HTTP/2 (the preface and SETTINGS) and then nothing.
    let mut silent = Vec::new();
    for _ in 0..1100 {
        silent.push(std::net::TcpStream::connect(&addr).expect("connect"));
    }
    let mut h2 = Vec::new();
    for _ in 0..20 {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").expect("preface");
        h2.push(s);
    }
    // A respondent on another address is served at once: before, 0 of 4
    // answers in 40 s, the 1,024 places all held.
    let respondent = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let mut served = 0;
    for _ in 0..4 {
        let ok = respondent.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status().is_success());
        served += usize::from(ok);
    }
    assert_eq!(served, 4, "a real client among 1,100 silent sockets");
    // Every silent or idle connection is closed by the server: within the
    // header deadline from the accept (2 s here), with a margin.
    let closed =
        silent.iter_mut().chain(h2.iter_mut()).map(|s| closed_within(s, Duration::from_secs(6))).filter(|c| *c).count();
    assert_eq!(closed, 1120, "connections left open by the server");
    assert!(healthy(&server.base).await);
}

#[tokio::test]
async fn metrics_count_requests_by_route_for_this_machine_and_staff_only() {
    let db = loaded().await;
    add_user(&db, "quan-tri", "admin", &[]);
    let server = spawn_server(&db, &[]);
    let base = &server.base;
    for _ in 0..3 {
        assert!(healthy(base).await);
    }
    let _ = reqwest::get(format!("{base}/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await.expect("get");
    let resp = reqwest::get(format!("{base}/metrics")).await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.expect("body");
    let line = |prefix: &str| text.lines().find(|l| l.starts_with(prefix)).map(str::to_owned);
    let health =
        line("sipas_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}").expect("healthz counted");
    assert!(health.ends_with(" 3"), "{health}");
    assert!(line("sipas_http_requests_total{method=\"GET\",route=\"/s/{token}\",status=\"404\"}").is_some(), "{text}");
    assert!(!text.contains("AAAAAAAA"), "routes by pattern, never a token");
    for gauge in
        ["sipas_db_pool_connections ", "sipas_submission_queue ", "sipas_http_connections ", "sipas_submissions_total "]
    {
        assert!(line(gauge).is_some(), "{gauge} in {text}");
    }
    // Through a proxy, an outsider is refused; signed-in staff are not.
    let client = reqwest::Client::new();
    let resp =
        client.get(format!("{base}/metrics")).header("x-forwarded-for", "203.0.113.9").send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 403);
    // A proxy that sets only one of the other headers: before, 200.
    for (header, value) in [("x-real-ip", "203.0.113.9"), ("via", "1.1 proxy"), ("forwarded", "for=203.0.113.9")] {
        let resp = client.get(format!("{base}/metrics")).header(header, value).send().await.expect("get");
        assert_eq!(resp.status().as_u16(), 403, "{header}");
    }
    let admin = common::sign_in(base, "quan-tri").await;
    let resp = admin.get(format!("{base}/metrics")).header("x-forwarded-for", "203.0.113.9").send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_the_same_figures() {
    let db = loaded().await;
    let dir = tempfile::tempdir().expect("dir");
    let copy = dir.path().join("sao-luu.db");
    if db.is_postgres() {
        let out = sipas(&db, &["backup", "--out", copy.to_str().expect("path")]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("pg_dump"), "says what to use: {}", stderr(&out));
        return;
    }
    run(&db, &["demo", "generate", "--campaign", CAMPAIGN, "--responses", "300", "--seed", "4"]);
    let server = spawn_server(&db, &[]);
    let report = |db: &TestDb| {
        let mut doc: serde_json::Value =
            serde_json::from_str(&run(db, &["report", "--campaign", CAMPAIGN, "--format", "json"])).expect("json");
        doc["generated_at"] = serde_json::Value::Null;
        doc
    };
    let before = report(&db);
    // Answers keep arriving while the copy is taken.
    let busy = {
        let base = server.base.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                let _ = reqwest::get(format!("{base}/healthz")).await;
            }
        })
    };
    let out = run(&db, &["backup", "--out", copy.to_str().expect("path")]);
    busy.await.expect("requests");
    assert!(out.contains("Đã sao lưu"), "{out}");
    assert_eq!(
        sipas(&db, &["backup", "--out", copy.to_str().expect("path")]).status.code(),
        Some(2),
        "never overwrites"
    );
    drop(server);

    // Restored next to its key, the copy reports the same figures.
    let restored = TestDb::new().await;
    let target = restored.url.strip_prefix("sqlite://").expect("sqlite").to_owned();
    let key = format!("{}.key", db.url.strip_prefix("sqlite://").expect("sqlite"));
    std::fs::copy(&key, format!("{target}.key")).expect("key beside the restored database");
    let out = sipas(&restored, &["restore", copy.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report(&restored), before);
    // A database is there now: replaced only when asked.
    assert_eq!(sipas(&restored, &["restore", copy.to_str().expect("path")]).status.code(), Some(2));
    // With another key the copy is refused, and the database stays as it was.
    let other = TestDb::new().await;
    let other_file = other.url.strip_prefix("sqlite://").expect("sqlite").to_owned();
    std::fs::write(format!("{other_file}.key"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").expect("key");
    let out = sipas(&other, &["restore", copy.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("khoá khác"), "{}", stderr(&out));
    assert!(!std::path::Path::new(&other_file).exists());
}

#[tokio::test]
async fn the_service_stops_cleanly_and_logs_json_without_secrets() {
    let db = loaded().await;
    add_user(&db, "quan-tri", "admin", &[]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sipas"))
        .args(["--log-format", "json", "serve", "--addr", "127.0.0.1:0", "--db", &db.url])
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let base = loop {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut out, &mut line).expect("line") > 0, "serve prints its address");
        if let Some(rest) = line.split("http://").nth(1) {
            break format!("http://{}", rest.split_whitespace().next().expect("address"));
        }
    };
    let _signed_in = common::sign_in(&base, "quan-tri").await;
    // SIGTERM, as docker stop and systemd send it.
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the service did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut logs = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut logs).expect("logs");
    let events: Vec<serde_json::Value> =
        logs.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(
        events.iter().any(|e| e["fields"]["message"] == "staff signed in" && e["fields"]["user"] == "quan-tri"),
        "{logs}"
    );
    assert!(!logs.contains(PASSWORD) && !logs.contains("sipas_session"), "{logs}");

    // Other commands print what was asked, with no log noise and no colours.
    let out = sipas(&db, &["report", "--campaign", CAMPAIGN, "--format", "json"]);
    assert!(out.status.success());
    assert!(stderr(&out).is_empty() || !stderr(&out).contains('\u{1b}'), "{}", stderr(&out));
    assert!(!stderr(&out).contains("slow statement"), "{}", stderr(&out));
}

#[tokio::test]
async fn messages_after_a_form_cannot_be_forged_nor_read_by_someone_else() {
    let db = loaded().await;
    add_user(&db, "quan-tri", "admin", &[]);
    add_user(&db, "tham-dinh", "admin", &[]);
    let server = spawn_server(&db, &[]);
    let base = &server.base;
    let page = format!("{base}/admin/campaigns/{CAMPAIGN}");
    let shown = |body: String| {
        let doc = scraper::Html::parse_document(&body);
        let sel = scraper::Selector::parse("main .ok, main .alert").expect("selector");
        doc.select(&sel).map(|e| e.text().collect::<String>()).collect::<Vec<_>>()
    };
    let a = common::sign_in(base, "quan-tri").await;
    // Text in the URL is never shown in the official boxes.
    let forged = format!("{page}?ok=Đã%20duyệt%20kết%20quả&err=Hãy%20gọi%200912345678&m=bịa-đặt");
    assert!(shown(a.get(&forged).send().await.expect("get").text().await.expect("body")).is_empty());
    // A real message: its id only in the URL, shown once, to its own reader.
    let csrf = common::csrf_in(&a.get(&page).send().await.expect("page").text().await.expect("body"));
    let resp =
        a.post(format!("{page}/sample")).form(&[("csrf", csrf.as_str()), ("seed", "-1")]).send().await.expect("post");
    let to = resp.headers()["location"].to_str().expect("location").to_owned();
    assert!(to.starts_with(&format!("/admin/campaigns/{CAMPAIGN}?m=")), "{to}");
    let b = common::sign_in(base, "tham-dinh").await;
    assert!(
        shown(b.get(format!("{base}{to}")).send().await.expect("get").text().await.expect("body")).is_empty(),
        "not another's"
    );
    let first = shown(a.get(format!("{base}{to}")).send().await.expect("get").text().await.expect("body"));
    assert_eq!(first.len(), 1);
    assert!(first[0].contains("hạt giống «-1»"), "{first:?}");
    assert!(
        shown(a.get(format!("{base}{to}")).send().await.expect("get").text().await.expect("body")).is_empty(),
        "once"
    );
}

/// Opens `n` connections from 127.0.0.1, each asking for `/healthz` and
/// kept alive; how many were answered.
fn answered_connections(addr: &str, n: usize) -> (usize, Vec<std::net::TcpStream>) {
    let mut held = Vec::new();
    let mut answered = 0;
    for _ in 0..n {
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let ok = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").is_ok() && {
            let mut buf = [0u8; 12];
            std::io::Read::read_exact(&mut s, &mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200")
        };
        answered += usize::from(ok);
        held.push(s);
    }
    (answered, held)
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_proxys_one_address_is_not_capped_like_a_client() {
    // Every connection through a proxy comes from the proxy: capped at 256
    // like one client, the whole service stopped at 256 (before).
    let db = loaded().await;
    let server = spawn_server(&db, &["--trust-proxy", "1"]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let (answered, held) = answered_connections(&addr, 300);
    assert_eq!(answered, 300, "the proxy's connections, all served");
    drop(held);
    // Without a proxy, one address still holds at most 256.
    let direct = spawn_server(&db, &[]);
    let (answered, _held) = answered_connections(direct.base.trim_start_matches("http://"), 300);
    assert_eq!(answered, 256, "one client address");
}

#[tokio::test]
async fn behind_a_proxy_that_adds_no_header_the_metrics_are_for_staff_only() {
    // `proxy_pass` without `proxy_set_header`: the request arrives from
    // loopback with no proxy header. Before, 200 to anyone on the Internet.
    let db = loaded().await;
    add_user(&db, "quan-tri", "admin", &[]);
    let server = spawn_server(&db, &["--trust-proxy", "1"]);
    let resp = reqwest::get(format!("{}/metrics", server.base)).await.expect("get");
    assert_eq!(resp.status().as_u16(), 403);
    let admin = common::sign_in(&server.base, "quan-tri").await;
    let resp = admin.get(format!("{}/metrics", server.base)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
}
