//! The benchmark suite: `cargo bench --bench suite` prints a table; the latest
//! figures are kept in BENCHMARKS.md. Timings are medians of several runs,
//! shown beside a baseline measured in the same process (the machine is shared
//! and noisy). `SIPAS_BENCH_SIZES=10000,100000,1000000` chooses the data sizes.

use axum::body::Body;
use axum::http::Request;
use sipas_aggregator::load;
use sipas_aggregator::report::By;
use sipas_shared::field::demo::Generator;
use sipas_shared::store::{self, NewInvitation, Store};
use sipas_shared::{Campaign, files::examples};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// The questionnaire page must fit the first round trip of a slow mobile link.
const PAGE_BUDGET: usize = 14 * 1024;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

async fn page_sizes(dir: &std::path::Path) -> bool {
    let url = format!("sqlite://{}", dir.join("pages.db").display());
    let store = store::connect(&url).await.expect("store");
    let mut campaign = examples::quang_binh().expect("example");
    let today = sipas_shared::model::clock::day_in("Asia/Ho_Chi_Minh", sipas_shared::model::clock::now());
    (campaign.opens, campaign.closes) = (today, today + chrono::Duration::days(1));
    store.save_campaign(&campaign).await.expect("save");
    let app = sipas_collector::app(sipas_collector::AppState::new(store.clone(), "https://khaosat.example.gov.vn"));
    println!("Questionnaire page GET /s/{{token}} (budget {} bytes gzip)", PAGE_BUDGET);
    println!("{:<52} {:>10} {:>11} {:>6}", "group", "raw bytes", "gzip bytes", "fits");
    let mut all_fit = true;
    for g in &campaign.groups {
        let unit = campaign.quotas().into_iter().find(|q| q.group == g.code).map(|q| q.unit).expect("unit");
        let token = store
            .create_invitation(&NewInvitation {
                campaign: campaign.id.clone(),
                unit,
                group: g.code.clone(),
                field: None,
                person: None,
            })
            .await
            .expect("invitation");
        let get = |encoding: &'static str| {
            let app = app.clone();
            let uri = format!("/s/{token}");
            async move {
                let req = Request::get(uri).header("accept-encoding", encoding).body(Body::empty()).expect("request");
                let resp = app.oneshot(req).await.expect("response");
                axum::body::to_bytes(resp.into_body(), 1 << 20).await.expect("body")
            }
        };
        let body = get("identity").await;
        // The bytes the service sends a client that accepts gzip.
        let z = get("gzip").await.len();
        all_fit &= z <= PAGE_BUDGET;
        println!("{:<52} {:>10} {:>11} {:>6}", g.name, body.len(), z, if z <= PAGE_BUDGET { "yes" } else { "NO" });
    }
    println!();
    all_fit
}

/// The enumerators' offline app: each file as the service sends it to a
/// phone that accepts gzip, and the whole against its 100 KB budget.
const APP_BUDGET: usize = 100 * 1024;

async fn app_size(dir: &std::path::Path) -> bool {
    let url = format!("sqlite://{}", dir.join("app.db").display());
    let store = store::connect(&url).await.expect("store");
    let app = sipas_collector::app(sipas_collector::AppState::new(store, "https://khaosat.example.gov.vn"));
    println!("Offline app on the wire (budget {APP_BUDGET} bytes gzip in all)");
    println!("{:<30} {:>10} {:>11}", "file", "raw bytes", "gzip bytes");
    let (mut raw, mut zipped) = (0, 0);
    for (path, _, _) in sipas_collector::offline::FILES {
        let get = |encoding: &'static str| {
            let app = app.clone();
            async move {
                let req = Request::get(*path).header("accept-encoding", encoding).body(Body::empty()).expect("request");
                let resp = app.oneshot(req).await.expect("response");
                axum::body::to_bytes(resp.into_body(), 1 << 20).await.expect("body").len()
            }
        };
        let (r, z) = (get("identity").await, get("gzip").await);
        (raw, zipped) = (raw + r, zipped + z);
        println!("{path:<30} {r:>10} {z:>11}");
    }
    let fits = zipped <= APP_BUDGET;
    println!("{:<30} {raw:>10} {zipped:>11}  {}", "all", if fits { "fits" } else { "OVER" });
    println!();
    fits
}

async fn fill(store: &dyn Store, campaign: &Campaign, n: u64) -> Duration {
    let started = Instant::now();
    let mut g = Generator::new(campaign, 42).expect("quotas");
    let mut left = n;
    while left > 0 {
        let take = left.min(10_000);
        let batch: Vec<_> = (0..take).map(|_| g.response()).collect();
        store.insert_responses(&campaign.id, &batch).await.expect("insert");
        left -= take;
    }
    started.elapsed()
}

/// Where to measure: SQLite always, PostgreSQL when `SIPAS_BENCH_POSTGRES` names a database.
fn backends(dir: &std::path::Path, n: u64) -> Vec<(&'static str, String)> {
    let mut out = vec![("SQLite", format!("sqlite://{}", dir.join(format!("agg-{n}.db")).display()))];
    if let Ok(pg) = std::env::var("SIPAS_BENCH_POSTGRES")
        && !pg.is_empty()
    {
        out.push(("PostgreSQL", pg));
    }
    out
}

/// Empties a PostgreSQL bench database so every size starts clean.
async fn reset_postgres(url: &str) {
    let pool = sqlx::PgPool::connect(url).await.expect("postgres");
    for s in ["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"] {
        sqlx::query(s).execute(&pool).await.expect("reset");
    }
    pool.close().await;
}

async fn aggregation(dir: &std::path::Path, sizes: &[u64]) {
    println!("Full report (every unit × component × field, all distributions), median of 5");
    println!("baseline = recounting every stored response (the report's reference path), same process");
    println!(
        "{:<11} {:>10} {:>12} {:>11} {:>13} {:>17}",
        "store", "responses", "generate s", "report s", "baseline s", "baseline/report"
    );
    let mut compared = None;
    for &n in sizes {
        for (name, url) in backends(dir, n) {
            if name == "PostgreSQL" {
                reset_postgres(&url).await;
            }
            let store = store::connect(&url).await.expect("store");
            let campaign = examples::quang_binh().expect("example");
            store.save_campaign(&campaign).await.expect("save");
            let generate = fill(&*store, &campaign, n).await;
            let mut reports = Vec::new();
            let mut baselines = Vec::new();
            for round in 0..5 {
                let t = Instant::now();
                let r = load::report(&*store, &campaign, By::UnitField, None, &|_| {}).await.expect("report");
                reports.push(t.elapsed());
                assert_eq!(r.totals.figures.responses, n);
                if round < 3 {
                    let t = Instant::now();
                    let agg = load::aggregate_streamed(&*store, &campaign, &|_| {}).await.expect("recount");
                    baselines.push(t.elapsed());
                    assert_eq!(agg.responses(|_| true), n);
                }
            }
            let (r, b) = (median(reports), median(baselines));
            if name == "SQLite" && Some(&n) == sizes.iter().max() {
                compared = Some((url.clone(), n, r));
            }
            println!(
                "{:<11} {:>10} {:>12.2} {:>11.3} {:>13.3} {:>17.1}",
                name,
                n,
                generate.as_secs_f64(),
                r.as_secs_f64(),
                b.as_secs_f64(),
                b.as_secs_f64() / r.as_secs_f64()
            );
        }
    }
    println!();
    if let Some((url, n, report)) = compared {
        compare(dir, &url, n, report).await;
    }
}

/// A virtualenv with pandas and DuckDB under `target/`, made once.
fn python() -> Option<std::path::PathBuf> {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-venv");
    let py = venv.join("bin/python");
    let ready = |py: &std::path::Path| {
        std::process::Command::new(py).args(["-c", "import pandas, duckdb"]).output().is_ok_and(|o| o.status.success())
    };
    if ready(&py) {
        return Some(py);
    }
    let made =
        std::process::Command::new("python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success());
    let installed = made
        && std::process::Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "pandas", "duckdb"])
            .status()
            .is_ok_and(|s| s.success());
    (installed && ready(&py)).then_some(py)
}

/// The same breakdowns from the exported CSV in pandas and DuckDB, as an
/// analyst would otherwise compute them, beside sipas's report.
async fn compare(dir: &std::path::Path, url: &str, n: u64, report: Duration) {
    let Some(py) = python() else {
        println!("pandas/DuckDB comparison skipped: could not install them in target/bench-venv");
        return;
    };
    let store = store::connect(url).await.expect("store");
    let campaign = examples::quang_binh().expect("example");
    let csv_path = dir.join("export.csv");
    let t = Instant::now();
    let file = std::io::BufWriter::new(std::fs::File::create(&csv_path).expect("csv"));
    sipas_aggregator::export::csv(&*store, &campaign, file, &|_| {}).await.expect("export");
    let export = t.elapsed();
    let q = campaign.questionnaire_of("citizens").expect("citizens");
    let likert: Vec<&str> =
        q.questions().filter(|x| x.kind == sipas_shared::QuestionKind::Likert5).map(|x| x.code.as_str()).collect();
    let overall = q.questions().find(|x| x.overall).map_or(likert[0], |x| x.code.as_str());
    let out = std::process::Command::new(&py)
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/compare.py"))
        .arg(&csv_path)
        .arg(likert.join(","))
        .arg(overall)
        .arg("3")
        .arg("GT")
        .output()
        .expect("python");
    let Ok(result) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        println!("pandas/DuckDB comparison failed: {}", String::from_utf8_lossy(&out.stderr));
        return;
    };
    // The same counts, or the comparison means nothing.
    let agg = load::aggregate(&*store, &campaign, &|_| {}).await.expect("aggregate");
    let (qi, _) = agg.questionnaire_of("citizens").expect("citizens");
    let pooled = agg.pooled(|_| true);
    let cell = &pooled[&qi];
    let ours: u64 = q
        .questions()
        .zip(&cell.questions)
        .filter(|(x, _)| x.kind == sipas_shared::QuestionKind::Likert5)
        .map(|(_, t)| t.likert_n())
        .sum();
    let (pd, dk) = (result["pandas"][0].as_u64(), result["duckdb"][0].as_u64());
    let agree = pd == Some(ours) && dk == Some(ours);
    let (ps, ds) = (result["pandas_s"].as_f64().unwrap_or(f64::NAN), result["duckdb_s"].as_f64().unwrap_or(f64::NAN));
    println!(
        "Same breakdowns ({} likert questions per unit, overall by unit × field, cells) over {n} responses, median of 3",
        likert.len()
    );
    println!("pandas and DuckDB start from the exported CSV ({:.1} s to export, not counted)", export.as_secs_f64());
    println!("{:<34} {:>10} {:>16}", "tool", "seconds", "× sipas report");
    println!("{:<34} {:>10.3} {:>16.1}", "sipas report (kept counts)", report.as_secs_f64(), 1.0);
    println!("{:<34} {:>10.3} {:>16.1}", "pandas (read_csv + groupby)", ps, ps / report.as_secs_f64());
    println!("{:<34} {:>10.3} {:>16.1}", "DuckDB (read_csv + SQL)", ds, ds / report.as_secs_f64());
    println!(
        "likert answers counted: sipas {ours}, pandas {pd:?}, DuckDB {dk:?} — {}",
        if agree { "agree" } else { "DISAGREE" }
    );
    println!("export of {n} responses to CSV: {:.2} s (one run)", export.as_secs_f64());
    println!();
    cross(&*store, &campaign, n, &result).await;
}

/// The ad-hoc breakdown by unit × the answer to GT (gender), from the answers
/// kept column by column, against DuckDB computing the same counts from the
/// exported CSV: before the sweep folds the chunks (as bulk loads leave
/// them) and after.
async fn cross(store: &dyn Store, campaign: &Campaign, n: u64, duck: &serde_json::Value) {
    let citizens_likert = |b: &sipas_aggregator::report::Breakdown| -> u64 {
        b.rows
            .iter()
            .flat_map(|r| r.figures.sipas.iter().flat_map(|s| &s.questions))
            .map(|q| q.counts.iter().sum::<u64>())
            .sum()
    };
    let timed = |folded: bool| async move {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let b = load::breakdown_by_question(store, campaign, By::UnitQuestion, "GT").await.expect("breakdown");
            times.push(t.elapsed());
            total = citizens_likert(&b);
        }
        let _ = folded;
        (median(times), total)
    };
    // The first call encodes nothing: bulk loads wrote their chunks.
    let chunks = store.answer_chunks(&campaign.id).await.expect("chunks").len();
    let (loose, total) = timed(false).await;
    let folded_cells = store.compact_chunks(0).await.expect("fold");
    let (folded, total_after) = timed(true).await;
    let ds = duck["duckdb_cross_s"].as_f64().unwrap_or(f64::NAN);
    let dk = duck["duckdb_cross"][0].as_u64();
    println!("Ad-hoc breakdown: every index by unit × answer to GT (gender) over {n} responses, median of 5");
    println!("{:<44} {:>10} {:>14}", "tool", "seconds", "DuckDB ÷ this");
    println!(
        "{:<44} {:>10.3} {:>14.1}",
        format!("sipas, {chunks} chunks as loaded"),
        loose.as_secs_f64(),
        ds / loose.as_secs_f64()
    );
    println!(
        "{:<44} {:>10.3} {:>14.1}",
        format!("sipas, folded into {folded_cells} cells' chunks"),
        folded.as_secs_f64(),
        ds / folded.as_secs_f64()
    );
    println!("{:<44} {:>10.3} {:>14.1}", "DuckDB (read_csv + UNPIVOT + GROUP BY)", ds, 1.0);
    println!(
        "citizens' likert answers counted: sipas {total} / {total_after}, DuckDB {dk:?} — {}",
        if dk == Some(total) && total == total_after { "agree" } else { "DISAGREE" }
    );
    println!();
}

/// A counter's list of `rows` people, as offices send it (title rows, `;`).
fn frame_csv(rows: usize) -> Vec<u8> {
    let mut text = String::from(
        "\u{feff}THỊ TRẤN YÊN BÌNH\nDANH SÁCH\n\ntt;Họ và tên;Tên thủ tục hành chính;Địa chỉ;Số điện thoại\n",
    );
    for i in 0..rows {
        text.push_str(&format!("{i};Người thứ {i};Đăng ký khai sinh;Thôn {}, xã Yên Bình;09{:08}\r\n", i % 9, i));
    }
    text.into_bytes()
}

/// `frame import` of large lists: reading (line numbers included) and storing,
/// each size in a fresh SQLite file; linear means 200k takes about 10× 20k.
async fn frame_import(dir: &std::path::Path) {
    println!("Frame import (a counter's CSV list into a unit's frame, SQLite), median of 3");
    println!("{:<10} {:>10} {:>10} {:>10} {:>12}", "rows", "read s", "store s", "total s", "× 20k total");
    let mut base = None;
    for rows in [20_000usize, 200_000] {
        let bytes = frame_csv(rows);
        let mut times = Vec::new();
        for run in 0..3 {
            let url = format!("sqlite://{}", dir.join(format!("frame-{rows}-{run}.db")).display());
            let store = store::connect(&url).await.expect("store");
            let campaign = examples::quang_binh().expect("example");
            store.save_campaign(&campaign).await.expect("save");
            let unit = sipas_shared::UnitCode::parse("QB01").expect("unit");
            let started = Instant::now();
            let parsed = sipas_shared::files::frame::file_rows("QB01.csv", &bytes).expect("rows");
            let read = started.elapsed();
            assert_eq!(parsed.last().map(|r| r.0), Some(rows + 4), "line numbers as in the file");
            let from = sipas_shared::ops::frame::Provenance { actor: "bench", file_name: "QB01.csv" };
            let done =
                sipas_shared::ops::frame::import(&*store, &campaign, &unit, None, &parsed, Default::default(), from)
                    .await
                    .unwrap_or_else(|_| panic!("import"));
            assert_eq!(done.added, rows as u64);
            times.push((read, started.elapsed()));
        }
        times.sort_by_key(|t| t.1);
        let (read, total) = times[1];
        let base_total = *base.get_or_insert(total.as_secs_f64());
        println!(
            "{:<10} {:>10.2} {:>10.2} {:>10.2} {:>12.1}",
            rows,
            read.as_secs_f64(),
            (total - read).as_secs_f64(),
            total.as_secs_f64(),
            total.as_secs_f64() / base_total
        );
    }
    println!();
}

/// Runs one SQL statement on a bench database, whichever backend it is.
async fn exec(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.expect("postgres");
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.expect("sql");
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.expect("sql");
        pool.close().await;
    }
}

/// The review page's query (flagged and excluded responses) among n
/// responses, of which 1 in 5,000 is flagged: with the partial index of
/// flagged rows, and with it dropped in the same process (the old plan).
async fn review(dir: &std::path::Path, sizes: &[u64]) {
    println!("Review list: flagged responses among n (1 in 5,000 flagged), median of 5");
    println!("baseline = the same query with the index of flagged rows dropped, same process");
    println!(
        "{:<11} {:>10} {:>9} {:>11} {:>13} {:>17}",
        "store", "responses", "flagged", "list ms", "baseline ms", "baseline/list"
    );
    for &n in sizes {
        for (name, url) in backends(dir, n) {
            let url = url.replace("agg-", "review-");
            if name == "PostgreSQL" {
                reset_postgres(&url).await;
            }
            let store = store::connect(&url).await.expect("store");
            let campaign = examples::quang_binh().expect("example");
            store.save_campaign(&campaign).await.expect("save");
            fill(&*store, &campaign, n).await;
            exec(
                &url,
                &format!(
                    "UPDATE responses SET flags = 'straight' WHERE id % 5000 = 0 AND campaign_id = '{}'",
                    campaign.id
                ),
            )
            .await;
            let time = async || {
                let mut runs = Vec::new();
                let mut found = 0;
                for _ in 0..5 {
                    let t = Instant::now();
                    found = store.review_list(&campaign.id).await.expect("review list").len();
                    runs.push(t.elapsed());
                }
                (median(runs), found)
            };
            let (list, flagged) = time().await;
            exec(&url, "DROP INDEX responses_review").await;
            let (baseline, again) = time().await;
            assert_eq!(flagged, again);
            exec(
                &url,
                "CREATE INDEX responses_review ON responses (campaign_id, unit, group_code, shuffle) \
                 WHERE flags IS NOT NULL OR excluded IS NOT NULL",
            )
            .await;
            println!(
                "{:<11} {:>10} {:>9} {:>11.1} {:>13.1} {:>17.1}",
                name,
                n,
                flagged,
                list.as_secs_f64() * 1e3,
                baseline.as_secs_f64() * 1e3,
                baseline.as_secs_f64() / list.as_secs_f64()
            );
        }
    }
    println!();
}

/// A province of `communes` commune-level units (the example's first ones,
/// with its 8 departments), its village lists, every household of every
/// village in the household lists, and 50,000 people on the counters' lists.
async fn province_store(url: &str, communes: usize) -> (std::sync::Arc<dyn Store>, Campaign) {
    use sipas_shared::ops::frame::{Allow, Provenance};
    let store = store::connect(url).await.expect("store");
    let mut campaign = examples::province().expect("province");
    let kept: Vec<String> = campaign
        .units
        .iter()
        .filter(|u| u.code.as_str().len() == 5)
        .take(communes)
        .map(|u| u.code.to_string())
        .collect();
    campaign.units.retain(|u| u.code.as_str().len() != 5 || kept.iter().any(|k| k == u.code.as_str()));
    store.save_campaign(&campaign).await.expect("save");
    let rows = sipas_shared::files::frame::csv_rows(examples::province_villages());
    let from = Provenance { actor: "bench", file_name: "villages.csv" };
    let list = sipas_shared::files::villages::read_villages(&rows, &campaign).expect("villages");
    let villages: Vec<_> =
        rows.iter().filter(|(line, _)| *line == 1 || list.villages.iter().any(|v| v.line == *line)).cloned().collect();
    sipas_shared::ops::households::import_villages(&*store, &campaign, &villages, Allow::default(), from)
        .await
        .expect("villages");
    // Every household of every village, as communes list them.
    let mut people = Vec::new();
    for v in store.villages(&campaign.id).await.expect("villages") {
        let unit = sipas_shared::model::UnitCode::parse(&v.unit).expect("unit");
        for h in 0..v.households {
            people.push(sipas_shared::store::NewPerson {
                unit: unit.clone(),
                roster_of: Some("households".into()),
                full_name: format!("Chủ hộ {h}"),
                procedure: v.name.clone(),
                field: Some(v.code.clone()),
                address: format!("Số nhà {h}, {}", v.name),
                phone: None,
                email: None,
                household: true,
                source_line: Some(h + 2),
            });
        }
    }
    // 50,000 people on the counters' lists, spread over the units.
    let procedures: Vec<(&String, &String)> = campaign.procedures.iter().collect();
    let units: Vec<&sipas_shared::model::Unit> = campaign
        .units
        .iter()
        .filter(|u| campaign.quotas().iter().any(|q| q.unit == u.code && q.group == "citizens"))
        .collect();
    for i in 0..50_000usize {
        let (procedure, field) = procedures[i % procedures.len()];
        people.push(sipas_shared::store::NewPerson {
            unit: units[i % units.len()].code.clone(),
            roster_of: None,
            full_name: format!("Người dân {i}"),
            procedure: procedure.clone(),
            field: Some(field.clone()),
            address: String::new(),
            phone: Some(sipas_shared::model::Phone::parse(&format!("09{:08}", i)).expect("phone")),
            email: None,
            household: false,
            source_line: None,
        });
    }
    store.add_people(&campaign.id, &people, None, None).await.expect("people");
    (store, campaign)
}

/// One staff page through the service, signed in as an administrator.
async fn staff_page(app: &axum::Router, cookie: &str, path: &str) -> (Duration, usize) {
    let req = Request::builder().uri(path).header("cookie", cookie).body(Body::empty()).expect("request");
    let t = Instant::now();
    let resp = app.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    (t.elapsed(), body.len())
}

/// The 2026 province at 10 and 100 communes: the draw of the whole
/// province, a commune's slips, the quota board, the report page and
/// `sipas report`, each the median of 3 (the draw: one run, it issues
/// invitations once).
async fn province(dir: &std::path::Path, sizes: &[u64]) {
    println!(
        "Province scale (SQLite): 8 departments + N communes × 4 groups, 463 people a unit on the counters' lists,"
    );
    println!("15–25 villages a commune with every household listed; median of 3 (the draw: one run)");
    let mut rows: Vec<(String, Vec<Duration>, f64)> = Vec::new();
    let push = |rows: &mut Vec<(String, Vec<Duration>, f64)>, name: String, d: Duration, budget: f64| match rows
        .iter_mut()
        .find(|(n, _, _)| *n == name)
    {
        Some((_, ds, _)) => ds.push(d),
        None => rows.push((name, vec![d], budget)),
    };
    // `SIPAS_BENCH_COMMUNES=100` measures one size alone.
    let counts: Vec<usize> = std::env::var("SIPAS_BENCH_COMMUNES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 100]);
    let (first, second) = (counts.first().copied().unwrap_or(10), counts.get(1).copied());
    println!(
        "{:<40} {:>12} {:>12} {:>12} {:>8}",
        "step",
        format!("{first} communes"),
        second.map_or_else(String::new, |n| format!("{n} communes")),
        second.map_or_else(String::new, |n| format!("× ({first}→{n})")),
        "budget"
    );
    let mut sizes_and_memory: Vec<String> = Vec::new();
    for communes in counts {
        let url = format!("sqlite://{}", dir.join(format!("province-{communes}.db")).display());
        let (store, campaign) = province_store(&url, communes).await;
        let t = Instant::now();
        sipas_shared::ops::households::draw_villages(&*store, &campaign, 7, "bench").await.expect("villages");
        sipas_shared::ops::sampling::run(&*store, &campaign, 7, 50, "bench").await.expect("draw");
        push(&mut rows, "draw: villages, then every group".into(), t.elapsed(), 5.0);
        let mut slips = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let all = store.slips(&campaign.id, Some("HS001")).await.expect("slips");
            let printable = sipas_collector::slips::printable(&all);
            let html = sipas_collector::slips::slips_html(&campaign, &printable, "https://khaosat.example.gov.vn")
                .into_string();
            assert!(html.len() > 1000);
            slips.push(t.elapsed());
        }
        push(&mut rows, "slips of one commune (HTML with QR codes)".into(), median(slips), 1.0);
        let hash = sipas_shared::model::auth::hash_password("bench-password-2026").expect("hash");
        let admin =
            store.add_user("bench-admin", sipas_shared::model::auth::Role::Admin, &[], &hash).await.expect("user");
        let secret = sipas_shared::model::auth::new_secret();
        let expires = sipas_shared::model::clock::now() + chrono::Duration::hours(1);
        store
            .create_session(&sipas_shared::model::auth::secret_hash(&secret), admin, "csrf", expires)
            .await
            .expect("session");
        let cookie = format!("sipas_session={secret}");
        let state = sipas_collector::AppState::new(store.clone(), "https://khaosat.example.gov.vn");
        let app = sipas_collector::app_with_reports(state, sipas_aggregator::web::router(store.clone()));
        let board: Vec<Duration> = futures_median(&app, &cookie, &format!("/enumerator/{}", campaign.id)).await;
        push(&mut rows, "quota board page".into(), median(board), 1.0);
        // Answers from the drawn villages, as many as the sizes ask.
        let mut generator = Generator::new(&campaign, 42).expect("quotas");
        let mut by_unit: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for c in store.design_cells(&campaign.id).await.expect("cells") {
            by_unit.entry(c.unit).or_default().push(c.field);
        }
        generator = generator.with_villages("households", by_unit);
        let mut stored = 0u64;
        for &n in sizes {
            while stored < n {
                let take = (n - stored).min(10_000);
                let batch: Vec<_> = (0..take).map(|_| generator.response()).collect();
                store.insert_responses(&campaign.id, &batch).await.expect("insert");
                stored += take;
            }
            store.compact_chunks(1).await.expect("compact");
            let page = futures_median(&app, &cookie, &format!("/reports/{}", campaign.id)).await;
            push(&mut rows, format!("report page, {n} responses"), median(page), 0.5);
            let review = futures_median(&app, &cookie, &format!("/admin/campaigns/{}/review", campaign.id)).await;
            push(&mut rows, format!("review page, {n} responses"), median(review), 0.5);
            let by_field = futures_median(&app, &cookie, &format!("/reports/{}?by=unit,field", campaign.id)).await;
            push(&mut rows, format!("breakdown page (unit × field), {n}"), median(by_field), 0.5);
            // Narrowed to one month: counted from every answer's chunk row,
            // not the tallies.
            let month = campaign.opens.format("%Y-%m");
            let filtered =
                futures_median(&app, &cookie, &format!("/reports/{}?from={month}&to={month}", campaign.id)).await;
            push(&mut rows, format!("report page of one month, {n}"), median(filtered), 0.5);
            // The downloads, with the bytes sent and the memory the process
            // took above what it held before (its peak reset first).
            for (file, budget) in [("report.docx", 2.0), ("report.xlsx", 0.5)] {
                let path = format!("/reports/{}/download/{file}", campaign.id);
                let mut times = Vec::new();
                let mut bytes = 0;
                let mut peak = 0;
                for _ in 0..3 {
                    let resting = memory::reset_peak();
                    let (d, len) = staff_page(&app, &cookie, &path).await;
                    peak = peak.max(memory::peak().saturating_sub(resting));
                    times.push(d);
                    bytes = len;
                }
                push(&mut rows, format!("{file} download, {n}"), median(times), budget);
                sizes_and_memory.push(format!(
                    "{communes} communes, {n} responses: {file} {:.1} MB, peak memory {:.0} MB above resting",
                    bytes as f64 / 1e6,
                    peak as f64 / 1e6
                ));
            }
            let mut text = Vec::new();
            for _ in 0..3 {
                let t = Instant::now();
                let r = load::report(&*store, &campaign, By::Unit, None, &|_| {}).await.expect("report");
                let out = sipas_aggregator::render::text::render_report(&r, &sipas_aggregator::render::tables(&r));
                assert!(r.design.is_some() && out.len() > 1000);
                text.push(t.elapsed());
            }
            push(&mut rows, format!("sipas report (text), {n} responses"), median(text), 1.0);
        }
    }
    for line in &sizes_and_memory {
        println!("  {line}");
    }
    for (name, ds, budget) in rows {
        let (small, large) = (ds.first().copied().unwrap_or_default(), ds.get(1).copied().unwrap_or_default());
        if ds.len() < 2 {
            println!("{:<40} {:>12.3} {:>12} {:>12} {:>7.1} s", name, small.as_secs_f64(), "", "", budget);
            continue;
        }
        println!(
            "{:<40} {:>12.3} {:>12.3} {:>12.1} {:>7.1} s",
            name,
            small.as_secs_f64(),
            large.as_secs_f64(),
            large.as_secs_f64() / small.as_secs_f64().max(1e-9),
            budget
        );
    }
    println!();
}

/// This process's memory, from `/proc/self` (Linux): its resident peak
/// can be reset (`clear_refs` 5) to measure what one step takes.
mod memory {
    fn status(key: &str) -> u64 {
        let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// Resets the peak to the present and returns the present, in bytes.
    pub fn reset_peak() -> u64 {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        status("VmRSS:")
    }

    /// The resident peak since the last reset, in bytes.
    pub fn peak() -> u64 {
        status("VmHWM:")
    }
}

/// The median of three loads of a staff page.
async fn futures_median(app: &axum::Router, cookie: &str, path: &str) -> Vec<Duration> {
    let mut out = Vec::new();
    for _ in 0..3 {
        out.push(staff_page(app, cookie, path).await.0);
    }
    out
}

fn main() {
    let sizes: Vec<u64> = std::env::var("SIPAS_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("sipas benchmarks · {cores} cores · {}", chrono::Local::now().format("%Y-%m-%d %H:%M"));
    println!();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut dir = tempfile::tempdir().expect("temp dir");
    // `SIPAS_BENCH_KEEP=1` keeps the databases, to profile a report on them.
    if std::env::var_os("SIPAS_BENCH_KEEP").is_some() {
        dir.disable_cleanup(true);
        println!("databases kept in {}", dir.path().display());
    }
    // `SIPAS_BENCH_ONLY=review` runs that table alone.
    if std::env::var("SIPAS_BENCH_ONLY").as_deref() == Ok("review") {
        rt.block_on(review(dir.path(), &sizes));
        return;
    }
    // `SIPAS_BENCH_ONLY=app` runs the offline app's table alone.
    if std::env::var("SIPAS_BENCH_ONLY").as_deref() == Ok("app") {
        let fits = rt.block_on(app_size(dir.path()));
        std::process::exit(if fits { 0 } else { 1 });
    }
    // `SIPAS_BENCH_ONLY=province` runs the province table alone.
    if std::env::var("SIPAS_BENCH_ONLY").as_deref() == Ok("province") {
        rt.block_on(province(dir.path(), &sizes));
        return;
    }
    let fits = rt.block_on(page_sizes(dir.path())) & rt.block_on(app_size(dir.path()));
    rt.block_on(frame_import(dir.path()));
    rt.block_on(aggregation(dir.path(), &sizes));
    rt.block_on(review(dir.path(), &sizes));
    rt.block_on(province(dir.path(), &sizes));
    if !fits {
        eprintln!("a questionnaire page is over the {PAGE_BUDGET}-byte budget");
        std::process::exit(1);
    }
}
