//! Submissions under load, and under crashes, against a real `sipas serve` on
//! loopback: `cargo bench --bench load` prints the tables kept in BENCHMARKS.md.
//!
//! - Load: each request submits a complete citizen questionnaire with a fresh
//!   token; a reply counts only when it is the thank-you page, which the server
//!   sends after the transaction has committed. Throughput and p50/p95/p99.
//!   Also GET of the questionnaire page, and its compressed size.
//! - Crash: while the load runs the server is killed with SIGKILL at random
//!   moments and restarted; clients retry what got no reply, as a respondent
//!   would press "send" again. At the end every acknowledged submission must be
//!   stored exactly once and no token used twice.
//!
//! `SIPAS_BENCH_POSTGRES=postgres://…/db` adds PostgreSQL (the database is emptied).
//! `SIPAS_LOAD_REQUESTS` (default 20000) and `SIPAS_LOAD_CONCURRENCY` (default 64);
//! `SIPAS_LOAD_ONLY=1` runs the submissions table alone.

use rand::Rng;
use sipas_shared::store::field::{Audit, NewSlip};
use sipas_shared::store::{self, Store};
use sipas_shared::{Campaign, QuestionKind, files::examples};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const THANKS: &str = "Cảm ơn Ông/Bà";
/// The free-text question that carries each submission's token, so the crash
/// test can find every stored submission (benchmark data only).
const MARKER: &str = "YK";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The example campaign, open today.
fn campaign() -> Campaign {
    let mut c = examples::quang_binh().expect("example");
    let today = sipas_shared::model::clock::day_in("Asia/Ho_Chi_Minh", sipas_shared::model::clock::now());
    (c.opens, c.closes) = (today - chrono::Duration::days(1), today + chrono::Duration::days(30));
    // The two-process test posts the counter as a printed poster would.
    c.counter_poster = true;
    c
}

/// A complete, valid citizen questionnaire as an encoded form body, the marker
/// aside: encoded once, so the load generator spends its time sending.
fn answers(campaign: &Campaign) -> String {
    let q = campaign.questionnaire_of("citizens").expect("citizens");
    let mut cells = BTreeMap::new();
    for x in q.questions() {
        let v = match x.kind {
            QuestionKind::Likert5 => "4".to_owned(),
            QuestionKind::Yesno => "1".to_owned(),
            QuestionKind::Number => "1".to_owned(),
            QuestionKind::Text => continue,
            QuestionKind::Single | QuestionKind::Multi => x.options[0].code.clone(),
        };
        cells.insert(x.code.clone(), v);
    }
    q.check_answers(&cells).expect("a valid questionnaire");
    let mut url = reqwest::Url::parse("http://body.invalid/").expect("url");
    url.query_pairs_mut().extend_pairs(cells.iter().map(|(k, v)| (format!("q.{k}"), v)));
    url.query().unwrap_or_default().to_owned()
}

async fn prepare(url: &str, postgres: bool, tokens: usize) -> (Arc<dyn Store>, Campaign, Vec<String>) {
    if postgres {
        let pool = sqlx::PgPool::connect(url).await.expect("postgres");
        for s in ["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"] {
            sqlx::query(s).execute(&pool).await.expect("reset");
        }
        pool.close().await;
    }
    let store = store::connect(url).await.expect("store");
    let c = campaign();
    store.save_campaign(&c).await.expect("save");
    let units: Vec<String> =
        c.quotas().into_iter().filter(|q| q.group == "citizens").map(|q| q.unit.to_string()).collect();
    let slips: Vec<NewSlip> = (0..tokens)
        .map(|i| NewSlip {
            unit: units[i % units.len()].clone(),
            group: "citizens".into(),
            field: Some(c.fields[i % c.fields.len()].clone()),
            person: None,
            reserve_rank: None,
        })
        .collect();
    let audit = Audit {
        actor: "bench",
        campaign: &c.id,
        action: sipas_shared::model::AuditAction::Sample,
        subject: "-",
        detail: "-",
    };
    for chunk in slips.chunks(5000) {
        store.issue_slips(&c.id, chunk, audit).await.expect("slips");
    }
    let tokens = store.slips(&c.id, None).await.expect("slips").into_iter().map(|s| s.token.to_string()).collect();
    (store, c, tokens)
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(url: &str, addr: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sipas"))
            .args(["serve", "--db", url, "--addr", addr, "--no-rate-limits"])
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sipas serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines.next().expect("server exited").expect("line");
            if let Some(rest) = line.split("http://").nth(1) {
                break format!("http://{}", rest.split_whitespace().next().expect("addr"));
            }
        };
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Server { child, base }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Outcome of one submission attempt.
enum Reply {
    Thanks(Duration),
    Other(u16),
    Silence,
}

async fn submit(client: &reqwest::Client, base: &str, token: &str, form: &str) -> Reply {
    // Tokens are URL-safe base64: nothing to encode.
    let body = format!("{form}&q.{MARKER}={token}&action=submit");
    let t = Instant::now();
    let request = client
        .post(format!("{base}/s/{token}"))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    match request.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.text().await {
                Ok(text) if status == 200 && text.contains(THANKS) => Reply::Thanks(t.elapsed()),
                Ok(_) => Reply::Other(status),
                Err(_) => Reply::Silence,
            }
        }
        Err(_) => Reply::Silence,
    }
}

async fn load(name: &str, url: &str, postgres: bool, requests: usize, concurrency: usize) {
    let (_, c, tokens) = prepare(url, postgres, requests).await;
    let form = Arc::new(answers(&c));
    let server = Server::start(url, "127.0.0.1:0");
    let base = Arc::new(server.base.clone());
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");

    // GET of the questionnaire page, on the first tokens, before they are used.
    let gets = requests.min(5000);
    let next = Arc::new(AtomicUsize::new(0));
    let tokens = Arc::new(tokens);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, next, tokens) = (client.clone(), base.clone(), next.clone(), tokens.clone());
        tasks.push(tokio::spawn(async move {
            let mut ok = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= gets {
                    break ok;
                }
                let resp = client.get(format!("{base}/s/{}", tokens[i % 1000])).send().await.expect("get");
                if resp.status().is_success() && resp.bytes().await.is_ok() {
                    ok += 1;
                }
            }
        }));
    }
    let mut got = 0;
    for t in tasks {
        got += t.await.expect("task");
    }
    let get_rate = got as f64 / started.elapsed().as_secs_f64();
    // What a phone that accepts gzip receives: the bytes on the wire.
    let page =
        client.get(format!("{base}/s/{}", tokens[0])).header("accept-encoding", "gzip").send().await.expect("get");
    assert_eq!(page.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    let gz = page.bytes().await.expect("page").len();

    // Submissions: each token once.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, next, tokens, form) =
            (client.clone(), base.clone(), next.clone(), tokens.clone(), form.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failed = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tokens.len() {
                    break (lat, failed);
                }
                match submit(&client, &base, &tokens[i], &form).await {
                    Reply::Thanks(d) => lat.push(d),
                    _ => failed += 1,
                }
            }
        }));
    }
    let mut lat = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (l, f) = t.await.expect("task");
        lat.extend(l);
        failed += f;
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "{:<11} {:>8} {:>6} {:>10.0} {:>8.1} {:>8.1} {:>8.1} {:>7} {:>10.0} {:>9}",
        name,
        lat.len(),
        failed,
        lat.len() as f64 / secs,
        percentile(&lat, 0.50),
        percentile(&lat, 0.95),
        percentile(&lat, 0.99),
        concurrency,
        get_rate,
        gz
    );
}

async fn crash(name: &str, url: &str, postgres: bool, requests: usize, kills: usize) {
    let (store, c, tokens) = prepare(url, postgres, requests).await;
    let form = Arc::new(answers(&c));
    let first = Server::start(url, "127.0.0.1:0");
    let addr = first.base.trim_start_matches("http://").to_owned();
    let server = Arc::new(std::sync::Mutex::new(first));
    let base = Arc::new(format!("http://{addr}"));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let tokens = Arc::new(tokens);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, base, next, tokens, form) =
            (client.clone(), base.clone(), next.clone(), tokens.clone(), form.clone());
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let (mut resent, mut already) = (0usize, 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tokens.len() {
                    break (acknowledged, resent, already);
                }
                // Send again until an answer comes: thanks, or "already answered"
                // when an earlier try was stored but its reply lost in the crash.
                loop {
                    match submit(&client, &base, &tokens[i], &form).await {
                        Reply::Thanks(_) => {
                            acknowledged.push(tokens[i].clone());
                            break;
                        }
                        Reply::Other(200) => {
                            already += 1;
                            break;
                        }
                        Reply::Other(_) | Reply::Silence => {
                            resent += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        }));
    }
    // The killer: SIGKILL at random moments, restart on the same port.
    let killer = {
        let (server, url, addr) = (server.clone(), url.to_owned(), addr.clone());
        tokio::task::spawn_blocking(move || {
            let mut rng = rand::rng();
            for _ in 0..kills {
                std::thread::sleep(Duration::from_millis(rng.random_range(100..700)));
                let mut s = server.lock().expect("lock");
                s.kill();
                *s = Server::start(&url, &addr);
            }
        })
    };
    let mut acknowledged = Vec::new();
    let (mut resent, mut already) = (0, 0);
    for t in tasks {
        let (a, r, al) = t.await.expect("task");
        acknowledged.extend(a);
        resent += r;
        already += al;
    }
    killer.await.expect("killer");
    drop(server);

    // Answers wait for their cell to hold k; the campaign's close releases
    // the remainder, so every acknowledged answer can be looked for.
    let held = store.anonymity(&c.id).await.expect("anonymity").held;
    let after_close = c.closes.succ_opt().expect("day");
    let released = store
        .sweep(sipas_shared::model::clock::start_of(after_close, &c.timezone))
        .await
        .expect("release at close")
        .released_at_close;
    assert_eq!(u64::try_from(held).expect("held"), released, "the close releases every held answer");
    // Every stored response carries its token in the marker question.
    use futures::TryStreamExt;
    let mut stored: HashMap<String, usize> = HashMap::new();
    let mut stream = store.responses(&c.id);
    let mut rows = 0usize;
    while let Some(r) = stream.try_next().await.expect("responses") {
        rows += 1;
        if let Some(t) = r.cells.get(MARKER) {
            *stored.entry(t.clone()).or_default() += 1;
        }
    }
    let lost = acknowledged.iter().filter(|t| !stored.contains_key(*t)).count();
    let duplicated = stored.values().filter(|&&n| n > 1).count();
    let answered = store
        .quota_board(&c.id)
        .await
        .expect("board")
        .iter()
        .filter(|r| r.group == "citizens")
        .map(|r| r.answered)
        .sum::<i64>();
    println!(
        "{name:<11} kills {kills}: acknowledged {}, stored {}, lost {lost}, duplicated {duplicated}",
        acknowledged.len(),
        acknowledged.iter().filter(|t| stored.get(*t) == Some(&1)).count(),
    );
    println!(
        "{:<11} resent after no reply {resent}, of which found already stored {already}; response rows {rows}, quota count {answered}; held until the close {held}",
        ""
    );
    assert_eq!(lost, 0, "an acknowledged submission was lost");
    assert_eq!(duplicated, 0, "a token was used twice");
    assert_eq!(i64::try_from(rows).expect("rows"), answered, "quota counts match the rows");
}

/// Two `sipas serve` processes on one PostgreSQL; counter-QR requests spread
/// over both never issue more than a unit's cap (the quota plus half again).
async fn two_processes(url: &str, requests: usize) {
    let (store, c, _) = prepare(url, true, 0).await;
    let a = Server::start(url, "127.0.0.1:0");
    let b = Server::start(url, "127.0.0.1:0");
    let bases = Arc::new([a.base.clone(), b.base.clone()]);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let units: Arc<Vec<String>> =
        Arc::new(c.quotas().into_iter().filter(|q| q.group == "citizens").map(|q| q.unit.to_string()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (client, bases, next, units, id) =
            (client.clone(), bases.clone(), next.clone(), units.clone(), c.id.clone());
        // A counter link always has a field (the page asks before it issues).
        let field = c.fields.first().cloned().unwrap_or_default();
        tasks.push(tokio::spawn(async move {
            let mut issued: HashMap<String, usize> = HashMap::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break issued;
                }
                let unit = &units[i % units.len()];
                let url = format!("{}/c/{id}~{unit}", bases[i % 2]);
                let resp = client.post(url).form(&[("field", field.as_str())]).send().await.expect("counter");
                if resp.status().as_u16() == 303 {
                    *issued.entry(unit.clone()).or_default() += 1;
                }
            }
        }));
    }
    let mut issued: HashMap<String, usize> = HashMap::new();
    for t in tasks {
        for (u, n) in t.await.expect("task") {
            *issued.entry(u).or_default() += n;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let quota = c.quotas().into_iter().find(|q| q.group == "citizens").map_or(0, |q| q.quota) as usize;
    let cap = quota;
    let stored: usize = store.slips(&c.id, None).await.expect("slips").len();
    let over = issued.values().filter(|&&n| n > cap).count();
    println!(
        "PostgreSQL  2 processes, {requests} counter requests in {secs:.1} s: issued {} in {} units, cap {cap} a unit, max {} in one unit, units over cap {over}, invitations stored {stored}",
        issued.values().sum::<usize>(),
        issued.len(),
        issued.values().max().copied().unwrap_or_default(),
    );
    assert_eq!(over, 0, "a unit was issued more than its cap");
    assert_eq!(stored, issued.values().sum::<usize>(), "every issued link is stored, nothing more");
}

fn main() {
    let requests = env_num("SIPAS_LOAD_REQUESTS", 20_000);
    let concurrency = env_num("SIPAS_LOAD_CONCURRENCY", 64);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "sipas load and crash tests · {cores} cores (client and server share them) · {}",
        chrono::Local::now().format("%Y-%m-%d %H:%M")
    );
    println!();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut backends = vec![("SQLite", format!("sqlite://{}", dir.path().join("load.db").display()), false)];
    if let Ok(pg) = std::env::var("SIPAS_BENCH_POSTGRES")
        && !pg.is_empty()
    {
        backends.push(("PostgreSQL", pg, true));
    }
    println!("Submissions: POST /s/{{token}}, a complete questionnaire each, acknowledged after commit");
    println!(
        "{:<11} {:>8} {:>6} {:>10} {:>8} {:>8} {:>8} {:>7} {:>10} {:>9}",
        "store", "stored", "failed", "per s", "p50 ms", "p95 ms", "p99 ms", "clients", "GET/s", "page gz B"
    );
    for (name, url, pg) in &backends {
        rt.block_on(load(name, url, *pg, requests, concurrency));
    }
    // `SIPAS_LOAD_ONLY=1`: the submissions table alone (for profiling).
    if std::env::var("SIPAS_LOAD_ONLY").is_ok_and(|v| v == "1") {
        return;
    }
    println!();
    println!("Crash: SIGKILL during the load, restarted each time; clients resend what got no reply");
    let dir2 = tempfile::tempdir().expect("temp dir");
    for (name, url, pg) in &backends {
        let url = if *pg { url.clone() } else { format!("sqlite://{}", dir2.path().join("crash.db").display()) };
        rt.block_on(crash(name, &url, *pg, requests, 5));
    }
    if let Some((_, url, _)) = backends.iter().find(|b| b.2) {
        println!();
        println!("Concurrency: counter QR (POST /c/{{campaign}}~{{unit}}) spread over two processes");
        rt.block_on(two_processes(url, 4000));
    }
}
