//! The example campaign shipped in `examples/quang-binh`, embedded so that
//! `sipas serve --demo` works from any directory.

use crate::files::source::SourceError;
use crate::model::campaign::Campaign;
use std::path::Path;

/// The files of `examples/quang-binh`, by name.
pub const QUANG_BINH: [(&str, &str); 6] = [
    ("campaign.toml", include_str!("../../../examples/quang-binh/campaign.toml")),
    ("units.csv", include_str!("../../../examples/quang-binh/units.csv")),
    ("procedure-fields.csv", include_str!("../../../examples/quang-binh/procedure-fields.csv")),
    ("sipas-citizens.toml", include_str!("../../../examples/quang-binh/sipas-citizens.toml")),
    ("par-delegates.toml", include_str!("../../../examples/quang-binh/par-delegates.toml")),
    ("par-civil-servants.toml", include_str!("../../../examples/quang-binh/par-civil-servants.toml")),
];

/// The files of `examples/province-2026`, by name (the household lists of
/// two communes stay on disk: a demo draws no household).
pub const PROVINCE: [(&str, &str); 8] = [
    ("campaign.toml", include_str!("../../../examples/province-2026/campaign.toml")),
    ("units.csv", include_str!("../../../examples/province-2026/units.csv")),
    ("procedure-fields.csv", include_str!("../../../examples/province-2026/procedure-fields.csv")),
    ("sipas-citizens.toml", include_str!("../../../examples/province-2026/sipas-citizens.toml")),
    ("sipas-households.toml", include_str!("../../../examples/province-2026/sipas-households.toml")),
    ("par-delegates.toml", include_str!("../../../examples/province-2026/par-delegates.toml")),
    ("par-civil-servants.toml", include_str!("../../../examples/province-2026/par-civil-servants.toml")),
    ("villages.csv", include_str!("../../../examples/province-2026/villages.csv")),
];

/// The 2026 province campaign: 100 communes, wards and special zones and 8
/// departments, with a household sample of 3 villages × 10 households a commune.
///
/// # Errors
/// Only if the embedded files are broken, which the tests rule out.
pub fn province() -> Result<Campaign, SourceError> {
    load_embedded(&PROVINCE, "examples/province-2026/campaign.toml")
}

/// The province's village list, as `sipas villages import` reads it.
pub fn province_villages() -> &'static str {
    PROVINCE[7].1
}

fn load_embedded(files: &'static [(&'static str, &'static str)], path: &str) -> Result<Campaign, SourceError> {
    let read = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| (*text).to_owned())
            .ok_or_else(|| SourceError::new(p, "tệp không có trong bộ ví dụ"))
    };
    Campaign::load_with(Path::new(path), &read)
}

/// The example district campaign: 15 communes, 15 delegates + 5 civil servants
/// + 26 citizens each.
///
/// # Errors
/// Only if the embedded files are broken, which the tests rule out.
pub fn quang_binh() -> Result<Campaign, SourceError> {
    load_embedded(&QUANG_BINH, "examples/quang-binh/campaign.toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_example_matches_the_files_on_disk() {
        let embedded = quang_binh().expect("embedded example loads");
        let on_disk =
            Campaign::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quang-binh/campaign.toml"))
                .expect("example loads");
        assert_eq!(embedded.questionnaires, on_disk.questionnaires);
        assert_eq!(embedded.units, on_disk.units);
    }

    #[test]
    fn embedded_province_matches_the_files_on_disk() {
        let embedded = province().expect("embedded province loads");
        let on_disk =
            Campaign::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/province-2026/campaign.toml"))
                .expect("province loads");
        assert_eq!(embedded.questionnaires, on_disk.questionnaires);
        assert_eq!(embedded.units, on_disk.units);
        let quotas = embedded.quotas();
        let by_group = |g: &str| quotas.iter().filter(|q| q.group == g).map(|q| q.quota).sum::<u32>();
        assert_eq!(
            (by_group("citizens"), by_group("households"), by_group("delegates"), by_group("officials")),
            (2_160, 3_000, 1_000, 800)
        );
        let communes = embedded
            .units
            .iter()
            .filter(|u| embedded.quotas().iter().any(|q| q.unit == u.code && q.group == "households"))
            .count();
        assert_eq!(communes, 100);
    }

    #[test]
    fn example_has_690_ballots_over_15_communes() {
        let c = quang_binh().expect("loads");
        let quotas = c.quotas();
        assert_eq!(quotas.len(), 45, "15 communes × 3 groups");
        let total: u32 = quotas.iter().map(|q| q.quota).sum();
        assert_eq!(total, 690);
        let by_group = |g: &str| quotas.iter().filter(|q| q.group == g).map(|q| q.quota).sum::<u32>();
        assert_eq!((by_group("delegates"), by_group("civil-servants"), by_group("citizens")), (225, 75, 390));
        assert!(quotas.iter().all(|q| q.unit.as_str() != "QB"), "the district itself carries no quota");
        assert_eq!(c.fields.len(), 4);
        assert_eq!(c.field_of("đăng ký khai sinh "), Some("Tư pháp – Hộ tịch"));
    }

    #[test]
    fn sipas_questionnaire_follows_the_method() {
        let c = quang_binh().expect("loads");
        let q = c.questionnaire_of("citizens").expect("citizens answer the SIPAS form");
        assert_eq!(q.components.len(), 5);
        assert_eq!(q.questions().filter(|x| x.overall).count(), 1);
        for comp in &q.components {
            let n = q.questions().filter(|x| x.component.as_deref() == Some(comp.code.as_str())).count();
            assert!(n >= 4, "component {} has {n} questions", comp.code);
        }
        let criteria = q.questions().filter(|x| x.component.is_some()).count() - 5;
        assert!((18..=22).contains(&criteria), "about 20 service-quality criteria, got {criteria}");
        let par = c.questionnaire_of("delegates").expect("delegates");
        assert!(par.questions().filter(|x| x.criterion.is_some()).count() >= 8);
    }

    #[test]
    fn each_questionnaire_says_how_many_questions_it_has() {
        // Before: «khoảng 30 câu» for the citizens' 35.
        let c = quang_binh().expect("example");
        for q in &c.questionnaires {
            let n = q.questions().count();
            let intro = q.intro.as_deref().unwrap_or_default();
            assert!(intro.contains(&format!("có {n} câu")), "{}: {n} questions, intro «{intro}»", q.id);
        }
    }
}
