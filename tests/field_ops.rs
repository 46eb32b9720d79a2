//! Field operations end to end, on whichever backend the harness picked:
//! drawing the sample from the counters' lists, printing invitations, chasing
//! outcomes with reserves, keying paper ballots, and who may do what.

mod common;

use common::{
    PASSWORD, TestDb, add_user, api_token, bearer_client, example_campaign, fixture, sipas, spawn_server, stderr,
    stdout,
};
use scraper::{Html, Selector};
use sipas_shared::store::{self, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const CAMPAIGN: &str = "quang-binh-2026";

fn run(db: &TestDb, args: &[&str]) -> String {
    let out = sipas(db, args);
    assert!(out.status.success(), "sipas {args:?}: {}", stderr(&out));
    stdout(&out)
}

/// The example district with the messy frames of three communes imported.
async fn with_frames() -> TestDb {
    let db = TestDb::new().await;
    run(&db, &["campaign", "load", example_campaign().to_str().expect("path")]);
    for unit in ["QB01", "QB03", "QB04"] {
        let file = fixture(&format!("frames/{unit}.csv"));
        run(
            &db,
            &["frame", "import", "--campaign", CAMPAIGN, "--unit", unit, "--skip-bad", file.to_str().expect("path")],
        );
    }
    db
}

async fn open(db: &TestDb) -> Arc<dyn Store> {
    store::connect(&db.url).await.expect("store")
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// (unit, group, field, phone or "", reserve rank) of every invitation: what a draw decided.
async fn drawn(store: &dyn Store) -> BTreeSet<(String, String, Option<String>, String, Option<i64>)> {
    store
        .slips(CAMPAIGN, None)
        .await
        .expect("slips")
        .into_iter()
        .map(|s| (s.unit, s.group, s.field, s.contact.map(|c| c.phone).unwrap_or_default(), s.reserve_rank))
        .collect()
}

#[tokio::test]
async fn the_sample_follows_the_fields_of_the_frame_and_a_seed_repeats_it() {
    let db = with_frames().await;
    let out = run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "42"]);
    assert!(out.contains("seed 42"), "{out}");
    let store = open(&db).await;
    let slips = store.slips(CAMPAIGN, None).await.expect("slips");

    // Per commune with a frame: 26 citizens and 13 reserves, spread over fields
    // as the frame is (largest remainder), nobody twice.
    let frame = store.frame_rows(CAMPAIGN).await.expect("frame");
    for unit in ["QB01", "QB03", "QB04"] {
        let mut sizes: BTreeMap<Option<String>, u64> = BTreeMap::new();
        for r in frame.iter().filter(|r| r.unit == unit) {
            *sizes.entry(r.field.clone()).or_default() += 1;
        }
        let strata: Vec<&Option<String>> = sizes.keys().collect();
        let weights: Vec<u64> = sizes.values().copied().collect();
        let expected = sipas_shared::field::sampling::allocate(26, &weights, &vec![u64::MAX; weights.len()]);
        let citizens: Vec<_> = slips.iter().filter(|s| s.unit == unit && s.group == "citizens").collect();
        for (field, want) in strata.iter().zip(&expected) {
            let got = citizens.iter().filter(|s| s.reserve_rank.is_none() && &&s.field == field).count() as u64;
            assert_eq!(got, *want, "{unit} {field:?}: frame {sizes:?}");
        }
        assert_eq!(citizens.iter().filter(|s| s.reserve_rank.is_some()).count(), 13, "{unit}");
        assert!(citizens.iter().filter(|s| s.reserve_rank.is_some()).all(|s| s.status.code() == "reserve"));
        let phones: BTreeSet<&str> =
            citizens.iter().filter_map(|s| s.contact.as_ref().map(|c| c.phone.as_str())).collect();
        assert_eq!(phones.len(), 39, "{unit}: nobody drawn twice");
    }
    // A commune without a frame gets no citizens; delegates and civil servants
    // are invited in full, with open slips and no reserve.
    assert!(!slips.iter().any(|s| s.unit == "QB02" && s.group == "citizens"));
    for unit in ["QB01", "QB02", "QB15"] {
        let delegates = slips.iter().filter(|s| s.unit == unit && s.group == "delegates").count();
        let servants = slips.iter().filter(|s| s.unit == unit && s.group == "civil-servants").count();
        assert_eq!((delegates, servants), (15, 5), "{unit}");
    }
    assert!(slips.iter().filter(|s| s.group != "citizens").all(|s| s.contact.is_none() && s.reserve_rank.is_none()));

    // The same frame and seed in another database give the same sample; another seed another.
    let again = with_frames().await;
    run(&again, &["sample", "--campaign", CAMPAIGN, "--seed", "42"]);
    let first = drawn(&*store).await;
    assert_eq!(first, drawn(&*open(&again).await).await);
    let other = with_frames().await;
    run(&other, &["sample", "--campaign", CAMPAIGN, "--seed", "43"]);
    assert_ne!(first, drawn(&*open(&other).await).await);

    // On either backend the draw is the same: the three lowest phones among
    // QB03's citizens drawn with seed 42.
    let qb03: Vec<&str> = {
        let mut v: Vec<&str> = slips
            .iter()
            .filter(|s| s.unit == "QB03" && s.group == "citizens" && s.reserve_rank.is_none())
            .filter_map(|s| s.contact.as_ref().map(|c| c.phone.as_str()))
            .collect();
        v.sort_unstable();
        v.truncate(3);
        v
    };
    assert_eq!(qb03, EXPECTED_QB03_SEED_42, "the draw for seed 42 changed");
}

/// As first drawn on SQLite; PostgreSQL must draw the same.
const EXPECTED_QB03_SEED_42: [&str; 3] = ["0323909155", "0340768041", "0366147650"];

#[tokio::test]
async fn drawing_again_only_tops_up_and_never_touches_the_invited() {
    let db = with_frames().await;
    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "1"]);
    let store = open(&db).await;
    let before = drawn(&*store).await;
    let out = run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "2"]);
    assert!(out.contains("Đã phát 0 phiếu mời và 0 người dự phòng"), "{out}");
    assert_eq!(before, drawn(&*store).await, "a second run changes nothing");

    // A late list for QB05: only QB05 is drawn, everyone else stays as drawn.
    let file = fixture("frames/QB05.csv");
    run(
        &db,
        &["frame", "import", "--campaign", CAMPAIGN, "--unit", "QB05", "--skip-bad", file.to_str().expect("path")],
    );
    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "2", "--reserve", "20"]);
    let after = drawn(&*store).await;
    assert!(before.is_subset(&after));
    let added: Vec<_> = after.difference(&before).collect();
    assert!(added.iter().all(|(unit, group, ..)| unit == "QB05" && group == "citizens"), "{added:?}");
    assert_eq!(added.iter().filter(|d| d.4.is_none()).count(), 26);
    assert_eq!(added.iter().filter(|d| d.4.is_some()).count(), 6, "20 % of 26, rounded up");
    let people: BTreeSet<&str> = after.iter().map(|d| d.3.as_str()).filter(|p| !p.is_empty()).collect();
    assert_eq!(people.len(), after.iter().filter(|d| !d.3.is_empty()).count(), "no person invited twice");

    let bad = sipas(&db, &["sample", "--campaign", CAMPAIGN, "--reserve", "900"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--reserve 900"), "{}", stderr(&bad));
}

#[tokio::test]
async fn invitations_print_eight_slips_a_page_and_a_csv_for_sms() {
    let db = with_frames().await;
    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "7"]);
    let base = "https://khaosat.example.gov.vn";
    let html =
        run(&db, &["invitations", "--campaign", CAMPAIGN, "--unit", "QB01", "--format", "html", "--public-url", base]);
    let doc = Html::parse_document(&html);
    let slips: Vec<_> = doc.select(&sel(".slip")).collect();
    // QB01: 26 citizens + 15 delegates + 5 civil servants open; reserves are not printed.
    assert_eq!(slips.len(), 46);
    assert_eq!(doc.select(&sel(".sheet")).count(), 6, "8 a page");
    assert!(html.contains("@page{size:A4"), "print CSS");
    for slip in &slips {
        assert!(slip.select(&sel("svg")).next().is_some(), "a QR on every slip");
        let code: String = slip.select(&sel(".code")).next().expect("code").text().collect();
        assert!(code.len() == 9 && code.as_bytes()[4] == b'-', "{code}");
        let url: String = slip.select(&sel(".url")).next().expect("link").text().collect();
        assert!(url.starts_with(&format!("{base}/s/")), "{url}");
        assert!(
            slip.text().collect::<String>().contains("Thị trấn Yên Bình") || slip.text().any(|t| t.contains("QB01"))
        );
    }

    let csv_text =
        run(&db, &["invitations", "--campaign", CAMPAIGN, "--unit", "QB01", "--format", "csv", "--public-url", base]);
    assert!(csv_text.starts_with('\u{feff}'), "a BOM, so Excel reads the Vietnamese");
    let mut reader = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "Mã đơn vị",
            "Tên đơn vị",
            "Nhóm",
            "Lĩnh vực",
            "Mã phiếu",
            "Họ và tên",
            "Số điện thoại",
            "Đường dẫn",
            "Tin nhắn",
            "Tin nhắn không dấu (1 tin)",
            "Gửi SMS"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 46);
    let citizens: Vec<_> = rows.iter().filter(|r| r[2].starts_with("Người dân")).collect();
    assert_eq!(citizens.len(), 26);
    for r in &citizens {
        assert!(!r[5].is_empty(), "a name");
        assert!(
            r[6].starts_with('0') && r[6].len() == 10 && r[6].bytes().all(|b| b.is_ascii_digit()),
            "phone {}",
            &r[6]
        );
        assert!(r[8].contains(&r[7]) && r[8].contains(&r[4]), "the SMS carries the link and the code: {}", &r[8]);
        let short = &r[9];
        assert!(short.chars().count() <= 160 && short.is_ascii(), "one GSM segment: {short}");
        assert!(
            short.contains(&r[7]) && short.contains(&r[4]) && short.starts_with("Thi tran Yen Binh moi"),
            "{short}"
        );
        assert_eq!(&r[10], "có");
    }
    let others: Vec<_> = rows.iter().filter(|r| !r[2].starts_with("Người dân")).collect();
    assert_eq!(others.len(), 20);
    for r in others {
        assert!(r[5].is_empty() && r[6].is_empty(), "no one named without a roster");
        assert!(r[8].is_empty() && r[9].is_empty() && &r[10] == "không có số điện thoại", "no SMS without a phone");
    }
    // A long public address: the short text gives up words, never the segment.
    let long = "https://khaosat-hai-long-nguoi-dan.so-noi-vu.tinh-quang-binh-vi-du.example.gov.vn/khao-sat-2026";
    let csv_text =
        run(&db, &["invitations", "--campaign", CAMPAIGN, "--unit", "QB01", "--format", "csv", "--public-url", long]);
    let mut reader = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    for r in reader.records().map(|r| r.expect("row")).filter(|r| &r[10] == "có") {
        assert!(r[9].chars().count() <= 160 && r[9].contains(&r[4]), "{}", &r[9]);
    }

    // The same invitations for Zalo's notification service: only those with a
    // phone, as 84…, every value of the template within 30 characters, the
    // link's token ready for the template's button.
    let zalo = sipas(
        &db,
        &["invitations", "--campaign", CAMPAIGN, "--unit", "QB01", "--format", "zalo", "--public-url", base],
    );
    assert!(zalo.status.success(), "{}", stderr(&zalo));
    assert!(stderr(&zalo).contains("20 phiếu mời không có số điện thoại"), "{}", stderr(&zalo));
    let zalo_text = String::from_utf8(zalo.stdout).expect("utf-8");
    let mut reader = csv::Reader::from_reader(zalo_text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    assert_eq!(header, ["phone", "ten", "don_vi", "so_phut", "ma_phieu", "ma_lien_ket"]);
    let zalo_rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(zalo_rows.len(), 26, "the citizens, who have phones");
    for (z, sms) in zalo_rows.iter().zip(&citizens) {
        assert_eq!(&z[0], format!("84{}", &sms[6][1..]), "the phone as 84xxxxxxxxx");
        assert!(z.iter().all(|v| v.chars().count() <= 30), "{z:?}");
        assert_eq!(&z[4], &sms[4], "the same code");
        assert!(
            z[5].starts_with("s/") && sms[7].ends_with(&format!("/{}", &z[5])),
            "the link: {} in {}",
            &z[5],
            &sms[7]
        );
        assert!(sms[5].ends_with(&z[1]), "the name, or its last words: {} of {}", &z[1], &sms[5]);
    }

    let no_url = sipas(&db, &["invitations", "--campaign", CAMPAIGN, "--format", "csv", "--public-url", "khaosat"]);
    assert_eq!(no_url.status.code(), Some(2));
    let bad_unit =
        sipas(&db, &["invitations", "--campaign", CAMPAIGN, "--unit", "QB99", "--format", "csv", "--public-url", base]);
    assert_eq!(bad_unit.status.code(), Some(2));
    assert!(stderr(&bad_unit).contains("QB99"));

    // The code typed by hand, in lower case and with a space, leads to the questionnaire.
    let server = spawn_server(&db, &[]);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let code = citizens[0][4].to_lowercase().replace('-', " ");
    let token = citizens[0][7].rsplit('/').next().expect("token").to_owned();
    let resp = client.get(format!("{}/k", server.base)).query(&[("code", code.as_str())]).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"].to_str().expect("location"), format!("/s/{token}"));
    let resp = client.get(format!("{}/k?code=ZZZZ-ZZZZ", server.base)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 404);
    assert!(resp.text().await.expect("body").contains("Không tìm thấy phiếu có mã này"));
    // Saving for later shows the slip's code to write down, and where to type it.
    let resp = client
        .post(format!("{}/s/{token}", server.base))
        .form(&[("q.HL", "4"), ("action", "save")])
        .send()
        .await
        .expect("save");
    assert_eq!(resp.status().as_u16(), 200);
    let page = Html::parse_document(&resp.text().await.expect("body"));
    let shown: String = page.select(&sel(".ok .resume-code")).next().expect("the code").text().collect();
    assert_eq!(shown, citizens[0][4]);
    let note: String = page.select(&sel(".ok")).next().expect("notice").text().collect();
    assert!(note.contains(&format!("{}/k", server.base)), "{note}");
}

/// A browser-like session: signs in through the login form.
struct Session {
    client: reqwest::Client,
    base: String,
}

impl Session {
    async fn login(base: &str, name: &str, password: &str) -> (Session, u16) {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let page = client.get(format!("{base}/login")).send().await.expect("login page").text().await.expect("body");
        let csrf = csrf_of(&page);
        let resp = client
            .post(format!("{base}/login"))
            .form(&[("name", name), ("password", password), ("csrf", csrf.as_str())])
            .send()
            .await
            .expect("login");
        (Session { client, base: base.to_owned() }, resp.status().as_u16())
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let resp = self.client.get(format!("{}{path}", self.base)).send().await.expect("get");
        (resp.status().as_u16(), resp.text().await.expect("body"))
    }

    /// Posts a form, with the CSRF token of `from` unless `csrf` is given.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let resp = self.client.post(format!("{}{path}", self.base)).form(fields).send().await.expect("post");
        let status = resp.status().as_u16();
        let location = resp.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
        let body = resp.text().await.expect("body");
        (status, if location.is_empty() { body } else { location })
    }

    async fn csrf(&self, page: &str) -> String {
        csrf_of(&self.get(page).await.1)
    }

    /// The message the page a form redirected to shows once: `PATH ok=…` or
    /// `PATH err=…`. The location itself carries only the message's id.
    async fn flash(&self, location: &str) -> String {
        assert!(!location.contains("ok=") && !location.contains("err="), "no text in the URL: {location}");
        let (_, page) = self.get(location).await;
        let doc = Html::parse_document(&page);
        let path = location.split('?').next().unwrap_or_default();
        let text = |css: &str| doc.select(&sel(css)).next().map(|e| e.text().collect::<String>());
        match (text("main .ok"), text("main .alert")) {
            (Some(ok), _) => format!("{path} ok={ok}"),
            (None, Some(err)) => format!("{path} err={err}"),
            (None, None) => format!("{path} (no message)"),
        }
    }
}

fn csrf_of(page: &str) -> String {
    let doc = Html::parse_document(page);
    let input = doc.select(&sel("input[name=csrf]")).next().expect("a CSRF field");
    input.value().attr("value").expect("value").to_owned()
}

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_and_repeated_failures_lock_the_name() {
    let db = TestDb::new().await;
    run(&db, &["campaign", "load", example_campaign().to_str().expect("path")]);
    add_user(&db, "hoa", "enumerator", &["QB01"]);
    let server = spawn_server(&db, &[]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    let page = client.get(format!("{}/login", server.base)).send().await.expect("get").text().await.expect("body");
    let csrf = csrf_of(&page);

    // Without the form's token: refused, even with the right password.
    let resp = client
        .post(format!("{}/login", server.base))
        .form(&[("name", "hoa"), ("password", PASSWORD), ("csrf", "forged")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 403);

    let (session, status) = Session::login(&server.base, "hoa", PASSWORD).await;
    assert_eq!(status, 303);
    let resp = session.client.get(format!("{}/enumerator/{CAMPAIGN}", server.base)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    // The cookie: HttpOnly, SameSite, only a hash kept in the store.
    let fresh = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let cookie_page = fresh.get(format!("{}/login", server.base)).send().await.expect("get");
    let login_cookie = cookie_page.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    let csrf2 = csrf_of(&cookie_page.text().await.expect("body"));
    let resp = fresh
        .post(format!("{}/login", server.base))
        .header("cookie", login_cookie.split(';').next().expect("pair"))
        .form(&[("name", "hoa"), ("password", PASSWORD), ("csrf", csrf2.as_str())])
        .send()
        .await
        .expect("post");
    let set: Vec<String> =
        resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().expect("cookie").to_owned()).collect();
    let session_cookie = set.iter().find(|c| c.starts_with("sipas_session=")).expect("session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    assert!(!session_cookie.contains("Secure"), "served over plain http here");
    let secret = session_cookie.trim_start_matches("sipas_session=").split(';').next().expect("value");
    let store = open(&db).await;
    assert!(store.session(secret).await.expect("lookup").is_none(), "the raw secret is not a key");
    assert!(store.session(&sipas_shared::model::auth::secret_hash(secret)).await.expect("lookup").is_some());

    // A form without the session's CSRF token does nothing.
    let (status, _) = session.post("/logout", &[("csrf", "nope")]).await;
    assert_eq!(status, 403);
    let token = session.csrf(&format!("/enumerator/{CAMPAIGN}")).await;
    let (status, to) = session.post("/logout", &[("csrf", &token)]).await;
    assert_eq!((status, to.as_str()), (303, "/login"));
    let (status, to) = session.get(&format!("/enumerator/{CAMPAIGN}")).await;
    assert_eq!(status, 303, "signed out: {to}");

    // Five wrong passwords lock the name, even against the right one.
    for _ in 0..5 {
        let (_, status) = Session::login(&server.base, "hoa", "sai-mat-khau-1").await;
        assert_eq!(status, 401);
    }
    let (_, status) = Session::login(&server.base, "hoa", PASSWORD).await;
    assert_eq!(status, 429);
    // An unknown name is told the same as a wrong password.
    let (_, status) = Session::login(&server.base, "khong-co", PASSWORD).await;
    assert_eq!(status, 401);
    drop(client);
    let _ = csrf;
}

#[tokio::test]
async fn every_role_reaches_exactly_its_routes() {
    let db = with_frames().await;
    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "3"]);
    let admin = bearer_client(&api_token(&db, "quan-tri", "admin", &[]));
    let enumerator = bearer_client(&api_token(&db, "dtv", "enumerator", &["QB01"]));
    let analyst = bearer_client(&api_token(&db, "phan-tich", "analyst", &[]));
    let nobody = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let server = spawn_server(&db, &[]);
    let c = CAMPAIGN;
    // route, admin, enumerator (QB01), analyst: 200 allowed, 403 refused.
    let matrix: Vec<(String, u16, u16, u16)> = vec![
        ("/admin".into(), 200, 403, 403),
        ("/admin/users".into(), 200, 403, 403),
        (format!("/admin/campaigns/{c}"), 200, 403, 403),
        (format!("/admin/campaigns/{c}/invitations?format=csv"), 200, 403, 403),
        (format!("/admin/campaigns/{c}/invitations?format=html&unit=QB03"), 200, 403, 403),
        ("/enumerator".into(), 303, 303, 403),
        (format!("/enumerator/{c}"), 200, 200, 403),
        (format!("/enumerator/{c}/QB01"), 200, 200, 403),
        (format!("/enumerator/{c}/QB03"), 200, 403, 403),
        (format!("/enumerator/{c}/QB01/slips?format=csv"), 200, 200, 403),
        (format!("/enumerator/{c}/QB03/slips?format=html"), 200, 403, 403),
        (format!("/enumerator/{c}/QB01/ballot?group=citizens"), 200, 200, 403),
        (format!("/enumerator/{c}/QB03/ballot?group=citizens"), 200, 403, 403),
        ("/reports".into(), 200, 403, 200),
        (format!("/reports/{c}"), 200, 403, 200),
        (format!("/reports/{c}?by=unit,field"), 200, 403, 200),
        (format!("/reports/{c}/download/report.csv"), 200, 403, 200),
        (format!("/reports/{c}/download/report.xlsx"), 200, 403, 200),
        (format!("/reports/{c}/download/report.json"), 200, 403, 200),
        ("/api/v1/campaigns".into(), 200, 403, 200),
        (format!("/api/v1/campaigns/{c}/report"), 200, 403, 200),
        (format!("/api/v1/campaigns/{c}/quotas"), 200, 403, 200),
        (format!("/api/v1/campaigns/{c}/export/export.csv"), 200, 403, 200),
        (format!("/api/v1/campaigns/{c}/export/export.json"), 200, 403, 200),
    ];
    // Pages are for signed-in sessions; API tokens open the API only.
    let pages = [
        common::sign_in(&server.base, "quan-tri").await,
        common::sign_in(&server.base, "dtv").await,
        common::sign_in(&server.base, "phan-tich").await,
    ];
    for (path, a, e, n) in &matrix {
        let url = format!("{}{path}", server.base);
        let api = path.starts_with("/api/");
        let [admin_page, enumerator_page, analyst_page] = &pages;
        let clients = if api { [&admin, &enumerator, &analyst] } else { [admin_page, enumerator_page, analyst_page] };
        for ((who, client), want) in ["admin", "enumerator", "analyst"].into_iter().zip(clients).zip([a, e, n]) {
            let got = client.get(&url).send().await.expect("get").status().as_u16();
            assert_eq!(got, *want, "{who} GET {path}");
            if !api {
                // The same account's API token on a page: the login form, not the page.
                let token = match who {
                    "admin" => &admin,
                    "enumerator" => &enumerator,
                    _ => &analyst,
                };
                let resp = token.get(&url).send().await.expect("get");
                assert_eq!(resp.status().as_u16(), 303, "{who}'s API token on {path}");
                assert!(resp.headers()["location"].to_str().expect("location").starts_with("/login"));
            }
        }
        // Nobody signed in: pages send to the login form, the API answers 401.
        let resp = nobody.get(&url).send().await.expect("get");
        if path.starts_with("/api/") {
            assert_eq!(resp.status().as_u16(), 401, "anonymous GET {path}");
            let body: serde_json::Value = resp.json().await.expect("json");
            assert_eq!(body["error"]["code"], "unauthorized");
        } else {
            assert_eq!(resp.status().as_u16(), 303, "anonymous GET {path}");
            let to = resp.headers()["location"].to_str().expect("location").to_owned();
            assert!(to.starts_with("/login?next=/"), "{to}");
        }
    }
    // The quota API: counts only.
    let quotas: serde_json::Value = analyst
        .get(format!("{}/api/v1/campaigns/{c}/quotas", server.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let row = quotas["quotas"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["unit"] == "QB01" && r["group"] == "citizens")
        .expect("QB01 citizens");
    assert_eq!(
        (row["quota"].as_i64(), row["invited"].as_i64(), row["reserves"].as_i64()),
        (Some(26), Some(26), Some(13))
    );
    assert_eq!(row["remaining"].as_i64(), Some(26));
    // The API refuses an enumerator in JSON.
    let resp = enumerator.get(format!("{}/api/v1/campaigns/{c}/report", server.base)).send().await.expect("get");
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "forbidden");
    // A revoked or invented token is nobody.
    let forged = bearer_client("not-a-token");
    assert_eq!(
        forged.get(format!("{}/api/v1/campaigns", server.base)).send().await.expect("get").status().as_u16(),
        401
    );

    // Forms: the role is checked before anything is read or changed.
    let slip = open(&db).await.slips(c, Some("QB03")).await.expect("slips").into_iter().next().expect("a QB03 slip");
    type Post<'a> = (String, Vec<(&'a str, &'a str)>, [u16; 3]);
    let posts: Vec<Post> = vec![
        (format!("/admin/campaigns/{c}/sample"), vec![("seed", "1")], [303, 303, 303]),
        ("/admin/users".into(), vec![("name", "x"), ("role", "admin")], [303, 303, 303]),
        (format!("/enumerator/{c}/QB03/outcome"), vec![("code", &slip.code), ("outcome", "refused")], [303, 303, 303]),
        (format!("/enumerator/{c}/QB03/replace"), vec![("code", &slip.code)], [303, 303, 303]),
    ];
    // An API token is no sign-in for a page, so no form can be posted with one.
    for (path, fields, want) in &posts {
        for (client, w) in [&admin, &enumerator, &analyst].into_iter().zip(want) {
            let got = client
                .post(format!("{}{path}", server.base))
                .form(fields)
                .send()
                .await
                .expect("post")
                .status()
                .as_u16();
            assert_eq!(got, *w, "POST {path}");
        }
    }
    let after = open(&db).await.slip(c, &slip.code).await.expect("slip").expect("exists");
    assert_eq!(after.status, slip.status, "nothing changed");
}

#[tokio::test]
async fn an_enumerator_records_outcomes_releases_reserves_and_keys_paper_ballots() {
    let db = with_frames().await;
    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "11"]);
    add_user(&db, "lan", "enumerator", &["QB01"]);
    let server = spawn_server(&db, &[]);
    let store = open(&db).await;
    let (s, status) = Session::login(&server.base, "lan", PASSWORD).await;
    assert_eq!(status, 303);
    let unit_page = format!("/enumerator/{CAMPAIGN}/QB01");
    let (status, page) = s.get(&unit_page).await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&page);
    let citizens: Vec<_> = store
        .slips(CAMPAIGN, Some("QB01"))
        .await
        .expect("slips")
        .into_iter()
        .filter(|x| x.group == "citizens" && x.status.code() == "issued")
        .collect();
    // The enumerator sees the people to call.
    let first = &citizens[0];
    let contact = first.contact.as_ref().expect("a contact");
    assert!(page.contains(&contact.phone) && page.contains(&contact.name));

    // Three failed calls make the person unreachable.
    let outcome = format!("{unit_page}/outcome");
    for n in 1..=3 {
        let (status, to) =
            s.post(&outcome, &[("csrf", &csrf), ("code", &first.code), ("outcome", "call_failed")]).await;
        assert_eq!(status, 303);
        let m = s.flash(&to).await;
        assert!(to.starts_with(&unit_page) && m.contains("ok="), "{m}");
        let now = store.slip(CAMPAIGN, &first.code).await.expect("slip").expect("exists");
        assert_eq!(now.attempts, n);
        assert_eq!(now.status.code(), if n == 3 { "unreachable" } else { "issued" });
    }
    // A second person refuses.
    let second = &citizens[1];
    let (status, _) = s.post(&outcome, &[("csrf", &csrf), ("code", &second.code), ("outcome", "refused")]).await;
    assert_eq!(status, 303);
    // An outcome that makes no sense is refused with a reason.
    let (_, to) = s.post(&outcome, &[("csrf", &csrf), ("code", &second.code), ("outcome", "paper")]).await;
    let m = s.flash(&to).await;
    assert!(m.contains("đang ở trạng thái «từ chối»"), "{m}");

    // Board: 2 of QB01's citizens closed, reserves intact.
    let board = store.quota_board(CAMPAIGN).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB01" && r.group == "citizens").expect("row");
    assert_eq!((row.invited, row.refused, row.unreachable, row.reserves), (26, 1, 1, 13));

    // One click: the next reserve of the same field replaces the unreachable person.
    let (status, to) = s.post(&format!("{unit_page}/replace"), &[("csrf", &csrf), ("code", &first.code)]).await;
    assert_eq!(status, 303);
    let m = s.flash(&to).await;
    assert!(m.contains("Đã mời người dự phòng"), "{m}");
    let replaced = store.slip(CAMPAIGN, &first.code).await.expect("slip").expect("exists");
    let reserve_code = replaced.replaced_by.clone().expect("replaced");
    let reserve = store.slip(CAMPAIGN, &reserve_code).await.expect("slip").expect("exists");
    assert_eq!((reserve.status.code(), &reserve.field, reserve.reserve_rank), ("issued", &first.field, Some(1)));
    // Not twice for the same person.
    let (_, to) = s.post(&format!("{unit_page}/replace"), &[("csrf", &csrf), ("code", &first.code)]).await;
    let m = s.flash(&to).await;
    assert!(m.contains("đã được thay"), "{m}");
    // The released reserve's link opens the questionnaire; an unreleased one does not.
    let plain = reqwest::Client::new();
    let open_link = plain.get(format!("{}/s/{}", server.base, reserve.token)).send().await.expect("get");
    assert_eq!(open_link.status().as_u16(), 200);
    let still_reserve = store
        .slips(CAMPAIGN, Some("QB01"))
        .await
        .expect("slips")
        .into_iter()
        .find(|x| x.status.code() == "reserve")
        .expect("another reserve");
    let closed = plain.get(format!("{}/s/{}", server.base, still_reserve.token)).send().await.expect("get");
    assert_eq!(closed.status().as_u16(), 404);
    let board = store.quota_board(CAMPAIGN).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB01" && r.group == "citizens").expect("row");
    assert_eq!((row.invited, row.reserves), (27, 12));

    // Another unit's slip cannot be reached through this unit's address, nor its own.
    let other = store.slips(CAMPAIGN, Some("QB03")).await.expect("slips").into_iter().next().expect("slip");
    let (_, to) = s.post(&outcome, &[("csrf", &csrf), ("code", &other.code), ("outcome", "refused")]).await;
    let m = s.flash(&to).await;
    assert!(m.contains("không có phiếu mã"), "{m}");
    let (status, _) = s
        .post(
            &format!("/enumerator/{CAMPAIGN}/QB03/outcome"),
            &[("csrf", &csrf), ("code", &other.code), ("outcome", "refused")],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(store.slip(CAMPAIGN, &other.code).await.expect("slip").expect("exists").status.code(), "issued");

    // A paper ballot: faults are shown on the form, a good one is stored as paper.
    let ballot = format!("{unit_page}/ballot");
    let (status, form) = s.get(&format!("{ballot}?group=citizens")).await;
    assert_eq!(status, 200);
    // The keying form speaks to the keyer (before: the citizens' introduction).
    assert!(
        form.contains("Nhập phiếu giấy đúng như") && !form.contains("Phòng Nội vụ huyện Quang Bình tổ chức"),
        "{form}"
    );
    let ballot_csrf = csrf_of(&form);
    let before = store.count_responses(CAMPAIGN).await.expect("count");
    let (status, body) = s.post(&ballot, &[("csrf", &ballot_csrf), ("group", "citizens"), ("q.overall", "9")]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(store.count_responses(CAMPAIGN).await.expect("count"), before);
    let questionnaire = sipas_shared::Campaign::load(&example_campaign()).expect("campaign");
    let q = questionnaire.questionnaire_of("citizens").expect("questionnaire");
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), ballot_csrf.clone()),
        ("group".into(), "citizens".into()),
        ("field".into(), questionnaire.fields[0].clone()),
    ];
    for question in q.questions().filter(|x| x.required) {
        let value = match question.kind {
            sipas_shared::QuestionKind::Likert5 => "4".to_owned(),
            sipas_shared::QuestionKind::Yesno => "1".to_owned(),
            sipas_shared::QuestionKind::Number => "1".to_owned(),
            sipas_shared::QuestionKind::Text => "ổn".to_owned(),
            _ => question.options[0].code.clone(),
        };
        fields.push((format!("q.{}", question.code), value));
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, to) = s.post(&ballot, &pairs).await;
    assert_eq!(status, 303, "{to}");
    assert!(s.flash(&to).await.contains("Đã lưu một phiếu giấy không số"), "the message says what was saved");
    // A ballot keyed on this page waits sealed for its cell to hold k, like an
    // online answer (SPEC §10): counted against the quota at once.
    assert_eq!(store.count_responses(CAMPAIGN).await.expect("count"), before);
    assert_eq!(store.anonymity(CAMPAIGN).await.expect("anonymity").held, 1);
    let board = store.quota_board(CAMPAIGN).await.expect("board");
    assert_eq!(board.iter().find(|r| r.unit == "QB01" && r.group == "citizens").expect("row").answered, 1);
    for _ in 0..4 {
        let (status, to) = s.post(&ballot, &pairs).await;
        assert_eq!(status, 303, "{to}");
    }
    assert_eq!(store.count_responses(CAMPAIGN).await.expect("count"), before + 5, "five together");
    use futures::StreamExt;
    let stored: Vec<_> = store.responses(CAMPAIGN).collect().await;
    let paper: Vec<_> = stored.iter().filter_map(|r| r.as_ref().ok()).filter(|r| r.source == "paper").collect();
    assert_eq!(paper.len(), 5);
    assert!(paper.iter().all(|r| (r.unit.as_str(), r.field.as_ref()) == ("QB01", Some(&questionnaire.fields[0]))));

    // Everything the enumerator changed is in the audit log, by name, without a person's data.
    let log = store.audit_log(CAMPAIGN, 100, 0).await.expect("log");
    let mine: Vec<_> = log.iter().filter(|e| e.actor == "lan").collect();
    let actions: Vec<&str> = mine.iter().map(|e| e.action.code()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "call_failed").count(), 3);
    assert!(
        actions.contains(&"refused") && actions.contains(&"release_reserve") && actions.contains(&"key_ballot"),
        "{actions:?}"
    );
    let release = mine.iter().find(|e| e.action.code() == "release_reserve").expect("release");
    assert_eq!(release.subject, first.code);
    assert!(release.detail.contains(&reserve_code));
    for e in &log {
        assert!(!e.detail.contains(&contact.phone) && !e.detail.contains(&contact.name), "{e:?}");
    }
    assert!(log.iter().any(|e| e.action.code() == "sample" && e.actor == "dòng lệnh"));
}

#[tokio::test]
async fn the_admin_uploads_a_messy_frame_draws_and_adds_staff_from_the_browser() {
    let db = TestDb::new().await;
    run(&db, &["campaign", "load", example_campaign().to_str().expect("path")]);
    add_user(&db, "admin", "admin", &[]);
    let server = spawn_server(&db, &[]);
    let (s, status) = Session::login(&server.base, "admin", PASSWORD).await;
    assert_eq!(status, 303);
    let page = format!("/admin/campaigns/{CAMPAIGN}");
    let csrf = s.csrf(&page).await;
    let upload = |csrf: String, skip: bool| {
        let bytes = std::fs::read(fixture("frames/QB03.csv")).expect("frame");
        let mut form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("unit", "QB03")
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("QB03.csv"));
        if skip {
            form = form.text("skip_bad", "1");
        }
        s.client.post(format!("{}{page}/frame", server.base)).multipart(form).send()
    };
    // QB03 has a row without a phone: named, nothing stored.
    let resp = upload(csrf.clone(), false).await.expect("upload");
    assert_eq!(resp.status().as_u16(), 303);
    let to = s.flash(resp.headers()["location"].to_str().expect("location")).await;
    assert!(to.contains("dòng lỗi, chưa nhập dòng nào") && to.contains("dòng 11"), "{to}");
    let store = open(&db).await;
    assert!(store.frame_rows(CAMPAIGN).await.expect("rows").is_empty());
    // With a forged token, nothing either.
    let resp = upload("forged".into(), true).await.expect("upload");
    assert_eq!(resp.status().as_u16(), 403);
    let resp = upload(csrf.clone(), true).await.expect("upload");
    let to = s.flash(resp.headers()["location"].to_str().expect("location")).await;
    assert!(to.contains("Đã nhập khung chọn mẫu QB03"), "{to}");
    let imported = store.frame_rows(CAMPAIGN).await.expect("rows").len();
    assert!(imported > 150, "{imported}");

    let (status, to) = s.post(&format!("{page}/sample"), &[("csrf", &csrf), ("seed", "5"), ("reserve", "50")]).await;
    assert_eq!(status, 303);
    let m = s.flash(&to).await;
    assert!(m.contains("hạt giống 5"), "{m}");
    let (_, shown) = s.get(&page).await;
    assert!(
        shown.contains("Chọn mẫu") && shown.contains("Nhập khung chọn mẫu"),
        "the audit log lists both, in Vietnamese"
    );
    let slips = store.slips(CAMPAIGN, Some("QB03")).await.expect("slips");
    assert_eq!(slips.iter().filter(|x| x.group == "citizens" && x.status.code() == "issued").count(), 26);
    let (status, to) = s.post(&format!("{page}/sample"), &[("csrf", &csrf), ("seed", "-1")]).await;
    assert_eq!(status, 303);
    let m = s.flash(&to).await;
    assert!(m.contains("err="), "{m}");

    // Staff accounts from the browser; a generated password is shown once, on the page.
    let users_csrf = s.csrf("/admin/users").await;
    let (status, body) = s
        .post(
            "/admin/users",
            &[("csrf", &users_csrf), ("name", "minh"), ("role", "enumerator"), ("units", "QB03, QB04")],
        )
        .await;
    assert_eq!(status, 200);
    let shown = Html::parse_document(&body);
    let ok: String = shown.select(&sel(".ok")).next().expect("message").text().collect();
    let password = ok.rsplit(": ").next().expect("password").trim().to_owned();
    let (_, status) = Session::login(&server.base, "minh", &password).await;
    assert_eq!(status, 303);
    let (_, to) = s
        .post(
            "/admin/users",
            &[("csrf", &users_csrf), ("name", "minh"), ("role", "analyst"), ("password", "dai-du-muoi-ky-tu")],
        )
        .await;
    let m = s.flash(&to).await;
    assert!(m.contains("đã có"), "{m}");
    let (_, to) = s.post("/admin/users", &[("csrf", &users_csrf), ("name", "tuan"), ("role", "enumerator")]).await;
    let m = s.flash(&to).await;
    assert!(m.contains("cần ít nhất một mã đơn vị"), "{m}");
    let users = store.users().await.expect("users");
    let minh = users.iter().find(|u| u.name == "minh").expect("minh");
    assert_eq!(minh.units, [format!("{CAMPAIGN}/QB03"), format!("{CAMPAIGN}/QB04")], "scoped to the campaign");
    let (_, to) = s
        .post("/admin/users", &[("csrf", &users_csrf), ("name", "tuan"), ("role", "enumerator"), ("units", "QB99")])
        .await;
    let m = s.flash(&to).await;
    assert!(m.contains("err=") && m.contains("QB99"), "an unknown unit is refused: {m}");
}

#[tokio::test]
async fn an_analyst_never_meets_a_name_phone_or_address() {
    let db = with_frames().await;
    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "8"]);
    run(&db, &["demo", "generate", "--campaign", CAMPAIGN, "--responses", "300", "--seed", "1"]);
    let store = open(&db).await;
    let slips = store.slips(CAMPAIGN, None).await.expect("slips");
    let people: Vec<_> = slips.iter().filter_map(|s| s.contact.clone()).collect();
    assert!(people.len() > 100);
    let analyst = bearer_client(&api_token(&db, "phan-tich", "analyst", &[]));
    let server = spawn_server(&db, &[]);
    let mut bodies = Vec::new();
    let mut paths: Vec<String> =
        vec!["/reports".into(), "/api/v1/campaigns".into(), format!("/api/v1/campaigns/{CAMPAIGN}/report")];
    for by in ["unit", "group", "field", "unit,field"] {
        paths.push(format!("/reports/{CAMPAIGN}?by={by}"));
        paths.push(format!("/api/v1/campaigns/{CAMPAIGN}/report?by={by}"));
    }
    for f in ["csv", "json", "xlsx"] {
        paths.push(format!("/reports/{CAMPAIGN}/download/report.{f}"));
    }
    let analyst_page = common::sign_in(&server.base, "phan-tich").await;
    for path in &paths {
        let client = if path.starts_with("/api/") { &analyst } else { &analyst_page };
        let resp = client.get(format!("{}{path}", server.base)).send().await.expect("get");
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        bodies.push((path.clone(), resp.bytes().await.expect("body").to_vec()));
    }
    // Every staff page that shows people is closed to the analyst.
    for path in [
        format!("/admin/campaigns/{CAMPAIGN}"),
        format!("/admin/campaigns/{CAMPAIGN}/invitations?format=csv"),
        format!("/enumerator/{CAMPAIGN}/QB01"),
        format!("/enumerator/{CAMPAIGN}/QB01/slips?format=csv"),
    ] {
        let resp = analyst_page.get(format!("{}{path}", server.base)).send().await.expect("get");
        assert_eq!(resp.status().as_u16(), 403, "{path}");
        bodies.push((path, resp.bytes().await.expect("body").to_vec()));
    }
    // The exports an analyst is handed.
    for f in ["csv", "json"] {
        let out = sipas(&db, &["export", "--campaign", CAMPAIGN, "--format", f]);
        assert!(out.status.success());
        bodies.push((format!("export {f}"), out.stdout));
    }
    for (path, body) in &bodies {
        // XLSX is zipped: read its cells back as text.
        let text = if path.ends_with(".xlsx") {
            use calamine::Reader;
            let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body.clone())).expect("xlsx");
            let mut all = String::new();
            for name in book.sheet_names() {
                let range = book.worksheet_range(&name).expect("sheet");
                for row in range.rows() {
                    for c in row {
                        all.push_str(&c.to_string());
                        all.push('\t');
                    }
                }
            }
            all
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        for p in &people {
            assert!(!text.contains(&p.phone), "{path} shows the phone {}", p.phone);
            assert!(!text.contains(&p.name), "{path} shows the name {}", p.name);
            assert!(!text.contains(&p.address), "{path} shows the address {}", p.address);
        }
    }
}

#[tokio::test]
async fn double_entry_imports_only_when_both_keyers_agree() {
    let db = TestDb::new().await;
    run(&db, &["campaign", "load", fixture("report/campaign.toml").to_str().expect("path")]);
    let first = fixture("report/ballots.csv");
    let text = std::fs::read_to_string(&first).expect("ballots");
    let dir = tempfile::tempdir().expect("dir");
    // The second keyer typed one answer of the third ballot differently.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_owned).collect();
    let col = cells.iter().rposition(|c| c.len() == 1 && c.as_bytes()[0].is_ascii_digit()).expect("a likert cell");
    let column = header[col].trim().to_owned();
    let typed = cells[col].clone();
    cells[col] = if typed == "5" { "4".into() } else { "5".into() };
    lines[3] = cells.join(",");
    let second = dir.path().join("lan2.csv");
    std::fs::write(&second, lines.join("\n") + "\n").expect("write");
    let out = sipas(
        &db,
        &[
            "responses",
            "import",
            "--campaign",
            "hand",
            first.to_str().expect("p"),
            "--verify",
            second.to_str().expect("p"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("phiếu thứ 3, cột «{column}»: lần 1 «{typed}», lần 2 «{}»", cells[col])), "{err}");
    assert!(err.contains("1 ô nhập khác nhau, không nhập phiếu nào"), "{err}");
    let store = open(&db).await;
    assert_eq!(store.count_responses("hand").await.expect("count"), 0);

    let same = dir.path().join("same.csv");
    std::fs::write(&same, &text).expect("write");
    let out = run(
        &db,
        &[
            "responses",
            "import",
            "--campaign",
            "hand",
            first.to_str().expect("p"),
            "--verify",
            same.to_str().expect("p"),
        ],
    );
    assert!(out.contains("Hai lần nhập khớp nhau"), "{out}");
    assert!(store.count_responses("hand").await.expect("count") > 0);
}

#[tokio::test]
async fn delegates_are_drawn_from_a_roster_when_there_is_one_and_invited_in_full_otherwise() {
    let db = with_frames().await;
    let roster = fixture("rosters/QB01-delegates.csv");
    let roster = roster.to_str().expect("path");
    // Row 10 (the 7th delegate) has no phone: named, nothing imported.
    let out =
        sipas(&db, &["frame", "import", "--campaign", CAMPAIGN, "--unit", "QB01", "--group", "delegates", roster]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("dòng 10, cột «Số điện thoại»"), "{}", stderr(&out));
    let wrong =
        sipas(&db, &["frame", "import", "--campaign", CAMPAIGN, "--unit", "QB01", "--group", "citizens", roster]);
    assert_eq!(wrong.status.code(), Some(2));
    let out = run(
        &db,
        &["frame", "import", "--campaign", CAMPAIGN, "--unit", "QB01", "--group", "delegates", "--skip-bad", roster],
    );
    assert!(out.contains("Đã nhập 19 người vào danh sách nhóm delegates"), "{out}");

    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "4"]);
    let store = open(&db).await;
    let slips = store.slips(CAMPAIGN, None).await.expect("slips");
    // QB01's delegates: 15 of the 19 on the roster, the other 4 in reserve, all named.
    let qb01: Vec<_> = slips.iter().filter(|s| s.unit == "QB01" && s.group == "delegates").collect();
    assert_eq!(qb01.iter().filter(|s| s.reserve_rank.is_none()).count(), 15);
    assert_eq!(qb01.iter().filter(|s| s.reserve_rank.is_some()).count(), 4);
    assert!(qb01.iter().all(|s| s.contact.is_some() && s.field.is_none()));
    // The roster is not part of the citizens' frame, nor of the frame sizes reports weight by.
    let citizens: BTreeSet<&str> = slips
        .iter()
        .filter(|s| s.group == "citizens")
        .filter_map(|s| s.contact.as_ref().map(|c| c.phone.as_str()))
        .collect();
    assert!(qb01.iter().all(|s| !citizens.contains(s.contact.as_ref().map_or("", |c| c.phone.as_str()))));
    let frame_total: u64 = store.frame_field_counts(CAMPAIGN).await.expect("counts")["QB01"].values().sum();
    let qb01_frame = store
        .frame_rows(CAMPAIGN)
        .await
        .expect("rows")
        .iter()
        .filter(|r| r.unit == "QB01" && r.roster_of.is_none())
        .count();
    assert!(frame_total <= qb01_frame as u64);
    // Elsewhere, without a roster, delegates are invited in full with open slips.
    let qb02: Vec<_> = slips.iter().filter(|s| s.unit == "QB02" && s.group == "delegates").collect();
    assert_eq!(qb02.len(), 15);
    assert!(qb02.iter().all(|s| s.contact.is_none()));
}

#[tokio::test]
async fn draws_started_at_once_never_issue_more_than_one_draw() {
    let db = with_frames().await;
    // Three "Chọn mẫu" at the same moment, each its own process.
    let outs: Vec<_> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..3).map(|_| s.spawn(|| sipas(&db, &["sample", "--campaign", CAMPAIGN]))).collect();
        runs.into_iter().map(|r| r.join().expect("thread")).collect()
    });
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
    }
    let store = open(&db).await;
    let campaign = store.campaign(CAMPAIGN).await.expect("campaign").expect("exists");
    let slips = store.slips(CAMPAIGN, None).await.expect("slips");
    for q in campaign.quotas() {
        let main = slips
            .iter()
            .filter(|s| s.unit == q.unit.as_str() && s.group == q.group && s.reserve_rank.is_none())
            .count();
        assert!(main <= q.quota as usize, "{}/{}: {main} invited for a quota of {}", q.unit, q.group, q.quota);
    }
    // Groups invited in full got exactly their quota, once.
    let qb02: usize = slips.iter().filter(|s| s.unit == "QB02" && s.group == "delegates").count();
    assert_eq!(qb02, 15);
    // Each frame import wrote its audit line in the transaction that added
    // its people (from the command line too), with what it added.
    let log = store.audit_log(CAMPAIGN, 500, 0).await.expect("log");
    let imports: Vec<_> = log.iter().filter(|e| e.action.code() == "frame_import").collect();
    assert_eq!(imports.len(), 3, "{imports:?}");
    assert!(imports.iter().all(|e| e.actor == "dòng lệnh" && e.detail.contains("thêm ")), "{imports:?}");
    let draws = log.iter().filter(|e| e.action.code() == "sample").count();
    assert_eq!(draws, slips.iter().map(|s| (&s.unit, &s.group)).collect::<BTreeSet<_>>().len(), "one draw's lines");
}

#[tokio::test]
async fn an_admin_runs_the_account_lifecycle_from_the_page() {
    let db = TestDb::new().await;
    run(&db, &["campaign", "load", example_campaign().to_str().expect("path")]);
    add_user(&db, "quan-tri", "admin", &[]);
    let token = api_token(&db, "lan", "enumerator", &["QB01"]);
    let server = spawn_server(&db, &["--no-rate-limits"]);
    let base = &server.base;
    let (admin, status) = Session::login(base, "quan-tri", PASSWORD).await;
    assert_eq!(status, 303);
    let csrf = admin.csrf("/admin/users").await;
    let act = |action: &'static str, units: &'static str| {
        let admin = &admin;
        let csrf = csrf.clone();
        async move {
            let (status, to) =
                admin.post("/admin/users/lan", &[("csrf", &csrf), ("action", action), ("units", units)]).await;
            assert_eq!(status, 303, "{action}");
            admin.flash(&to).await
        }
    };
    let (lan, status) = Session::login(base, "lan", PASSWORD).await;
    assert_eq!(status, 303);
    let unit_page = format!("/enumerator/{CAMPAIGN}/QB01");
    assert_eq!(lan.get(&unit_page).await.0, 200);

    // Disabled: signed out at once, cannot sign in, its token stops.
    assert!(act("disable", "").await.contains("ok=Đã tạm ngừng lan"));
    assert_eq!(lan.get(&unit_page).await.0, 303);
    assert_eq!(Session::login(base, "lan", PASSWORD).await.1, 403);
    let api = bearer_client(&token);
    let campaigns = format!("{base}/api/v1/campaigns");
    assert_eq!(api.get(&campaigns).send().await.expect("get").status().as_u16(), 401, "a disabled account's token");
    let (_, page) = admin.get("/admin/users").await;
    assert!(page.contains("tạm ngừng"), "the list says so");
    assert!(act("enable", "").await.contains("ok="));
    let (lan, status) = Session::login(base, "lan", PASSWORD).await;
    assert_eq!(status, 303);

    // New units, checked against the campaign.
    assert!(act("units", "QB99").await.contains("err="), "an unknown unit is refused");
    assert!(act("units", "QB02").await.contains("ok=Đã giao cho lan"));
    assert_eq!(lan.get(&unit_page).await.0, 403);
    assert_eq!(lan.get(&format!("/enumerator/{CAMPAIGN}/QB02")).await.0, 200);

    // A new password, shown once on the page; the old one stops working.
    let (status, body) = admin.post("/admin/users/lan", &[("csrf", &csrf), ("action", "passwd")]).await;
    assert_eq!(status, 200);
    let shown = Html::parse_document(&body);
    let ok: String = shown.select(&sel(".ok")).next().expect("message").text().collect();
    let password = ok.rsplit(": ").next().expect("password").trim().to_owned();
    assert_eq!(lan.get(&unit_page).await.0, 303, "signed out");
    assert_eq!(Session::login(base, "lan", PASSWORD).await.1, 401);
    assert_eq!(Session::login(base, "lan", &password).await.1, 303);

    // Locked after failures, unlocked by the admin.
    for _ in 0..5 {
        Session::login(base, "lan", "sai-mat-khau").await;
    }
    assert_eq!(Session::login(base, "lan", &password).await.1, 429);
    assert!(act("unlock", "").await.contains("ok="));
    assert_eq!(Session::login(base, "lan", &password).await.1, 303);

    // Tokens revoked.
    assert!(act("enable", "").await.contains("ok="));
    let fresh = bearer_client(&token);
    // An enumerator's live token is known to the API (403: not this role's), a dead one is not (401).
    assert_eq!(fresh.get(&campaigns).send().await.expect("get").status().as_u16(), 403);
    assert!(act("revoke", "").await.contains("ok=Đã thu hồi 1 khoá API"));
    assert_eq!(fresh.get(&campaigns).send().await.expect("get").status().as_u16(), 401);
    // An admin does not lock themself out; a forged form changes nothing.
    let (_, to) = admin.post("/admin/users/quan-tri", &[("csrf", &csrf), ("action", "disable")]).await;
    assert!(admin.flash(&to).await.contains("err="));
    let (status, _) = admin.post("/admin/users/lan", &[("csrf", "forged"), ("action", "disable")]).await;
    assert_eq!(status, 403);
    // Each change is in the audit log, named by who made it.
    let store = open(&db).await;
    let log = store.audit_log("", 50, 0).await.expect("log");
    let actions: BTreeSet<&str> = log.iter().filter(|e| e.actor == "quan-tri").map(|e| e.action.code()).collect();
    for a in ["user_disable", "user_enable", "user_units", "user_password", "user_unlock", "user_revoke_tokens"] {
        assert!(actions.contains(a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn the_audit_log_reads_in_local_time_in_vietnamese_by_pages_and_downloads_whole() {
    let db = TestDb::new().await;
    run(&db, &["campaign", "load", example_campaign().to_str().expect("path")]);
    add_user(&db, "quan-tri", "admin", &[]);
    let store = open(&db).await;
    for i in 0..60 {
        let subject = format!("QB{:02}", i % 15 + 1);
        let entry = sipas_shared::store::field::Audit {
            actor: "dòng lệnh",
            campaign: CAMPAIGN,
            action: sipas_shared::model::AuditAction::Sample,
            subject: &subject,
            detail: if i == 0 { "=HYPERLINK(\"http://x\")" } else { "rút 26 phiếu" },
        };
        store.audit(entry).await.expect("audit");
    }
    let newest = store.audit_log(CAMPAIGN, 1, 0).await.expect("log").remove(0);
    let hanoi = newest.at + chrono::Duration::hours(7);
    let server = spawn_server(&db, &[]);
    let (s, _) = Session::login(&server.base, "quan-tri", PASSWORD).await;
    let page = format!("/admin/campaigns/{CAMPAIGN}");
    let (_, first) = s.get(&page).await;
    let doc = Html::parse_document(&first);
    let rows: Vec<Vec<String>> = doc
        .select(&sel("#log ~ div table tbody tr"))
        .map(|r| r.select(&sel("td")).map(|c| c.text().collect::<String>()).collect())
        .collect();
    assert_eq!(rows.len(), 50, "one page of 50");
    assert_eq!(rows[0][0], hanoi.format("%d/%m/%Y %H:%M").to_string(), "Việt Nam time, not UTC");
    assert_eq!(rows[0][2], "Chọn mẫu");
    assert!(first.contains("?page=2#log"), "a link to older lines");
    let (_, second) = s.get(&format!("{page}?page=2")).await;
    let older = Html::parse_document(&second).select(&sel("#log ~ div table tbody tr")).count();
    assert_eq!(older, 10);
    let resp = s.client.get(format!("{}{page}/audit.csv", server.base)).send().await.expect("csv");
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.expect("body");
    assert!(body.starts_with('\u{feff}'), "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        ["Lúc", "Ai", "Việc", "Mã việc", "Đối tượng", "Chi tiết"]
    );
    let all: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(all.len(), 60, "every line");
    assert_eq!(&all[0][0], hanoi.format("%d/%m/%Y %H:%M").to_string().as_str());
    assert!(all.iter().any(|r| &r[5] == "'=HYPERLINK(\"http://x\")"), "a formula opens as text");
}

#[tokio::test]
async fn a_cell_whose_reserves_ran_out_gets_more_from_the_same_list() {
    let db = with_frames().await;
    run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "3", "--reserve", "0"]);
    let again = run(&db, &["sample", "--campaign", CAMPAIGN, "--seed", "3", "--reserve", "0"]);
    assert!(again.contains("Rút thêm dự phòng") && again.contains("--reserve 50"), "says how to go on: {again}");
    add_user(&db, "lan", "enumerator", &["QB01"]);
    add_user(&db, "binh", "enumerator", &["QB03"]);
    let server = spawn_server(&db, &[]);
    let (s, _) = Session::login(&server.base, "lan", PASSWORD).await;
    let unit_page = format!("/enumerator/{CAMPAIGN}/QB01");
    let csrf = s.csrf(&unit_page).await;
    let store = open(&db).await;
    let slip = store
        .slips(CAMPAIGN, Some("QB01"))
        .await
        .expect("slips")
        .into_iter()
        .find(|x| x.group == "citizens" && x.status.code() == "issued")
        .expect("a citizen");
    let field = slip.field.clone().expect("a field");
    s.post(&format!("{unit_page}/outcome"), &[("csrf", &csrf), ("code", &slip.code), ("outcome", "refused")]).await;
    let (_, to) = s.post(&format!("{unit_page}/replace"), &[("csrf", &csrf), ("code", &slip.code)]).await;
    let m = s.flash(&to).await;
    assert!(m.contains("err=") && m.contains("Rút thêm dự phòng"), "{m}");
    // The page offers more reserves for that cell, and only that one.
    let (_, page) = s.get(&unit_page).await;
    let doc = Html::parse_document(&page);
    let offers: Vec<(String, String)> = doc
        .select(&sel("form[action$='/reserves']"))
        .map(|f| {
            let value = |n: &str| {
                f.select(&sel(&format!("input[name={n}]")))
                    .next()
                    .and_then(|i| i.value().attr("value"))
                    .unwrap_or("")
                    .to_owned()
            };
            (value("group"), value("field"))
        })
        .collect();
    assert_eq!(offers, [("citizens".to_owned(), field.clone())]);
    add_user(&db, "quan-tri", "admin", &[]);
    let (admin, _) = Session::login(&server.base, "quan-tri", PASSWORD).await;
    let (_, admin_page) = admin.get(&format!("/admin/campaigns/{CAMPAIGN}")).await;
    let doc = Html::parse_document(&admin_page);
    let to: Vec<&str> = doc.select(&sel("main .alert a")).filter_map(|a| a.value().attr("href")).collect();
    assert_eq!(to, [unit_page.as_str()], "/admin points to the unit whose reserves ran out");
    // Another unit's enumerator cannot draw for it.
    let (other, _) = Session::login(&server.base, "binh", PASSWORD).await;
    let other_csrf = other.csrf(&format!("/enumerator/{CAMPAIGN}/QB03")).await;
    let (status, _) = other
        .post(&format!("{unit_page}/reserves"), &[("csrf", &other_csrf), ("group", "citizens"), ("field", &field)])
        .await;
    assert_eq!(status, 403);
    let before = store.slips(CAMPAIGN, Some("QB01")).await.expect("slips").len();
    let (_, to) =
        s.post(&format!("{unit_page}/reserves"), &[("csrf", &csrf), ("group", "citizens"), ("field", &field)]).await;
    let m = s.flash(&to).await;
    assert!(m.contains("ok=Đã rút thêm"), "{m}");
    let after = store.slips(CAMPAIGN, Some("QB01")).await.expect("slips");
    let new: Vec<_> = after.iter().filter(|x| x.status.code() == "reserve").collect();
    assert!(!new.is_empty() && after.len() == before + new.len(), "reserves added, nothing else");
    assert!(new.iter().all(|x| x.group == "citizens" && x.field.as_deref() == Some(field.as_str())), "the same cell");
    let ranks: Vec<i64> = new.iter().filter_map(|x| x.reserve_rank).collect();
    assert!(ranks.contains(&1), "{ranks:?}");
    // Now the refusal can be replaced, by someone of the same field.
    let (_, to) = s.post(&format!("{unit_page}/replace"), &[("csrf", &csrf), ("code", &slip.code)]).await;
    let m = s.flash(&to).await;
    assert!(m.contains("ok=Đã mời người dự phòng"), "{m}");
    let log = store.audit_log(CAMPAIGN, 10, 0).await.expect("log");
    assert!(log.iter().any(|e| e.action.code() == "more_reserves" && e.actor == "lan" && e.detail.contains("seed")));
}

#[tokio::test]
async fn the_admin_imports_villages_draws_them_and_lists_households_from_the_browser() {
    let db = TestDb::new().await;
    let province = common::root().join("examples/province-2026");
    run(&db, &["campaign", "load", province.join("campaign.toml").to_str().expect("path")]);
    add_user(&db, "admin", "admin", &[]);
    let server = spawn_server(&db, &[]);
    let (s, status) = Session::login(&server.base, "admin", PASSWORD).await;
    assert_eq!(status, 303);
    let page = "/admin/campaigns/hoa-son-2026";
    let csrf = s.csrf(page).await;
    let (_, shown) = s.get(page).await;
    assert!(shown.contains("Khảo sát hộ gia đình: thôn, tổ dân phố"), "the household section");
    let send = |path: &'static str, file: std::path::PathBuf, fields: Vec<(&'static str, String)>| {
        let bytes = std::fs::read(&file).expect("file");
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let mut form =
            reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        for (k, v) in fields {
            form = form.text(k, v);
        }
        s.client.post(format!("{}{page}{path}", server.base)).multipart(form).send()
    };
    let resp = send("/villages", province.join("villages.csv"), vec![("csrf", csrf.clone())]).await.expect("upload");
    let m = s.flash(resp.headers()["location"].to_str().expect("location")).await;
    assert!(m.contains("đã ghi 1930 thôn, tổ dân phố của 100 đơn vị"), "{m}");
    let (status, to) = s.post(&format!("{page}/villages/draw"), &[("csrf", &csrf), ("seed", "7")]).await;
    assert_eq!(status, 303);
    let m = s.flash(&to).await;
    assert!(m.contains("Đã chọn 300 thôn, tổ dân phố ở 100 đơn vị"), "{m}");
    // The household list goes in through the same form as a roster, naming the group.
    let resp = send(
        "/frame",
        province.join("households/HS001.csv"),
        vec![("csrf", csrf.clone()), ("unit", "HS001".into()), ("list", "households".into())],
    )
    .await
    .expect("upload");
    let m = s.flash(resp.headers()["location"].to_str().expect("location")).await;
    assert!(m.contains("đã nhập 2365 hộ vào danh sách của HS001"), "{m}");
    let (status, to) = s.post(&format!("{page}/sample"), &[("csrf", &csrf), ("seed", "7"), ("reserve", "50")]).await;
    assert_eq!(status, 303);
    let _ = s.flash(&to).await;
    let store = open(&db).await;
    assert_eq!(store.design_cells("hoa-son-2026").await.expect("cells").len(), 3);
    // The enumerator's list names each household's village, not its code.
    let (_, unit_page) = s.get("/enumerator/hoa-son-2026/HS001").await;
    let villages = store.villages("hoa-son-2026").await.expect("villages");
    let drawn: Vec<&str> =
        villages.iter().filter(|v| v.unit == "HS001" && v.chance.is_some()).map(|v| v.name.as_str()).collect();
    assert_eq!(drawn.len(), 3);
    assert!(drawn.iter().all(|name| unit_page.contains(name)), "{drawn:?}");
    assert!(unit_page.contains("Lĩnh vực / thôn"));
}
