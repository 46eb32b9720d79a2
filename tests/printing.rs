//! Slips as a printer gets them: the HTML of `sipas invitations --format html`
//! printed to PDF by headless Chromium, and the position of every word on
//! every page read back with `pdftotext -bbox` (Debian's `chromium` and
//! `poppler-utils`; `.ci/run` installs both). Without them the test says so,
//! and fails under CI.

mod common;

use common::{TestDb, analyst, example_campaign, fixture, sipas, spawn_server, stderr, stdout};
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
    let pdf = html.with_extension("pdf");
    let status = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium");
    assert!(status.success() && pdf.exists(), "chromium printed the slips");
    pdf_words(&pdf, pdftotext)
}

/// Every page's size and every word's place on it, in PDF points from the
/// top left, as `pdftotext -bbox` reads them.
fn pdf_words(pdf: &Path, pdftotext: &str) -> (Vec<(f64, f64)>, Vec<Word>) {
    let bbox = pdf.with_extension("bbox.html");
    assert!(Command::new(pdftotext).arg("-bbox").arg(pdf).arg(&bbox).status().expect("pdftotext").success());
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

/// LibreOffice, which prints a DOCX or XLSX as an office would; `.ci/run`
/// installs it. Without it the test says so, and fails under CI.
/// The fonts it prints Times New Roman and Calibri with must be their metric
/// twins (Liberation Serif, Carlito): with another font the sizes measured
/// are that font's.
fn soffice() -> Option<&'static str> {
    let found = ["/usr/bin/soffice", "/usr/bin/libreoffice"].into_iter().find(|p| Path::new(p).exists());
    let fonts = ["/usr/share/fonts/truetype/liberation", "/usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf"]
        .into_iter()
        .all(|p| Path::new(p).exists());
    if found.is_none() || !fonts {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must print the written report: install libreoffice-writer-nogui, libreoffice-calc-nogui, \
             fonts-liberation and fonts-crosextra-carlito"
        );
        eprintln!("printing test skipped: LibreOffice or its fonts not installed");
        return None;
    }
    found
}

/// `file` printed to PDF by LibreOffice headless, in its own profile.
fn print_office(file: &Path, soffice: &str) -> std::path::PathBuf {
    let dir = file.parent().expect("dir");
    let out = Command::new(soffice)
        .arg(format!("-env:UserInstallation=file://{}", dir.join("lo-profile").display()))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(file)
        .output()
        .expect("soffice");
    let pdf = file.with_extension("pdf");
    assert!(
        out.status.success() && pdf.exists(),
        "LibreOffice printed {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    pdf
}

/// A word's type size in points from its box: poppler's box is the font's
/// ascent to descent, 1.3 × the size for Liberation Serif (Times New Roman's
/// metric twin, which LibreOffice prints Times New Roman with).
fn type_size(w: &Word) -> f64 {
    (w.y1 - w.y0) / 1.3
}

/// The example campaign with its answers, in a fresh database.
fn example_with_answers(db: &TestDb) {
    for args in [
        vec!["campaign", "load", example_campaign().to_str().expect("path")],
        vec!["demo", "generate", "--campaign", CAMPAIGN, "--responses", "690", "--seed", "1"],
    ] {
        let out = sipas(db, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
}

/// The example's report as `format` (docx, xlsx), printed by LibreOffice:
/// its folder, its file, and the pages and words of the print.
#[allow(clippy::type_complexity)]
async fn printed_example_report(
    format: &str,
) -> Option<(tempfile::TempDir, std::path::PathBuf, Vec<(f64, f64)>, Vec<Word>)> {
    let (_, pdftotext) = tools()?;
    let soffice = soffice()?;
    let db = TestDb::new().await;
    example_with_answers(&db);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join(format!("bao-cao.{format}"));
    let out =
        sipas(&db, &["report", "--campaign", CAMPAIGN, "--format", format, "--out", file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (pages, words) = pdf_words(&print_office(&file, soffice), pdftotext);
    Some((dir, file, pages, words))
}

#[tokio::test]
async fn the_written_report_prints_as_an_administrative_document_of_at_most_fifteen_pages() {
    let Some((_dir, docx, pages, words)) = printed_example_report("docx").await else { return };

    assert!((2..=15).contains(&pages.len()), "the example's report is {} pages", pages.len());
    // Every word at least 9 pt; the body at 14 pt (Times New Roman, the decree's 13–14).
    let smallest = words.iter().min_by(|a, b| type_size(a).total_cmp(&type_size(b))).expect("words");
    assert!(
        type_size(smallest) >= 8.9,
        "«{}» on page {} is {:.1} pt",
        smallest.text,
        smallest.page + 1,
        type_size(smallest)
    );
    let mut sizes: BTreeMap<i64, usize> = BTreeMap::new();
    for w in &words {
        *sizes.entry((type_size(w) * 2.0).round() as i64).or_default() += 1;
    }
    let body = sizes.iter().max_by_key(|(_, n)| **n).map(|(s, _)| *s as f64 / 2.0).expect("sizes");
    assert!((13.0..=14.0).contains(&body), "body text {body} pt");

    // The heading in two columns (Nghị định 30/2020, Phụ lục I): the issuing
    // body under its parent on the left, the national title and the motto on
    // the right, level with them; the number on the left, the place and date
    // on the right, level; then the title once, centred, below both.
    let (width, _) = pages[0];
    let first = |text: &str| {
        words.iter().find(|w| w.page == 0 && w.text == text).unwrap_or_else(|| panic!("«{text}» on page 1"))
    };
    let (parent, issuer, nation, motto) = (first("UBND"), first("PHÒNG"), first("CỘNG"), first("Độc"));
    let (number, place, title) = (first("Số:"), first("Quang"), first("BÁO"));
    assert!(parent.x1 < width / 2.0 && issuer.x1 < width / 2.0 && number.x1 < width / 2.0, "left column");
    assert!(nation.x0 > width * 0.4 && motto.x0 > width * 0.4 && place.x0 > width * 0.4, "right column");
    assert!((parent.y0 - nation.y0).abs() < 3.0, "parent level with the national title");
    assert!((issuer.y0 - motto.y0).abs() < 3.0, "issuer level with the motto");
    assert!((number.y0 - place.y0).abs() < 3.0, "number level with the place and date");
    let date_line: Vec<&str> = words
        .iter()
        .filter(|w| w.page == 0 && (w.y0 - place.y0).abs() < 1.0 && w.x0 >= place.x0)
        .map(|w| w.text.as_str())
        .collect();
    let date_line = date_line.join(" ");
    assert!(
        date_line.starts_with("Quang Bình, ngày ") && date_line.contains(" tháng ") && date_line.contains(" năm 20"),
        "{date_line}"
    );
    assert!(title.y0 > number.y0, "the title under the heading");
    let title_line: Vec<&Word> = words.iter().filter(|w| w.page == 0 && (w.y0 - title.y0).abs() < 1.0).collect();
    let (l, r) = (title_line.first().expect("title").x0, title_line.last().expect("title").x1);
    let margin_left = 30.0 * 72.0 / 25.4;
    let margin_right = 15.0 * 72.0 / 25.4;
    let middle = margin_left + (width - margin_left - margin_right) / 2.0;
    assert!(((l + r) / 2.0 - middle).abs() < 6.0, "«BÁO CÁO» centred: {l:.0}–{r:.0} around {middle:.0}");
    let text: String = words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    assert!(!text.contains("năm 2026 năm 2026"), "the year once in the title");
    assert!(!text.contains("Lập ngày"), "the date in words, not «Lập ngày»");
    assert!(
        text.contains("(Kèm theo Báo cáo số /BC-PNV ngày "),
        "the annex names the report, its symbol as set: {text}"
    );

    // Page numbers from page 2, centred in the top margin; none on page 1.
    let top = 20.0 * 72.0 / 25.4;
    for (page, &(w, _)) in pages.iter().enumerate() {
        let numbers: Vec<&Word> = words
            .iter()
            .filter(|x| x.page == page && x.y1 < top && x.text.chars().all(|c| c.is_ascii_digit()))
            .collect();
        if page == 0 {
            assert!(numbers.is_empty(), "no number on the first page");
        } else {
            let n = numbers.first().unwrap_or_else(|| panic!("a number on page {}", page + 1));
            assert_eq!(n.text, (page + 1).to_string());
            assert!(((n.x0 + n.x1) / 2.0 - w / 2.0).abs() < w * 0.1, "page {}'s number centred", page + 1);
        }
    }
    // Recipients on the left and the signature on the right, on one page.
    let received = words.iter().find(|w| w.text == "nhận:").expect("«Nơi nhận:»");
    let signer = words.iter().find(|w| w.text == "TRƯỞNG" && w.page == received.page && w.x0 > width / 2.0);
    assert!(received.x1 < width / 2.0 && signer.is_some(), "«Nơi nhận» beside the signature");
    assert!(text.contains("Nguyễn Văn A"), "the signer's name");
    // The annex on landscape pages, its tables' header repeated.
    let landscape: Vec<usize> = (0..pages.len()).filter(|p| pages[*p].0 > pages[*p].1).collect();
    assert!(
        !landscape.is_empty() && landscape.iter().all(|p| *p > received.page),
        "the annex after the body, landscape"
    );

    // The file says who wrote it and when.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&docx).expect("docx")).expect("zip");
    let mut core = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("docProps/core.xml").expect("core"), &mut core).expect("read");
    assert!(core.contains("<dc:creator>UBND huyện Quang Bình (ví dụ) – Phòng Nội vụ</dc:creator>"), "{core}");
    assert!(!core.contains("1970") && core.contains("<dcterms:created xsi:type=\"dcterms:W3CDTF\">20"), "{core}");
    // Every table's header row repeats on the pages it runs onto.
    let mut document = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").expect("document"), &mut document)
        .expect("read");
    let tables = document.matches("<w:tbl>").count();
    // The heading and the signature are layout tables with no header row.
    assert_eq!(document.matches("<w:tblHeader />").count(), tables - 2, "a repeated header row in every data table");
}

/// The workbook as an office prints it: every sheet through LibreOffice on
/// landscape A4, no type under 8 pt, no wrapped text running into the row
/// below, each sheet's header row on every page it runs onto.
#[tokio::test]
async fn the_workbook_prints_landscape_at_8_pt_or_more_with_no_text_over_another() {
    let Some((_dir, _xlsx, pages, words)) = printed_example_report("xlsx").await else { return };
    assert!(pages.len() > 1, "{} pages", pages.len());
    for (i, (w, h)) in pages.iter().enumerate() {
        assert!((w - 842.0).abs() < 2.0 && (h - 595.0).abs() < 2.0, "page {} is landscape A4: {w} × {h}", i + 1);
    }
    // Calibri, printed as its metric twin Carlito: the box is 1.3 × the size too.
    let smallest = words.iter().min_by(|a, b| type_size(a).total_cmp(&type_size(b))).expect("words");
    assert!(
        type_size(smallest) >= 7.9,
        "«{}» on page {} is {:.1} pt",
        smallest.text,
        smallest.page + 1,
        type_size(smallest)
    );
    // No word drawn over another: a wrapped text keeps to its row's height.
    for page in 0..pages.len() {
        let on: Vec<&Word> = words.iter().filter(|w| w.page == page).collect();
        for (i, a) in on.iter().enumerate() {
            for b in &on[i + 1..] {
                // Lines of one cell overlap their boxes by a fifth; words
                // drawn over each other have their middles closer than that.
                let dx = a.x1.min(b.x1) - a.x0.max(b.x0);
                let apart = ((a.y0 + a.y1) - (b.y0 + b.y1)).abs() / 2.0;
                assert!(
                    dx <= 1.0 || apart >= 0.6 * (a.y1 - a.y0).min(b.y1 - b.y0),
                    "page {}: «{}» and «{}» are drawn over each other",
                    page + 1,
                    a.text,
                    b.text
                );
            }
        }
    }
    // The questions' sheet runs over several pages, its header on each.
    let header_pages = (0..pages.len())
        .filter(|p| {
            words.iter().any(|w| w.page == *p && w.text == "Nội")
                && words.iter().any(|w| w.page == *p && w.text == "Mức")
        })
        .count();
    assert!(header_pages >= 3, "the questions' header repeated: on {header_pages} pages");
}

/// A unit's result sheet, printed from the browser, is one A4 page with
/// its figures, the campaign's beside them and its priorities.
#[tokio::test]
async fn a_unit_result_sheet_prints_on_one_a4_page() {
    let Some((chromium, pdftotext)) = tools() else { return };
    let db = TestDb::new().await;
    example_with_answers(&db);
    let server = spawn_server(&db, &[]);
    let client = analyst(&db, &server.base).await;
    let dir = tempfile::tempdir().expect("dir");
    for unit in ["QB02", "QB15"] {
        let resp = client.get(format!("{}/reports/{CAMPAIGN}/units/{unit}", server.base)).send().await.expect("get");
        assert_eq!(resp.status().as_u16(), 200);
        let html = dir.path().join(format!("{unit}.html"));
        std::fs::write(&html, resp.text().await.expect("body")).expect("write");
        let (pages, words) = print_words(&html, chromium, pdftotext);
        assert_eq!(pages.len(), 1, "{unit}'s sheet is one page");
        let text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let text = text.join(" ");
        for needle in ["Kết quả khảo sát:", "Chỉ số SIPAS", "Toàn đợt", "Chỉ tiêu", "lĩnh vực", "ưu tiên"]
        {
            assert!(text.contains(needle), "{needle} on {unit}'s sheet: {text}");
        }
        assert!(!text.contains("In trang này"), "the screen's links are not printed");
    }
}
