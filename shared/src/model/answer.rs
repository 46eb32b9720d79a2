//! Answers, in one canonical text form shared by web forms, ballot CSV and storage.
//!
//! A cell is what SPEC §7 puts in a ballot column: a Likert level `1`–`5`, an
//! option code, `;`-separated option codes, `1`/`0` for yes/no, a decimal number
//! or free text. The empty cell is "not answered".

use crate::model::Likert;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// One checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Likert(Likert),
    /// "Không biết / không trả lời": answered, but missing for every index.
    DontKnow,
    Choice(String),
    Choices(Vec<String>),
    YesNo(bool),
    Number(Decimal),
    Text(String),
}

/// Why an answer was refused; the message is shown beside the question.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("câu này bắt buộc trả lời")]
    Required,
    #[error("câu hỏi không có trong phiếu")]
    UnknownQuestion,
    #[error("hãy chọn một mức từ 1 đến 5")]
    OutOfScale,
    #[error("phương án «{0}» không có trong câu hỏi")]
    UnknownOption(String),
    #[error("chỉ được chọn một phương án")]
    OneOptionOnly,
    #[error("hãy trả lời Có hoặc Không")]
    NotYesNo,
    #[error("hãy nhập một số")]
    NotANumber,
    #[error("số phải nằm trong khoảng {0} – {1}")]
    NumberOutOfRange(String, String),
    #[error("câu trả lời dài quá {0} ký tự")]
    TooLong(usize),
}

impl Answer {
    /// The canonical cell text.
    pub fn to_cell(&self) -> String {
        match self {
            Answer::Likert(l) => l.to_string(),
            Answer::DontKnow => "0".to_owned(),
            Answer::Choice(c) => c.clone(),
            Answer::Choices(cs) => cs.join(";"),
            Answer::YesNo(b) => if *b { "1" } else { "0" }.to_owned(),
            Answer::Number(n) => n.to_string(),
            Answer::Text(t) => t.clone(),
        }
    }

    /// The Likert level, if this is one.
    pub fn likert(&self) -> Option<Likert> {
        match self {
            Answer::Likert(l) => Some(*l),
            _ => None,
        }
    }
}

/// The checked answers of one response, by question code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers(BTreeMap<String, Answer>);

impl Answers {
    pub fn get(&self, code: &str) -> Option<&Answer> {
        self.0.get(code)
    }

    pub fn insert(&mut self, code: String, answer: Answer) {
        self.0.insert(code, answer);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Answer)> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every rating the same, over at least five rating questions: a sign the
    /// questionnaire was clicked through rather than read.
    pub fn straight_lined(&self) -> bool {
        let mut ratings = self.0.values().filter_map(|a| match a {
            Answer::Likert(l) => Some(l.get()),
            _ => None,
        });
        let Some(first) = ratings.next() else { return false };
        let mut n = 1;
        for r in ratings {
            if r != first {
                return false;
            }
            n += 1;
        }
        n >= 5
    }

    /// The answers as cells, the form they are stored in.
    pub fn to_cells(&self) -> BTreeMap<String, String> {
        self.0.iter().map(|(k, v)| (k.clone(), v.to_cell())).collect()
    }
}

impl Serialize for Answers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_cells().serialize(s)
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::model::questionnaire::Questionnaire;
    use proptest::prelude::*;
    use std::path::Path;

    fn form() -> Questionnaire {
        let text = r#"
id = "p"
title = "P"
[[sections]]
id = "a"
title = "A"
[[sections.questions]]
code = "L"
kind = "likert5"
dont_know = true
text = "L"
[[sections.questions]]
code = "M"
kind = "multi"
text = "M"
options = [ { code = "a", label = "A" }, { code = "b", label = "B" }, { code = "c", label = "C" } ]
[[sections.questions]]
code = "N"
kind = "number"
min = 0
max = 60
text = "N"
"#;
        Questionnaire::from_toml(Path::new("p.toml"), text).expect("form")
    }

    proptest! {
        /// A stored cell reads back as the same answer: parse ∘ to_cell is the identity.
        #[test]
        fn cells_round_trip(raw in "[0-9a-c;., kb-]{0,8}") {
            let f = form();
            for q in f.questions() {
                if let Ok(Some(a)) = Answer::parse(q, &raw) {
                    prop_assert_eq!(Answer::parse(q, &a.to_cell()), Ok(Some(a.clone())));
                }
            }
        }
    }
}
