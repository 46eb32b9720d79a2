//! Test harness: every test gets a database of its own, SQLite by default or a
//! fresh PostgreSQL schema when `SIPAS_TEST_POSTGRES` names a server, so tests
//! run in parallel and the same story runs on both backends.

#![allow(dead_code)]

pub mod browser;
pub mod smtp;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A private database for one test; dropped (file or schema) at the end.
pub struct TestDb {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("SIPAS_TEST_POSTGRES") {
            Ok(base) if !base.is_empty() => {
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let pool = sqlx::PgPool::connect(&base)
                    .await
                    .unwrap_or_else(|e| panic!("SIPAS_TEST_POSTGRES={base} is set but unreachable: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&pool)
                    .await
                    .expect("create schema");
                pool.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                TestDb { url, postgres: Some((base, schema)), _dir: dir }
            }
            _ => {
                let url = format!("sqlite://{}", dir.path().join("sipas.db").display());
                TestDb { url, postgres: None, _dir: dir }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.postgres.take() {
            // Drop runs inside the test's runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&base).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                            .execute(&pool)
                            .await;
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example_campaign() -> PathBuf {
    root().join("examples/quang-binh/campaign.toml")
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// Runs the `sipas` binary with `--db` set.
pub fn sipas(db: &TestDb, args: &[&str]) -> Output {
    sipas_in(db, args, &root())
}

/// Runs `sipas` with environment variables (e.g. an SMTP server's settings).
pub fn sipas_env(db: &TestDb, args: &[&str], env: &[(String, String)]) -> Output {
    sipas_command(db, args, &root()).envs(env.iter().map(|(k, v)| (k, v))).output().expect("run sipas")
}

pub fn sipas_in(db: &TestDb, args: &[&str], cwd: &Path) -> Output {
    sipas_command(db, args, cwd).output().expect("run sipas")
}

/// `sipas` on the test's database, as every helper here runs it.
fn sipas_command(db: &TestDb, args: &[&str], cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sipas"));
    c.args(args)
        .arg("--db")
        .arg(&db.url)
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        // The terminal's width shapes the text report: the default, always.
        .env_remove("COLUMNS");
    c
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A `sipas serve` process on a free port; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// What the server printed before its address (e.g. the demo load line).
    pub banner: Vec<String>,
}

impl Server {
    /// The peak resident memory of the server process so far, in KiB
    /// (`VmHWM` of Linux's /proc), if it can be read.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sipas serve` on port 0 and waits for the address it prints.
pub fn spawn_server(db: &TestDb, extra: &[&str]) -> Server {
    spawn_server_env(db, extra, &[])
}

/// [`spawn_server`] with environment variables (e.g. `SIPAS_NOW`, `TZ`).
pub fn spawn_server_env(db: &TestDb, extra: &[&str], env: &[(&str, &str)]) -> Server {
    spawn_server_at(db, "127.0.0.1:0", extra, env)
}

/// [`spawn_server_env`] on a given address (a server stopped and started
/// again where a browser knows it).
pub fn spawn_server_at(db: &TestDb, addr: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipas"))
        .args(["serve", "--addr", addr, "--db", &db.url])
        .args(extra)
        .envs(env.iter().copied())
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sipas serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = Vec::new();
    let mut base = None;
    for line in lines.by_ref().take(10) {
        let line = line.expect("line");
        if let Some(rest) = line.split("http://").nth(1) {
            base = rest.split_whitespace().next().map(|a| format!("http://{a}"));
            break;
        }
        banner.push(line);
    }
    let base = base.expect("serve prints its address");
    // Keep reading what the server prints, so it never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, base, banner }
}

/// Runs `sipas` with text on its standard input.
pub fn sipas_stdin(db: &TestDb, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipas"))
        .args(args)
        .arg("--db")
        .arg(&db.url)
        .current_dir(root())
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sipas");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait sipas")
}

/// The password every test account gets.
pub const PASSWORD: &str = "mật-khẩu-thử-123";

/// Adds a staff account with [`PASSWORD`]; `units` for an enumerator.
pub fn add_user(db: &TestDb, name: &str, role: &str, units: &[&str]) {
    let mut args = vec!["user", "add", "--role", role, "--password-stdin"];
    for u in units {
        args.extend(["--unit", u]);
    }
    args.push(name);
    let out = sipas_stdin(db, &args, &format!("{PASSWORD}\n"));
    assert!(out.status.success(), "{}", stderr(&out));
}

/// An API token for a new account of that role.
pub fn api_token(db: &TestDb, name: &str, role: &str, units: &[&str]) -> String {
    add_user(db, name, role, units);
    let out = sipas(db, &["user", "token", name]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_owned()
}

/// A client that sends the API token on every request and follows no redirects.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().expect("header"));
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// An analyst's client for what the report pages and API need: signed in
/// for the pages (a session cookie) and carrying an API token for `/api/v1`
/// (tokens open nothing else).
pub async fn analyst(db: &TestDb, base: &str) -> reqwest::Client {
    let token = api_token(db, "phan-tich", "analyst", &[]);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().expect("header"));
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    sign_in_with(&client, base, "phan-tich").await;
    client
}

/// A browser-like client signed in as `name` (password [`PASSWORD`]), keeping
/// its cookies and following no redirects.
pub async fn sign_in(base: &str, name: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    sign_in_with(&client, base, name).await;
    client
}

/// Signs `client` (which keeps cookies) in through the login form.
pub async fn sign_in_with(client: &reqwest::Client, base: &str, name: &str) {
    let login = client.get(format!("{base}/login")).send().await.expect("login").text().await.expect("body");
    let resp = client
        .post(format!("{base}/login"))
        .form(&[("name", name), ("password", PASSWORD), ("csrf", csrf_in(&login).as_str())])
        .send()
        .await
        .expect("sign in");
    assert_eq!(resp.status().as_u16(), 303, "{name} signs in");
}

/// The CSRF token of a staff page's form.
pub fn csrf_in(page: &str) -> String {
    let doc = scraper::Html::parse_document(page);
    let sel = scraper::Selector::parse("input[name=csrf]").expect("selector");
    doc.select(&sel).next().and_then(|i| i.value().attr("value")).expect("a CSRF field").to_owned()
}

/// Starts `sipas` with `--db` set, without waiting for it (to kill it midway).
pub fn sipas_child(db: &TestDb, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sipas"))
        .args(args)
        .arg("--db")
        .arg(&db.url)
        .current_dir(root())
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sipas")
}

/// The example campaign with its survey window around today, so links open.
pub fn example_open_today() -> sipas_shared::Campaign {
    let mut campaign = sipas_shared::Campaign::load(&example_campaign()).expect("example campaign");
    let today = sipas_shared::model::clock::day_in("Asia/Ho_Chi_Minh", sipas_shared::model::clock::now());
    (campaign.opens, campaign.closes) = (today - chrono::Duration::days(3), today + chrono::Duration::days(20));
    campaign
}

/// The text of every row a one-column query returns, on either backend.
pub async fn query_strings(db: &TestDb, sql: &str) -> Vec<String> {
    query_tuples(db, sql).await.into_iter().map(|mut r| r.remove(0)).collect()
}

/// Every row a query returns, each column as text, on either backend.
pub async fn query_tuples(db: &TestDb, sql: &str) -> Vec<Vec<String>> {
    use sqlx::Row;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if db.is_postgres() {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("pg");
        let rows = sqlx::query(sql).fetch_all(&pool).await.expect("query");
        rows.iter().map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect()).collect()
    } else {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
        let rows = sqlx::query(sql).fetch_all(&pool).await.expect("query");
        rows.iter().map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect()).collect()
    }
}
