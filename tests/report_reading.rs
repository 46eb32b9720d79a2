//! The report page read in a real browser at a phone's 360 px and a
//! desktop's 1366 px: every chart label whole, no text under 12 px, the
//! summary on the first screen. In a test binary of its own, so that its
//! browsers do not compete with the other browser tests for the machine.

mod common;

use common::browser::{off_a_phone, sign_in_as, start_browser_at};
use common::{TestDb, spawn_server};
use fantoccini::Locator;

/// Every chart label whole and every text at least 12 px on the report
/// page, at 360 px and at 1366 px; the SVG's text measured as drawn (its
/// size × the scale its box is drawn at). Returns what falls short.
async fn small_or_cut(c: &fantoccini::Client) -> Vec<String> {
    let script = "
        const out = [];
        for (const e of document.querySelectorAll('main *')) {
            if (e.closest('.sr') || e.getClientRects().length === 0) continue;
            const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
            if (!own) continue;
            let px = parseFloat(getComputedStyle(e).fontSize);
            const svg = e.closest('svg');
            if (svg) {
                const box = svg.viewBox.baseVal;
                const size = parseFloat(e.getAttribute('font-size') || e.closest('[font-size]')?.getAttribute('font-size') || '16');
                px = size * svg.getBoundingClientRect().width / box.width;
            }
            if (px < 11.9) out.push('small ' + px.toFixed(1) + 'px: ' + e.textContent.trim().slice(0, 40));
        }
        for (const l of document.querySelectorAll('figure.bars .label, figure.bars figcaption')) {
            if (l.scrollWidth > l.clientWidth + 1 || l.textContent.includes('…'))
                out.push('cut: ' + l.textContent.trim().slice(0, 40));
        }
        return out;";
    let found = c.execute(script, vec![]).await.expect("script");
    found.as_array().into_iter().flatten().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn the_report_page_reads_at_360_and_1366_px_labels_whole_text_at_12_px() {
    let db = TestDb::new().await;
    let server = spawn_server(&db, &["--demo"]);
    common::add_user(&db, "quan-tri", "admin", &[]);
    let id = "quang-binh-2026";
    for width in [360, 1366] {
        let Some((_driver, c)) = start_browser_at(width, 800).await else { return };
        sign_in_as(&c, &server.base, "quan-tri").await;
        for path in [
            format!("/reports/{id}"),
            format!("/reports/{id}/units/QB02"),
            format!("/reports/{id}/compare?a=QB02&b=QB03"),
        ] {
            c.goto(&format!("{}{path}", server.base)).await.expect("open");
            c.wait().for_element(Locator::Css("main")).await.expect("page");
            let bars = c.find_all(Locator::Css("figure.bars, table")).await.expect("charts");
            assert!(!bars.is_empty(), "{path} at {width} px shows its figures");
            let faults = small_or_cut(&c).await;
            assert!(faults.is_empty(), "{path} at {width} px: {faults:?}");
        }
        // The summary on the first screen: the campaign's SIPAS against its
        // target, the best and worst units, the priorities.
        c.goto(&format!("{}/reports/{id}", server.base)).await.expect("open");
        if c.wait().for_element(Locator::Css("#tom-tat")).await.is_err() {
            let body = c.find(Locator::Css("body")).await.expect("body").text().await.unwrap_or_default();
            panic!("no summary at {width} px: {}", body.chars().take(400).collect::<String>());
        }
        let summary = c.find(Locator::Css("#tom-tat")).await.expect("summary").text().await.expect("text");
        for needle in ["Chỉ số SIPAS (gộp phiếu)", "chỉ tiêu 90 %", "Cao nhất", "Thấp nhất", "ưu tiên"]
        {
            assert!(summary.contains(needle), "{needle} in the summary at {width} px: {summary}");
        }
        if width == 360 {
            let (wide, hidden) = off_a_phone(
                &c,
                &server.base,
                &[
                    format!("/reports/{id}/units/QB02"),
                    format!("/reports/{id}/compare?a=QB02&b=QB03"),
                    format!("/reports/{id}/units"),
                ],
            )
            .await;
            assert!(wide.is_empty(), "pages wider than a 360 px phone: {wide:?}");
            assert!(hidden.is_empty(), "controls off a 360 px screen: {hidden:?}");
        }
        c.close().await.expect("close");
    }
}
