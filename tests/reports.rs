//! Paper ballots in, reports and exports out, through the `sipas` binary, on
//! whichever backend the environment names. Figures are those worked out by
//! hand in aggregator/tests/formulas.rs.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{TestDb, fixture, sipas, stderr, stdout};
use serde_json::Value;

async fn loaded() -> TestDb {
    let db = TestDb::new().await;
    let campaign = fixture("report/campaign.toml");
    let out = sipas(&db, &["campaign", "load", campaign.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ballots = fixture("report/ballots.csv");
    let out = sipas(&db, &["responses", "import", "--campaign", "hand", ballots.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Đã nhập 10 phiếu giấy"), "{}", stdout(&out));
    db
}

fn report_json(db: &TestDb, extra: &[&str]) -> Value {
    let mut args = vec!["report", "--campaign", "hand", "--format", "json"];
    args.extend_from_slice(extra);
    let out = sipas(db, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("report is JSON")
}

fn unit<'a>(r: &'a Value, code: &str) -> &'a Value {
    r["units"].as_array().expect("units").iter().find(|u| u["unit"] == code).expect("unit")
}

#[tokio::test]
async fn json_report_has_the_documented_shape_and_the_hand_worked_figures() {
    let db = loaded().await;
    let r = report_json(&db, &[]);
    assert_eq!(r["campaign"], "hand");
    assert!(r["generated_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    let a = unit(&r, "A");
    assert_eq!((a["name"].as_str(), a["responses"].as_u64()), (Some("Xã A"), Some(8)));
    assert_eq!(a["sipas"]["index"], 60.42);
    assert_eq!(a["sipas"]["overall"], 75.0);
    let acc = &a["sipas"]["components"][0];
    assert_eq!(
        (acc["component"].as_str(), acc["index"].as_f64(), acc["n"].as_u64()),
        (Some("acc"), Some(58.33), Some(4))
    );
    assert_eq!(acc["ci95"].as_array().map(Vec::len), Some(2));
    let hl = a["sipas"]["questions"].as_array().expect("questions").iter().find(|q| q["question"] == "HL").expect("HL");
    assert_eq!(hl["counts"], serde_json::json!([0, 1, 0, 2, 1]));
    assert_eq!(
        (hl["n"].as_u64(), hl["satisfied_pct"].as_f64(), hl["score_pct"].as_f64()),
        (Some(4), Some(75.0), Some(75.0))
    );
    let crit = a["par_criteria"].as_array().expect("criteria").iter().find(|c| c["criterion"] == "3.5").expect("3.5");
    assert_eq!(
        (crit["max_points"].as_f64(), crit["points"].as_f64(), crit["n"].as_u64()),
        (Some(2.0), Some(1.24), Some(7))
    );
    let f1 = a["by_field"].as_array().expect("by_field").iter().find(|f| f["field"] == "F1").expect("F1");
    assert_eq!(f1["n"], 3);
    assert_eq!(f1["pct"], serde_json::json!([0.0, 33.33, 0.0, 33.33, 33.33]));
    assert_eq!(a["quota"][0]["group"], "citizens");
    assert_eq!((a["quota"][0]["quota"].as_i64(), a["quota"][0]["answered"].as_i64()), (Some(4), Some(4)));
    let d = unit(&r, "D");
    assert_eq!((d["rollup"].as_str(), d["sipas"]["index"].as_f64()), (Some("pooled"), Some(65.0)));
    assert_eq!(d["sipas_mean_of_units"], 67.71);
    assert_eq!(r["totals"]["responses"], 10);
    assert_eq!(r["totals"]["sipas"]["index"], 65.0);
}

#[tokio::test]
async fn breakdown_by_unit_and_field() {
    let db = loaded().await;
    let r = report_json(&db, &["--by", "unit,field"]);
    assert_eq!(r["breakdown"]["by"], "unit,field");
    let rows = r["breakdown"]["rows"].as_array().expect("rows");
    let a_f1 = rows.iter().find(|x| x["unit"] == "A" && x["field"] == "F1").expect("A × F1");
    // A × F1: SIPAS 83.33 (worked out in formulas.rs: field_weighted_index_uses_frame_shares).
    assert_eq!((a_f1["responses"].as_u64(), a_f1["sipas"]["index"].as_f64()), (Some(3), Some(83.33)));
    let bad = sipas(&db, &["report", "--campaign", "hand", "--by", "colour"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--by «colour» không hợp lệ"), "{}", stderr(&bad));
}

#[tokio::test]
async fn text_and_csv_show_the_same_rounded_figures() {
    let db = loaded().await;
    let text = stdout(&sipas(&db, &["report", "--campaign", "hand"]));
    // A wide table prints in parts within the terminal, each part repeating
    // the unit's code and name: A's row is its lines across the parts.
    let a_line: String = text.lines().filter(|l| l.starts_with("A ")).collect::<Vec<_>>().join(" ");
    assert!(!a_line.is_empty(), "row of A");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "within the terminal");
    for figure in ["60.42", "75.00", "58.33", "62.50", "1.91", "63.56", "đạt", "chưa đạt"] {
        assert!(a_line.contains(figure), "{figure} missing in: {a_line}");
    }
    let csv = sipas(&db, &["report", "--campaign", "hand", "--format", "csv"]);
    let body = stdout(&csv);
    let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("csv");
    let a = rows.iter().find(|r| &r[0] == "A").expect("A");
    assert_eq!((&a[4], &a[5], &a[6], &a[7]), ("60.42", "75.00", "58.33", "62.50"));
}

#[tokio::test]
async fn xlsx_report_reads_back_with_calamine() {
    let db = loaded().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bao-cao.xlsx");
    let out = sipas(&db, &["report", "--campaign", "hand", "--format", "xlsx", "--out", path.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut book: Xlsx<_> = open_workbook(&path).expect("xlsx opens");
    assert_eq!(
        book.sheet_names(),
        vec!["Chỉ số", "Câu hỏi", "Lĩnh vực", "PAR", "Xếp hạng", "Lựa chọn", "Có – Không", "Số", "Ý kiến", "Mã hóa"]
    );
    // The codebook: a line per answer code, the same as the JSON report's.
    let codes = book.worksheet_range("Mã hóa").expect("codebook");
    let p2: Vec<(String, String)> = codes
        .rows()
        .filter(|r| r[1] == Data::String("P2".into()))
        .map(|r| (r[4].to_string(), r[5].to_string()))
        .collect();
    let json: serde_json::Value =
        serde_json::from_slice(&sipas(&db, &["report", "--campaign", "hand", "--format", "json"]).stdout)
            .expect("json");
    let in_json = json["codebook"].as_array().expect("codebook").iter().find(|q| q["code"] == "P2").expect("P2");
    let from_json: Vec<(String, String)> = in_json["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| {
            (a["code"].as_str().unwrap_or_default().to_owned(), a["label"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert!(!p2.is_empty() && p2 == from_json, "{p2:?} against {from_json:?}");
    let sheet = book.worksheet_range("Chỉ số").expect("sheet");
    // Under the title and the metadata rows.
    let header: Vec<String> = sheet
        .rows()
        .find(|r| r[0] == Data::String("Mã".into()))
        .expect("header")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(&header[..5], ["Mã", "Đơn vị", "Cách tính", "Số phiếu", "Chỉ số SIPAS (%)"]);
    let a = sheet.rows().find(|r| r[0] == Data::String("A".into())).expect("row A");
    assert_eq!(a[3], Data::Float(8.0));
    assert_eq!(a[4], Data::Float(60.42));
    let par = book.worksheet_range("PAR").expect("PAR");
    let crit = par.rows().find(|r| r[1] == Data::String("3.5".into())).expect("3.5");
    assert_eq!((crit[4].clone(), crit[5].clone()), (Data::Float(2.0), Data::Float(1.24)));
}

#[tokio::test]
async fn a_ballot_file_with_errors_names_every_bad_row_and_imports_nothing() {
    let db = TestDb::new().await;
    let campaign = fixture("report/campaign.toml");
    assert!(sipas(&db, &["campaign", "load", campaign.to_str().expect("path")]).status.success());
    let bad = fixture("report/bad-ballots.csv");
    let out = sipas(&db, &["responses", "import", "--campaign", "hand", bad.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for expected in [
        "dòng 2, cột «HL»: hãy chọn một mức từ 1 đến 5",
        "dòng 3, cột «unit»: đơn vị «Z» không có trong đợt khảo sát",
        "dòng 4, cột «submitted_at»: ngày «31/02/2026» không hợp lệ",
        "dòng 5, cột «P2»: câu này không thuộc phiếu của nhóm «citizens»",
        "dòng 6, cột «P2»: phương án «xx» không có trong câu hỏi",
        "không nhập dòng nào",
    ] {
        assert!(err.contains(expected), "missing «{expected}» in:\n{err}");
    }
    assert!(!err.contains("dòng 7"), "the good row is not reported: {err}");
    let r = report_json(&db, &[]);
    assert_eq!(r["totals"]["responses"], 0, "nothing imported");
}

#[tokio::test]
async fn export_is_anonymous_and_complete() {
    let db = loaded().await;
    let csv = sipas(&db, &["export", "--campaign", "hand", "--format", "csv"]);
    assert!(csv.status.success(), "{}", stderr(&csv));
    let body = stdout(&csv);
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some("\u{feff}unit,group,field,submitted_at,HL,HL1,TC1,HL4,KQ1,CT,SL,YK,P1,P2,P3"),
        "a BOM for Excel"
    );
    assert_eq!(lines.clone().count(), 10);
    // Keyed ballots are released like online answers, each batch dated by
    // its last day (a day of its own would tell the ballots of a batch apart).
    assert!(body.contains("A,citizens,F1,2026-10-03,4,3,4,5,5,a;b,3,,,,"), "{body}");
    assert!(
        body.contains("Gọi [số đã ẩn] để góp ý") && !body.contains("0912"),
        "comments masked in the export too: {body}"
    );
    let json = sipas(&db, &["export", "--campaign", "hand", "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_slice(&json.stdout).expect("json array");
    assert_eq!(rows.len(), 10);
    assert_eq!(rows.iter().filter(|r| r["answers"]["P2"] == "rt").count(), 1);
    let keys: Vec<&String> = rows[0].as_object().expect("object").keys().collect();
    assert_eq!(keys, ["answers", "field", "group", "submitted_at", "unit"]);
}

#[tokio::test]
async fn composite_par_index_with_areas_rank_band_and_change() {
    let db = loaded().await;
    let appraisal = fixture("report/appraisal.csv");
    let out = sipas(&db, &["par", "import-appraisal", "--campaign", "hand", appraisal.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Importing the same file again replaces, never doubles.
    assert!(
        sipas(&db, &["par", "import-appraisal", "--campaign", "hand", appraisal.to_str().expect("path")])
            .status
            .success()
    );
    let r = report_json(&db, &[]);
    let a = &unit(&r, "A")["par_index"];
    // Appraised 8.5 + 17.25 = 25.75 (the 3.5 row with no points is left to the survey);
    // survey 1.24 + 0.666… (criteria 3.5, 5.3); SIPAS-fed 10 × 60.41666… ÷ 100 = 6.041666…
    // Total 33.698333… of 30 + 3 + 10 = 43 → 78.368…% → band "Khá" (65–80); last year 40 → 84.25 %.
    assert_eq!(a["appraised_points"], 25.75);
    assert_eq!(a["survey_points"], 1.91);
    assert_eq!(a["sipas_points"], 6.04);
    assert_eq!(
        (a["points"].as_f64(), a["max_points"].as_f64(), a["pct"].as_f64()),
        (Some(33.7), Some(43.0), Some(78.37))
    );
    assert_eq!((a["band"].as_str(), a["rank"].as_u64()), (Some("Khá"), Some(2)));
    assert_eq!((a["last_year"].as_f64(), a["change_pct"].as_f64()), (Some(40.0), Some(84.25)));
    let area = a["areas"].as_array().expect("areas").iter().find(|x| x["area"] == "Cải cách TTHC").expect("area");
    // Cải cách TTHC: appraised 17.25 of 20, plus survey criterion 3.5 (1.24 of 2) = 18.49 of 22.
    assert_eq!((area["points"].as_f64(), area["max_points"].as_f64()), (Some(18.49), Some(22.0)));
    // B: 9 + 19 = 28, no delegates (3.5 and 5.3 count 0, flagged), SIPAS 75 → 7.5; 35.5 of 43 = 82.56 % → "Tốt", rank 1.
    let b = &unit(&r, "B")["par_index"];
    assert_eq!((b["pct"].as_f64(), b["band"].as_str(), b["rank"].as_u64()), (Some(82.56), Some("Tốt"), Some(1)));
    assert_eq!(b["incomplete"], serde_json::json!(["3.5", "5.3"]));
    assert!(unit(&r, "D").get("par_index").is_none(), "no appraisal for the district");
}

#[tokio::test]
async fn a_bad_appraisal_file_is_refused_row_by_row() {
    let db = loaded().await;
    let bad = fixture("report/bad-appraisal.csv");
    let out = sipas(&db, &["par", "import-appraisal", "--campaign", "hand", bad.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for expected in [
        "dòng 2, cột «appraised_points»: điểm 11 vượt điểm tối đa 10",
        "dòng 3, cột «unit»: đơn vị «Z» không có trong đợt khảo sát",
        "dòng 4, cột «appraised_points»: điểm «mười» không phải số không âm",
        "dòng 5, cột «criterion»: tiêu chí «1.1» của đơn vị «A» xuất hiện hai lần",
        "dòng 6, cột «criterion»: tiêu chí «5.3» được chấm qua điều tra xã hội học",
    ] {
        assert!(err.contains(expected), "missing «{expected}» in:\n{err}");
    }
    assert!(unit(&report_json(&db, &[]), "A").get("par_index").is_none(), "nothing imported");
}

#[tokio::test]
async fn demo_generate_is_reproducible_with_a_seed() {
    let mut reports = Vec::new();
    for _ in 0..2 {
        let db = TestDb::new().await;
        let example = common::example_campaign();
        assert!(sipas(&db, &["campaign", "load", example.to_str().expect("path")]).status.success());
        let out =
            sipas(&db, &["demo", "generate", "--campaign", "quang-binh-2026", "--responses", "2500", "--seed", "9"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).starts_with("Đã sinh 2500 phiếu giả lập (seed 9)"), "{}", stdout(&out));
        let out = sipas(&db, &["report", "--campaign", "quang-binh-2026", "--format", "json"]);
        let mut r: Value = serde_json::from_slice(&out.stdout).expect("json");
        r["generated_at"] = Value::Null;
        reports.push(r);
    }
    assert_eq!(reports[0], reports[1], "same seed, same data, same report");
    let r = &reports[0];
    assert_eq!(r["totals"]["responses"], 2500);
    assert_eq!(r["ignored_answers"], 0, "generated answers all fit the questionnaires");
    let sipas_index = r["totals"]["sipas"]["index"].as_f64().expect("index");
    assert!((50.0..95.0).contains(&sipas_index), "skewed towards satisfied, not saturated: {sipas_index}");
    let answered: i64 = r["units"]
        .as_array()
        .expect("units")
        .iter()
        .flat_map(|u| u["quota"].as_array().into_iter().flatten())
        .map(|q| q["answered"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(answered, 2500, "every generated response counts against its quota");
}

/// The paragraphs of a DOCX as text: the `w:t` runs of each `w:p`, joined.
fn docx_paragraphs(bytes: &[u8]) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a DOCX is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").expect("document.xml"), &mut xml)
        .expect("read");
    xml.split("</w:p>")
        .map(|p| {
            let mut out = String::new();
            for piece in p.split("<w:t").skip(1) {
                let Some(start) = piece.find('>') else { continue };
                let Some(end) = piece.find("</w:t>") else { continue };
                out.push_str(&piece[start + 1..end]);
            }
            out.replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// The written report: the national heading, one unit's figures and one
/// field's sentence, checked against the JSON report, in Vietnamese numbers.
#[tokio::test]
async fn the_written_report_matches_the_json_report() {
    let db = loaded().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bao-cao.docx");
    let out = sipas(&db, &["report", "--campaign", "hand", "--format", "docx", "--out", path.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let paragraphs = docx_paragraphs(&std::fs::read(&path).expect("docx"));
    assert!(paragraphs.iter().any(|p| p == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "{paragraphs:?}");
    assert!(paragraphs.iter().any(|p| p == "Độc lập - Tự do - Hạnh phúc"));
    assert!(paragraphs.iter().any(|p| p == "BÁO CÁO"));

    let json: Value = serde_json::from_slice(&sipas(&db, &["report", "--campaign", "hand", "--format", "json"]).stdout)
        .expect("json");
    let a = json["units"].as_array().expect("units").iter().find(|u| u["unit"] == "A").expect("A");
    let vn = |x: &Value| {
        let s = format!("{}", x.as_f64().expect("number"));
        s.trim_end_matches(".0").replace('.', ",")
    };
    let sipas_line = format!("Chỉ số SIPAS đạt {}%", vn(&a["sipas"]["index"]));
    assert_eq!(sipas_line, "Chỉ số SIPAS đạt 60,42%", "the hand-worked figure");
    assert!(paragraphs.iter().any(|p| p.contains(&sipas_line)), "{sipas_line} in {paragraphs:#?}");
    // The campaign's field F1, written out as the commune reports do, from the JSON figures.
    let f1 = json["totals"]["by_field"].as_array().expect("fields").iter().find(|f| f["field"] == "F1").expect("F1");
    let levels = ["rất không hài lòng", "không hài lòng", "bình thường", "hài lòng", "rất hài lòng"];
    let parts: Vec<String> =
        (0..5).rev().map(|i| format!("{} {} phiếu ({}%)", levels[i], f1["counts"][i], vn(&f1["pct"][i]))).collect();
    let sentence = format!("Lĩnh vực F1: tổng số {} phiếu, trong đó {}.", f1["n"], parts.join(", "));
    assert!(paragraphs.iter().any(|p| p == &sentence), "{sentence} in {paragraphs:#?}");
    // A's fields in one sentence: the share satisfied or very satisfied of each.
    let a1 = a["by_field"].as_array().expect("fields").iter().find(|f| f["field"] == "F1").expect("F1");
    let count = |i: usize| a1["counts"][i].as_u64().expect("count");
    assert_eq!((count(3) + count(4), a1["n"].as_u64()), (2, Some(3)), "the hand-worked cell");
    assert!(
        paragraphs.iter().any(|p| p.starts_with("Tỷ lệ hài lòng và rất hài lòng theo lĩnh vực: F1 66,67% (3 phiếu)")),
        "A's fields in {paragraphs:#?}"
    );
    // The comments, masked; the ranking with its caution.
    assert!(paragraphs.iter().any(|p| p == "– Gọi [số đã ẩn] để góp ý."), "{paragraphs:#?}");
    assert!(paragraphs.iter().any(|p| p.starts_with("Người trả lời gửi ") && p.contains(" ý kiến. Theo nội dung")));
    assert!(!paragraphs.iter().any(|p| p.contains("0912")));
    assert!(
        paragraphs.iter().any(|p| p.contains("chưa phân biệt được với đơn vị liền kề")),
        "A and B with n < 30 overlap"
    );
}

/// The written report carries the page's three charts as pictures.
#[tokio::test]
async fn the_written_report_carries_the_charts_as_pictures() {
    let db = loaded().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bao-cao.docx");
    let out = sipas(&db, &["report", "--campaign", "hand", "--format", "docx", "--out", path.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).expect("docx")).expect("zip");
    let pictures: Vec<String> = (0..zip.len())
        .filter_map(|i| zip.by_index(i).ok().and_then(|f| f.name().ok().map(std::borrow::Cow::into_owned)))
        .filter(|n| n.starts_with("word/media/") && n.ends_with(".png"))
        .collect();
    assert_eq!(pictures.len(), 3, "ranking, components, fields: {pictures:?}");
    for name in &pictures {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(name).expect("picture"), &mut bytes).expect("read");
        let img = image::load_from_memory(&bytes).expect("a picture that opens");
        assert!(img.width() >= 600 && img.height() >= 100, "{name}: {}×{}", img.width(), img.height());
        // Drawn, not blank: some pixels are neither white nor transparent.
        let inked = img.to_rgba8().pixels().filter(|p| p.0[3] > 0 && (p.0[0] < 200 || p.0[2] < 200)).count();
        assert!(inked > 1000, "{name}: {inked} inked pixels");
    }
}

/// This year against last year through a merger, on the hand-worked
/// fixture: last year's A (4 citizens, SIPAS 60,42) and B (2, 75,00) are
/// this year's AB. Last year's AB is the pooled A + B — the campaign's own
/// 65,00 — never the mean of 60,42 and 75,00 (67,71); this year AB answered
/// as A did: 60,42, down 4,58 points, within what sampling gives.
#[tokio::test]
async fn this_year_against_last_year_through_a_merger() {
    let db = loaded().await;
    let dir = tempfile::tempdir().expect("dir");
    let from = fixture("report/campaign.toml");
    let folder = from.parent().expect("dir");
    for name in ["sipas.toml", "par.toml"] {
        std::fs::copy(folder.join(name), dir.path().join(name)).expect("copy");
    }
    let text = std::fs::read_to_string(&from).expect("campaign");
    let merged = text
        .replace("id = \"hand\"", "id = \"hand-2027\"\nfollows = \"hand\"\nlineage_csv = \"lineage.csv\"")
        .replace("year = 2026", "year = 2027")
        .replace("2026-10-", "2027-10-")
        .replace("[[units]]\ncode = \"B\"\nname = \"Xã B\"\nkind = \"commune\"\nparent = \"D\"\n", "")
        .replace("code = \"A\"\nname = \"Xã A\"", "code = \"AB\"\nname = \"Xã AB\"");
    assert!(merged.contains("code = \"AB\"") && !merged.contains("Xã B\""), "{merged}");
    std::fs::write(dir.path().join("campaign.toml"), merged).expect("write");
    let act = "Nghị quyết 1680/NQ-UBTVQH15";
    std::fs::write(
        dir.path().join("lineage.csv"),
        format!("Mã đơn vị mới,Mã đơn vị cũ,Tên đơn vị cũ,Tỷ lệ,Văn bản\nAB,A,Xã A,,{act}\nAB,B,Xã B,,{act}\n"),
    )
    .expect("lineage");
    let ballots = std::fs::read_to_string(fixture("report/ballots.csv")).expect("ballots");
    let this_year: String = ballots
        .lines()
        .filter(|l| !l.starts_with("B,"))
        .map(|l| format!("{}\n", l.replacen("A,", "AB,", 1).replace("2026-10-", "2027-10-")))
        .collect();
    std::fs::write(dir.path().join("ballots.csv"), this_year).expect("ballots");
    // Both years appraised: last year A and B (78,37 % and 82,56 %, worked
    // out in composite_par_index_with_areas_rank_band_and_change), this year AB.
    std::fs::write(
        dir.path().join("appraisal.csv"),
        "unit,area,criterion,max_points,self_points,appraised_points\nAB,Chỉ đạo điều hành,1.1,10,10,\"9,5\"\nAB,Cải cách TTHC,3.1,20,19,18\n",
    )
    .expect("appraisal");
    let last_appraisal = fixture("report/appraisal.csv");
    for args in [
        vec!["campaign", "load", dir.path().join("campaign.toml").to_str().expect("path")],
        vec!["responses", "import", "--campaign", "hand-2027", dir.path().join("ballots.csv").to_str().expect("path")],
        vec!["par", "import-appraisal", "--campaign", "hand", last_appraisal.to_str().expect("path")],
        vec![
            "par",
            "import-appraisal",
            "--campaign",
            "hand-2027",
            dir.path().join("appraisal.csv").to_str().expect("path"),
        ],
    ] {
        let out = sipas(&db, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }

    let out = sipas(&db, &["report", "--campaign", "hand-2027", "--format", "json", "--compare", "hand"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let c = &json["comparison"];
    assert_eq!((c["previous"].as_str(), c["previous_year"].as_i64()), (Some("hand"), Some(2026)));
    let ab = c["units"].as_array().expect("units").iter().find(|u| u["unit"] == "AB").expect("AB");
    assert_eq!(ab["from"], serde_json::json!(["A", "B"]));
    assert_eq!(ab["from_names"], serde_json::json!(["Xã A", "Xã B"]));
    assert_eq!(ab["last_year_responses"].as_u64(), Some(10), "A's 8 and B's 2 answers, pooled");
    let s = &ab["sipas"];
    let num = |v: &Value| v.as_f64().expect("number");
    assert!((num(&s["this_year"]) - 60.42).abs() < 1e-9, "{s}");
    assert!((num(&s["last_year"]) - 65.0).abs() < 1e-9, "pooled A + B, not the mean of the two: {s}");
    assert!((num(&s["change"]) + 4.58).abs() < 1e-9, "the published figures' difference: {s}");
    // The test, from the two intervals the document gives.
    let half = |i: &Value| (num(&i[1]) - num(&i[0])) / (2.0 * 1.959964);
    let z = num(&s["change"]) / (half(&s["ci95_this_year"]).powi(2) + half(&s["ci95_last_year"]).powi(2)).sqrt();
    assert!((num(&s["z"]) - z).abs() < 1e-4 && z.abs() < 1.959964, "{s}");
    assert_eq!(s["beyond_chance"], false);
    // The delegates answered only in A last year: the PAR survey share is A's both years.
    assert!(num(&ab["par_survey"]["change"]).abs() < 1e-9, "{}", ab["par_survey"]);
    // PAR INDEX: last year's AB is the mean of A's 78,37 % and B's 82,56 %
    // as last year's report shows them (each appraised on its own):
    // 80,465 → 80,47; this year's is AB's own.
    let p = &ab["par_index"];
    let own =
        json["units"].as_array().expect("units").iter().find(|u| u["unit"] == "AB").expect("AB")["par_index"]["pct"]
            .as_f64()
            .expect("AB's PAR INDEX");
    assert!((num(&p["last_year"]) - 80.47).abs() < 1e-9, "{p}");
    assert!((num(&p["this_year"]) - own).abs() < 0.005, "{p}");
    assert!((num(&p["change"]) - ((own - 80.47) * 100.0).round() / 100.0).abs() < 1e-9, "{p}");
    assert_eq!(c["basis"], "responses");

    // The same in the workbook's table and the written report's sentence.
    let docx = dir.path().join("bc.docx");
    let out = sipas(
        &db,
        &[
            "report",
            "--campaign",
            "hand-2027",
            "--format",
            "docx",
            "--compare",
            "hand",
            "--out",
            docx.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let paragraphs = docx_paragraphs(&std::fs::read(&docx).expect("docx"));
    let sentence = "So với năm 2026 (Xã A, Xã B): Chỉ số SIPAS 60,42% so với 65%, giảm 4,58 điểm, trong mức dao động do chọn mẫu (kiểm định 95 %); PAR INDEX";
    assert!(paragraphs.iter().any(|p| p.starts_with(sentence) && p.contains("so với 80,47%")), "{paragraphs:#?}");
    assert!(paragraphs.iter().any(|p| p.starts_with("Năm trước tính lại từ phiếu trả lời")), "the basis, said");
    let text = stdout(&sipas(&db, &["report", "--campaign", "hand-2027", "--compare", "hand"]));
    assert!(text.contains("So với Đợt tính tay (năm 2026)") && text.contains("Xã A, Xã B"), "{text}");
    // On the page: a link from this year's report, then the table.
    let server = common::spawn_server(&db, &[]);
    let client = common::analyst(&db, &server.base).await;
    let page = client.get(format!("{}/reports/hand-2027", server.base)).send().await.expect("get");
    assert!(page.text().await.expect("page").contains("href=\"/reports/hand-2027?compare=hand\""));
    let page = client.get(format!("{}/reports/hand-2027?compare=hand", server.base)).send().await.expect("get");
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.expect("page");
    assert!(
        page.contains("So với Đợt tính tay (năm 2026)") && page.contains("download/report.xlsx?compare=hand"),
        "{page}"
    );
    // One group this year against the same group last year: A's 4 and B's 2 citizens.
    let citizens: Value = client
        .get(format!("{}/reports/hand-2027/download/report.json?compare=hand&group=citizens", server.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let ab = citizens["comparison"]["units"].as_array().expect("units").iter().find(|u| u["unit"] == "AB").expect("AB");
    assert_eq!(ab["last_year_responses"].as_u64(), Some(6), "{ab}");
    // A campaign that is not in the database is named, not guessed.
    let missing = sipas(&db, &["report", "--campaign", "hand-2027", "--compare", "hand-2020"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("hand-2020"), "{}", stderr(&missing));
}

/// A year not run in the product: last year's published unit figures
/// (`previous_figures_csv`) through the same merger. Last year's AB is the
/// mean of A's 60,42 % (8 answers) and B's 75,00 % (2), weighted by
/// answers: (8 × 60,42 + 2 × 75) ÷ 10 = 63,336 → 63,34; this year 60,42,
/// down 2,92, untested (the file gives no interval), and said to be so.
#[tokio::test]
async fn last_years_published_figures_when_last_year_was_not_run_here() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let from = fixture("report/campaign.toml");
    let folder = from.parent().expect("dir");
    for name in ["sipas.toml", "par.toml"] {
        std::fs::copy(folder.join(name), dir.path().join(name)).expect("copy");
    }
    let text = std::fs::read_to_string(&from).expect("campaign");
    let merged = text
        .replace(
            "id = \"hand\"",
            "id = \"hand-2027\"\nfollows = \"khao-sat-2026\"\nlineage_csv = \"lineage.csv\"\nprevious_figures_csv = \"ket-qua-2026.csv\"",
        )
        .replace("year = 2026", "year = 2027")
        .replace("2026-10-", "2027-10-")
        .replace("[[units]]\ncode = \"B\"\nname = \"Xã B\"\nkind = \"commune\"\nparent = \"D\"\n", "")
        .replace("code = \"A\"\nname = \"Xã A\"", "code = \"AB\"\nname = \"Xã AB\"");
    std::fs::write(dir.path().join("campaign.toml"), merged).expect("write");
    std::fs::write(
        dir.path().join("lineage.csv"),
        "Mã đơn vị mới,Mã đơn vị cũ,Tên đơn vị cũ,Tỷ lệ,Văn bản\nAB,A,Xã A,,NQ 1680\nAB,B,Xã B,,NQ 1680\n",
    )
    .expect("lineage");
    // As the office retypes last year's report: a title row, «;», decimal commas.
    let published = "KẾT QUẢ KHẢO SÁT NĂM 2026\n\
                     Mã đơn vị;Tên đơn vị;Số phiếu;SIPAS;Tiếp cận dịch vụ;PAR INDEX\n\
                     A;Xã A;8;60,42;55;78,37\n\
                     B;Xã B;2;75,00;70;82,56\n";
    std::fs::write(dir.path().join("ket-qua-2026.csv"), published).expect("figures");
    let ballots = std::fs::read_to_string(fixture("report/ballots.csv")).expect("ballots");
    let this_year: String = ballots
        .lines()
        .filter(|l| !l.starts_with("B,"))
        .map(|l| format!("{}\n", l.replacen("A,", "AB,", 1).replace("2026-10-", "2027-10-")))
        .collect();
    std::fs::write(dir.path().join("ballots.csv"), this_year).expect("ballots");
    for args in [
        vec!["campaign", "load", dir.path().join("campaign.toml").to_str().expect("path")],
        vec!["responses", "import", "--campaign", "hand-2027", dir.path().join("ballots.csv").to_str().expect("path")],
    ] {
        let out = sipas(&db, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let out = sipas(&db, &["report", "--campaign", "hand-2027", "--format", "json", "--compare", "khao-sat-2026"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let c = &json["comparison"];
    assert_eq!((c["basis"].as_str(), c["previous_year"].as_i64()), (Some("published"), Some(2026)));
    assert!(c["basis_note"].as_str().expect("note").contains("không kiểm định"), "{c}");
    let ab = c["units"].as_array().expect("units").iter().find(|u| u["unit"] == "AB").expect("AB");
    let num = |v: &Value| v.as_f64().expect("number");
    assert_eq!(ab["last_year_responses"].as_u64(), Some(10));
    let s = &ab["sipas"];
    assert!((num(&s["last_year"]) - 63.34).abs() < 1e-9, "{s}");
    assert!((num(&s["change"]) + 2.92).abs() < 1e-9, "{s}");
    assert!(s.get("z").is_none() && s.get("beyond_chance").is_none(), "no interval, no test: {s}");
    // A component by its name in the file: (8 × 55 + 2 × 70) ÷ 10 = 58.
    let acc =
        ab["components"].as_array().expect("components").iter().find(|x| x[0] == "Tiếp cận dịch vụ").expect("acc");
    assert!((num(&acc[1]["last_year"]) - 58.0).abs() < 1e-9, "{acc}");
    // PAR INDEX: the plain mean of the two published, (78,37 + 82,56) ÷ 2 = 80,465 → 80,47.
    assert!((num(&ab["par_index"]["last_year"]) - 80.47).abs() < 1e-9, "{}", ab["par_index"]);

    // An old unit the file does not list is refused, by line.
    std::fs::write(dir.path().join("ket-qua-2026.csv"), "Mã đơn vị;Số phiếu;SIPAS\nA;8;60,42\n").expect("figures");
    let out = sipas(&db, &["campaign", "load", dir.path().join("campaign.toml").to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("dòng 3, cột «Mã đơn vị cũ»: đơn vị cũ «B» không có trong tệp kết quả năm trước"),
        "{}",
        stderr(&out)
    );
}
