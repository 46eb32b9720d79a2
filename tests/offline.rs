//! The enumerators' offline app, as the server sees it: the pack holds only
//! the assigned units' open invitations; each interview finished offline is
//! stored once, however often it is sent; a second phone's answer to the
//! same invitation is refused with a reason; every answer is checked again;
//! a revoked account cannot sync; a queue saved to a file is imported under
//! the same rule. On both backends.

mod common;

use common::{TestDb, add_user, fixture, query_strings, query_tuples, sipas, spawn_server, stderr, stdout};
use serde_json::{Value, json};
use sipas_shared::Campaign;
use sipas_shared::field::demo::Generator;
use sipas_shared::store::{self, Store};
use std::collections::BTreeMap;
use std::sync::Arc;

struct Field {
    db: TestDb,
    store: Arc<dyn Store>,
    campaign: Campaign,
    server: common::Server,
}

async fn field() -> Field {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = common::example_open_today();
    store.save_campaign(&campaign).await.expect("save");
    let roster = fixture("rosters/QB01-delegates-email.csv");
    let frame = fixture("frames/QB03.csv");
    for args in [
        vec![
            "frame",
            "import",
            "--campaign",
            &campaign.id,
            "--unit",
            "QB01",
            "--group",
            "delegates",
            "--skip-bad",
            roster.to_str().expect("path"),
        ],
        vec![
            "frame",
            "import",
            "--campaign",
            &campaign.id,
            "--unit",
            "QB03",
            "--skip-bad",
            frame.to_str().expect("path"),
        ],
        vec!["sample", "--campaign", &campaign.id, "--seed", "4"],
    ] {
        let out = sipas(&db, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    add_user(&db, "dtv", "enumerator", &["QB01"]);
    let server = spawn_server(&db, &[]);
    Field { db, store, campaign, server }
}

impl Field {
    /// The pack as the app downloads it, signed in as `dtv`.
    async fn pack(&self) -> Value {
        let client = common::sign_in(&self.server.base, "dtv").await;
        let url = format!("{}/enumerator/{}/offline/pack", self.server.base, self.campaign.id);
        // Without the app's header (another site's form): refused.
        assert_eq!(client.post(&url).send().await.expect("post").status().as_u16(), 403);
        let r = client.post(&url).header("X-Requested-With", "sipas-app").send().await.expect("pack");
        assert_eq!(r.status().as_u16(), 200);
        r.json().await.expect("json")
    }

    async fn sync(&self, key: &str, interviews: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/enumerator/offline/sync", self.server.base))
            .bearer_auth(key)
            .json(&json!({ "interviews": interviews }))
            .send()
            .await
            .expect("sync");
        (r.status().as_u16(), r.json().await.expect("json"))
    }
}

fn delegate_answers(generator: &mut Generator<'_>) -> BTreeMap<String, String> {
    loop {
        let r = generator.response();
        if r.group == "delegates" {
            return r.cells;
        }
    }
}

fn result(v: &Value, i: usize) -> (String, String) {
    let r = &v["results"][i]["result"];
    (r["status"].as_str().unwrap_or_default().to_owned(), r["reason"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn each_interview_is_stored_once_and_a_second_phone_is_told_why() {
    let f = field().await;
    let pack = f.pack().await;
    let all = pack["invitations"].as_array().expect("invitations");
    // Only QB01's open invitations (15 named delegates, 5 open civil
    // servants' slips), none of QB03's citizens, no reserve.
    assert_eq!(all.len(), 20, "{pack}");
    assert!(all.iter().all(|i| i["unit"] == "QB01"));
    let invitations: Vec<&Value> = all.iter().filter(|i| i["group"] == "delegates").collect();
    assert_eq!(invitations.len(), 15);
    assert!(invitations.iter().all(|i| !i["name"].as_str().unwrap_or_default().is_empty()));
    assert!(pack["questionnaires"]["delegates"]["sections"].is_array(), "the rules shipped as data");
    let key = pack["key"].as_str().expect("key").to_owned();
    let token = |i: usize| invitations[i]["token"].as_str().expect("token").to_owned();

    let mut generator = Generator::new(&f.campaign, 3).expect("generator");
    let a = delegate_answers(&mut generator);
    let one = json!([{ "client_id": "phone-A-0001", "token": token(0), "answers": a }]);
    let (status, body) = f.sync(&key, one.clone()).await;
    assert_eq!((status, result(&body, 0).0.as_str()), (200, "stored"), "{body}");
    // The same interview again (the reply was lost): stored once.
    let (_, body) = f.sync(&key, one).await;
    assert_eq!(result(&body, 0).0, "already_stored", "{body}");
    // Another phone answered the same invitation offline: refused, and told why.
    let other =
        json!([{ "client_id": "phone-B-0001", "token": token(0), "answers": delegate_answers(&mut generator) }]);
    let (_, body) = f.sync(&key, other).await;
    let (status, reason) = result(&body, 0);
    assert_eq!(status, "refused");
    assert!(reason.contains("máy khác"), "{reason}");
    let answered = query_strings(&f.db, "SELECT token FROM invitations WHERE status = 'answered'").await;
    assert_eq!(answered, vec![token(0)], "one answer for the invitation");
    // The phone's id stays with the invitation, never with the answer.
    let held = query_tuples(&f.db, "SELECT offline_client FROM invitations WHERE offline_client IS NOT NULL").await;
    assert_eq!(held, vec![vec!["phone-A-0001".to_owned()]]);

    // Every answer is checked again: an answer off the scale is refused, naming the question.
    let mut bad = delegate_answers(&mut generator);
    let likert = f
        .campaign
        .questionnaire_of("delegates")
        .expect("q")
        .questions()
        .find(|q| q.kind == sipas_shared::QuestionKind::Likert5)
        .expect("likert")
        .code
        .clone();
    bad.insert(likert.clone(), "9".into());
    let (_, body) = f.sync(&key, json!([{ "client_id": "phone-A-0002", "token": token(1), "answers": bad }])).await;
    let (status, reason) = result(&body, 0);
    assert_eq!(status, "refused");
    assert!(reason.contains(&format!("câu {likert}")), "{reason}");
    // A unit not assigned to this enumerator: refused.
    let qb03 = f.store.slips(&f.campaign.id, Some("QB03")).await.expect("slips");
    let citizen = qb03.iter().find(|s| s.reserve_rank.is_none()).expect("a QB03 invitation");
    let (_, body) =
        f.sync(&key, json!([{ "client_id": "phone-A-0003", "token": citizen.token.to_string(), "answers": {} }])).await;
    assert!(result(&body, 0).1.contains("không thuộc đơn vị được giao"), "{body}");
    // Answered online first: the offline interview is refused.
    let form: Vec<(String, String)> = delegate_answers(&mut generator)
        .iter()
        .flat_map(|(c, v)| v.split(';').map(move |p| (format!("q.{c}"), p.to_owned())))
        .chain([("action".to_owned(), "submit".to_owned())])
        .collect();
    let online = reqwest::Client::new()
        .post(format!("{}/s/{}", f.server.base, token(2)))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(online.status().as_u16(), 200);
    let (_, body) = f
        .sync(
            &key,
            json!([{ "client_id": "phone-A-0004", "token": token(2), "answers": delegate_answers(&mut generator) }]),
        )
        .await;
    assert!(result(&body, 0).1.contains("trực tuyến"), "{body}");

    // The queue saved to a file, imported by an admin: the stored one is not
    // stored again, a new one is, a second phone's is refused.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("hang-doi.json");
    let queue = json!({ "campaign": f.campaign.id, "interviews": [
        { "client_id": "phone-A-0001", "token": token(0), "answers": a },
        { "client_id": "phone-C-0001", "token": token(3), "answers": delegate_answers(&mut generator) },
        { "client_id": "phone-D-0001", "token": token(3), "answers": delegate_answers(&mut generator) },
    ]});
    std::fs::write(&file, queue.to_string()).expect("write");
    let out = sipas(&f.db, &["responses", "import-queue", "--campaign", &f.campaign.id, file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Đã lưu 1 phiếu; 1 phiếu đã có từ trước (không lưu lại); 1 phiếu bị từ chối."),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("phiếu thứ 3 (phone-D-0001): phiếu mời này đã được gửi từ một máy khác"),
        "{}",
        stderr(&out)
    );
    let answered = query_strings(&f.db, "SELECT token FROM invitations WHERE status = 'answered' ORDER BY token").await;
    let mut expected = vec![token(0), token(2), token(3)];
    expected.sort();
    assert_eq!(answered, expected);

    // Two more offline: QB01's delegates reach k = 5 (four offline, one
    // online) and come out together. The online answer was posted without
    // its page's stamp, so it was flagged «fast», which offline answers never
    // are: on the released rows that flag would point to the one person who
    // answered online. A batch mixing the two sources keeps neither the
    // flag nor a per-row source.
    let more = json!([
        { "client_id": "phone-A-0006", "token": token(5), "answers": delegate_answers(&mut generator) },
        { "client_id": "phone-A-0007", "token": token(6), "answers": delegate_answers(&mut generator) },
    ]);
    let (_, body) = f.sync(&key, more).await;
    assert_eq!((result(&body, 0).0.as_str(), result(&body, 1).0.as_str()), ("stored", "stored"), "{body}");
    let rows = query_tuples(&f.db, "SELECT source, COALESCE(flags, '') FROM responses").await;
    assert_eq!(rows.len(), 5, "released as one batch of k: {rows:?}");
    assert!(rows.iter().all(|r| r[0] == "mixed" && !r[1].contains("fast")), "{rows:?}");

    // A revoked account cannot sync; the phone keeps its interviews and is told to sign in.
    let out = sipas(&f.db, &["user", "disable", "dtv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (status, body) = f
        .sync(
            &key,
            json!([{ "client_id": "phone-A-0005", "token": token(4), "answers": delegate_answers(&mut generator) }]),
        )
        .await;
    assert_eq!(status, 401);
    assert!(body["error"].as_str().unwrap_or_default().contains("đăng nhập lại"), "{body}");
    // Enabled again, the account does not bring the phone's key back (a lost phone stays stopped).
    assert!(sipas(&f.db, &["user", "enable", "dtv"]).status.success());
    let (status, _) = f.sync(&key, json!([])).await;
    assert_eq!(status, 401, "the key was revoked with the account");
}

#[tokio::test]
async fn a_packs_key_syncs_and_opens_nothing_else_and_an_api_token_does_not_sync() {
    let f = field().await;
    // An admin's pack: its key on a phone must not open the report API.
    add_user(&f.db, "qt", "admin", &[]);
    let admin = common::sign_in(&f.server.base, "qt").await;
    let pack: Value = admin
        .post(format!("{}/enumerator/{}/offline/pack", f.server.base, f.campaign.id))
        .header("X-Requested-With", "sipas-app")
        .send()
        .await
        .expect("pack")
        .json()
        .await
        .expect("json");
    let key = pack["key"].as_str().expect("key");
    for path in ["/api/v1/campaigns".to_owned(), format!("/api/v1/campaigns/{}/export/responses.csv", f.campaign.id)] {
        let r = common::bearer_client(key).get(format!("{}{path}", f.server.base)).send().await.expect("get");
        assert_eq!(r.status().as_u16(), 401, "{path}");
    }
    let (status, _) = f.sync(key, json!([])).await;
    assert_eq!(status, 200, "it syncs");
    // A report API token (90 days) does not sync.
    let out = sipas(&f.db, &["user", "token", "dtv"]);
    let token = stdout(&out).trim().to_owned();
    let (status, _) = f.sync(&token, json!([])).await;
    assert_eq!(status, 401);
    // A password reset revokes the phone's key.
    let out = common::sipas_stdin(&f.db, &["user", "passwd", "--password-stdin", "qt"], "mật-khẩu-mới-45678\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let (status, _) = f.sync(key, json!([])).await;
    assert_eq!(status, 401);
    // The download is in the audit log, with what it held.
    let log = query_strings(&f.db, "SELECT detail FROM audit_log WHERE action = 'offline_pack'").await;
    assert_eq!(log.len(), 1, "{log:?}");
    let expires = chrono::DateTime::parse_from_rfc3339(pack["expires"].as_str().expect("expires")).expect("date");
    let n = pack["invitations"].as_array().expect("invitations").len();
    assert!(log[0].starts_with(&format!("{n} phiếu mời của ")), "{log:?}");
    assert!(log[0].ends_with(&format!("khoá dùng đến {}", expires.format("%d/%m/%Y"))), "{log:?}");
}

#[tokio::test]
async fn the_apps_files_are_served_and_its_worker_names_its_version() {
    let f = field().await;
    let client = reqwest::Client::new();
    let mut total = 0;
    for (path, kind) in [
        ("/app/", "text/html"),
        ("/app/app.js", "text/javascript"),
        ("/app/app.css", "text/css"),
        ("/app/sw.js", "text/javascript"),
        ("/app/manifest.webmanifest", "application/manifest+json"),
        ("/app/icon.svg", "image/svg+xml"),
    ] {
        let r = client.get(format!("{}{path}", f.server.base)).send().await.expect("get");
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert!(r.headers()["content-type"].to_str().expect("type").starts_with(kind), "{path}");
        let body = r.text().await.expect("body");
        if path == "/app/sw.js" {
            assert!(!body.contains("VERSION") && body.contains("sipas-app-"), "the cache named after the files");
        }
        total += body.len();
    }
    // Hand-written and small: well under the 100 KB budget even before gzip.
    assert!(total < 100_000, "{total} bytes");
}

/// Polls `js` (an expression) until it gives `want`, for up to 15 s.
async fn wait_js(c: &fantoccini::Client, js: &str, want: Value) -> Value {
    let mut last = Value::Null;
    let script = format!("return {js}");
    for _ in 0..150 {
        if let Ok(v) = c.execute(&script, vec![]).await {
            if v == want {
                return v;
            }
            last = v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{js}: waited for {want}, last {last}");
}

/// With `SIPAS_SHOTS=dir`, what the enumerator sees is saved as PNG for a person to look at.
async fn shot(c: &fantoccini::Client, name: &str) {
    if let Ok(dir) = std::env::var("SIPAS_SHOTS") {
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).expect("write");
    }
}

const COUNT_OPEN: &str = "document.querySelectorAll('[data-open]').length";
const WAITING: &str = "document.querySelectorAll('li[data-state=waiting]').length";
const SENT: &str = "document.querySelectorAll('li[data-state=sent]').length";

/// Answers every shown question of the open interview as a respondent
/// might (the first choice, «Không» to GY when `skip`), in order, so each
/// answer shows or hides what follows; returns the questions left hidden.
const FILL: &str = "
const skip = arguments[0];
const form = document.querySelector('#f');
for (const fs of form.querySelectorAll('fieldset')) {
  if (fs.hidden) continue;
  const code = fs.dataset.q;
  const radios = fs.querySelectorAll('input[type=radio]');
  if (radios.length) { (code === 'GY' && skip ? radios[1] : radios[0]).click(); continue; }
  const boxes = fs.querySelectorAll('input[type=checkbox]');
  if (boxes.length) { boxes[0].click(); continue; }
  const num = fs.querySelector('input[type=number]');
  if (num) { num.value = num.min || '1'; num.dispatchEvent(new Event('input', { bubbles: true })); continue; }
  const text = fs.querySelector('textarea');
  if (text) { text.value = 'Ý kiến phỏng vấn ' + code; text.dispatchEvent(new Event('input', { bubbles: true })); }
}
return [...form.querySelectorAll('fieldset')].filter((f) => f.hidden).map((f) => f.dataset.q);";

#[tokio::test]
async fn an_enumerator_interviews_offline_closes_the_browser_and_each_interview_arrives_once_or_is_refused_with_its_reason()
 {
    use common::browser::{network, sign_in_as, start_browser_in};
    use fantoccini::Locator;
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = common::example_open_today();
    store.save_campaign(&campaign).await.expect("save");
    let frame = fixture("frames/QB01.csv");
    for args in [
        vec![
            "frame",
            "import",
            "--campaign",
            &campaign.id,
            "--unit",
            "QB01",
            "--skip-bad",
            frame.to_str().expect("path"),
        ],
        vec!["sample", "--campaign", &campaign.id, "--seed", "4"],
    ] {
        let out = sipas(&db, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    add_user(&db, "dtv", "enumerator", &["QB01"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let addr = format!("127.0.0.1:{port}");
    let server = common::spawn_server_at(&db, &addr, &[], &[]);
    let base = server.base.clone();
    let app = format!("{base}/app/?dot={}", campaign.id);
    let profile = tempfile::tempdir().expect("profile");
    let Some((driver, c)) = start_browser_in(360, 740, profile.path()).await else { return };

    // Online: sign in once, open the app, download the pack.
    sign_in_as(&c, &base, "dtv").await;
    c.goto(&app).await.expect("app");
    c.wait().for_element(Locator::Id("dl")).await.expect("download button").click().await.expect("click");
    let open = wait_js(&c, &format!("{COUNT_OPEN} > 0"), json!(true)).await;
    assert_eq!(open, json!(true));
    let tokens: Vec<String> = serde_json::from_value(
        c.execute(
            "return [...document.querySelectorAll('[data-open]')].filter((b) => b.textContent.includes('Người dân')).map((b) => b.dataset.open)",
            vec![],
        )
        .await
        .expect("tokens"),
    )
    .expect("strings");
    assert!(tokens.len() >= 3, "citizens' invitations in the pack: {tokens:?}");
    // The worker takes control (the first load installs it).
    for _ in 0..50 {
        if c.execute("return !!navigator.serviceWorker.controller", vec![]).await.expect("sw") == json!(true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        c.refresh().await.expect("reload");
    }
    wait_js(&c, "!!navigator.serviceWorker.controller", json!(true)).await;

    // The network goes: DevTools switches it off, and the server is gone too.
    network(&c, false).await;
    drop(server);
    c.refresh().await.expect("reload offline");
    wait_js(&c, &format!("{COUNT_OPEN} === {}", tokens.len() + 20), json!(true)).await;
    wait_js(&c, "navigator.onLine", json!(false)).await;
    shot(&c, "app-offline-list").await;

    // Three interviews, the first with GY answered «Không» (its four follow-ups skipped).
    for (i, token) in tokens.iter().take(3).enumerate() {
        c.find(Locator::Css(&format!("[data-open='{token}']"))).await.expect("invitation").click().await.expect("open");
        c.wait().for_element(Locator::Id("f")).await.expect("form");
        let hidden: Vec<String> =
            serde_json::from_value(c.execute(FILL, vec![json!(i == 0)]).await.expect("fill")).expect("codes");
        if i == 0 {
            shot(&c, "app-interview").await;
            assert_eq!(hidden, ["GY1", "GY2", "GY3", "GY4"], "skip logic, as online");
        } else {
            assert!(hidden.is_empty(), "{hidden:?}");
        }
        c.find(Locator::Css("#f button[type=submit]")).await.expect("finish").click().await.expect("finish");
        wait_js(&c, &format!("{WAITING} === {}", i + 1), json!(true)).await;
    }

    // The browser is closed and opened again, still without network: the queue is there.
    c.close().await.expect("close");
    drop(driver);
    let (driver, c) = start_browser_in(360, 740, profile.path()).await.expect("browser again");
    network(&c, false).await;
    c.goto(&app).await.expect("app again");
    wait_js(&c, &format!("{WAITING} === 3"), json!(true)).await;
    c.execute("document.querySelector('h2:last-of-type').scrollIntoView()", vec![]).await.expect("scroll");
    shot(&c, "app-reopened-queue").await;

    // Meanwhile the third person answered online, by the link on their slip.
    let server = common::spawn_server_at(&db, &addr, &[], &[]);
    let campaign_static: &'static Campaign = Box::leak(Box::new(campaign.clone()));
    let mut generator = Generator::new(campaign_static, 9).expect("generator");
    let cells = loop {
        let r = generator.response();
        if r.group == "citizens" {
            break r.cells;
        }
    };
    let form: Vec<(String, String)> = cells
        .iter()
        .flat_map(|(c, v)| v.split(';').map(move |p| (format!("q.{c}"), p.to_owned())))
        .chain([("action".to_owned(), "submit".to_owned())])
        .collect();
    let online = reqwest::Client::new().post(format!("{base}/s/{}", tokens[2])).form(&form).send().await.expect("post");
    assert!(online.text().await.expect("page").contains("Cảm ơn"));

    // The network returns: two are stored, each once; the third is refused
    // and the enumerator reads why.
    network(&c, true).await;
    c.refresh().await.expect("reload online");
    let refused = "document.querySelectorAll('li[data-state=refused]').length";
    wait_js(&c, &format!("{SENT} === 2 && {WAITING} === 0 && {refused} === 1"), json!(true)).await;
    shot(&c, "app-synced").await;
    let why =
        c.execute("return document.querySelector('li[data-state=refused]').textContent", vec![]).await.expect("text");
    assert!(why.as_str().unwrap_or_default().contains("đã trả lời trực tuyến"), "{why}");
    let said = c.execute("return document.querySelector('main .alert').textContent", vec![]).await.expect("text");
    assert_eq!(said, json!("Đã gửi: 2 phiếu được lưu, 1 phiếu bị từ chối — xem lý do ở cuối trang."));
    let answered = query_strings(&db, "SELECT token FROM invitations WHERE status = 'answered' ORDER BY token").await;
    let mut expected: Vec<String> = tokens.iter().take(3).cloned().collect();
    expected.sort();
    assert_eq!(answered, expected, "two offline, one online");
    let ids = query_strings(&db, "SELECT offline_client FROM invitations WHERE offline_client IS NOT NULL").await;
    assert_eq!(ids.iter().collect::<std::collections::BTreeSet<_>>().len(), 2, "two interviews stored, two ids");
    // Opened again online: nothing more is sent, and the answered ones are off the list.
    c.refresh().await.expect("reload");
    wait_js(
        &c,
        &format!("{SENT} === 2 && {refused} === 1 && {WAITING} === 0 && {COUNT_OPEN} === {}", tokens.len() + 17),
        json!(true),
    )
    .await;
    assert_eq!(query_strings(&db, "SELECT token FROM invitations WHERE status = 'answered'").await.len(), 3);
    drop((server, driver));
}
