//! Bad campaign, questionnaire and unit files are refused with a message that
//! names the file, the line and the key a person must fix.

mod common;

use sipas_shared::{Campaign, SourceError};

fn load_error(case: &str) -> SourceError {
    Campaign::load(&common::fixture(&format!("campaigns/{case}/campaign.toml"))).expect_err("must be refused")
}

fn file_name(e: &SourceError) -> String {
    e.file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned()
}

#[test]
fn the_valid_fixture_loads_with_its_override() {
    let c = Campaign::load(&common::fixture("campaigns/valid/campaign.toml")).expect("valid");
    let quotas = c.quotas();
    assert_eq!(quotas.len(), 1, "only the commune (a leaf) carries the group");
    assert_eq!((quotas[0].unit.as_str(), quotas[0].quota), ("X1", 30));
}

#[test]
fn override_for_an_unknown_unit_names_its_line() {
    let e = load_error("unknown-override-unit");
    assert_eq!(file_name(&e), "campaign.toml");
    assert_eq!(e.line, Some(23));
    assert_eq!(e.key.as_deref(), Some("groups[0].overrides"));
    assert!(e.message.contains("X9"), "{e}");
}

#[test]
fn toml_syntax_error_names_its_line() {
    let e = load_error("syntax-error");
    assert_eq!(e.line, Some(20), "{e}");
    assert!(e.message.starts_with("lỗi cú pháp TOML"), "{e}");
}

#[test]
fn missing_quota_is_named() {
    let e = load_error("missing-quota");
    assert!(e.message.contains("thiếu mục bắt buộc") && e.message.contains("quota"), "{e}");
    assert!(e.line.is_some_and(|l| l >= 18), "{e}");
}

#[test]
fn bad_unit_kind_in_csv_names_csv_line_and_column() {
    let e = load_error("bad-unit-kind");
    assert_eq!(file_name(&e), "units.csv");
    assert_eq!(e.line, Some(3));
    assert_eq!(e.key.as_deref(), Some("kind"));
    assert!(e.message.contains("hamlet-ish"), "{e}");
}

#[test]
fn duplicate_question_code_points_at_the_second_one() {
    let e = load_error("duplicate-question");
    assert_eq!(file_name(&e), "q.toml");
    assert_eq!(e.key.as_deref(), Some("code"));
    assert!(e.message.contains("Q1") && e.message.contains("trùng"), "{e}");
    assert_eq!(e.line, Some(14), "the second declaration of Q1: {e}");
}

#[test]
fn skip_logic_may_only_look_back() {
    let e = load_error("skip-to-later-question");
    assert_eq!(file_name(&e), "q.toml");
    assert_eq!(e.key.as_deref(), Some("show_if.question"));
    assert_eq!(e.line, Some(9));
}

#[test]
fn a_criterion_needs_its_points() {
    let e = load_error("criterion-without-points");
    assert_eq!(e.key.as_deref(), Some("points"));
    assert!(e.message.contains("3.5"), "{e}");
}

#[test]
fn a_component_must_be_declared() {
    let e = load_error("unknown-component");
    assert_eq!(e.line, Some(19));
    assert!(e.message.contains("procedures"), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "{}, dòng 19, mục «component»: câu «TT1» thuộc thành phần «procedures» chưa khai báo trong [[components]]",
            e.file.display()
        )
    );
}

#[test]
fn a_missing_file_is_named() {
    let e = Campaign::load(&common::fixture("campaigns/nowhere/campaign.toml")).expect_err("missing");
    assert!(e.to_string().contains("nowhere") && e.message.contains("không đọc được tệp"), "{e}");
}

/// Words of the `toml` crate's English messages; none may reach a person.
const ENGLISH: &[&str] = &[
    "expected",
    "invalid",
    "missing",
    "unknown",
    "found",
    "string",
    "integer",
    "type",
    "variant",
    "field",
    "key",
    "value",
    "unexpected",
    "duplicate",
    "table",
    "array",
    "one of",
    "newline",
    "parse",
    "error",
    "such file",
];

/// A message with the names it quotes from the file («…») left out.
fn own_words(message: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in message.chars() {
        match c {
            '«' => depth += 1,
            '»' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.to_lowercase()
}

/// Every way an office has been seen to break a campaign file gives a
/// message wholly in Vietnamese, at the file, line and key at fault.
#[test]
fn every_toml_error_is_vietnamese_with_file_line_and_key() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::copy(common::fixture("campaigns/mini-q.toml"), dir.path().join("q.toml")).expect("copy q");
    let good = std::fs::read_to_string(common::fixture("campaigns/valid/campaign.toml"))
        .expect("valid")
        .replace("../mini-q.toml", "q.toml");
    // (what was done, the text, the line and key expected, words the message must hold)
    let cases: Vec<(&str, String, usize, Option<&str>, &str)> = vec![
        ("quota in quotes", good.replace("quota = 26", "quota = \"26\""), 22, Some("groups[0].quota"), "số nguyên"),
        ("negative quota", good.replace("quota = 26", "quota = -3"), 22, Some("groups[0].quota"), "không âm"),
        ("unknown key", good.replace("quota = 26", "quota = 26\nquotas = 4"), 23, Some("groups[0].quotas"), "quotas"),
        (
            "unknown kind",
            good.replace("kind = \"commune\"", "kind = \"village\""),
            15,
            Some("units[1].kind"),
            "village",
        ),
        ("text without quotes", good.replace("name = \"Đợt thử\"", "name = Đợt thử"), 2, Some("name"), "ngoặc kép"),
        ("unclosed string", good.replace("name = \"Xã 1\"", "name = \"Xã 1"), 14, Some("units[1].name"), "ngoặc"),
        ("two names", good.replace("year = 2026", "year = 2026\nyear = 2027"), 4, Some("year"), "hai lần"),
        ("decimal comma", good.replace("quota = 26", "quota = 26,5"), 22, Some("groups[0].quota"), ""),
        ("unclosed table", good.replace("[[groups]]", "[[groups]"), 18, Some("groups"), "ngoặc"),
        ("day as text", good.replace("opens = 2026-10-01", "opens = \"01/10/2026\""), 4, Some("opens"), ""),
        ("bad date", good.replace("opens = 2026-10-01", "opens = 2026-13-01"), 4, Some("opens"), ""),
        ("no groups key", good.replace("quota = 26\n", ""), 18, Some("groups[0]"), "quota"),
    ];
    let mut wrong = Vec::new();
    for (what, text, line, key, holds) in cases {
        let path = dir.path().join("campaign.toml");
        std::fs::write(&path, &text).expect("write");
        let e = Campaign::load(&path).expect_err(what);
        let words = own_words(&e.message);
        let english: Vec<&&str> = ENGLISH.iter().filter(|w| words.contains(**w)).collect();
        if file_name(&e) != "campaign.toml"
            || e.line != Some(line)
            || e.key.as_deref() != key
            || !e.message.contains(holds)
            || !english.is_empty()
        {
            wrong.push(format!("{what}: {e} (line {:?}, key {:?}, English {english:?})", e.line, e.key));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A questionnaire file that is not there is reported at the line of the
/// campaign file that names it, in Vietnamese.
#[test]
fn a_missing_questionnaire_is_reported_where_it_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let text = std::fs::read_to_string(common::fixture("campaigns/valid/campaign.toml"))
        .expect("valid")
        .replace("../mini-q.toml", "phieu-nguoi-dan.toml");
    let path = dir.path().join("campaign.toml");
    std::fs::write(&path, text).expect("write");
    let e = Campaign::load(&path).expect_err("missing questionnaire");
    assert_eq!(file_name(&e), "campaign.toml", "{e}");
    assert_eq!(e.line, Some(21), "{e}");
    assert_eq!(e.key.as_deref(), Some("groups[0].questionnaire"), "{e}");
    assert!(e.message.contains("phieu-nguoi-dan.toml") && e.message.contains("không có tệp này"), "{e}");
    assert!(!own_words(&e.message).contains("such file"), "{e}");
}
