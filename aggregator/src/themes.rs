//! Comments summarised for a written report: counted by theme (by the
//! words they use, the way an office codes them by hand) and a bounded
//! selection per unit, the same text said by several people given once
//! with how many said it. The full list stays on the page and in the
//! workbook.

use crate::answers::Comments;
use std::collections::BTreeMap;

/// The themes offices sort citizens' comments into, each with the words
/// (whole syllables, lower case) that place a comment in it. A comment may
/// fall in several themes, or in none ("khác").
pub const THEMES: [(&str, &[&str]); 6] = [
    (
        "Thời gian giải quyết, chờ đợi",
        &["chậm", "lâu", "trễ", "trễ hẹn", "quá hạn", "chờ", "chờ đợi", "thời gian", "nhanh", "rút ngắn"],
    ),
    (
        "Thái độ, tác phong của công chức",
        &[
            "thái độ",
            "nhiệt tình",
            "hướng dẫn",
            "hách dịch",
            "cửa quyền",
            "niềm nở",
            "lịch sự",
            "thân thiện",
            "tận tình",
            "gây khó",
        ],
    ),
    ("Thủ tục, hồ sơ, giấy tờ", &["thủ tục", "hồ sơ", "giấy tờ", "rườm rà", "phức tạp", "bổ sung", "đơn giản hóa"]),
    (
        "Cơ sở vật chất, nơi tiếp dân",
        &[
            "cơ sở vật chất",
            "ghế",
            "ghế ngồi",
            "chỗ ngồi",
            "phòng chờ",
            "chỗ để xe",
            "nhà vệ sinh",
            "máy lạnh",
            "quạt",
            "chật",
            "nước uống",
        ],
    ),
    (
        "Dịch vụ công trực tuyến, công nghệ",
        &["trực tuyến", "online", "mạng", "phần mềm", "ứng dụng", "vneid", "dịch vụ công", "điện tử", "cổng"],
    ),
    ("Phí, lệ phí, chi phí", &["phí", "lệ phí", "chi phí", "tiền", "bồi dưỡng"]),
];

/// What a comment in no theme is counted as.
pub const OTHER: &str = "Ý kiến khác";

/// The lower-case syllables of a text.
fn syllables(text: &str) -> Vec<String> {
    text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

/// Whether `words` holds `phrase`'s syllables one after another.
fn holds(words: &[String], phrase: &str) -> bool {
    let wanted: Vec<&str> = phrase.split(' ').collect();
    words.windows(wanted.len()).any(|w| w.iter().zip(&wanted).all(|(a, b)| a == b))
}

/// The themes a comment falls in, by index into [`THEMES`].
pub fn themes_of(text: &str) -> Vec<usize> {
    let words = syllables(text);
    THEMES.iter().enumerate().filter(|(_, (_, keys))| keys.iter().any(|k| holds(&words, k))).map(|(i, _)| i).collect()
}

/// Comments counted per theme, in [`THEMES`] order, then [`OTHER`]; themes
/// no comment falls in are left out.
pub fn by_theme<'a>(comments: impl IntoIterator<Item = &'a str>) -> Vec<(&'static str, u64)> {
    let mut counts = [0u64; THEMES.len() + 1];
    for c in comments {
        let themes = themes_of(c);
        if themes.is_empty() {
            counts[THEMES.len()] += 1;
        }
        for t in themes {
            counts[t] += 1;
        }
    }
    THEMES.iter().map(|(name, _)| *name).chain([OTHER]).zip(counts).filter(|(_, n)| *n > 0).collect()
}

/// One unit's comments for the written report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitComments {
    pub unit: String,
    /// Every comment of the unit.
    pub total: u64,
    /// At most the bound asked for: (text, how many wrote it), the most
    /// often said first, then the longest, then by text.
    pub selection: Vec<(String, u64)>,
}

/// Each unit's comments, at most `per_unit` distinct texts of each, in the
/// order of `units`.
pub fn per_unit(comments: &[Comments], units: &[&str], per_unit: usize) -> Vec<UnitComments> {
    let mut by_unit: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for c in comments {
        let texts = by_unit.entry(c.unit.as_str()).or_default();
        for t in &c.comments {
            *texts.entry(t.as_str()).or_default() += 1;
        }
    }
    units
        .iter()
        .filter_map(|u| {
            let texts = by_unit.remove(u)?;
            let total = texts.values().sum();
            let mut list: Vec<(&str, u64)> = texts.into_iter().collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.chars().count().cmp(&a.0.chars().count())).then(a.0.cmp(b.0)));
            list.truncate(per_unit);
            let selection = list.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
            Some(UnitComments { unit: (*u).to_owned(), total, selection })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_falls_in_the_themes_its_words_name() {
        assert_eq!(themes_of("Cần thêm ghế ngồi chờ"), vec![0, 3]);
        assert_eq!(themes_of("Nên rút ngắn thời gian trả kết quả"), vec![0]);
        assert_eq!(themes_of("Công chức hướng dẫn rất nhiệt tình"), vec![1]);
        assert_eq!(themes_of("Cổng dịch vụ công trực tuyến còn khó dùng"), vec![4]);
        // Whole syllables: "phía" is not "phí", "lâu đài" is still "lâu".
        assert_eq!(themes_of("Bãi xe phía sau"), Vec::<usize>::new());
        assert_eq!(themes_of("Lệ phí cao"), vec![5]);
    }

    #[test]
    fn counts_by_theme_keep_a_comment_in_every_theme_it_names_and_the_rest_as_other() {
        let comments = ["Cần thêm ghế ngồi chờ", "Chờ lâu", "Tốt", "Rất tốt"];
        assert_eq!(
            by_theme(comments),
            vec![("Thời gian giải quyết, chờ đợi", 2), ("Cơ sở vật chất, nơi tiếp dân", 1), (OTHER, 2)]
        );
    }

    #[test]
    fn a_unit_gives_its_most_said_comments_once_each_up_to_the_bound() {
        let c = |unit: &str, texts: &[&str]| Comments {
            unit: unit.into(),
            field: None,
            question: "Q".into(),
            comments: texts.iter().map(|t| (*t).to_owned()).collect(),
        };
        let all = [c("A", &["x", "long text", "x", "y"]), c("A", &["x"]), c("B", &["z"])];
        let out = per_unit(&all, &["B", "A", "C"], 2);
        assert_eq!(out.len(), 2, "C wrote nothing");
        assert_eq!(out[0], UnitComments { unit: "B".into(), total: 1, selection: vec![("z".into(), 1)] });
        assert_eq!(out[1].total, 5);
        assert_eq!(out[1].selection, vec![("x".into(), 3), ("long text".into(), 1)]);
    }
}
