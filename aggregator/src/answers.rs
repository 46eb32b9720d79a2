//! Every question that is not on the five-level scale, reported as SPEC §8
//! asks: `single` and `multi` as the count and share choosing each option,
//! `yesno` as counts and the share saying yes, `number` as n, mean and
//! median, and `text` as comments compiled per unit and field with phone
//! numbers, ID numbers and e-mail addresses masked.

use crate::stats::{Shown, pct};
use crate::tally::Cell;
use rust_decimal::Decimal;
use serde::Serialize;
use sipas_shared::model::campaign::Campaign;
use sipas_shared::model::questionnaire::QuestionKind;
use std::collections::BTreeMap;

/// One free-text answer: (unit, group, field, question, text).
pub type TextAnswer = (String, String, Option<String>, String, String);

/// One option of a `single` or `multi` question.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OptionShare {
    pub code: String,
    pub label: String,
    pub count: u64,
    /// Share of the respondents who answered the question (for `multi` the
    /// shares add up to more than 100).
    #[schema(value_type = Option<f64>)]
    pub pct: Option<Shown>,
}

/// The answers to one question of a set of responses.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AnswerSummary {
    pub questionnaire: String,
    pub question: String,
    pub text: String,
    /// `single`, `multi`, `yesno` or `number`.
    pub kind: &'static str,
    /// Respondents who answered (a "don't know" is not counted here).
    pub n: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionShare>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub yes_pct: Option<Shown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub mean: Option<Shown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub median: Option<Shown>,
    #[serde(skip_serializing_if = "is_zero")]
    pub dont_know: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The median of counted values: the middle one, or the mean of the two
/// middle ones when n is even.
pub fn median(values: &BTreeMap<Decimal, u64>) -> Option<Decimal> {
    let n: u64 = values.values().sum();
    if n == 0 {
        return None;
    }
    // 1-based ranks of the middle value(s).
    let (lo, hi) = (n.div_ceil(2), n / 2 + 1);
    let mut seen = 0;
    let (mut at_lo, mut at_hi) = (None, None);
    for (v, c) in values {
        seen += c;
        if at_lo.is_none() && seen >= lo {
            at_lo = Some(*v);
        }
        if seen >= hi {
            at_hi = Some(*v);
            break;
        }
    }
    let (a, b) = (at_lo?, at_hi?);
    Some(if n % 2 == 1 { a } else { (a + b) / Decimal::TWO })
}

/// The questions off the five-level scale, of cells pooled per questionnaire.
pub fn summaries(campaign: &Campaign, pooled: &BTreeMap<usize, Cell>) -> Vec<AnswerSummary> {
    let mut out = Vec::new();
    for (qi, cell) in pooled {
        let q = &campaign.questionnaires[*qi];
        for (question, t) in q.questions().zip(&cell.questions) {
            let kind = match question.kind {
                QuestionKind::Single => "single",
                QuestionKind::Multi => "multi",
                QuestionKind::Yesno => "yesno",
                QuestionKind::Number => "number",
                QuestionKind::Likert5 | QuestionKind::Text => continue,
            };
            let mut s = AnswerSummary {
                questionnaire: q.id.clone(),
                question: question.code.clone(),
                text: question.text.clone(),
                kind,
                n: 0,
                options: Vec::new(),
                yes: None,
                no: None,
                yes_pct: None,
                mean: None,
                median: None,
                dont_know: t.dont_know,
            };
            match question.kind {
                QuestionKind::Single | QuestionKind::Multi => {
                    s.n = t.chose;
                    s.options = question
                        .options
                        .iter()
                        .map(|o| {
                            let count = t.options.get(&o.code).copied().unwrap_or_default();
                            OptionShare {
                                code: o.code.clone(),
                                label: o.label.clone(),
                                count,
                                pct: pct(count, t.chose).map(Shown),
                            }
                        })
                        .collect();
                }
                QuestionKind::Yesno => {
                    s.n = t.yes + t.no;
                    (s.yes, s.no) = (Some(t.yes), Some(t.no));
                    s.yes_pct = pct(t.yes, s.n).map(Shown);
                }
                QuestionKind::Number => {
                    s.n = t.numbers.values().sum();
                    let total: Decimal = t.numbers.iter().map(|(v, c)| *v * Decimal::from(*c)).sum();
                    s.mean = (s.n > 0).then(|| Shown(total / Decimal::from(s.n)));
                    s.median = median(&t.numbers).map(Shown);
                }
                QuestionKind::Likert5 | QuestionKind::Text => {}
            }
            out.push(s);
        }
    }
    out
}

/// The options most chosen across the multiple-choice questions (what
/// respondents ask to improve first): (label, times chosen, share), the
/// most chosen first, at most `n`.
pub fn top_choices(answers: &[AnswerSummary], n: usize) -> Vec<(String, u64, Option<Shown>)> {
    let mut out: Vec<(String, u64, Option<Shown>)> = answers
        .iter()
        .filter(|a| a.kind == "multi" && a.n > 0)
        .flat_map(|a| a.options.iter().map(|o| (o.label.clone(), o.count, o.pct)))
        .collect();
    out.sort_by_key(|o| std::cmp::Reverse(o.1));
    out.truncate(n);
    out
}

/// Comments to one free-text question from one unit and field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Comments {
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub question: String,
    /// Each comment as written, with phone numbers, ID numbers and e-mail
    /// addresses replaced by a mark.
    pub comments: Vec<String>,
}

/// Text answers (unit, group, field, question, text) compiled per unit,
/// field and question, masked.
pub fn compile(rows: Vec<TextAnswer>) -> Vec<Comments> {
    let mut by: BTreeMap<(String, Option<String>, String), Vec<String>> = BTreeMap::new();
    for (unit, _group, field, question, text) in rows {
        by.entry((unit, field, question)).or_default().push(mask(text.trim()));
    }
    // Sorted: the order says nothing of who wrote first, and the same answers
    // give the same report.
    by.into_iter()
        .map(|((unit, field, question), mut comments)| {
            comments.sort();
            Comments { unit, field, question, comments }
        })
        .collect()
}

/// What stands in for a masked number or address.
pub const MASKED_NUMBER: &str = "[số đã ẩn]";
pub const MASKED_EMAIL: &str = "[email đã ẩn]";

/// Masks what could name a person in a comment: runs of 8 or more digits
/// (phone numbers, 9- and 12-digit ID numbers, written with spaces, dots or
/// dashes between groups, or after `+84`) and e-mail addresses.
pub fn mask(text: &str) -> String {
    let words: Vec<String> = text
        .split(' ')
        .map(|w| {
            let (core, tail) = w.split_at(w.trim_end_matches([',', '.', ';', ')', '!', '?']).len());
            if core.contains('@') && core.split('@').all(|p| !p.is_empty()) && core.contains('.') {
                format!("{MASKED_EMAIL}{tail}")
            } else {
                w.to_owned()
            }
        })
        .collect();
    let text = words.join(" ");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            // The longest run of digits with single separators between them.
            let mut j = i + usize::from(chars[i] == '+');
            let (mut digits, mut end) = (0, j);
            while j < chars.len() {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    j += 1;
                    end = j;
                } else if matches!(chars[j], ' ' | '.' | '-') && chars.get(j + 1).is_some_and(char::is_ascii_digit) {
                    j += 1;
                } else {
                    break;
                }
            }
            if digits >= 8 {
                out.push_str(MASKED_NUMBER);
            } else {
                out.extend(&chars[i..end]);
            }
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(n: i64) -> Decimal {
        Decimal::from(n)
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let odd = BTreeMap::from([(dec(1), 2), (dec(5), 1)]);
        assert_eq!(median(&odd), Some(dec(1)));
        let even = BTreeMap::from([(dec(1), 1), (dec(2), 1), (dec(10), 2)]);
        assert_eq!(median(&even), Some(dec(6)), "(2 + 10) / 2");
        assert_eq!(median(&BTreeMap::new()), None);
    }

    #[test]
    fn phones_ids_and_emails_are_masked_and_the_rest_kept() {
        assert_eq!(mask("Gọi 0912 345 678 nhé"), "Gọi [số đã ẩn] nhé");
        assert_eq!(mask("sđt +84912345678."), "sđt [số đã ẩn].");
        assert_eq!(mask("CCCD 001203004567, cảm ơn"), "CCCD [số đã ẩn], cảm ơn");
        assert_eq!(mask("CMND 123.456.789"), "CMND [số đã ẩn]");
        assert_eq!(mask("thư: lan.nguyen@example.vn."), "thư: [email đã ẩn].");
        assert_eq!(mask("chờ 45 phút, 2 lần, năm 2026"), "chờ 45 phút, 2 lần, năm 2026");
        assert_eq!(mask("ngày 01/12/2026"), "ngày 01/12/2026", "a date as people write it is kept");
    }
}
