//! The analysts' report pages and the report API, served by `sipas serve`,
//! checked by parsing the HTML.

mod common;

use common::{TestDb, analyst, fixture, sipas, spawn_server, stderr};
use scraper::{Html, Selector};
use serde_json::Value;

async fn loaded() -> TestDb {
    let db = TestDb::new().await;
    for args in [
        vec!["campaign", "load", fixture("report/campaign.toml").to_str().expect("path")],
        vec!["responses", "import", "--campaign", "hand", fixture("report/ballots.csv").to_str().expect("path")],
    ] {
        let args: Vec<&str> = args.iter().map(|s| &**s).collect();
        let out = sipas(&db, &args);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    db
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn texts(doc: &Html, s: &str) -> Vec<String> {
    doc.select(&sel(s)).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
}

async fn get_html(client: &reqwest::Client, url: &str) -> (u16, Html) {
    let resp = client.get(url).send().await.expect("get");
    let status = resp.status().as_u16();
    (status, Html::parse_document(&resp.text().await.expect("body")))
}

#[tokio::test]
async fn the_report_page_shows_tables_charts_and_downloads() {
    let db = loaded().await;
    let server = spawn_server(&db, &[]);
    let client = analyst(&db, &server.base).await;
    let (status, list) = get_html(&client, &format!("{}/reports", server.base)).await;
    assert_eq!(status, 200);
    let links: Vec<&str> = list.select(&sel("main a")).filter_map(|a| a.value().attr("href")).collect();
    assert_eq!(links, vec!["/reports/hand"]);

    let (status, page) = get_html(&client, &format!("{}/reports/hand", server.base)).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&page, "h1"), vec!["Đợt tính tay"]);
    assert_eq!(page.select(&sel("html")).next().and_then(|h| h.value().attr("lang")), Some("vi"));

    // The charts: bars in HTML, each titled (its question for the options),
    // and the funnel plot in SVG, announced by its title.
    let charts: Vec<_> = page.select(&sel("figure.bars")).collect();
    assert_eq!(charts.len(), 5, "ranking, components, fields, and the options of CT and P2");
    assert_eq!(page.select(&sel("svg[role=img]")).count(), 1, "the funnel");
    let captions: Vec<String> =
        charts.iter().map(|c| c.select(&sel("figcaption")).flat_map(|f| f.text()).collect()).collect();
    assert!(captions.iter().all(|c| !c.is_empty()), "{captions:?}");
    assert!(
        captions.iter().any(|c| c.starts_with("CT · ")) && captions.iter().any(|c| c.starts_with("P2 · ")),
        "{captions:?}"
    );
    let ranking = &charts[0];
    let text_of = |css: &str| -> Vec<String> { ranking.select(&sel(css)).map(|t| t.text().collect()).collect() };
    // Ranking, best first: B 75,00, then A 60,42 (each under 30 answers: *),
    // then the SIPAS target line at 60 %; each bar carries its 95 % interval.
    assert_eq!(text_of(".label"), vec!["Xã B *", "Xã A *"]);
    let values = text_of(".value");
    assert!(values[0].starts_with("75,00") && values[1].starts_with("60,42"), "{values:?}");
    assert_eq!(text_of(".legend"), vec!["chỉ tiêu 60,00 %"]);
    assert_eq!(ranking.select(&sel(".ci")).count(), 2);
    let intervals = text_of(".sr");
    assert_eq!(intervals.len(), 2, "{intervals:?}");
    assert!(intervals.iter().all(|t| t.starts_with(" (khoảng tin cậy 95 %: ")), "{intervals:?}");
    let json: Value =
        serde_json::from_str(&common::stdout(&sipas(&db, &["report", "--campaign", "hand", "--format", "json"])))
            .expect("json");
    let ranks: Vec<(u64, &str, bool, bool)> = json["ranking"]
        .as_array()
        .expect("ranking")
        .iter()
        .map(|r| {
            (
                r["rank"].as_u64().unwrap_or_default(),
                r["unit"].as_str().unwrap_or_default(),
                r["small_sample"].as_bool().unwrap_or_default(),
                r["indistinguishable_from_neighbour"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    // 6 and 2 answers: both small, and their intervals overlap.
    assert_eq!(ranks, [(1, "B", true, true), (2, "A", true, true)]);
    assert_eq!(ranking.select(&sel(".bar .target")).count(), 2, "the target line across both bars");
    // The funnel around the campaign's 65,00: with 2 and 4 answers both units
    // sit inside the 95 % limits. By hand for A (n = 4): √(0,65 · 0,35 ÷ 4)
    // = 0,238485; 65 − 1,959964 · 23,8485 = 18,26; the upper limit and both
    // 99,8 % limits are cut at 0 and 100.
    let funnel = page.select(&sel("svg[role=img]")).next().expect("the funnel");
    let dots: Vec<String> = funnel.select(&sel("circle > title")).map(|t| t.text().collect()).collect();
    assert_eq!(
        dots,
        vec![
            "Xã B: 75,00 % · 2 phiếu · chưa khác biệt với toàn đợt",
            "Xã A: 60,42 % · 4 phiếu · chưa khác biệt với toàn đợt"
        ]
    );
    assert!(
        texts(&page, "p.note")
            .iter()
            .any(|t| t.starts_with("So với chỉ số toàn đợt (65,00 %), 2/2 đơn vị nằm trong giới hạn 95 %")),
        "{:?}",
        texts(&page, "p.note")
    );
    let a = &json["funnel"]["units"][1];
    assert_eq!((a["unit"].as_str(), a["position"].as_str()), (Some("A"), Some("within")));
    assert!((a["limits95"][0].as_f64().unwrap_or_default() - 18.2578).abs() < 1e-3, "{a}");
    assert_eq!((a["limits95"][1].as_f64(), a["limits998"][0].as_f64()), (Some(100.0), Some(0.0)));
    let stacked = &charts[2];
    let segments: Vec<String> =
        stacked.select(&sel(".seg")).filter_map(|t| t.value().attr("title").map(str::to_owned)).collect();
    assert!(segments.contains(&"Rất hài lòng: 40,00 %".to_owned()), "{segments:?}");

    // The unit table: A's row with its figures and the target verdict.
    let row_a = page
        .select(&sel("table tbody tr"))
        .find(|tr| tr.select(&sel("td")).next().map(|td| td.text().collect::<String>()) == Some("A".into()))
        .expect("row A");
    let cells: Vec<String> = row_a.select(&sel("td")).map(|td| td.text().collect()).collect();
    assert_eq!(&cells[3..8], ["8", "60,42", "75,00", "58,33", "62,50"], "figures with a decimal comma");
    assert!(row_a.select(&sel("td.met")).count() >= 1);

    let downloads: Vec<&str> = page.select(&sel("nav.buttons a")).filter_map(|a| a.value().attr("href")).collect();
    assert_eq!(
        downloads,
        vec![
            "/reports/hand/download/report.docx",
            "/reports/hand/download/report.xlsx",
            "/reports/hand/download/report.csv",
            "/reports/hand/download/report.json"
        ]
    );
    let docx = client.get(format!("{}{}", server.base, downloads[0])).send().await.expect("docx");
    assert_eq!(
        docx.headers().get("content-disposition").and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"hand-bao-cao.docx\"")
    );
    assert!(docx.bytes().await.expect("bytes").starts_with(b"PK"), "a DOCX is a zip");
    let downloads = &downloads[1..];
    let xlsx = client.get(format!("{}{}", server.base, downloads[0])).send().await.expect("xlsx");
    assert_eq!(
        xlsx.headers().get("content-disposition").and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"hand-bao-cao.xlsx\"")
    );
    assert!(xlsx.bytes().await.expect("bytes").starts_with(b"PK"), "an XLSX is a zip");
    let csv =
        client.get(format!("{}{}", server.base, downloads[1])).send().await.expect("csv").text().await.expect("text");
    let cli_csv = common::stdout(&sipas(&db, &["report", "--campaign", "hand", "--format", "csv"]));
    assert_eq!(csv, cli_csv, "the page offers the same CSV as the CLI");
}

#[tokio::test]
async fn the_page_follows_the_chosen_breakdown() {
    let db = loaded().await;
    let server = spawn_server(&db, &[]);
    let client = analyst(&db, &server.base).await;
    let (_, page) = get_html(&client, &format!("{}/reports/hand?by=field", server.base)).await;
    assert_eq!(texts(&page, "nav.by a.on"), vec!["lĩnh vực"]);
    assert!(texts(&page, "h2").iter().any(|h| h == "Đợt tính tay — theo lĩnh vực"));
    let hrefs: Vec<&str> = page.select(&sel("nav.buttons a")).filter_map(|a| a.value().attr("href")).collect();
    assert!(hrefs.iter().all(|h| h.ends_with("?by=field")), "{hrefs:?}");
    let (status, page) = get_html(&client, &format!("{}/reports/hand?by=colour", server.base)).await;
    assert_eq!(status, 422);
    assert!(texts(&page, "h1")[0].contains("«colour» không phải cách phân tổ"));
}

#[tokio::test]
async fn the_api_returns_the_cli_document_and_json_errors() {
    let db = loaded().await;
    let server = spawn_server(&db, &[]);
    let client = analyst(&db, &server.base).await;
    let mut api: Value = client
        .get(format!("{}/api/v1/campaigns/hand/report", server.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let out = sipas(&db, &["report", "--campaign", "hand", "--format", "json"]);
    let mut cli: Value = serde_json::from_slice(&out.stdout).expect("json");
    api["generated_at"] = Value::Null;
    cli["generated_at"] = Value::Null;
    assert_eq!(api, cli);

    let resp = client.get(format!("{}/api/v1/campaigns/hand/report?by=colour", server.base)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 422);
    let body: Value = resp.json().await.expect("json");
    assert_eq!((body["error"]["code"].as_str(), body["error"]["field"].as_str()), (Some("bad_input"), Some("by")));
    let resp = client.get(format!("{}/api/v1/campaigns/nope/report", server.base)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 404);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
    let list: Value =
        client.get(format!("{}/api/v1/campaigns", server.base)).send().await.expect("get").json().await.expect("json");
    assert_eq!(list["campaigns"][0]["id"], "hand");
}

#[tokio::test]
async fn serve_demo_has_a_report_to_show() {
    let db = TestDb::new().await;
    let server = spawn_server(&db, &["--demo"]);
    let client = analyst(&db, &server.base).await;
    assert!(server.banner.iter().any(|l| l.contains("với 600 phiếu giả lập")), "{:?}", server.banner);
    let (status, page) = get_html(&client, &format!("{}/reports/quang-binh-2026", server.base)).await;
    assert_eq!(status, 200);
    let ranking = page.select(&sel("figure.bars")).next().expect("ranking chart");
    let labels: Vec<String> = ranking.select(&sel(".label")).map(|t| t.text().collect()).collect();
    assert_eq!(labels.len(), 15, "the 15 communes are ranked: {labels:?}");
}

#[tokio::test]
async fn a_province_page_shows_its_details_one_unit_at_a_time_and_the_weighted_figures_first() {
    let db = TestDb::new().await;
    let server = spawn_server(&db, &["--demo", "province"]);
    let client = analyst(&db, &server.base).await;
    assert!(
        server.banner.iter().any(|l| l.contains("«hoa-son-2026» (109 đơn vị) với 6000 phiếu")),
        "{:?}",
        server.banner
    );
    let (status, page) = get_html(&client, &format!("{}/reports/hoa-son-2026", server.base)).await;
    assert_eq!(status, 200);
    // The summary first: the household SIPAS weighted by the design, with its
    // interval, beside the unweighted figure and both parts.
    let lines: Vec<String> = page.select(&sel("p")).map(|p| p.text().collect::<String>()).collect();
    let design = lines.iter().find(|l| l.contains("có trọng số theo thiết kế mẫu")).expect("the weighted headline");
    assert!(design.contains("khoảng tin cậy 95 %") && design.contains("không trọng số"), "{design}");
    assert!(design.contains("Xây dựng, tổ chức thực hiện chính sách") && design.contains("300 thôn"), "{design}");
    // One group's report: the households' keeps the weighted figures (the
    // same ones), the citizens' has none.
    let headline = |page: &scraper::Html| {
        page.select(&sel("p"))
            .map(|p| p.text().collect::<String>())
            .find(|l| l.contains("có trọng số theo thiết kế mẫu"))
    };
    let (_, households) = get_html(&client, &format!("{}/reports/hoa-son-2026?group=households", server.base)).await;
    assert_eq!(headline(&households).as_ref(), Some(design), "the households' own report");
    let (_, citizens) = get_html(&client, &format!("{}/reports/hoa-son-2026?group=citizens", server.base)).await;
    assert!(
        citizens.select(&sel("h1")).next().is_some() && headline(&citizens).is_none(),
        "weighted figures for citizens"
    );
    // A household's village is its cell, not a field of procedures: no
    // village appears among the fields (the page once listed 300 of them).
    let text: String = page.root_element().text().collect();
    assert!(!text.contains("HS001-T"), "a village shown as a field");
    // Both parts of SIPAS have their columns, beside SIPAS and the components.
    let headers: Vec<String> = page.select(&sel("table thead th")).map(|h| h.text().collect()).collect();
    for part in ["Phần xây dựng, tổ chức thực hiện chính sách (%)", "Phần cung ứng dịch vụ hành chính công (%)"]
    {
        assert!(headers.iter().any(|h| h == part), "{part} missing from {headers:?}");
    }
    // The question table holds no unit's rows until one is picked.
    let question_rows = |page: &scraper::Html| -> Vec<String> {
        let heading = page
            .select(&sel("h2"))
            .find(|h| h.text().collect::<String>().starts_with("Chỉ số từng câu hỏi SIPAS"))
            .expect("the question table's heading");
        let table = heading.next_siblings().filter_map(scraper::ElementRef::wrap).next().expect("what follows");
        table.select(&sel("tbody tr td:first-child")).map(|td| td.text().collect()).collect()
    };
    assert!(question_rows(&page).is_empty(), "a hundred units' questions at once");
    let units: Vec<&str> = page.select(&sel("select#unit option")).filter_map(|o| o.value().attr("value")).collect();
    assert_eq!(units.len(), 110, "the whole campaign and each of its 109 units");
    let (status, one) = get_html(&client, &format!("{}/reports/hoa-son-2026?unit=HS051", server.base)).await;
    assert_eq!(status, 200);
    let rows = question_rows(&one);
    assert!(!rows.is_empty() && rows.iter().all(|u| u == "HS051"), "{rows:?}");
    assert!(one.select(&sel("select#unit option[selected]")).any(|o| o.value().attr("value") == Some("HS051")));
    // The weighted table, with a decimal comma.
    let weighted = one
        .select(&sel("table tbody tr"))
        .find(|tr| tr.select(&sel("td")).next().map(|td| td.text().collect::<String>()) == Some("SIPAS".into()))
        .expect("the weighted SIPAS row");
    let cells: Vec<String> = weighted.select(&sel("td")).map(|td| td.text().collect()).collect();
    assert!(cells[2..8].iter().all(|c| c.contains(',') && !c.contains('.')), "{cells:?}");

    // The quota board of 108 units opens with a summary: each group, then
    // each unit on one line; a group's 100 rows a click away.
    common::add_user(&db, "quan-tri", "admin", &[]);
    let admin = common::sign_in(&server.base, "quan-tri").await;
    let (status, board) = get_html(&admin, &format!("{}/enumerator/hoa-son-2026", server.base)).await;
    assert_eq!(status, 200);
    let tables: Vec<usize> = board.select(&sel("table")).map(|t| t.select(&sel("tbody tr")).count()).collect();
    assert_eq!(tables, [4, 108], "groups, then units");
    let (_, households) = get_html(&admin, &format!("{}/enumerator/hoa-son-2026?group=households", server.base)).await;
    let rows = households.select(&sel("table tbody tr")).count();
    assert_eq!(rows, 100, "the household group's communes, wards and special zones");
}

/// The schema a documented answer must follow, with the document's
/// components beside it so that its `$ref`s resolve.
fn response_schema(doc: &Value, path: &str, status: u16, mime: &str) -> Value {
    let response = &doc["paths"][path]["get"]["responses"][status.to_string()];
    assert!(response.is_object(), "{path} does not document status {status}");
    let mut schema = response["content"][mime]["schema"].clone();
    assert!(schema.is_object(), "{path} {status}: no {mime} schema in {response}");
    schema["components"] = doc["components"].clone();
    schema
}

fn assert_follows(schema: &Value, body: &Value, what: &str) {
    let validator =
        jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("{what}: schema does not compile: {e}"));
    let errors: Vec<String> =
        validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).take(10).collect();
    assert!(errors.is_empty(), "{what} does not follow its description:\n{}", errors.join("\n"));
}

#[tokio::test]
async fn the_api_description_matches_what_the_api_answers() {
    let db = loaded().await;
    let server = spawn_server(&db, &[]);
    // The description itself needs no token.
    let resp = reqwest::get(format!("{}/api/v1/openapi.json", server.base)).await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    let doc: Value = resp.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    let paths: Vec<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/campaigns",
            "/api/v1/campaigns/{campaign}/export/{file}",
            "/api/v1/campaigns/{campaign}/quotas",
            "/api/v1/campaigns/{campaign}/report"
        ]
    );
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");

    let client = analyst(&db, &server.base).await;
    let nobody = reqwest::Client::new();
    let cases: Vec<(&str, String, &reqwest::Client, u16)> = vec![
        ("/api/v1/campaigns", "/api/v1/campaigns".into(), &client, 200),
        ("/api/v1/campaigns", "/api/v1/campaigns".into(), &nobody, 401),
        ("/api/v1/campaigns/{campaign}/report", "/api/v1/campaigns/hand/report".into(), &client, 200),
        ("/api/v1/campaigns/{campaign}/report", "/api/v1/campaigns/hand/report?by=unit,field".into(), &client, 200),
        ("/api/v1/campaigns/{campaign}/report", "/api/v1/campaigns/hand/report?by=group".into(), &client, 200),
        ("/api/v1/campaigns/{campaign}/report", "/api/v1/campaigns/hand/report?by=colour".into(), &client, 422),
        ("/api/v1/campaigns/{campaign}/report", "/api/v1/campaigns/nope/report".into(), &client, 404),
        ("/api/v1/campaigns/{campaign}/quotas", "/api/v1/campaigns/hand/quotas".into(), &client, 200),
        (
            "/api/v1/campaigns/{campaign}/export/{file}",
            "/api/v1/campaigns/hand/export/export.json".into(),
            &client,
            200,
        ),
        ("/api/v1/campaigns/{campaign}/export/{file}", "/api/v1/campaigns/hand/export/other.txt".into(), &client, 404),
    ];
    for (template, url, who, want) in cases {
        let resp = who.get(format!("{}{url}", server.base)).send().await.expect("get");
        assert_eq!(resp.status().as_u16(), want, "{url}");
        let body: Value = resp.json().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_follows(&response_schema(&doc, template, want, "application/json"), &body, &url);
    }
    // A check that can fail: a report missing its units does not pass.
    let mut report: Value = client
        .get(format!("{}/api/v1/campaigns/hand/report", server.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    report.as_object_mut().expect("object").remove("units");
    let schema = response_schema(&doc, "/api/v1/campaigns/{campaign}/report", 200, "application/json");
    assert!(
        !jsonschema::validator_for(&schema).expect("schema").is_valid(&report),
        "a report without units is not valid"
    );
}

/// Every question kind reaches the JSON, the page and the workbook, through
/// the store (number answers counted per value as they arrive, comments read
/// and masked), and the workbook is set up to be read and printed.
#[tokio::test]
async fn every_question_kind_reaches_every_format_and_the_workbook_prints() {
    let db = loaded().await;
    let json: Value =
        serde_json::from_str(&common::stdout(&sipas(&db, &["report", "--campaign", "hand", "--format", "json"])))
            .expect("json");
    let totals = &json["totals"]["answers"];
    let sl = totals.as_array().expect("answers").iter().find(|a| a["question"] == "SL").expect("SL");
    assert_eq!((sl["n"].as_u64(), sl["mean"].as_f64(), sl["median"].as_f64()), (Some(5), Some(2.2), Some(2.0)));
    let ct = totals.as_array().expect("answers").iter().find(|a| a["question"] == "CT").expect("CT");
    assert_eq!(ct["options"][0]["count"].as_u64(), Some(2));
    let comments = json["comments"].to_string();
    assert!(comments.contains("Gọi [số đã ẩn] để góp ý") && comments.contains("[email đã ẩn]"), "{comments}");
    assert!(
        !comments.contains("0912") && !comments.contains("001203004567") && !comments.contains("lan@"),
        "{comments}"
    );

    let server = spawn_server(&db, &[]);
    let client = analyst(&db, &server.base).await;
    let (_, page) = get_html(&client, &format!("{}/reports/hand", server.base)).await;
    let headings = texts(&page, "h2");
    for h in
        ["Các phương án được chọn (câu một lựa chọn và nhiều lựa chọn)", "Câu hỏi có/không", "Câu hỏi trả lời bằng số"]
    {
        assert!(headings.iter().any(|x| x == h), "{h} in {headings:?}");
    }
    let body = page.root_element().text().collect::<String>();
    assert!(body.contains("Cần thêm ghế") && !body.contains("0912 345 678"), "comments shown, masked");

    let bytes = client
        .get(format!("{}/reports/hand/download/report.xlsx", server.base))
        .send()
        .await
        .expect("xlsx")
        .bytes()
        .await
        .expect("bytes")
        .to_vec();
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.clone())).expect("xlsx");
    let sheets = book.sheet_names().clone();
    for s in ["Chỉ số", "Lựa chọn", "Có – Không", "Số", "Ý kiến"] {
        assert!(sheets.iter().any(|x| x == s), "{s} in {sheets:?}");
    }
    let main = book.worksheet_range("Chỉ số").expect("sheet");
    let cell = |r: u32, c: u32| main.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    assert!(cell(0, 0).contains("Đợt tính tay"), "title row: {}", cell(0, 0));
    let meta: String = (1..6).map(|r| cell(r, 0)).collect::<Vec<_>>().join(" | ");
    assert!(meta.contains("Lập lúc") && meta.contains("Phương pháp"), "{meta}");
    let header_row = (0..10).find(|r| cell(*r, 0) == "Mã").expect("header row");
    assert_eq!(cell(header_row, 1), "Đơn vị", "unit names beside codes");
    let notes = book.worksheet_range("Ý kiến").expect("sheet");
    let all: String = notes.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect::<Vec<_>>().join(" ");
    assert!(all.contains("[số đã ẩn]") && !all.contains("0912"), "{all}");

    // The print setup a spreadsheet program reads.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut part = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect(name), &mut s).expect("read");
        s
    };
    let sheet = part("xl/worksheets/sheet1.xml");
    for needle in ["orientation=\"landscape\"", "paperSize=\"9\"", "<autoFilter", "ySplit="] {
        assert!(sheet.contains(needle), "{needle} in sheet1.xml");
    }
    // One page wide, or across pages at 80 % (the type at 8,8 pt).
    assert!(sheet.contains("fitToPage=\"1\"") || sheet.contains("scale=\"80\""), "{sheet}");
    assert!(part("xl/workbook.xml").contains("_xlnm.Print_Titles"), "header rows repeated on every page");
}

/// `--by question:CODE` in the CLI, the page and the API, with the figures
/// of the hand-worked fixture: P2 of the four delegates of A is rt, t, k, t.
#[tokio::test]
async fn a_breakdown_by_the_answer_to_a_question() {
    let db = loaded().await;
    let out = sipas(&db, &["report", "--campaign", "hand", "--by", "question:P2", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&common::stdout(&out)).expect("json");
    assert_eq!(json["breakdown"]["by"], "question");
    assert_eq!(json["breakdown"]["question"], "P2");
    let rows = json["breakdown"]["rows"].as_array().expect("rows");
    let shown: Vec<(String, u64)> = rows
        .iter()
        .map(|r| (r["answer"].as_str().unwrap_or_default().to_owned(), r["responses"].as_u64().unwrap_or_default()))
        .collect();
    assert_eq!(shown, [("Rất tốt".to_owned(), 1), ("Tốt".to_owned(), 2), ("Kém".to_owned(), 1)]);
    // Those who answered «Tốt» (P1 = 4 and empty; P3 = 0 and 1): P3 yes 1 of 2.
    let good = rows.iter().find(|r| r["answer"] == "Tốt").expect("Tốt");
    let p3 = good["answers"].as_array().expect("answers").iter().find(|a| a["question"] == "P3").expect("P3");
    assert_eq!((p3["n"].as_u64(), p3["yes"].as_u64()), (Some(2), Some(1)));

    let out = sipas(&db, &["report", "--campaign", "hand", "--by", "unit,question:P3", "--format", "json"]);
    let json: Value = serde_json::from_str(&common::stdout(&out)).expect("json");
    let rows = json["breakdown"]["rows"].as_array().expect("rows");
    assert!(rows.iter().all(|r| r["unit"] == "A"), "only A's delegates answered P3");
    let answers: Vec<&str> = rows.iter().filter_map(|r| r["answer"].as_str()).collect();
    assert_eq!(answers, ["Có", "Không", "Không trả lời"]);

    for (by, says) in
        [("question:CT", "không dùng để phân tổ"), ("question:ZZ", "không có câu «ZZ»"), ("question:", "không hợp lệ")]
    {
        let out = sipas(&db, &["report", "--campaign", "hand", "--by", by]);
        assert_eq!(out.status.code(), Some(2), "{by}");
        assert!(stderr(&out).contains(says), "{by}: {}", stderr(&out));
    }

    let server = spawn_server(&db, &[]);
    let client = analyst(&db, &server.base).await;
    let (status, page) = get_html(&client, &format!("{}/reports/hand?by=question:P2", server.base)).await;
    assert_eq!(status, 200);
    let headers = texts(&page, "th");
    assert!(headers.iter().any(|h| h == "Trả lời câu P2"), "{headers:?}");
    let offered: Vec<&str> = page.select(&sel("nav.by a")).filter_map(|a| a.value().attr("href")).collect();
    assert!(offered.contains(&"/reports/hand?by=question:P3"), "{offered:?}");
    let resp =
        client.get(format!("{}/api/v1/campaigns/hand/report?by=question:CT", server.base)).send().await.expect("api");
    assert_eq!(resp.status().as_u16(), 422);
}

/// One respondent group's figures: the page, its downloads and the JSON
/// agree, and the groups' answers add up to the campaign's.
#[tokio::test]
async fn a_report_of_one_respondent_group() {
    let db = loaded().await;
    let server = spawn_server(&db, &[]);
    let client = analyst(&db, &server.base).await;
    let json = |q: String| {
        let client = client.clone();
        let base = server.base.clone();
        async move {
            let resp = client.get(format!("{base}/reports/hand/download/report.json{q}")).send().await.expect("get");
            assert_eq!(resp.status().as_u16(), 200, "{q}");
            resp.json::<Value>().await.expect("json")
        }
    };
    let all = json(String::new()).await;
    let total = all["totals"]["responses"].as_u64().expect("total");
    // The fixture's groups (tests/fixtures/report/campaign.toml).
    let codes = ["citizens", "delegates"].map(String::from);
    let mut sum = 0;
    for code in &codes {
        let one = json(format!("?group={code}")).await;
        let n = one["totals"]["responses"].as_u64().expect("responses");
        assert!(n < total, "{code}: {n} of {total}");
        assert_eq!(one["group"], code.as_str());
        sum += n;
        let (status, page) = get_html(&client, &format!("{}/reports/hand?group={code}", server.base)).await;
        assert_eq!(status, 200);
        let selected: Vec<String> = page
            .select(&sel("#group option[selected]"))
            .filter_map(|o| o.value().attr("value").map(str::to_owned))
            .collect();
        assert_eq!(selected, vec![code.clone()]);
        let downloads: Vec<&str> = page.select(&sel("nav.buttons a")).filter_map(|a| a.value().attr("href")).collect();
        assert!(downloads.iter().all(|d| d.ends_with(&format!("group={code}"))), "{downloads:?}");
    }
    assert_eq!(sum, total, "the groups' answers add up to the campaign's");
    let (status, _) = get_html(&client, &format!("{}/reports/hand?group=nobody", server.base)).await;
    assert_eq!(status, 422, "an unknown group is refused");
}

/// `sipas report` takes the page's filters: the fixture's answers were
/// imported from paper, so «paper» takes every one of them (k = 1 here),
/// «online» none; a filter with a breakdown by a question's answer, or a
/// source that does not exist, is bad input named by its flag.
#[tokio::test]
async fn the_command_line_report_takes_the_same_filters() {
    let db = loaded().await;
    let json = |args: &[&str]| -> Value {
        let mut all = vec!["report", "--campaign", "hand", "--format", "json"];
        all.extend_from_slice(args);
        let out = sipas(&db, &all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_str(&common::stdout(&out)).expect("json")
    };
    let all = json(&[]);
    assert!(all.get("filter").is_none());
    let paper = json(&["--source", "paper", "--from", "2026-10"]);
    assert_eq!(paper["filter"]["label"], "nguồn Phiếu giấy · từ tháng 10/2026");
    assert_eq!(paper["totals"]["responses"], all["totals"]["responses"]);
    assert_eq!(paper["filter"]["answers"], all["totals"]["responses"]);
    let online = json(&["--source", "online"]);
    assert_eq!(online["totals"]["responses"], 0);
    for (args, flag) in
        [(vec!["--source", "fax"], "--source"), (vec!["--source", "paper", "--by", "question:HL"], "--by")]
    {
        let mut all = vec!["report", "--campaign", "hand"];
        all.extend_from_slice(&args);
        let out = sipas(&db, &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(flag), "{args:?}: {}", stderr(&out));
    }
}
