//! Fuzzing, bounded in time (not part of CI): `cargo bench --bench fuzz`.
//!
//! A seeded mutation fuzzer: the real sample files (the counters' frames, the
//! ballot CSVs, a spreadsheet, a questionnaire form as posted) are mutated —
//! bytes flipped, delimiters, quotes, line ends and BOMs inserted, pieces cut,
//! doubled or spliced — and fed to the parsers. A panic, or a 5xx from the
//! form handler, is a failure. Prints the cases run per target.
//! `SIPAS_FUZZ_SECONDS` (default 15) per target, `SIPAS_FUZZ_SEED` (default 1).

use axum::body::Body;
use axum::http::{Request, header};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sipas_shared::store::{self, NewInvitation};
use sipas_shared::{Campaign, Phone, Token, files::examples};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const SPECIAL: &[&[u8]] = &[
    b",",
    b";",
    b"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b"\xef\xbb\xbf",
    b"=",
    b"&",
    b"%",
    b"+",
    b"%FF",
    b"\0",
    b"\t",
    b"\xc3",
    b"q.",
    b"  ",
];

fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..8) {
        let len = data.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                data[i] = rng.random();
            }
            1 => {
                let i = rng.random_range(0..=len);
                let s = SPECIAL[rng.random_range(0..SPECIAL.len())];
                data.splice(i..i, s.iter().copied());
            }
            2 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(0..64)).min(len);
                data.drain(a..b);
            }
            3 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(0..256)).min(len);
                let piece = data[a..b].to_vec();
                let at = rng.random_range(0..=data.len());
                data.splice(at..at, piece);
            }
            4 if len > 0 => data.truncate(rng.random_range(0..len)),
            5 => {
                let other = &seeds[rng.random_range(0..seeds.len())];
                if !other.is_empty() {
                    let a = rng.random_range(0..other.len());
                    let at = rng.random_range(0..=data.len());
                    data.splice(at..at, other[a..].iter().copied().take(512));
                }
            }
            _ => {
                let i = rng.random_range(0..=len);
                let n = rng.random_range(1..16);
                let junk: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                data.splice(i..i, junk);
            }
        }
    }
    data
}

struct Outcome {
    target: &'static str,
    cases: u64,
    failures: u64,
}

fn run_sync(target: &'static str, budget: Duration, rng: &mut StdRng, seeds: &[Vec<u8>], f: impl Fn(&[u8])) -> Outcome {
    let started = Instant::now();
    let (mut cases, mut failures) = (0, 0);
    while started.elapsed() < budget {
        for _ in 0..64 {
            let input = mutate(rng, seeds);
            if catch_unwind(AssertUnwindSafe(|| f(&input))).is_err() {
                failures += 1;
                let path = std::env::temp_dir().join(format!("sipas-fuzz-{target}-{cases}.bin"));
                let _ = std::fs::write(&path, &input);
                eprintln!("{target}: panic, input kept in {}", path.display());
            }
            cases += 1;
        }
    }
    Outcome { target, cases, failures }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn spreadsheet() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["UBND XÃ", "", "", "", ""],
        ["tt", "Họ và tên", "Tên thủ tục hành chính", "Địa chỉ", "Số điện thoại"],
        ["1", "Nguyễn Văn A", "Đăng ký khai sinh", "Thôn 1", "0912 345 678"],
        ["2", "Trần Thị B", "Chứng thực bản sao", "Thôn 2", "+84 987.654.321"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let _ = sheet.write_string(u32::try_from(r).unwrap_or(0), u16::try_from(c).unwrap_or(0), *v);
        }
    }
    sheet.write_number(4, 4, 912_345_679.0).expect("cell");
    book.save_to_buffer().expect("xlsx")
}

async fn form_target(budget: Duration, rng: &mut StdRng) -> Outcome {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
    let store = store::connect(&url).await.expect("store");
    let mut campaign = examples::quang_binh().expect("example");
    let today = sipas_shared::model::clock::day_in("Asia/Ho_Chi_Minh", sipas_shared::model::clock::now());
    (campaign.opens, campaign.closes) = (today - chrono::Duration::days(1), today + chrono::Duration::days(1));
    store.save_campaign(&campaign).await.expect("save");
    let unit = campaign.quotas()[0].unit.clone();
    let app = sipas_collector::app(sipas_collector::AppState::new(store.clone(), "https://khaosat.example.gov.vn"));
    let q = campaign.questionnaire_of("citizens").expect("citizens");
    let valid: String = q
        .questions()
        .map(|x| format!("q.{}={}", x.code, x.options.first().map_or("4", |o| o.code.as_str())))
        .collect::<Vec<_>>()
        .join("&");
    let seeds = vec![format!("{valid}&action=save").into_bytes(), format!("{valid}&action=submit").into_bytes()];
    let started = Instant::now();
    let (mut cases, mut failures) = (0, 0);
    // Saving keeps the token open, so one token serves many cases; a fresh one now and then.
    let mut token = Token::generate();
    while started.elapsed() < budget {
        if cases % 200 == 0 {
            token = store
                .create_invitation(&NewInvitation {
                    campaign: campaign.id.clone(),
                    unit: unit.clone(),
                    group: "citizens".into(),
                    field: None,
                    person: None,
                })
                .await
                .expect("invitation");
        }
        let body = mutate(rng, &seeds);
        let request = Request::post(format!("/s/{token}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .expect("request");
        let app = app.clone();
        let result = tokio::spawn(async move { app.oneshot(request).await }).await;
        match result {
            Ok(Ok(resp)) if resp.status().is_server_error() => {
                failures += 1;
                eprintln!("form: {} for {:?}", resp.status(), String::from_utf8_lossy(&body));
            }
            Ok(_) => {}
            Err(_) => {
                failures += 1;
                eprintln!("form: the handler panicked for {:?}", String::from_utf8_lossy(&body));
            }
        }
        cases += 1;
    }
    Outcome { target: "form POST /s/{token}", cases, failures }
}

fn main() {
    let secs: u64 = std::env::var("SIPAS_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(15);
    let seed: u64 = std::env::var("SIPAS_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let budget = Duration::from_secs(secs);
    let mut rng = StdRng::seed_from_u64(seed);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let quang_binh = examples::quang_binh().expect("example");
    let hand = Campaign::load(&root.join("tests/fixtures/report/campaign.toml")).expect("hand campaign");
    let frames: Vec<Vec<u8>> = ["QB01", "QB03", "QB04", "QB05"]
        .iter()
        .map(|u| read(&root.join(format!("tests/fixtures/frames/{u}.csv"))))
        .collect();
    let ballots: Vec<Vec<u8>> =
        ["ballots.csv", "bad-ballots.csv"].iter().map(|f| read(&root.join("tests/fixtures/report").join(f))).collect();
    let xlsx = vec![spreadsheet()];
    let phones: Vec<Vec<u8>> =
        ["0912 345 678", "+84 987.654.321", "(028) 3822 1234", "84912345678", "ABCD-1234", "7JWJ-C1ZG"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();

    // A panic inside a target is what we look for: keep the default hook quiet.
    std::panic::set_hook(Box::new(|_| {}));
    println!("sipas fuzzing · seed {seed} · {secs} s a target · {}", chrono::Local::now().format("%Y-%m-%d %H:%M"));
    let mut outcomes = vec![
        run_sync("frame CSV (read_frame)", budget, &mut rng, &frames, |b| {
            let text = String::from_utf8_lossy(b);
            let rows = sipas_shared::files::frame::csv_rows(&text);
            let _ = sipas_shared::files::frame::read_frame(&rows, &quang_binh);
        }),
        run_sync("frame XLSX (calamine)", budget, &mut rng, &xlsx, |b| {
            if let Ok(rows) = sipas_shared::files::frame::file_rows("frame.xlsx", b) {
                let _ = sipas_shared::files::frame::read_frame(&rows, &quang_binh);
            }
        }),
        run_sync("ballot CSV (read_ballots)", budget, &mut rng, &ballots, |b| {
            let _ = sipas_shared::files::ballots::read_ballots(&String::from_utf8_lossy(b), &hand);
        }),
        run_sync("phone, short code, token", budget, &mut rng, &phones, |b| {
            let s = String::from_utf8_lossy(b);
            let _ = Phone::parse(&s);
            let _ = sipas_shared::model::ShortCode::parse(&s);
            let _ = Token::parse(&s);
        }),
    ];
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    outcomes.push(rt.block_on(form_target(budget, &mut rng)));
    let _ = std::panic::take_hook();
    println!("{:<30} {:>10} {:>9}", "target", "cases", "failures");
    for o in &outcomes {
        println!("{:<30} {:>10} {:>9}", o.target, o.cases, o.failures);
    }
    if outcomes.iter().any(|o| o.failures > 0) {
        std::process::exit(1);
    }
}
