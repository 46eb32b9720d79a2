//! Slips as a printer gets them: the HTML of `sipas invitations --format html`
//! printed to PDF by headless Chromium, and the position of every word on
//! every page read back with `pdftotext -bbox` (Debian's `chromium` and
//! `poppler-utils`; `.ci/run` installs both). Without them the test says so,
//! and fails under CI.

mod common;

use common::{TestDb, example_campaign, fixture, sipas, stderr, stdout};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const CAMPAIGN: &str = "quang-binh-2026";
/// 6 mm in PDF points: what every printer can print.
const MARGIN: f64 = 6.0 * 72.0 / 25.4;

fn tools() -> Option<(&'static str, &'static str)> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists());
    let pdftotext = ["/usr/bin/pdftotext"].into_iter().find(|p| Path::new(p).exists());
    match (chromium, pdftotext) {
        (Some(c), Some(p)) => Some((c, p)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must run the printing test: install chromium and poppler-utils"
            );
            eprintln!("printing test skipped: chromium or pdftotext not installed");
            None
        }
    }
}

struct Word {
    page: usize,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    text: String,
}

/// Prints `html` to A4 PDF with Chromium, as a person would from the browser.
fn print_words(html: &Path, chromium: &str, pdftotext: &str) -> (Vec<(f64, f64)>, Vec<Word>) {
    let dir = html.parent().expect("dir");
    let pdf = dir.join("slips.pdf");
    let status = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium");
    assert!(status.success() && pdf.exists(), "chromium printed the slips");
    let bbox = dir.join("slips.bbox.html");
    assert!(Command::new(pdftotext).arg("-bbox").arg(&pdf).arg(&bbox).status().expect("pdftotext").success());
    let doc = scraper::Html::parse_document(&std::fs::read_to_string(&bbox).expect("bbox"));
    let page_sel = scraper::Selector::parse("page").expect("selector");
    let word_sel = scraper::Selector::parse("word").expect("selector");
    let num = |e: &scraper::ElementRef, a: &str| e.value().attr(a).and_then(|v| v.parse::<f64>().ok()).expect("number");
    let mut pages = Vec::new();
    let mut words = Vec::new();
    for (i, page) in doc.select(&page_sel).enumerate() {
        pages.push((num(&page, "width"), num(&page, "height")));
        for w in page.select(&word_sel) {
            words.push(Word {
                page: i,
                x0: num(&w, "xmin"),
                y0: num(&w, "ymin"),
                x1: num(&w, "xmax"),
                y1: num(&w, "ymax"),
                text: w.text().collect(),
            });
        }
    }
    (pages, words)
}

#[tokio::test]
async fn printed_slips_are_eight_a_page_whole_inside_the_margins_and_one_commune_a_page() {
    let Some((chromium, pdftotext)) = tools() else { return };
    let db = TestDb::new().await;
    let run = |args: &[&str]| {
        let out = sipas(&db, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    run(&["campaign", "load", example_campaign().to_str().expect("path")]);
    for unit in ["QB01", "QB03"] {
        let file = fixture(&format!("frames/{unit}.csv"));
        run(&["frame", "import", "--campaign", CAMPAIGN, "--unit", unit, "--skip-bad", file.to_str().expect("path")]);
    }
    run(&["sample", "--campaign", CAMPAIGN, "--seed", "1"]);
    // A long public address: the link on each slip takes three lines.
    let public = "https://khaosat-hailong.sonoivu.tinh-quangbinh-vidu.example.gov.vn/dich-vu-cong";
    // Which codes each unit's slips carry, from the SMS file.
    let csv = run(&["invitations", "--campaign", CAMPAIGN, "--format", "csv", "--public-url", public]);
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let mut unit_of: BTreeMap<String, String> = BTreeMap::new();
    for row in reader.records() {
        let row = row.expect("row");
        unit_of.insert(row[4].to_owned(), row[0].to_owned());
    }
    let mut per_unit: BTreeMap<&str, usize> = BTreeMap::new();
    for unit in unit_of.values() {
        *per_unit.entry(unit).or_default() += 1;
    }
    assert!(per_unit.len() >= 15 && per_unit["QB01"] == 46, "{per_unit:?}");

    let dir = tempfile::tempdir().expect("dir");
    let html = dir.path().join("slips.html");
    std::fs::write(&html, run(&["invitations", "--campaign", CAMPAIGN, "--format", "html", "--public-url", public]))
        .expect("html");
    let (pages, words) = print_words(&html, chromium, pdftotext);

    let expected: usize = per_unit.values().map(|n| n.div_ceil(8)).sum();
    assert_eq!(pages.len(), expected, "a run of whole pages per commune");
    let (w, h) = pages[0];
    assert!((w - 595.0).abs() < 2.0 && (h - 842.0).abs() < 2.0, "A4: {w} × {h}");
    // Everything printed lies inside the 6 mm margin.
    for word in &words {
        assert!(
            word.x0 >= MARGIN - 0.5
                && word.y0 >= MARGIN - 0.5
                && word.x1 <= w - MARGIN + 0.5
                && word.y1 <= h - MARGIN + 0.5,
            "«{}» on page {} at ({:.1}, {:.1})–({:.1}, {:.1}) is outside the printable area",
            word.text,
            word.page + 1,
            word.x0,
            word.y0,
            word.x1,
            word.y1
        );
    }
    // Two columns of four cells; each slip's code and its last line in its own cell.
    let cell = |word: &Word| {
        let (cx, cy) = ((word.x0 + word.x1) / 2.0, (word.y0 + word.y1) / 2.0);
        let col = usize::from(cx > w / 2.0);
        let row = ((cy - MARGIN) / ((h - 2.0 * MARGIN) / 4.0)).floor() as usize;
        (word.page, row.min(3), col)
    };
    let mut codes_by_page: BTreeMap<usize, Vec<&Word>> = BTreeMap::new();
    let mut cells_with_code = BTreeSet::new();
    for word in words.iter().filter(|w| unit_of.contains_key(&w.text)) {
        assert!(cells_with_code.insert(cell(word)), "two slips in one place on page {}", word.page + 1);
        codes_by_page.entry(word.page).or_default().push(word);
    }
    let mut cells_with_end = BTreeSet::new();
    for word in words.iter().filter(|w| w.text == "lần.") {
        assert!(cells_with_end.insert(cell(word)), "two slip endings in one place on page {}", word.page + 1);
    }
    assert_eq!(cells_with_code, cells_with_end, "every slip is whole on its page, code and last line together");
    assert_eq!(cells_with_code.len(), unit_of.len(), "every slip printed once");
    let mut left: BTreeMap<&str, usize> = per_unit.clone();
    for (page, codes) in &codes_by_page {
        let units: BTreeSet<&str> = codes.iter().map(|c| unit_of[&c.text].as_str()).collect();
        assert_eq!(units.len(), 1, "page {} mixes communes: {units:?}", page + 1);
        let unit = units.into_iter().next().expect("a unit");
        let remaining = left.get_mut(unit).expect("unit");
        assert_eq!(codes.len(), (*remaining).min(8), "page {} of {unit}", page + 1);
        *remaining -= codes.len();
    }
    assert!(left.values().all(|n| *n == 0), "{left:?}");
}
