//! Officials and delegates invited by e-mail: every invitation arrives once
//! with a link that works; reminders reach only those who have not
//! answered, opted out or bounced; a failing server is retried and recorded
//! and nobody gets the same message twice. Against a real SMTP server on
//! loopback (`common::smtp`), on both backends.

mod common;

use common::smtp::{Faults, Sink, header, plain_text};
use common::{TestDb, fixture, query_tuples, sipas, sipas_env, stderr, stdout};
use sipas_shared::Campaign;
use sipas_shared::field::demo::Generator;
use sipas_shared::store::{self, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use std::sync::Arc;

struct Field {
    db: TestDb,
    store: Arc<dyn Store>,
    campaign: Campaign,
    server: common::Server,
    /// Drawn delegates with an address: e-mail → (token, name).
    invited: BTreeMap<String, (String, String)>,
    /// Everyone on the roster with an address, drawn or in reserve.
    everyone: BTreeSet<String>,
}

async fn field() -> Field {
    field_with(&[]).await
}

/// The field, the service started with `env` (an SMTP server's settings).
async fn field_with(env: &[(String, String)]) -> Field {
    let db = TestDb::new().await;
    let store = store::connect(&db.url).await.expect("store");
    let campaign = common::example_open_today();
    store.save_campaign(&campaign).await.expect("save");
    let roster_path = fixture("rosters/QB01-delegates-email.csv");
    let roster = roster_path.to_str().expect("path");
    // Row 23 has neither a phone nor a usable address: named, nothing imported.
    let out =
        sipas(&db, &["frame", "import", "--campaign", &campaign.id, "--unit", "QB01", "--group", "delegates", roster]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("dòng 23, cột «Thư điện tử»"), "{}", stderr(&out));
    let out = sipas(
        &db,
        &[
            "frame",
            "import",
            "--campaign",
            &campaign.id,
            "--unit",
            "QB01",
            "--group",
            "delegates",
            "--skip-bad",
            roster,
        ],
    );
    assert!(stdout(&out).contains("Đã nhập 19 người"), "{}{}", stdout(&out), stderr(&out));
    // The roster sent again with one delegate added at the top (every line
    // moves down): one person more, nobody twice — the official with only
    // an e-mail address included, known by the address, not the line.
    let dir = tempfile::tempdir().expect("dir");
    let text = std::fs::read_to_string(&roster_path).expect("roster");
    let grown = text.replacen("\n1;", "\n0;Hà Văn Mới;Đại biểu;0931.199.299;moi@yenbinh.quangbinh.gov.vn\n1;", 1);
    let again = dir.path().join("QB01-delegates-email-2.csv");
    std::fs::write(&again, grown).expect("write");
    let again = again.to_str().expect("path");
    let out = sipas(
        &db,
        &["frame", "import", "--campaign", &campaign.id, "--unit", "QB01", "--group", "delegates", "--skip-bad", again],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let people = query_tuples(&db, "SELECT COUNT(*) || '' FROM frame_people WHERE roster_of = 'delegates'").await;
    assert_eq!(people, vec![vec!["20".to_owned()]]);
    // Back to the roster the office meant: the added delegate was never invited.
    let out = sipas(
        &db,
        &[
            "frame",
            "import",
            "--campaign",
            &campaign.id,
            "--unit",
            "QB01",
            "--group",
            "delegates",
            "--skip-bad",
            "--replace",
            roster,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sipas(&db, &["sample", "--campaign", &campaign.id, "--seed", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = query_tuples(
        &db,
        "SELECT p.email, i.token, p.full_name, i.status FROM invitations i JOIN frame_people p ON p.id = i.person_id
         WHERE p.email IS NOT NULL",
    )
    .await;
    let everyone: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    let invited: BTreeMap<String, (String, String)> =
        rows.into_iter().filter(|r| r[3] == "issued").map(|r| (r[0].clone(), (r[1].clone(), r[2].clone()))).collect();
    // 15 drawn of 19, 18 with an address (one has only a phone).
    assert!(invited.len() >= 14 && everyone.len() == 18, "{} drawn, {} with an address", invited.len(), everyone.len());
    assert!(everyone.contains("DaiBieu08@yenbinh.quangbinh.gov.vn"), "the domain lowercased, the mailbox kept");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = common::spawn_server_env(&db, &[], &env);
    Field { db, store, campaign, server, invited, everyone }
}

impl Field {
    fn mail(&self, sink: &Sink, args: &[&str]) -> Output {
        let mut all = vec!["invitations"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--campaign",
            &self.campaign.id,
            "--public-url",
            &self.server.base,
            "--retry-pause",
            "0",
        ]);
        let out = sipas_env(&self.db, &all, &sink.env());
        // The terminal's scrollback is a log: no address, no name in it.
        let printed = format!("{}{}", stdout(&out), stderr(&out));
        for (email, (_, name)) in &self.invited {
            assert!(
                !printed.contains(email.as_str()) && !printed.contains(name.as_str()),
                "{email} printed: {printed}"
            );
        }
        out
    }

    /// A delegate's complete questionnaire, as the phone posts it.
    async fn answer(&self, token: &str, generator: &mut Generator<'_>) {
        let cells = loop {
            let r = generator.response();
            if r.group == "delegates" {
                break r.cells;
            }
        };
        let mut form: Vec<(String, String)> = cells
            .iter()
            .flat_map(|(code, v)| v.split(';').map(move |part| (format!("q.{code}"), part.to_owned())))
            .collect();
        form.push(("action".into(), "submit".into()));
        let resp = reqwest::Client::new()
            .post(format!("{}/s/{token}", self.server.base))
            .form(&form)
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status().as_u16(), 200);
        assert!(resp.text().await.expect("body").contains("Cảm ơn"));
    }

    async fn statuses(&self) -> Vec<Vec<String>> {
        query_tuples(
            &self.db,
            "SELECT p.email, CAST(m.round AS TEXT), m.status, COALESCE(m.reason, '') FROM mail_sends m
             JOIN frame_people p ON p.id = m.person_id ORDER BY p.email, m.round",
        )
        .await
    }
}

fn link_token(text: &str) -> String {
    let at = text.find("/s/").expect("a link in the message") + 3;
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

fn recipients(delivered: &[common::smtp::Delivered]) -> Vec<String> {
    let mut to: Vec<String> = delivered.iter().map(|d| d.to.clone()).collect();
    to.sort();
    to
}

#[tokio::test]
async fn each_invitation_arrives_once_and_reminders_reach_only_those_still_due() {
    let f = field().await;
    let sink = Sink::start(Faults::default());
    let out = f.mail(&sink, &["send", "--group", "delegates"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("[1/{}] Thị trấn Yên Bình · Đại biểu HĐND xã, dòng", f.invited.len())));

    // Every drawn delegate with an address, once; nobody in reserve.
    let first = sink.delivered();
    let expected: Vec<String> = f.invited.keys().cloned().collect();
    assert_eq!(recipients(&first), expected);
    let client = reqwest::Client::new();
    for d in &first {
        let (token, name) = &f.invited[&d.to];
        let text = plain_text(&d.data);
        assert_eq!(&link_token(&text), token, "{}'s own link", d.to);
        assert!(text.contains(&format!("Kính gửi Ông/Bà {name},")), "{text}");
        assert!(text.contains("ẩn danh") && text.contains("Thị trấn Yên Bình"), "{text}");
        assert_eq!(header(&d.data, "Subject").as_deref(), Some(format!("Mời tham gia {}", f.campaign.name).as_str()));
        let unsubscribe = header(&d.data, "List-Unsubscribe").expect("List-Unsubscribe");
        assert_eq!(unsubscribe, format!("<{}/s/{token}/ngung-nhan-thu>", f.server.base));
        // The link opens the questionnaire.
        let page = client.get(format!("{}/s/{token}", f.server.base)).send().await.expect("get");
        assert_eq!(page.status().as_u16(), 200);
        assert!(page.text().await.expect("page").contains("<form"), "{token}: the questionnaire");
    }

    // A second run sends nothing.
    let again = f.mail(&sink, &["send"]);
    assert!(stdout(&again).contains("thư mời: 0 người cần gửi"), "{}", stdout(&again));
    assert_eq!(sink.delivered().len(), first.len());

    // Two answer (their answers held: fewer than k), one opts out by the
    // mail client's one-click request, and a link scanner opens another's
    // opt-out page, which must change nothing.
    let emails: Vec<&String> = f.invited.keys().collect();
    let (a, b, c, d) = (emails[0], emails[1], emails[2], emails[3]);
    let mut generator = Generator::new(&f.campaign, 5).expect("generator");
    for who in [a, b] {
        f.answer(&f.invited[who].0, &mut generator).await;
    }
    assert_eq!(f.store.count_responses(&f.campaign.id).await.expect("count"), 0, "answers still held");
    let stop = client
        .post(format!("{}/s/{}/ngung-nhan-thu", f.server.base, f.invited[c].0))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("one-click");
    assert_eq!(stop.status().as_u16(), 200);
    let scanned =
        client.get(format!("{}/s/{}/ngung-nhan-thu", f.server.base, f.invited[d].0)).send().await.expect("get");
    assert!(scanned.text().await.expect("page").contains("Ngừng nhận thư"));

    // The reminder: everyone still due, once, and no one else.
    let out = f.mail(&sink, &["remind", "--group", "delegates", "--after-days", "0", "--at-most", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let reminders: Vec<_> = sink.delivered()[first.len()..].to_vec();
    let due: Vec<String> = expected.iter().filter(|e| ![a, b, c].contains(e)).cloned().collect();
    assert_eq!(recipients(&reminders), due, "not to those who answered or opted out");
    assert!(reminders.iter().all(|r| header(&r.data, "Subject").is_some_and(|s| s.starts_with("Nhắc:"))));
    assert!(reminders.iter().all(|r| link_token(&plain_text(&r.data)) == f.invited[&r.to].0));

    // At most one reminder each; none within the quiet days either.
    let none = f.mail(&sink, &["remind", "--after-days", "0", "--at-most", "1"]);
    assert!(stdout(&none).contains("thư nhắc: 0 người cần gửi"), "{}", stdout(&none));
    let quiet = f.mail(&sink, &["remind", "--after-days", "3", "--at-most", "5"]);
    assert!(stdout(&quiet).contains("thư nhắc: 0 người cần gửi"), "{}", stdout(&quiet));
    assert_eq!(sink.delivered().len(), first.len() + due.len());
    assert!(f.everyone.len() > f.invited.len(), "people in reserve had addresses and got nothing");

    // What the office sees: by group, sent, reminded, opted out, answered.
    let status = sipas(&f.db, &["invitations", "status", "--campaign", &f.campaign.id]);
    let line = stdout(&status).lines().find(|l| l.starts_with("Đại biểu HĐND xã")).map(str::to_owned).expect("row");
    let numbers: Vec<&str> = line.split_whitespace().skip(4).collect();
    let n = f.invited.len().to_string();
    let reminded = due.len().to_string();
    assert_eq!(numbers, [n.as_str(), n.as_str(), &reminded, "0", "0", "1", "0", "2"], "{line}");
}

#[tokio::test]
async fn a_failing_server_is_retried_and_recorded_and_nobody_gets_two() {
    let f = field().await;
    let emails: Vec<String> = f.invited.keys().cloned().collect();

    // The server cannot be reached: three messages fail, recorded, and the run stops.
    let down = Sink::closed();
    let out = f.mail(&down, &["send"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("dừng sau 3 thư liên tiếp không gửi được"), "{}", stderr(&out));
    let rows = f.statuses().await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r[2] == "failed" && !r[3].is_empty()), "{rows:?}");

    // The server refuses one message for now, drops the connection at
    // another, and refuses one address for good.
    let unknown = emails[5].clone();
    let sink = Sink::start(Faults {
        refuse_data_at: BTreeSet::from([3]),
        drop_at_mail: BTreeSet::from([6]),
        unknown: BTreeSet::from([unknown.to_lowercase()]),
        ..Faults::default()
    });
    let out = f.mail(&sink, &["send"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("bị trả lại 1"), "{}", stdout(&out));
    let delivered = sink.delivered();
    let expected: Vec<String> = emails.iter().filter(|e| **e != unknown).cloned().collect();
    assert_eq!(recipients(&delivered), expected, "everyone once, the three that failed included");
    let rows = f.statuses().await;
    let bounced: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "bounced").collect();
    assert_eq!(bounced.len(), 1);
    assert_eq!(bounced[0][0], unknown);
    assert!(bounced[0][3].contains("5.1.1"), "the server's reason: {:?}", bounced[0]);
    assert_eq!(rows.iter().filter(|r| r[2] == "sent").count(), expected.len());

    // Nothing more to send; the bounced address gets no reminder either.
    let again = f.mail(&sink, &["send"]);
    assert!(stdout(&again).contains("thư mời: 0 người cần gửi"), "{}", stdout(&again));
    f.mail(&sink, &["remind", "--after-days", "0"]);
    let reminders = &sink.delivered()[delivered.len()..];
    assert_eq!(recipients(reminders), expected);
}

#[tokio::test]
async fn an_address_the_postmaster_returned_is_not_written_to_again() {
    let f = field().await;
    let sink = Sink::start(Faults::default());
    let emails: Vec<String> = f.invited.keys().cloned().collect();
    // The postmaster's reply, pasted into a file as it came.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("tra-lai.txt");
    std::fs::write(
        &file,
        format!(
            "Delivery has failed to these recipients or groups:\n\n{} ({})\nThe e-mail address wasn't found.\n",
            emails[0],
            emails[0].to_uppercase()
        ),
    )
    .expect("write");
    let out = sipas(&f.db, &["invitations", "bounced", "--campaign", &f.campaign.id, file.to_str().expect("path")]);
    assert!(stdout(&out).contains("Đã ghi 1 người"), "{}{}", stdout(&out), stderr(&out));
    f.mail(&sink, &["send"]);
    assert!(!recipients(&sink.delivered()).contains(&emails[0]));
    assert_eq!(sink.delivered().len(), emails.len() - 1);
}

#[test]
fn plain_smtp_is_refused_beyond_this_machine() {
    use sipas_collector::mail::SmtpSettings;
    let vars = |security: &'static str, host: &'static str| {
        move |name: &str| match name {
            "SIPAS_SMTP_HOST" => Some(host.to_owned()),
            "SIPAS_SMTP_SECURITY" => Some(security.to_owned()),
            "SIPAS_MAIL_FROM" => Some("Sở Nội vụ <khaosat@snv.gov.vn>".to_owned()),
            _ => None,
        }
    };
    let err = SmtpSettings::from_vars(&vars("none", "mail.snv.gov.vn")).expect_err("plain to another machine");
    assert!(err.contains("starttls"), "{err}");
    let ok = SmtpSettings::from_vars(&vars("none", "127.0.0.1")).expect("loopback").expect("settings");
    assert_eq!(ok.port, 25);
    let tls = SmtpSettings::from_vars(&vars("starttls", "mail.snv.gov.vn")).expect("starttls").expect("settings");
    assert_eq!(tls.port, 587);
    assert!(format!("{tls:?}").contains("mail.snv.gov.vn"));
}

#[tokio::test]
async fn the_office_sends_from_the_admin_page_and_sees_how_it_went() {
    let sink = Sink::start(Faults::default());
    let f = field_with(&sink.env()).await;
    common::add_user(&f.db, "snv", "admin", &[]);
    let admin = common::sign_in(&f.server.base, "snv").await;
    let page_url = format!("{}/admin/campaigns/{}", f.server.base, f.campaign.id);
    let page = admin.get(&page_url).send().await.expect("page").text().await.expect("body");
    assert!(page.contains("Thư mời qua thư điện tử") && page.contains("name=\"what\""), "the send form");
    let post = admin
        .post(format!("{page_url}/mail"))
        .form(&[("csrf", common::csrf_in(&page).as_str()), ("group", "delegates"), ("what", "invitation")])
        .send()
        .await
        .expect("send");
    assert_eq!(post.status().as_u16(), 303);
    // The run goes on in the background; the page shows its progress, then its end.
    let mut done = String::new();
    for _ in 0..100 {
        done = admin.get(&page_url).send().await.expect("page").text().await.expect("body");
        if done.contains("Đã gửi xong thư mời") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let n = f.invited.len();
    assert!(done.contains(&format!("{n}/{n} người — đã gửi {n}, lỗi 0")), "{done}");
    assert_eq!(recipients(&sink.delivered()), f.invited.keys().cloned().collect::<Vec<_>>());
    // Counts by group on the page, and no address or name on it.
    let doc = scraper::Html::parse_document(&done);
    let sel = scraper::Selector::parse("#thu-dien-tu ~ div.wrap td").expect("selector");
    let cells: Vec<String> = doc.select(&sel).map(|c| c.text().collect::<String>()).collect();
    assert_eq!(cells.get(..3), Some(&["Đại biểu HĐND xã".to_owned(), n.to_string(), n.to_string()][..]), "{cells:?}");
    for (email, (_, name)) in &f.invited {
        assert!(!done.contains(email.as_str()) && !done.contains(name.as_str()));
    }
    // The audit log says who sent what, in words.
    assert!(done.contains(&format!("thư mời: {n} người cần gửi; đã gửi {n}")), "audit line");
}

#[tokio::test]
async fn messages_leave_no_faster_than_the_providers_limit() {
    let f = field().await;
    let sink = Sink::start(Faults::default());
    // 1,200 a minute: one each 50 ms at most. A slow machine only widens the gaps.
    let out = sipas_env(
        &f.db,
        &["invitations", "send", "--campaign", &f.campaign.id, "--public-url", &f.server.base],
        &sink.env_at(1200),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let delivered = sink.delivered();
    assert_eq!(delivered.len(), f.invited.len());
    // Measured where the server accepts, so one gap may lose a few ms to the next one.
    let gaps: Vec<u128> = delivered.windows(2).map(|w| (w[1].at - w[0].at).as_millis()).collect();
    let span = gaps.iter().sum::<u128>();
    assert!(gaps.iter().all(|g| *g >= 30) && span + 25 >= 50 * gaps.len() as u128, "{gaps:?}");
}

#[tokio::test]
async fn a_server_that_refuses_the_run_bounces_nobody_and_a_message_without_a_reply_is_never_resent() {
    let f = field().await;
    let emails: Vec<String> = f.invited.keys().cloned().collect();
    let bounced = || async { f.statuses().await.into_iter().filter(|r| r[2] == "bounced").count() };

    // The server refuses the sender (550 5.1.0): the run stops at once, nobody is a bounce.
    let sink = Sink::start(Faults { refuse_sender: true, ..Faults::default() });
    let out = f.mail(&sink, &["send"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("máy chủ thư không nhận địa chỉ gửi"), "{}", stderr(&out));
    assert_eq!(bounced().await, 0);
    // A host blocked by policy (554 5.7.1 [185.1.20.3]): not a bounce either; the run stops after three.
    let sink = Sink::start(Faults { blocked: true, ..Faults::default() });
    let out = f.mail(&sink, &["send"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(bounced().await, 0, "{:?}", f.statuses().await);
    assert_eq!(sink.delivered().len(), 0);

    // Greylisting names the address (450 4.2.0 <…>): tried again, and the
    // address kept out of the recorded reason. The second message is taken
    // and its reply lost: it stays «chưa rõ» and is not sent again.
    let sink = Sink::start(Faults {
        greylist: BTreeSet::from([emails[0].to_lowercase()]),
        silent_after_data_at: BTreeSet::from([2]),
        ..Faults::default()
    });
    let out = f.mail(&sink, &["send"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("chưa rõ 1"), "{}", stdout(&out));
    let first = sink.delivered();
    assert_eq!(recipients(&first), emails, "each once, the one without a reply included");
    let again = f.mail(&sink, &["send"]);
    assert!(stdout(&again).contains("thư mời: 0 người cần gửi"), "{}", stdout(&again));
    assert_eq!(sink.delivered().len(), first.len(), "the message without a reply is not sent again");
    let rows = f.statuses().await;
    assert_eq!(rows.iter().filter(|r| r[2] == "sending").count(), 1, "{rows:?}");
    assert!(rows.iter().all(|r| !r[3].contains('@')), "no address in a recorded reason: {rows:?}");
    let status = sipas(&f.db, &["invitations", "status", "--campaign", &f.campaign.id]);
    let line = stdout(&status).lines().find(|l| l.starts_with("Đại biểu HĐND xã")).map(str::to_owned).expect("row");
    assert_eq!(line.split_whitespace().nth(10), Some("1"), "«chưa rõ» counted: {line}");
}
