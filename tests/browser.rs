//! One real-browser test: headless Chromium at a 360 × 740 phone viewport
//! opens an invitation link, answers every required question by tapping,
//! submits, sees the thank-you page, and sees "already answered" on reopening.
//!
//! Needs `chromium` and `chromedriver` (Debian packages `chromium`,
//! `chromium-driver`; `.ci/run` installs them). Without them the test says so
//! and passes, except under `CI=true`, where it fails.

mod common;

use common::browser::{off_a_phone, sign_in_as, start_browser, start_browser_at};
use common::{TestDb, spawn_server};
use fantoccini::{Client, Locator};
use sipas_shared::UnitCode;
use sipas_shared::store::{self, NewInvitation};
use std::time::Duration;

/// A citizen's invitation in QB02, for the field Tư pháp – Hộ tịch.
async fn invite_to_qb02(store: &dyn sipas_shared::store::Store, campaign: &str) -> String {
    store
        .create_invitation(&NewInvitation {
            campaign: campaign.to_owned(),
            unit: UnitCode::parse("QB02").expect("unit"),
            group: "citizens".into(),
            field: Some("Tư pháp – Hộ tịch".into()),
            person: None,
        })
        .await
        .expect("invitation")
        .to_string()
}

async fn h1(c: &Client) -> String {
    c.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text")
}

#[tokio::test]
async fn a_citizen_answers_by_tapping_on_a_phone() {
    let Some((_driver, c)) = start_browser().await else { return };
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let campaign = common::example_open_today();
    store.save_campaign(&campaign).await.expect("save");
    let token = invite_to_qb02(&*store, &campaign.id).await;
    let server = spawn_server(&db, &[]);
    let link = format!("{}/s/{token}", server.base);

    c.goto(&link).await.expect("open link");
    assert!(h1(&c).await.starts_with("Phiếu khảo sát sự hài lòng"));
    let overflow = c.execute("return document.documentElement.scrollWidth", vec![]).await.expect("script");
    assert!(overflow.as_u64().is_some_and(|w| w <= 360), "no sideways scrolling at 360 px: {overflow}");
    // The optional script hides the questions that only apply after "Có".
    let gy1 = c.find(Locator::Id("q-GY1")).await.expect("GY1");
    assert!(!gy1.is_displayed().await.expect("displayed"), "hidden until GY is answered Có");

    let shot = c.screenshot().await.expect("screenshot");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(dir.join("respondent.png"), &shot).expect("write screenshot");

    // Tap the label of each answer, as a thumb would.
    for id in ["HL-5", "HL1-4", "HL2-4", "HL3-5", "HL4-4", "GY-1"] {
        let label = c.find(Locator::Css(&format!("label[for=\"{id}\"]"))).await.expect("label");
        c.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&label).expect("el")])
            .await
            .expect("scroll");
        label.click().await.unwrap_or_else(|e| panic!("tap {id}: {e}"));
    }
    assert!(gy1.is_displayed().await.expect("displayed"), "shown once GY is Có");
    let tap = c.find(Locator::Css("label[for=\"GY1-4\"]")).await.expect("GY1 label");
    c.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&tap).expect("el")])
        .await
        .expect("scroll");
    tap.click().await.expect("tap GY1");
    let send = c.find(Locator::Css("button.go")).await.expect("submit button");
    c.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&send).expect("el")])
        .await
        .expect("scroll");
    send.click().await.expect("submit");
    c.wait().for_element(Locator::XPath("//h1[text()='Cảm ơn Ông/Bà']")).await.expect("thank-you page");

    c.goto(&link).await.expect("reopen");
    assert_eq!(h1(&c).await, "Phiếu này đã được trả lời");
    assert!(c.find(Locator::Css("form")).await.is_err(), "no second form");
    c.close().await.expect("close");

    // Counted against the quota at once; held until its cell holds k answers.
    let held = store.anonymity(&campaign.id).await.expect("anonymity").held;
    assert_eq!((held, store.count_responses(&campaign.id).await.expect("count")), (1, 0));
    let board = store.quota_board(&campaign.id).await.expect("board");
    assert_eq!(board.iter().find(|r| r.unit == "QB02" && r.group == "citizens").map(|r| r.answered), Some(1));
}

#[tokio::test]
async fn an_enumerator_chases_a_refusal_on_a_phone() {
    let Some((_driver, c)) = start_browser().await else { return };
    let db = sampled_qb01(false).await;
    common::add_user(&db, "lan", "enumerator", &["QB01"]);
    let server = spawn_server(&db, &[]);

    // Signing in sends the enumerator on to the page first asked for.
    c.goto(&format!("{}/enumerator/quang-binh-2026", server.base)).await.expect("open board");
    c.find(Locator::Id("name")).await.expect("name").send_keys("lan").await.expect("type");
    c.find(Locator::Id("password")).await.expect("password").send_keys(common::PASSWORD).await.expect("type");
    c.find(Locator::Css("button.go")).await.expect("button").click().await.expect("sign in");
    c.wait().for_element(Locator::Css("table")).await.expect("the board");
    assert!(h1(&c).await.starts_with("Tiến độ chỉ tiêu"));
    let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.expect("script");
    assert!(width.as_u64().is_some_and(|w| w <= 360), "the page itself does not scroll sideways: {width}");
    let shot = c.screenshot().await.expect("screenshot");
    std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("enumerator.png"), &shot).expect("write");

    c.find(Locator::LinkText("Thị trấn Yên Bình")).await.expect("unit link").click().await.expect("open unit");
    c.wait().for_element(Locator::Css("td.code")).await.expect("slips");
    // Cards on a phone: nothing sideways, every outcome button within the screen.
    let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.expect("script");
    assert!(width.as_u64().is_some_and(|w| w <= 360), "the unit page does not scroll sideways: {width}");
    let outside = c
        .execute(
            "return [...document.querySelectorAll('td.actions button, td.actions summary')]\
             .filter(b => { const r = b.getBoundingClientRect(); return r.left < 0 || r.right > 360; }).length",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(outside.as_u64(), Some(0), "outcome buttons off-screen");
    let row_height = c
        .execute("return document.querySelector('table.cards tbody tr').getBoundingClientRect().height", vec![])
        .await
        .expect("script");
    assert!(row_height.as_f64().is_some_and(|h| h < 258.0), "a slip takes less than before: {row_height}");
    let shot = c.screenshot().await.expect("screenshot");
    std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("enumerator-unit.png"), &shot)
        .expect("write");
    // Finding one person among 46 by the start of a name.
    let first_name: String = c
        .execute("return document.querySelector('td[data-label=\"Người nhận\"]').innerText.split(' · ')[0]", vec![])
        .await
        .expect("script")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    c.find(Locator::Id("q")).await.expect("search box").send_keys(&first_name).await.expect("type");
    c.find(Locator::Css("form.search button")).await.expect("search").click().await.expect("search");
    c.wait().for_element(Locator::LinkText("Bỏ lọc")).await.expect("filtered");
    let rows =
        c.execute("return document.querySelectorAll('table.cards tbody tr').length", vec![]).await.expect("rows");
    assert!(rows.as_u64().is_some_and(|n| (1..46).contains(&n)), "{first_name}: {rows}");
    // A refusal is asked twice.
    let refuse = c.find(Locator::XPath("//summary[text()='Từ chối']")).await.expect("refuse");
    c.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&refuse).expect("el")])
        .await
        .expect("scroll");
    refuse.click().await.expect("refuse");
    let confirm = c.find(Locator::XPath("//button[text()='Xác nhận từ chối']")).await.expect("confirm button");
    assert!(confirm.is_displayed().await.expect("shown"), "the confirmation appears");
    confirm.click().await.expect("confirm");
    // Wait for the new page's message, not the old page's.
    c.wait()
        .for_element(Locator::XPath("//div[@class='ok' and contains(., ': từ chối')]"))
        .await
        .expect("confirmation of the refusal");
    let replace = c.find(Locator::XPath("//button[text()='Thay bằng người dự phòng']")).await.expect("replace button");
    c.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&replace).expect("el")])
        .await
        .expect("scroll");
    replace.click().await.expect("replace");
    c.wait()
        .for_element(Locator::XPath("//div[@class='ok' and starts-with(normalize-space(.), 'Đã mời người dự phòng')]"))
        .await
        .expect("confirmation of the release");
    assert!(
        c.find(Locator::XPath("//span[contains(., 'đã thay bằng')]")).await.is_ok(),
        "the slip shows its replacement"
    );
    c.close().await.expect("close");
}

/// Taps the label of each answer, as a finger would.
async fn tap_all(c: &Client, ids: &[&str]) {
    for id in ids {
        let label = c.find(Locator::Css(&format!("label[for=\"{id}\"]"))).await.expect("label");
        c.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&label).expect("el")])
            .await
            .expect("scroll");
        label.click().await.unwrap_or_else(|e| panic!("tap {id}: {e}"));
    }
}

async fn press(c: &Client, css: &str) {
    let button = c.find(Locator::Css(css)).await.expect("button");
    c.execute("arguments[0].scrollIntoView({block:'center'})", vec![serde_json::to_value(&button).expect("el")])
        .await
        .expect("scroll");
    button.click().await.expect("press");
}

#[tokio::test]
async fn a_counter_tablet_takes_two_answers_in_a_row_and_resets_itself() {
    let Some((_driver, c)) = start_browser_at(800, 1280).await else { return };
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let campaign = common::example_open_today();
    store.save_campaign(&campaign).await.expect("save");
    let secret = sipas_shared::model::auth::new_secret();
    let hash = sipas_shared::model::auth::secret_hash(&secret);
    store.enrol_device(&campaign.id, "QB03", "Máy tính bảng quầy 1", "open", &hash, "thử").await.expect("enrol");
    let server = spawn_server(&db, &[]);
    // The enrolment link asks first; the button on the tablet claims it.
    c.goto(&format!("{}/d/{secret}/kiosk", server.base)).await.expect("kiosk");
    press(&c, "button.go").await;

    for round in 0..2 {
        // The start page: the field of the procedure just done, large targets.
        c.wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("label[for=\"f3\"]"))
            .await
            .expect("start page");
        tap_all(&c, &["f3"]).await;
        press(&c, "button.go").await;
        c.wait().for_element(Locator::Css("label[for=\"HL-5\"]")).await.expect("questionnaire");
        assert!(h1(&c).await.starts_with("Phiếu khảo sát sự hài lòng"));
        let kiosk = c.execute("return document.body.className", vec![]).await.expect("class");
        assert_eq!(kiosk.as_str(), Some("kiosk"));
        assert!(c.find(Locator::Css("button.save")).await.is_err(), "no saving for later on a shared tablet");
        let overflow = c.execute("return document.documentElement.scrollWidth", vec![]).await.expect("script");
        assert!(overflow.as_u64().is_some_and(|w| w <= 800), "no sideways scrolling: {overflow}");
        let height = c
            .execute("return document.querySelector('label[for=\"HL-5\"]').getBoundingClientRect().height", vec![])
            .await
            .expect("height");
        assert!(height.as_f64().is_some_and(|h| h >= 60.0), "targets a finger finds: {height}");
        tap_all(&c, &["HL-5", "HL1-4", "HL2-4", "HL3-5", "HL4-4", "GY-0"]).await;
        if round == 0 {
            let shot = c.screenshot().await.expect("screenshot");
            std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kiosk.png"), &shot).expect("write");
        }
        press(&c, "button.go").await;
        c.wait().for_element(Locator::XPath("//h1[text()='Cảm ơn Ông/Bà']")).await.expect("thank-you page");
        // No one touches it: back to the start by itself, for the next person.
    }
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("label[for=\"f3\"]")).await.expect("reset");
    c.close().await.expect("close");
    let board = store.quota_board(&campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB03" && r.group == "citizens").expect("row");
    assert_eq!(row.answered, 2, "two people, two answers, one tablet");
}

#[tokio::test]
async fn no_staff_page_scrolls_sideways_on_a_phone() {
    let Some((_driver, c)) = start_browser().await else { return };
    let db = sampled_qb01(true).await;
    common::add_user(&db, "quan-tri", "admin", &[]);
    common::add_user(&db, "lan", "enumerator", &["QB01"]);
    let server = spawn_server(&db, &[]);
    sign_in_as(&c, &server.base, "quan-tri").await;
    let id = "quang-binh-2026";
    let pages = [
        "/admin".to_owned(),
        "/admin/users".to_owned(),
        format!("/admin/campaigns/{id}"),
        format!("/admin/campaigns/{id}/review"),
        "/enumerator".to_owned(),
        format!("/enumerator/{id}"),
        format!("/enumerator/{id}/QB01"),
        format!("/enumerator/{id}/QB01/ballot?group=citizens"),
        "/reports".to_owned(),
        format!("/reports/{id}"),
        format!("/reports/{id}?by=unit,field"),
    ];
    // (The slips and posters are sheets for the printer, not phone pages.)
    let (wide, hidden) = off_a_phone(&c, &server.base, &pages).await;
    assert!(wide.is_empty(), "pages wider than a 360 px phone: {wide:?}");
    assert!(hidden.is_empty(), "controls off a 360 px screen: {hidden:?}");
    c.close().await.expect("close");
}

#[tokio::test]
async fn a_province_of_a_hundred_units_reads_on_a_phone() {
    let Some((_driver, c)) = start_browser().await else { return };
    let db = TestDb::new().await;
    let server = spawn_server(&db, &["--demo", "province"]);
    common::add_user(&db, "quan-tri", "admin", &[]);
    sign_in_as(&c, &server.base, "quan-tri").await;
    let id = "hoa-son-2026";
    let pages = [
        format!("/admin/campaigns/{id}"),
        format!("/enumerator/{id}"),
        format!("/enumerator/{id}?group=households"),
        format!("/enumerator/{id}/HS001"),
        format!("/reports/{id}"),
        format!("/reports/{id}?unit=HS051"),
    ];
    let (wide, hidden) = off_a_phone(&c, &server.base, &pages).await;
    assert!(wide.is_empty(), "pages wider than a 360 px phone: {wide:?}");
    assert!(hidden.is_empty(), "controls off a 360 px screen: {hidden:?}");
    // A summary first: the board's first screen holds the campaign's total
    // and the groups, not the first of 432 rows.
    c.goto(&format!("{}/enumerator/{id}", server.base)).await.expect("open");
    c.wait().for_element(Locator::Css("main h2")).await.expect("the board's headings");
    let first_screen = c
        .execute("return [...document.querySelectorAll('main h2')].map(h => h.getBoundingClientRect().top)", vec![])
        .await
        .expect("script");
    let tops: Vec<f64> = first_screen.as_array().into_iter().flatten().filter_map(serde_json::Value::as_f64).collect();
    assert!(tops.first().is_some_and(|t| *t < 640.0), "the groups' heading on the first screen: {tops:?}");
    c.close().await.expect("close");
}

/// The example campaign with QB01's list imported and drawn (seed 9), and,
/// with `answered`, 300 synthetic responses for the report pages.
async fn sampled_qb01(answered: bool) -> TestDb {
    let db = TestDb::new().await;
    let campaign = common::example_campaign();
    let frame = common::fixture("frames/QB01.csv");
    let mut steps = vec![
        vec!["campaign", "load", campaign.to_str().expect("path")],
        vec![
            "frame",
            "import",
            "--campaign",
            "quang-binh-2026",
            "--unit",
            "QB01",
            "--skip-bad",
            frame.to_str().expect("path"),
        ],
        vec!["sample", "--campaign", "quang-binh-2026", "--seed", "9"],
    ];
    if answered {
        steps.push(vec!["demo", "generate", "--campaign", "quang-binh-2026", "--responses", "300", "--seed", "2"]);
    }
    for args in steps {
        let out = common::sipas(&db, &args);
        assert!(out.status.success(), "{}", common::stderr(&out));
    }
    db
}

/// axe-core, from the npm registry (`tests/a11y`, `npm ci` there; `.ci/run`
/// does it). Without it the check says so and passes, except under `CI=true`.
fn axe_source() -> Option<String> {
    let path = common::root().join("tests/a11y/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must run the accessibility check: npm ci --prefix tests/a11y"
            );
            eprintln!("accessibility check skipped: {} missing (npm ci --prefix tests/a11y)", path.display());
            None
        }
    }
}

/// The serious and critical WCAG 2.1 A/AA violations axe finds on the page
/// the browser shows, one line each: rule, element, what axe says.
async fn axe_violations(c: &Client, axe: &str, page: &str) -> Vec<String> {
    // A long page (46 slips, a report's tables) takes axe a while on a busy machine.
    let timeouts = fantoccini::wd::TimeoutConfiguration::new(Some(Duration::from_secs(180)), None, None);
    c.update_timeouts(timeouts).await.expect("script timeout");
    c.execute(&format!("{axe}\n;return typeof axe"), vec![]).await.expect("inject axe");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })\
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                 .flatMap(v => v.nodes.slice(0, 3).map(n => v.id + ' ' + n.target.join(' ') + ': '\
                   + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160)))))\
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe");
    found.as_array().expect("list").iter().map(|v| format!("{page}: {}", v.as_str().unwrap_or_default())).collect()
}

/// Every respondent page passes axe-core's WCAG 2.1 AA rules with no
/// serious or critical violation, at phone width. (The staff pages are the
/// next test: apart, the two run side by side.)
#[tokio::test]
async fn every_respondent_page_passes_axe_at_wcag_2_1_aa() {
    let Some(axe) = axe_source() else { return };
    let Some((_driver, c)) = start_browser().await else { return };
    let mut found = Vec::new();

    // The respondent's pages, in a campaign open today.
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let mut campaign = common::example_open_today();
    campaign.counter_poster = true;
    store.save_campaign(&campaign).await.expect("save");
    let token = invite_to_qb02(&*store, &campaign.id).await;
    let secret = sipas_shared::model::auth::new_secret();
    let hash = sipas_shared::model::auth::secret_hash(&secret);
    store.enrol_device(&campaign.id, "QB03", "Máy tính bảng quầy 1", "open", &hash, "thử").await.expect("enrol");
    let server = spawn_server(&db, &[]);
    let link = format!("/s/{token}");
    for path in [
        link.as_str(),
        "/s/khong-co-phieu-nay",
        "/k",
        "/login",
        "/c/quang-binh-2026~QB03",
        &format!("{link}?lang=en"),
        &format!("/d/{secret}/kiosk"),
    ] {
        c.goto(&format!("{}{path}", server.base)).await.expect("open");
        c.wait().for_element(Locator::Css("main")).await.expect("page");
        found.extend(axe_violations(&c, &axe, path).await);
    }
    // The enrolment link's button pressed: the tablet's own start page.
    press(&c, "button.go").await;
    c.wait().for_element(Locator::Css("input[name=field]")).await.expect("kiosk start");
    found.extend(axe_violations(&c, &axe, "/d/kiosk").await);
    // The thank-you page and the page of an answered link.
    c.goto(&format!("{}{link}", server.base)).await.expect("open");
    tap_all(&c, &["HL-5", "HL1-4", "HL2-4", "HL3-5", "HL4-4", "GY-0"]).await;
    press(&c, "button.go").await;
    c.wait().for_element(Locator::XPath("//h1[text()='Cảm ơn Ông/Bà']")).await.expect("thank-you page");
    found.extend(axe_violations(&c, &axe, "thank-you").await);
    c.goto(&format!("{}{link}", server.base)).await.expect("reopen");
    found.extend(axe_violations(&c, &axe, "answered").await);
    c.close().await.expect("close");
    assert!(found.is_empty(), "serious or critical WCAG 2.1 AA violations:\n{}", found.join("\n"));
}

/// Every enumerator, admin and report page passes axe-core's WCAG 2.1 AA
/// rules with no serious or critical violation, at phone width.
#[tokio::test]
async fn every_staff_page_passes_axe_at_wcag_2_1_aa() {
    let Some(axe) = axe_source() else { return };
    let Some((_driver, c)) = start_browser().await else { return };
    let mut found = Vec::new();
    // Every staff page, signed in as an admin, with 300 answers to report.
    let db = sampled_qb01(true).await;
    common::add_user(&db, "quan-tri", "admin", &[]);
    let server = spawn_server(&db, &[]);
    sign_in_as(&c, &server.base, "quan-tri").await;
    let id = "quang-binh-2026";
    for path in [
        "/admin".to_owned(),
        "/admin/users".to_owned(),
        format!("/admin/campaigns/{id}"),
        format!("/admin/campaigns/{id}/review"),
        format!("/admin/campaigns/{id}/invitations?unit=QB01"),
        format!("/admin/campaigns/{id}/posters"),
        "/enumerator".to_owned(),
        format!("/enumerator/{id}"),
        format!("/enumerator/{id}/QB01"),
        format!("/enumerator/{id}/QB01/ballot?group=citizens"),
        format!("/enumerator/{id}/QB01/slips"),
        "/reports".to_owned(),
        format!("/reports/{id}"),
        format!("/reports/{id}?by=unit,field"),
        format!("/reports/{id}?by=field"),
    ] {
        c.goto(&format!("{}{path}", server.base)).await.expect("open");
        c.wait().for_element(Locator::Css("body")).await.expect("page");
        found.extend(axe_violations(&c, &axe, &path).await);
    }
    c.close().await.expect("close");
    assert!(found.is_empty(), "serious or critical WCAG 2.1 AA violations:\n{}", found.join("\n"));
}
