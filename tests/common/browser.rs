//! A real browser for the tests: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`; `.ci/run`
//! installs them), at a phone's or a desktop's width.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver, in a process group of its own with the browsers it starts:
/// dropped, the whole group goes, so no test leaves a Chromium running
/// (killing chromedriver alone orphaned its browser, 200 MB each).
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn find(names: &[&str]) -> Option<String> {
    names.iter().find(|n| std::path::Path::new(n).exists()).map(|n| (*n).to_owned())
}

pub async fn start_browser() -> Option<(Driver, Client)> {
    start_browser_at(360, 740).await
}

pub async fn start_browser_at(width: u32, height: u32) -> Option<(Driver, Client)> {
    let profile = tempfile::tempdir().expect("profile dir").keep();
    start_browser_in(width, height, &profile).await
}

/// A browser whose profile (its storage, its service workers) lives in
/// `profile`: a second browser started on it is the first one reopened.
pub async fn start_browser_in(width: u32, height: u32, profile: &std::path::Path) -> Option<(Driver, Client)> {
    let (Some(driver), Some(chromium)) = (
        find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]),
        find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]),
    ) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must run the browser test: install chromium and chromium-driver"
        );
        eprintln!("browser test skipped: chromium or chromedriver not installed");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display()),
            ],
            "mobileEmulation": { "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0 } }
        }
    });
    let caps = caps.as_object().cloned().expect("object");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        let mut builder = ClientBuilder::new(HttpConnector::new());
        if let Ok(client) = builder.capabilities(caps.clone()).connect(&url).await {
            return Some((driver, client));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

/// Signs `name` in through the login form, and waits for the home page.
pub async fn sign_in_as(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/login")).await.expect("login");
    c.find(Locator::Id("name")).await.expect("name").send_keys(name).await.expect("type");
    c.find(Locator::Id("password")).await.expect("password").send_keys(super::PASSWORD).await.expect("type");
    c.find(Locator::Css("button.go")).await.expect("button").click().await.expect("sign in");
    // The login page has a `main` too: wait until the browser has left it.
    for _ in 0..100 {
        let url = c.current_url().await.expect("url");
        if url.path() != "/login" {
            c.wait().for_element(Locator::Css("main")).await.expect("home");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} was not signed in");
}

/// The pages of `paths` wider than a 360 px phone, and the controls that lie
/// off its screen. Every link, button and box a person uses must lie on the
/// screen: a table that scrolls inside its frame would keep the page narrow
/// and still hide its action column to the right.
pub async fn off_a_phone(c: &fantoccini::Client, base: &str, paths: &[String]) -> (Vec<String>, Vec<String>) {
    let off_screen = "return [...document.querySelectorAll('main a, main button, main input:not([type=hidden]), main select, main textarea')]
        .filter(e => e.getClientRects().length > 0)
        .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > 361; })
        .map(e => (e.textContent || e.name || e.tagName).trim().slice(0, 40))";
    let mut wide = Vec::new();
    let mut hidden = Vec::new();
    for path in paths {
        c.goto(&format!("{base}{path}")).await.expect("open");
        c.wait().for_element(Locator::Css("main")).await.expect("page");
        let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.expect("script");
        if width.as_u64().is_none_or(|w| w > 360) {
            wide.push(format!("{path}: {width}px"));
        }
        let outside = c.execute(off_screen, vec![]).await.expect("script");
        for e in outside.as_array().into_iter().flatten() {
            hidden.push(format!("{path}: {}", e.as_str().unwrap_or_default()));
        }
    }
    (wide, hidden)
}

/// A DevTools command through chromedriver (`goog/cdp/execute`), e.g. the
/// network switched off: `Network.emulateNetworkConditions`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(serde_json::json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

pub async fn cdp(c: &Client, cmd: &'static str, params: serde_json::Value) -> serde_json::Value {
    c.issue_cmd(Cdp { cmd, params }).await.unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// The page's network off or on, as DevTools does it (`navigator.onLine` follows).
pub async fn network(c: &Client, online: bool) {
    cdp(c, "Network.enable", serde_json::json!({})).await;
    let conditions =
        serde_json::json!({ "offline": !online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 });
    cdp(c, "Network.emulateNetworkConditions", conditions).await;
}
