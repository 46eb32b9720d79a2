//! A citizen answering on a phone: the questionnaire page, bad answers, resume,
//! double submission, used tokens and closed campaigns, on both backends.

mod common;

use common::{Server, TestDb, spawn_server};
use futures::TryStreamExt;
use scraper::{Html, Selector};
use sipas_shared::store::{self, NewInvitation, Store};
use sipas_shared::{Campaign, Token, UnitCode};
use std::sync::Arc;

struct Setup {
    _db: TestDb,
    store: Arc<dyn Store>,
    server: Server,
    campaign: Campaign,
}

/// The example campaign with its survey window around today.
async fn setup(open: bool) -> Setup {
    setup_with(open, |_| {}).await
}

async fn setup_with(open: bool, change: impl FnOnce(&mut Campaign)) -> Setup {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("connect");
    let mut campaign = Campaign::load(&common::example_campaign()).expect("example");
    // These tests follow one answer through the form: each is released at
    // once. Batched release is the subject of tests/anonymity.rs.
    campaign.anonymity_k = 1;
    change(&mut campaign);
    let today = sipas_shared::model::clock::day_in("Asia/Ho_Chi_Minh", sipas_shared::model::clock::now());
    let days = chrono::Duration::days;
    (campaign.opens, campaign.closes) =
        if open { (today - days(10), today + days(10)) } else { (today - days(60), today - days(30)) };
    store.save_campaign(&campaign).await.expect("save");
    let server = spawn_server(&db, &[]);
    Setup { _db: db, store, server, campaign }
}

impl Setup {
    async fn invite(&self, unit: &str, group: &str) -> Token {
        self.store
            .create_invitation(&NewInvitation {
                campaign: self.campaign.id.clone(),
                unit: UnitCode::parse(unit).expect("unit"),
                group: group.into(),
                field: Some("Đất đai".into()),
                person: None,
            })
            .await
            .expect("invitation")
    }

    fn url(&self, token: &Token) -> String {
        format!("{}/s/{}", self.server.base, token)
    }

    async fn stored(&self) -> Vec<sipas_shared::store::StoredResponse> {
        self.store.responses(&self.campaign.id).try_collect().await.expect("responses")
    }
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

async fn get(url: &str) -> (u16, Html) {
    let resp = reqwest::get(url).await.expect("get");
    (resp.status().as_u16(), Html::parse_document(&resp.text().await.expect("body")))
}

async fn post(url: &str, fields: &[(&str, &str)]) -> (u16, Html) {
    let resp = reqwest::Client::new().post(url).form(fields).send().await.expect("post");
    (resp.status().as_u16(), Html::parse_document(&resp.text().await.expect("body")))
}

fn h1(doc: &Html) -> String {
    doc.select(&sel("h1")).next().map(|h| h.text().collect()).unwrap_or_default()
}

/// Every required citizen question answered, as a phone would post them.
fn complete() -> Vec<(&'static str, &'static str)> {
    vec![
        ("q.HL", "4"),
        ("q.HL1", "5"),
        ("q.HL2", "4"),
        ("q.HL3", "4"),
        ("q.HL4", "3"),
        ("q.GY", "0"),
        ("q.CT", "a"),
        ("q.CT", "c"),
        ("q.YK", "Nên có thêm ghế chờ"),
        ("action", "submit"),
    ]
}

fn checked(doc: &Html, name: &str) -> Vec<String> {
    doc.select(&sel(&format!("input[name=\"{name}\"][checked]")))
        .filter_map(|i| i.value().attr("value").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_form_is_accessible_and_a_complete_answer_is_stored_once() {
    let s = setup(true).await;
    let token = s.invite("QB02", "citizens").await;
    let (status, page) = get(&s.url(&token)).await;
    assert_eq!(status, 200);
    assert!(h1(&page).starts_with("Phiếu khảo sát sự hài lòng"), "{}", h1(&page));
    let header: String = page.select(&sel("header p")).map(|p| p.text().collect::<String>()).collect();
    assert_eq!(header, "Đơn vị được đánh giá: Xã Bằng Lang");
    // Every question is a fieldset with a legend; every input has a label.
    let fieldsets: Vec<_> = page.select(&sel("form fieldset")).collect();
    let questions = s.campaign.questionnaire_of("citizens").expect("form").questions().count();
    assert_eq!(fieldsets.len(), questions);
    assert!(fieldsets.iter().all(|f| f.select(&sel("legend")).count() == 1));
    // A choice has its label; a box is named by its question's legend, whose
    // text is not repeated as a second label.
    for input in page.select(&sel("input:not([type=hidden]), textarea")) {
        let id = input.value().attr("id").expect("input has an id");
        let labels = page.select(&sel(&format!("label[for=\"{id}\"]"))).count();
        match input.value().attr("aria-labelledby") {
            Some(legend) => {
                assert_eq!(labels, 0, "{id} is named by its legend alone");
                assert_eq!(page.select(&sel(&format!("legend#{legend}"))).count(), 1, "legend {legend} of {id}");
            }
            None => assert_eq!(labels, 1, "label for {id}"),
        }
    }
    for f in &fieldsets {
        let legend: String = f.select(&sel("legend")).flat_map(|l| l.text()).collect();
        let question = legend.split_once(". ").map_or(legend.as_str(), |(_, t)| t).trim_end_matches(" *").trim();
        let labels: Vec<String> = f.select(&sel("label")).map(|l| l.text().collect::<String>()).collect();
        assert!(!labels.iter().any(|l| l.trim() == question), "«{question}» written twice");
    }
    // Five levels plus "don't know" where offered, best first.
    let hl5: Vec<&str> = page.select(&sel("input[name=\"q.HL5\"]")).filter_map(|i| i.value().attr("value")).collect();
    assert_eq!(hl5, ["5", "4", "3", "2", "1", "0"]);
    let sections: Vec<String> = page.select(&sel("h2")).map(|h| h.text().collect()).collect();
    assert_eq!(sections[0], "Phần 1/4: Mức độ hài lòng chung");
    // The skip-logic question says when to answer it, for phones without JavaScript.
    let gy1 = page.select(&sel("#q-GY1 .note")).next().map(|n| n.text().collect::<String>()).unwrap_or_default();
    assert!(gy1.ends_with("Có"), "{gy1}");

    let (status, thanks) = post(&s.url(&token), &complete()).await;
    assert_eq!(status, 200);
    assert_eq!(h1(&thanks), "Cảm ơn Ông/Bà");
    let stored = s.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].unit, "QB02");
    assert_eq!(stored[0].field.as_deref(), Some("Đất đai"));
    assert_eq!(stored[0].cells.get("CT").map(String::as_str), Some("a;c"));
    assert_eq!(stored[0].cells.get("YK").map(String::as_str), Some("Nên có thêm ghế chờ"));
    let board = s.store.quota_board(&s.campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB02" && r.group == "citizens").expect("row");
    assert_eq!(row.answered, 1);

    // The used link shows "already answered", never a second form.
    let (status, again) = get(&s.url(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(h1(&again), "Phiếu này đã được trả lời");
    assert_eq!(again.select(&sel("form")).count(), 0);
    let (_, again) = post(&s.url(&token), &complete()).await;
    assert_eq!(h1(&again), "Phiếu này đã được trả lời");
    assert_eq!(s.stored().await.len(), 1);
}

#[tokio::test]
async fn bad_answers_come_back_marked_with_everything_kept_and_nothing_stored() {
    let s = setup(true).await;
    let token = s.invite("QB01", "citizens").await;
    let mut fields = complete();
    fields.retain(|(k, _)| *k != "q.HL3" && *k != "q.HL");
    fields.extend([("q.HL", "7"), ("q.ZZ", "1"), ("q.CT", "x")]);
    let (status, page) = post(&s.url(&token), &fields).await;
    assert_eq!(status, 422);
    assert!(page.select(&sel("div.alert")).next().is_some());
    let err = |code: &str| page.select(&sel(&format!("#err-{code}"))).next().map(|e| e.text().collect::<String>());
    assert_eq!(err("HL").as_deref(), Some("hãy chọn một mức từ 1 đến 5"));
    assert_eq!(err("HL3").as_deref(), Some("câu này bắt buộc trả lời"));
    assert_eq!(err("CT").as_deref(), Some("phương án «x» không có trong câu hỏi"));
    // The faulty question points its inputs at the message.
    let described = page.select(&sel("input[name=\"q.HL3\"]")).next().and_then(|i| i.value().attr("aria-describedby"));
    assert_eq!(described, Some("err-HL3"));
    // What was right is still there.
    assert_eq!(checked(&page, "q.HL1"), ["5"]);
    assert_eq!(checked(&page, "q.GY"), ["0"]);
    let text: String = page.select(&sel("textarea")).next().map(|t| t.text().collect()).unwrap_or_default();
    assert_eq!(text, "Nên có thêm ghế chờ");
    assert!(s.stored().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn saved_answers_are_there_when_the_link_is_opened_again() {
    let s = setup(true).await;
    let token = s.invite("QB03", "citizens").await;
    let (status, page) =
        post(&s.url(&token), &[("q.HL", "5"), ("q.HL1", "2"), ("q.CT", "b"), ("action", "save")]).await;
    assert_eq!(status, 200);
    assert!(page.select(&sel("div.ok")).next().is_some(), "saved notice");
    assert!(page.select(&sel(".err")).next().is_none(), "missing answers are no fault while saving");
    let (_, resumed) = get(&s.url(&token)).await;
    assert_eq!(checked(&resumed, "q.HL"), ["5"]);
    assert_eq!(checked(&resumed, "q.HL1"), ["2"]);
    assert_eq!(checked(&resumed, "q.CT"), ["b"]);
    assert!(s.stored().await.is_empty(), "saving is not submitting");
}

#[tokio::test]
async fn two_taps_at_once_store_one_response() {
    let s = setup(true).await;
    let token = s.invite("QB04", "citizens").await;
    let url = s.url(&token);
    // Parsed pages are not Send; the tasks return raw status and body.
    let posts = (0..6).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let resp = reqwest::Client::new().post(&url).form(&complete()).send().await.expect("post");
            (resp.status().as_u16(), resp.text().await.expect("body"))
        })
    });
    let mut thanked = 0;
    for p in posts {
        let (status, body) = p.await.expect("join");
        assert_eq!(status, 200);
        match h1(&Html::parse_document(&body)).as_str() {
            "Cảm ơn Ông/Bà" => thanked += 1,
            "Phiếu này đã được trả lời" => {}
            other => panic!("unexpected page {other}"),
        }
    }
    assert_eq!(thanked, 1);
    assert_eq!(s.stored().await.len(), 1);
}

#[tokio::test]
async fn a_closed_campaign_shows_a_closed_page() {
    let s = setup(false).await;
    let token = s.invite("QB01", "citizens").await;
    let (status, page) = get(&s.url(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(h1(&page), "Đợt khảo sát không nhận phiếu lúc này");
    assert_eq!(page.select(&sel("form")).count(), 0);
    let (_, page) = post(&s.url(&token), &complete()).await;
    assert_eq!(h1(&page), "Đợt khảo sát không nhận phiếu lúc này");
    assert!(s.stored().await.is_empty());
}

#[tokio::test]
async fn english_unknown_tokens_and_oversized_bodies() {
    let s = setup(true).await;
    let token = s.invite("QB05", "delegates").await;
    let (_, page) = get(&format!("{}?lang=en", s.url(&token))).await;
    assert_eq!(page.select(&sel("html")).next().and_then(|h| h.value().attr("lang")), Some("en"));
    assert_eq!(h1(&page), "Sociological survey for the commune PAR INDEX (council delegates)");
    let text: String = page.root_element().text().collect();
    assert!(text.contains("Very good") && !text.contains("Rất tốt"), "the scale in English too");
    let action = page.select(&sel("form")).next().and_then(|f| f.value().attr("action")).map(str::to_owned);
    assert_eq!(action, Some(format!("/s/{token}?lang=en")), "the language is kept when posting");

    let (status, page) = post(&format!("{}?lang=en", s.url(&token)), &[("q.D1", "zz"), ("action", "submit")]).await;
    assert_eq!(status, 422);
    let msg = page.select(&sel("#err-D1")).next().map(|e| e.text().collect::<String>());
    assert_eq!(msg.as_deref(), Some("Option «zz» is not one of this question's"));
    let msg = page.select(&sel("#err-D2")).next().map(|e| e.text().collect::<String>());
    assert_eq!(msg.as_deref(), Some("This question needs an answer"));

    for bad in ["nope", &Token::generate().to_string()] {
        let (status, page) = get(&format!("{}/s/{bad}", s.server.base)).await;
        assert_eq!(status, 404);
        assert_eq!(h1(&page), "Không tìm thấy phiếu");
    }
    let huge = "x".repeat(100 * 1024);
    let resp = reqwest::Client::new().post(s.url(&token)).form(&[("q.D10", huge.as_str())]).send().await.expect("post");
    assert_eq!(resp.status().as_u16(), 413);
    assert!(s.stored().await.is_empty());
}

#[tokio::test]
async fn qr_codes_draw_the_link_in_svg_and_png() {
    let s = setup(true).await;
    let token = s.invite("QB01", "citizens").await;
    let svg = reqwest::get(format!("{}/qr/{token}.svg", s.server.base)).await.expect("svg");
    assert_eq!(svg.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/svg+xml"));
    let body = svg.text().await.expect("body");
    let doc = Html::parse_document(&body);
    let root = doc.select(&sel("svg")).next().expect("an svg");
    let width: u32 = root.value().attr("width").and_then(|w| w.parse().ok()).expect("width");
    assert!(width >= 240, "big enough to scan from a slip: {width}");
    let png = reqwest::get(format!("{}/qr/{token}.png", s.server.base)).await.expect("png");
    assert_eq!(png.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    let img = image::load_from_memory(&png.bytes().await.expect("bytes")).expect("a PNG");
    assert!(img.width() >= 300 && img.width() == img.height(), "{}×{}", img.width(), img.height());
    let gif = reqwest::get(format!("{}/qr/{token}.gif", s.server.base)).await.expect("gif");
    assert_eq!(gif.status().as_u16(), 404);
    let unknown = reqwest::get(format!("{}/qr/{}.svg", s.server.base, Token::generate())).await.expect("unknown");
    assert_eq!(unknown.status().as_u16(), 404);
}

#[tokio::test]
async fn the_counter_issues_fresh_questionnaires_until_the_quota_is_full() {
    // QB01 wants 2 citizens; the counter issues at most 2 live tokens.
    let s = setup_with(true, |c| {
        let citizens = c.groups.iter_mut().find(|g| g.code == "citizens").expect("citizens");
        citizens.overrides.insert(UnitCode::parse("QB01").expect("unit"), 2);
        c.counter_poster = true;
    })
    .await;
    // The cap under concurrent requests, from one address: without the
    // per-address limits (tests/counter.rs has those).
    let server = spawn_server(&s._db, &["--no-rate-limits"]);
    let counter = format!("{}/c/quang-binh-2026~QB01", server.base);
    let (status, page) = get(&counter).await;
    assert_eq!(status, 200);
    let fields: Vec<&str> = page.select(&sel("input[name=field]")).filter_map(|i| i.value().attr("value")).collect();
    assert_eq!(
        fields,
        [
            "Tư pháp – Hộ tịch",
            "Công an",
            "Lao động – Thương binh và Xã hội",
            "Đất đai",
            sipas_shared::store::release::OTHER_FIELD
        ]
    );

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let tries = (0..10).map(|_| {
        let (client, counter) = (client.clone(), counter.clone());
        tokio::spawn(async move {
            let resp = client.post(&counter).form(&[("field", "Công an")]).send().await.expect("post");
            resp.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned)
        })
    });
    let mut issued = Vec::new();
    for t in tries {
        if let Some(location) = t.await.expect("join") {
            issued.push(location);
        }
    }
    assert_eq!(issued.len(), 2, "never more than the quota, however many ask at once");
    let board = s.store.quota_board(&s.campaign.id).await.expect("board");
    let row = board.iter().find(|r| r.unit == "QB01" && r.group == "citizens").expect("row");
    assert_eq!(row.invited, 2);

    // Two of them answer: the quota is full and the counter says so.
    for location in &issued[..2] {
        let (_, page) = post(&format!("{}{location}", server.base), &complete()).await;
        assert_eq!(h1(&page), "Cảm ơn Ông/Bà");
    }
    let stored = s.stored().await;
    assert!(stored.iter().all(|r| r.field.as_deref() == Some("Công an")), "the field chosen at the counter");
    let (_, page) = get(&counter).await;
    assert_eq!(h1(&page), "Đã đủ số phiếu khảo sát");
    let resp = client.post(&counter).form(&[("field", "Công an")]).send().await.expect("post");
    assert!(resp.headers().get("location").is_none());

    let (status, _) = get(&format!("{}/c/quang-binh-2026~NOPE", server.base)).await;
    assert_eq!(status, 404);
    let resp = client
        .post(format!("{}/c/quang-binh-2026~QB02", server.base))
        .form(&[("field", "Thiên văn")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 422, "a field not in the catalogue is refused");
}

#[tokio::test]
async fn pages_go_out_compressed_with_security_headers() {
    let s = setup(true).await;
    let token = s.invite("QB05", "citizens").await;
    let resp = reqwest::Client::new().get(s.url(&token)).header("accept-encoding", "gzip").send().await.expect("get");
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let h = resp.headers().clone();
    let on_the_wire = resp.bytes().await.expect("body").len();
    // What a phone receives: before, 25,971 bytes uncompressed whatever it asked
    // (the form now also asks the respondent's profile: 30,455 bytes, 5.4 KB gzip).
    // The README says so, in its own words: «in under N KB gzipped on the wire».
    let readme = std::fs::read_to_string(common::root().join("README.md")).expect("README");
    let at = readme.find("in under ").expect("the README states the size") + "in under ".len();
    let stated: usize = readme[at..].split(' ').next().and_then(|n| n.parse().ok()).expect("a number of KB");
    assert!(readme[at..].starts_with(&format!("{stated} KB\ngzipped on the wire")), "{}", &readme[at..at + 40]);
    assert!(on_the_wire < stated * 1024, "{on_the_wire} bytes on the wire, the README says under {stated} KB");
    let csp = h["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'sha256-"), "{csp}");
    assert_eq!(h["referrer-policy"], "no-referrer", "links carry tokens");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.get("cache-control").is_none(), "a respondent's page is not a staff page");
    let login = reqwest::get(format!("{}/login", s.server.base)).await.expect("login");
    assert_eq!(login.headers()["cache-control"], "no-store");
    // After signing in, only a path of this site is followed.
    let evil = reqwest::get(format!("{}/login?next=/%09/evil.example", s.server.base)).await.expect("login");
    assert!(!evil.text().await.expect("body").contains("evil.example"), "a tab browsers drop is not a way out");
}

#[tokio::test]
async fn saving_shows_how_to_come_back_and_a_wrong_link_points_to_the_code_page() {
    let s = setup(true).await;
    let token = s.invite("QB03", "citizens").await;
    let (status, page) = post(&s.url(&token), &[("q.HL", "5"), ("action", "save")]).await;
    assert_eq!(status, 200);
    // The invitation's short code to write down, and where to type it.
    let code: String = page.select(&sel(".ok .resume-code")).next().expect("the code to keep").text().collect();
    assert!(code.len() == 9 && code.as_bytes()[4] == b'-', "{code}");
    let typed = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let resp = typed.get(format!("{}/k", s.server.base)).query(&[("code", code.as_str())]).send().await.expect("get");
    assert_eq!(resp.headers()["location"].to_str().expect("location"), format!("/s/{token}"), "the code leads back");
    let (status, missing) = get(&format!("{}/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", s.server.base)).await;
    assert_eq!(status, 404);
    let to: Vec<&str> = missing.select(&sel("main a")).filter_map(|a| a.value().attr("href")).collect();
    assert_eq!(to, ["/k"], "the page where a slip's code can be typed");
}
