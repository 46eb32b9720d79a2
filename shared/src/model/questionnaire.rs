//! Questionnaires: sections, questions, what each question measures, skip logic.
//!
//! Loaded from TOML (SPEC §4); stored as JSON beside the campaign.

use crate::model::Likert;
use crate::model::answer::{Answer, AnswerError, Answers};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// Column names a question code may not take, because the ballot CSV uses them.
pub const RESERVED_CODES: [&str; 4] = ["unit", "group", "field", "submitted_at"];

/// The default labels of the five-level scale (METHOD §2).
pub fn default_likert_labels() -> Vec<String> {
    ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"].map(String::from).to_vec()
}

/// English labels of the five-level scale.
pub fn default_likert_labels_en() -> Vec<String> {
    ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"].map(String::from).to_vec()
}

/// A questionnaire for one respondent group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub title_en: Option<String>,
    /// Who runs the survey, why, how long it takes, that it is anonymous.
    #[serde(default)]
    pub intro: Option<String>,
    #[serde(default)]
    pub intro_en: Option<String>,
    #[serde(default = "default_likert_labels")]
    pub likert_labels: Vec<String>,
    #[serde(default)]
    pub likert_labels_en: Option<Vec<String>>,
    /// SIPAS components measured by this questionnaire.
    #[serde(default)]
    pub components: Vec<Component>,
    /// PAR criteria scored from this questionnaire.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    pub sections: Vec<Section>,
}

/// A SIPAS component (METHOD §3), optionally in a part (policy making / service delivery).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(default)]
    pub part: Option<String>,
}

/// A PAR criterion scored from the survey (METHOD §4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub code: String,
    pub name: String,
    /// The PAR area the criterion belongs to.
    #[serde(default)]
    pub area: Option<String>,
    /// Maximum points of the criterion.
    pub points: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub title_en: Option<String>,
    pub questions: Vec<Question>,
}

/// The kinds of question of SPEC §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    Likert5,
    Single,
    Multi,
    Yesno,
    Number,
    Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub code: String,
    pub text: String,
    #[serde(default)]
    pub text_en: Option<String>,
    pub kind: QuestionKind,
    #[serde(default)]
    pub required: bool,
    /// The whole-service satisfaction question (METHOD §3, overall satisfaction).
    #[serde(default)]
    pub overall: bool,
    /// A quasi-identifier (the respondent profile: gender, age group, …):
    /// the export generalises these until every row is shared by k (SPEC §10).
    #[serde(default)]
    pub identifying: bool,
    /// The SIPAS component this question feeds.
    #[serde(default)]
    pub component: Option<String>,
    /// The PAR criterion this question feeds.
    #[serde(default)]
    pub criterion: Option<String>,
    /// The criterion's maximum points (may instead be declared in `[[criteria]]`).
    #[serde(default)]
    pub points: Option<Decimal>,
    #[serde(default)]
    pub options: Vec<Choice>,
    /// Per-level weights of a `likert5` question for PAR scoring; default (v − 1) ÷ 4.
    #[serde(default)]
    pub weights: Option<Vec<Decimal>>,
    /// Labels of the five levels for this question, if not the questionnaire's.
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default)]
    pub labels_en: Option<Vec<String>>,
    /// Offers "không biết / không trả lời", which counts as missing (METHOD §2).
    #[serde(default)]
    pub dont_know: bool,
    #[serde(default)]
    pub show_if: Option<Condition>,
    #[serde(default)]
    pub min: Option<Decimal>,
    #[serde(default)]
    pub max: Option<Decimal>,
    #[serde(default)]
    pub max_length: Option<usize>,
}

/// One option of a `single` or `multi` question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    pub label: String,
    #[serde(default)]
    pub label_en: Option<String>,
    /// Weight in [0, 1] for PAR scoring.
    #[serde(default)]
    pub weight: Option<Decimal>,
}

/// Show a question only when an earlier answer has one of the given values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub question: String,
    #[serde(default)]
    pub equals: Option<Scalar>,
    #[serde(default)]
    pub any_of: Vec<Scalar>,
}

/// A TOML scalar written in a condition: `equals = 4`, `equals = "a"`, `equals = true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Text(String),
}

impl Scalar {
    fn as_cell(&self) -> String {
        match self {
            Scalar::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// Default maximum length of a free-text answer, in characters.
pub const DEFAULT_TEXT_LIMIT: usize = 2000;

impl Question {
    /// A stored cell as a person reads it: the level's or option's label,
    /// «Có»/«Không», the number or the text; the cell itself when it names
    /// nothing the question knows.
    pub fn cell_label(&self, q: &Questionnaire, cell: &str) -> String {
        let option = |code: &str| {
            self.options.iter().find(|o| o.code == code).map_or_else(|| code.to_owned(), |o| o.label.clone())
        };
        match self.kind {
            QuestionKind::Likert5 if cell == "0" => "Không biết / không trả lời".to_owned(),
            QuestionKind::Likert5 => cell
                .parse::<usize>()
                .ok()
                .and_then(|l| self.level_labels(q, false).get(l.wrapping_sub(1)))
                .map_or_else(|| cell.to_owned(), |label| format!("{label} ({cell})")),
            QuestionKind::Single => option(cell),
            QuestionKind::Multi => cell.split(';').map(option).collect::<Vec<_>>().join("; "),
            QuestionKind::Yesno => match cell {
                "1" => "Có".to_owned(),
                "0" => "Không".to_owned(),
                other => other.to_owned(),
            },
            QuestionKind::Number | QuestionKind::Text => cell.to_owned(),
        }
    }

    /// The five labels of a `likert5` question.
    pub fn level_labels<'a>(&'a self, q: &'a Questionnaire, english: bool) -> &'a [String] {
        static DEFAULT_VI: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(default_likert_labels);
        static DEFAULT_EN: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(default_likert_labels_en);
        let vietnamese = self.labels.as_ref().unwrap_or(&q.likert_labels);
        if english {
            if let Some(l) = self.labels_en.as_ref().or(q.likert_labels_en.as_ref()) {
                return l;
            }
            // The default scale has its English words (before: Vietnamese on
            // an English page).
            if *vietnamese == *DEFAULT_VI {
                return &DEFAULT_EN;
            }
        }
        vietnamese
    }

    /// The weight in [0, 1] of an answer for PAR scoring; `None` for a missing
    /// or unweighted answer.
    pub fn weight(&self, answer: &Answer) -> Option<Decimal> {
        match answer {
            Answer::Likert(l) => match &self.weights {
                Some(w) => w.get(l.index()).copied(),
                None => Some(Decimal::from(l.get() - 1) / Decimal::from(4)),
            },
            Answer::YesNo(yes) => Some(if *yes { Decimal::ONE } else { Decimal::ZERO }),
            Answer::Choice(code) => self.options.iter().find(|o| &o.code == code).and_then(|o| o.weight),
            _ => None,
        }
    }

    /// Whether this question is shown, given the answers so far.
    pub fn is_shown(&self, answers: &Answers) -> bool {
        let Some(cond) = &self.show_if else { return true };
        let Some(given) = answers.get(&cond.question) else { return false };
        let wanted: Vec<String> = cond.equals.iter().chain(cond.any_of.iter()).map(Scalar::as_cell).collect();
        match given {
            Answer::Choices(list) => list.iter().any(|c| wanted.contains(c)),
            other => wanted.contains(&other.to_cell()),
        }
    }
}

/// An answer refused while checking a whole submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerIssue {
    /// The question code, or the unknown key that was sent.
    pub question: String,
    pub error: AnswerError,
}

impl Questionnaire {
    /// Every question, in order.
    /// About how many minutes answering takes, for slips and messages: five
    /// questions a minute (a rating is read and tapped in about 12 s), at
    /// least 2.
    pub fn minutes(&self) -> usize {
        self.questions().count().div_ceil(5).max(2)
    }

    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions().find(|q| q.code == code)
    }

    /// The declared maximum points of a criterion.
    pub fn criterion_points(&self, code: &str) -> Option<Decimal> {
        self.criteria
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.points)
            .or_else(|| self.questions().find(|q| q.criterion.as_deref() == Some(code)).and_then(|q| q.points))
    }

    /// Stored cells read back as answers, leaving out what no question of
    /// this questionnaire takes (for signals computed from the answers
    /// alone, such as straight-lining, whatever channel they came by).
    pub fn read_cells(&self, cells: &BTreeMap<String, String>) -> Answers {
        let mut answers = Answers::default();
        for (code, raw) in cells {
            if let Some(q) = self.question(code)
                && let Ok(Some(a)) = Answer::parse(q, raw)
            {
                answers.insert(code.clone(), a);
            }
        }
        answers
    }

    /// Checks a whole submission given as answer cells (SPEC §7 text form).
    ///
    /// Unknown questions and bad values are refused; a required question left
    /// empty is refused only when it is shown; an answer to a question that skip
    /// logic hides is dropped, never stored.
    ///
    /// # Errors
    /// Every faulty question, in questionnaire order (unknown keys last).
    pub fn check_answers(&self, cells: &BTreeMap<String, String>) -> Result<Answers, Vec<AnswerIssue>> {
        let mut issues = Vec::new();
        let mut answers = Answers::default();
        for q in self.questions() {
            let raw = cells.get(&q.code).map(String::as_str).unwrap_or("");
            let parsed = match Answer::parse(q, raw) {
                Ok(a) => a,
                Err(error) => {
                    issues.push(AnswerIssue { question: q.code.clone(), error });
                    continue;
                }
            };
            if !q.is_shown(&answers) {
                continue;
            }
            match parsed {
                Some(a) => answers.insert(q.code.clone(), a),
                None if q.required => {
                    issues.push(AnswerIssue { question: q.code.clone(), error: AnswerError::Required })
                }
                None => {}
            }
        }
        for key in cells.keys() {
            if self.question(key).is_none() {
                issues.push(AnswerIssue { question: key.clone(), error: AnswerError::UnknownQuestion });
            }
        }
        if issues.is_empty() { Ok(answers) } else { Err(issues) }
    }

    /// The most bytes one complete answer to this questionnaire can take
    /// where it waits sealed: every free text at its limit in the costliest
    /// characters (four bytes each: a character outside the BMP, or an
    /// escaped quote or line break; control characters are dropped), every
    /// other answer at its longest, each written twice (the answers, and the
    /// counts kept for the tallies) with its code and punctuation.
    pub fn worst_case_held_bytes(&self) -> usize {
        let mut total = 512;
        for q in self.questions() {
            let value = match q.kind {
                // Free text is not counted for the tallies: written once.
                QuestionKind::Text => {
                    total += q.code.len() + q.max_length.unwrap_or(DEFAULT_TEXT_LIMIT) * 4 + 8;
                    continue;
                }
                // Codes are written as typed, most plain ASCII: counted at
                // up to two bytes a character for any that need escaping.
                QuestionKind::Single => q.options.iter().map(|o| 2 * o.code.len()).max().unwrap_or(0),
                QuestionKind::Multi => q.options.iter().map(|o| 2 * o.code.len() + 1).sum::<usize>(),
                _ => 24,
            };
            total += 2 * (q.code.len() + value) + 16;
        }
        total
    }

    /// Semantic checks; on a fault returns (code to locate and which of its
    /// declarations, key, message).
    pub(crate) fn check(&self) -> Result<(), Locate> {
        let fail = |code: &str, key: &str, msg: String| Err((Some((code.to_owned(), 1)), key.to_owned(), msg));
        // Every answer waits sealed in blocks of one size, so that its size
        // cannot tell which released response it became (SPEC §10): the
        // longest answer the form takes must fit one block.
        if self.worst_case_held_bytes() > crate::model::response::HELD_SIZE - 4 {
            let longest = self.questions().filter(|q| q.kind == QuestionKind::Text).map(|q| q.code.clone()).next();
            let message = format!(
                "các câu trả lời tự do của phiếu cộng lại quá dài để niêm phong cùng một cỡ ({} byte tối đa): \
                 hãy đặt max_length nhỏ hơn cho các câu trả lời tự do",
                crate::model::response::HELD_SIZE
            );
            return match longest {
                Some(code) => fail(&code, "max_length", message),
                None => Err((None, "sections".into(), message)),
            };
        }
        if self.id.trim().is_empty() {
            return Err((None, "id".into(), "mã phiếu không được để trống".into()));
        }
        if self.likert_labels.len() != 5 {
            return Err((None, "likert_labels".into(), "thang 5 mức cần đúng 5 nhãn".into()));
        }
        if self.sections.is_empty() {
            return Err((None, "sections".into(), "phiếu cần ít nhất một phần (sections)".into()));
        }
        let components: BTreeSet<&str> = self.components.iter().map(|c| c.code.as_str()).collect();
        let declared: BTreeMap<&str, Decimal> = self.criteria.iter().map(|c| (c.code.as_str(), c.points)).collect();
        for c in &self.criteria {
            if c.points <= Decimal::ZERO {
                return fail(
                    &c.code,
                    "criteria.points",
                    format!("tiêu chí «{}» phải có điểm tối đa lớn hơn 0", c.code),
                );
            }
        }
        let mut seen: BTreeMap<&str, &Question> = BTreeMap::new();
        let mut criterion_points: BTreeMap<&str, Decimal> = BTreeMap::new();
        for section in &self.sections {
            if section.questions.is_empty() {
                return Err((None, "sections".into(), format!("phần «{}» không có câu hỏi nào", section.id)));
            }
            for q in &section.questions {
                let code = q.code.as_str();
                let valid = !code.is_empty()
                    && code.len() <= 32
                    && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
                if !valid || RESERVED_CODES.contains(&code) {
                    return fail(
                        code,
                        "code",
                        format!(
                            "mã câu hỏi «{code}» không hợp lệ (chữ cái không dấu, chữ số, '_', '.', '-'; không trùng tên cột unit/group/field/submitted_at)"
                        ),
                    );
                }
                if seen.contains_key(code) {
                    return Err((
                        Some((code.to_owned(), 2)),
                        "code".to_owned(),
                        format!("mã câu hỏi «{code}» bị trùng"),
                    ));
                }
                match q.kind {
                    QuestionKind::Single | QuestionKind::Multi => {
                        if q.options.len() < 2 {
                            return fail(code, "options", format!("câu «{code}» cần ít nhất 2 phương án"));
                        }
                        let mut codes = BTreeSet::new();
                        for o in &q.options {
                            if o.code.is_empty() || o.code.contains(';') || !codes.insert(o.code.as_str()) {
                                return fail(
                                    code,
                                    "options",
                                    format!("câu «{code}»: mã phương án «{}» trống, có dấu ';' hoặc bị trùng", o.code),
                                );
                            }
                            if let Some(w) = o.weight
                                && !(Decimal::ZERO..=Decimal::ONE).contains(&w)
                            {
                                return fail(
                                    code,
                                    "options.weight",
                                    format!("câu «{code}»: trọng số {w} phải nằm trong [0, 1]"),
                                );
                            }
                        }
                    }
                    _ if !q.options.is_empty() => {
                        return fail(
                            code,
                            "options",
                            format!("câu «{code}» loại {:?} không dùng phương án (options)", q.kind),
                        );
                    }
                    _ => {}
                }
                if q.kind != QuestionKind::Likert5 && (q.weights.is_some() || q.labels.is_some() || q.overall) {
                    return fail(
                        code,
                        "kind",
                        format!("câu «{code}»: weights, labels và overall chỉ dùng cho câu likert5"),
                    );
                }
                if let Some(w) = &q.weights
                    && (w.len() != 5 || w.iter().any(|x| !(Decimal::ZERO..=Decimal::ONE).contains(x)))
                {
                    return fail(code, "weights", format!("câu «{code}»: weights cần đúng 5 số trong [0, 1]"));
                }
                if q.labels.as_ref().is_some_and(|l| l.len() != 5) || q.labels_en.as_ref().is_some_and(|l| l.len() != 5)
                {
                    return fail(code, "labels", format!("câu «{code}»: labels cần đúng 5 nhãn"));
                }
                if let Some(comp) = &q.component {
                    if !components.contains(comp.as_str()) {
                        return fail(
                            code,
                            "component",
                            format!("câu «{code}» thuộc thành phần «{comp}» chưa khai báo trong [[components]]"),
                        );
                    }
                    if !matches!(q.kind, QuestionKind::Likert5 | QuestionKind::Yesno) {
                        return fail(
                            code,
                            "component",
                            format!("câu «{code}»: chỉ câu likert5 hoặc yesno mới đo thành phần SIPAS"),
                        );
                    }
                }
                if let Some(crit) = &q.criterion {
                    let points = match (declared.get(crit.as_str()), q.points) {
                        (Some(d), Some(p)) if *d != p => {
                            return fail(
                                code,
                                "points",
                                format!(
                                    "câu «{code}»: điểm {p} khác điểm tối đa {d} đã khai báo cho tiêu chí «{crit}»"
                                ),
                            );
                        }
                        (Some(d), _) => *d,
                        (None, Some(p)) => p,
                        (None, None) => {
                            return fail(
                                code,
                                "points",
                                format!("câu «{code}» gắn tiêu chí «{crit}» nhưng thiếu điểm tối đa (points)"),
                            );
                        }
                    };
                    if points <= Decimal::ZERO {
                        return fail(code, "points", format!("câu «{code}»: điểm tối đa phải lớn hơn 0"));
                    }
                    if let Some(prev) = criterion_points.insert(crit.as_str(), points)
                        && prev != points
                    {
                        return fail(
                            code,
                            "points",
                            format!("tiêu chí «{crit}» có điểm tối đa khác nhau giữa các câu ({prev} và {points})"),
                        );
                    }
                    let weighted = match q.kind {
                        QuestionKind::Likert5 | QuestionKind::Yesno => true,
                        QuestionKind::Single => q.options.iter().all(|o| o.weight.is_some()),
                        _ => false,
                    };
                    if !weighted {
                        return fail(
                            code,
                            "criterion",
                            format!(
                                "câu «{code}»: câu chấm điểm tiêu chí phải là likert5, yesno, hoặc single có trọng số (weight) cho mọi phương án"
                            ),
                        );
                    }
                } else if q.points.is_some() {
                    return fail(
                        code,
                        "points",
                        format!("câu «{code}» có points nhưng không gắn tiêu chí (criterion)"),
                    );
                }
                if let Some(cond) = &q.show_if {
                    let Some(target) = seen.get(cond.question.as_str()) else {
                        return fail(
                            code,
                            "show_if.question",
                            format!("câu «{code}» phụ thuộc câu «{}» không có hoặc không đứng trước nó", cond.question),
                        );
                    };
                    if cond.equals.is_none() && cond.any_of.is_empty() {
                        return fail(code, "show_if", format!("câu «{code}»: show_if cần equals hoặc any_of"));
                    }
                    for v in cond.equals.iter().chain(cond.any_of.iter()) {
                        let cell = v.as_cell();
                        let ok = match target.kind {
                            QuestionKind::Multi => target.options.iter().any(|o| o.code == cell),
                            _ => matches!(Answer::parse(target, &cell), Ok(Some(_))),
                        };
                        if !ok {
                            return fail(
                                code,
                                "show_if",
                                format!(
                                    "câu «{code}»: giá trị «{cell}» không phải một câu trả lời của câu «{}»",
                                    cond.question
                                ),
                            );
                        }
                    }
                }
                seen.insert(code, q);
            }
        }
        Ok(())
    }
}

/// A fault found by [`Questionnaire::check`]: where to look, the key, the message.
pub(crate) type Locate = (Option<(String, usize)>, String, String);

/// The line of the `nth` (1-based) `code = "<code>"`, to locate a question or criterion.
#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FORM: &str = r#"
id = "t"
title = "Thử"

[[components]]
code = "feedback"
name = "Góp ý"

[[criteria]]
code = "3.5"
name = "Công khai"
points = 2

[[sections]]
id = "a"
title = "A"

[[sections.questions]]
code = "HL"
kind = "likert5"
required = true
overall = true
text = "Chung"

[[sections.questions]]
code = "GY"
kind = "yesno"
required = true
text = "Có góp ý?"

[[sections.questions]]
code = "GY1"
kind = "likert5"
required = true
dont_know = true
component = "feedback"
show_if = { question = "GY", equals = true }
text = "Được trả lời kịp thời"

[[sections.questions]]
code = "D1"
kind = "single"
criterion = "3.5"
text = "Công khai"
options = [
  { code = "rt", label = "Rất tốt", weight = 1 },
  { code = "t", label = "Tốt", weight = 0.67 },
  { code = "k", label = "Kém", weight = 0 },
]

[[sections.questions]]
code = "N"
kind = "number"
min = 0
max = 60
text = "Số hồ sơ"
"#;

    fn form() -> Questionnaire {
        Questionnaire::from_toml(Path::new("t.toml"), FORM).expect("valid form")
    }

    fn cells(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn issues(pairs: &[(&str, &str)]) -> Vec<(String, AnswerError)> {
        form().check_answers(&cells(pairs)).expect_err("refused").into_iter().map(|i| (i.question, i.error)).collect()
    }

    #[test]
    fn a_stored_cell_reads_as_its_label() {
        let c = crate::files::examples::quang_binh().expect("example");
        let q = c.questionnaire_of("citizens").expect("citizens");
        let gender = q.questions().find(|x| x.kind == QuestionKind::Single).expect("a single-choice question");
        let first = &gender.options[0];
        assert_eq!(gender.cell_label(q, &first.code), first.label);
        let likert = q.questions().find(|x| x.kind == QuestionKind::Likert5).expect("a rating");
        assert_eq!(likert.cell_label(q, "5"), format!("{} (5)", likert.level_labels(q, false)[4]));
        assert_eq!(likert.cell_label(q, "0"), "Không biết / không trả lời");
        assert_eq!(likert.cell_label(q, "9"), "9", "what it does not know, as it is");
    }

    #[test]
    fn required_questions_count_only_when_shown() {
        let ok = form().check_answers(&cells(&[("HL", "4"), ("GY", "0")])).expect("GY1 hidden, so not required");
        assert_eq!(ok.len(), 2);
        assert_eq!(issues(&[("HL", "4"), ("GY", "1")]), vec![("GY1".to_owned(), AnswerError::Required)]);
        let shown =
            form().check_answers(&cells(&[("HL", "4"), ("GY", "có"), ("GY1", "kb")])).expect("don't know answers it");
        assert_eq!(shown.get("GY1"), Some(&Answer::DontKnow));
    }

    #[test]
    fn answers_to_hidden_questions_are_dropped() {
        let a = form().check_answers(&cells(&[("HL", "4"), ("GY", "0"), ("GY1", "5")])).expect("valid");
        assert!(a.get("GY1").is_none());
    }

    #[test]
    fn bad_values_and_unknown_questions_are_refused() {
        assert_eq!(
            issues(&[("HL", "6"), ("GY", "0"), ("D1", "zz"), ("N", "61"), ("X9", "1")]),
            vec![
                ("HL".to_owned(), AnswerError::OutOfScale),
                ("D1".to_owned(), AnswerError::UnknownOption("zz".into())),
                ("N".to_owned(), AnswerError::NumberOutOfRange("0".into(), "60".into())),
                ("X9".to_owned(), AnswerError::UnknownQuestion),
            ]
        );
    }

    #[test]
    fn weights_follow_the_method() {
        let f = form();
        let hl = f.question("HL").expect("HL");
        let likert = |v| Answer::Likert(crate::Likert::new(v).expect("level"));
        assert_eq!(hl.weight(&likert(1)), Some(Decimal::ZERO));
        assert_eq!(hl.weight(&likert(4)), Some(Decimal::new(75, 2)));
        assert_eq!(hl.weight(&Answer::DontKnow), None);
        let d1 = f.question("D1").expect("D1");
        assert_eq!(d1.weight(&Answer::Choice("t".into())), Some(Decimal::new(67, 2)));
        assert_eq!(f.criterion_points("3.5"), Some(Decimal::TWO));
    }

    #[test]
    fn duplicate_code_points_at_the_second_declaration() {
        let text = FORM.replace(r#"code = "N""#, r#"code = "HL""#);
        let e = Questionnaire::from_toml(Path::new("t.toml"), &text).expect_err("duplicate");
        let second = text.lines().enumerate().filter(|(_, l)| l.trim() == r#"code = "HL""#).nth(1).map(|(i, _)| i + 1);
        assert_eq!(e.line, second);
    }
}

#[cfg(test)]
mod held_size_tests {
    #[test]
    fn the_example_questionnaires_fit_one_sealed_block() {
        let district = crate::files::examples::quang_binh().expect("example");
        let province = crate::files::examples::province().expect("example");
        for q in district.questionnaires.iter().chain(&province.questionnaires) {
            let n = q.worst_case_held_bytes();
            eprintln!("{}: {n}", q.id);
            assert!(n <= crate::model::response::HELD_SIZE - 4, "{}: {n}", q.id);
        }
    }
}

impl Answer {
    /// Parses a cell for a question; `Ok(None)` for an empty cell.
    ///
    /// # Errors
    /// [`AnswerError`] for a value the question cannot take.
    pub fn parse(q: &Question, raw: &str) -> Result<Option<Answer>, AnswerError> {
        let cell = raw.trim();
        if cell.is_empty() {
            return Ok(None);
        }
        let answer = match q.kind {
            QuestionKind::Likert5 => {
                if q.dont_know && matches!(cell, "0" | "kb" | "KB") {
                    Answer::DontKnow
                } else {
                    let level = cell.parse::<u8>().ok().and_then(Likert::new).ok_or(AnswerError::OutOfScale)?;
                    Answer::Likert(level)
                }
            }
            QuestionKind::Single => {
                if cell.contains(';') {
                    return Err(AnswerError::OneOptionOnly);
                }
                Answer::Choice(known_option(q, cell)?)
            }
            QuestionKind::Multi => {
                let mut picked: Vec<String> = Vec::new();
                for part in cell.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    let code = known_option(q, part)?;
                    if !picked.contains(&code) {
                        picked.push(code);
                    }
                }
                // Keep questionnaire order so equal choices give equal cells.
                picked.sort_by_key(|c| q.options.iter().position(|o| &o.code == c));
                if picked.is_empty() {
                    return Ok(None);
                }
                Answer::Choices(picked)
            }
            QuestionKind::Yesno => match cell.to_lowercase().as_str() {
                "1" | "yes" | "có" | "co" | "true" | "x" => Answer::YesNo(true),
                "0" | "no" | "không" | "khong" | "false" => Answer::YesNo(false),
                _ => return Err(AnswerError::NotYesNo),
            },
            QuestionKind::Number => {
                let n = Decimal::from_str(&cell.replace(',', ".")).map_err(|_| AnswerError::NotANumber)?;
                let below = q.min.is_some_and(|m| n < m);
                let above = q.max.is_some_and(|m| n > m);
                if below || above {
                    let show = |d: Option<Decimal>| d.map_or_else(|| "…".to_owned(), |d| d.normalize().to_string());
                    return Err(AnswerError::NumberOutOfRange(show(q.min), show(q.max)));
                }
                Answer::Number(n.normalize())
            }
            QuestionKind::Text => {
                let limit = q.max_length.unwrap_or(DEFAULT_TEXT_LIMIT);
                if cell.chars().count() > limit {
                    return Err(AnswerError::TooLong(limit));
                }
                // Control characters carry nothing a person wrote (line breaks
                // and tabs aside), and would make an answer longer than the
                // sealed block its size is hidden in.
                Answer::Text(cell.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')).collect())
            }
        };
        Ok(Some(answer))
    }
}

fn known_option(q: &Question, code: &str) -> Result<String, AnswerError> {
    q.options
        .iter()
        .find(|o| o.code == code)
        .map(|o| o.code.clone())
        .ok_or_else(|| AnswerError::UnknownOption(code.to_owned()))
}
