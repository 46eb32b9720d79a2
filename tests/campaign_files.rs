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
