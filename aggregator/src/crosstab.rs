//! Breakdowns by the answer to a question (`--by question:GT`,
//! `--by unit,question:GT`), counted from the answers kept column by column
//! (`sipas_shared::store::columns`): one pass over small integers per
//! chunk, each distinct answer parsed once per chunk, never once per
//! response.
//!
//! The result is an [`Aggregate`] whose cells carry, where the field would
//! be, the label of the answer given to the question, so every index and
//! table of the report is computed for each answer exactly as for a field.

use crate::tally::{Aggregate, Cell, CellKey};
use sipas_shared::Answer;
use sipas_shared::model::campaign::Campaign;
use sipas_shared::model::questionnaire::{Question, QuestionKind, default_likert_labels};
use sipas_shared::store::AnswerChunk;
use sipas_shared::store::columns::{self, ChunkError, Decoded};
use std::collections::BTreeMap;

/// A cell as chunks name it: (unit, group, field).
type CellRef<'a> = (&'a str, &'a str, Option<&'a str>);

/// A cell's chunks, each with its sign.
type CellParts<'a> = Vec<(i64, &'a [u8])>;

/// The chunks grouped by the cell they belong to.
pub(crate) fn by_cell(chunks: &[AnswerChunk]) -> BTreeMap<CellRef<'_>, CellParts<'_>> {
    let mut out: BTreeMap<CellRef<'_>, CellParts<'_>> = BTreeMap::new();
    for (unit, group, field, sign, body) in chunks {
        out.entry((unit, group, field.as_deref())).or_default().push((*sign, body));
    }
    out
}

/// A cell's chunks decoded (the questions `keep` takes); a cell with an
/// exclusion (a −1 chunk) is folded first, so every count adds.
pub(crate) fn decode_cell(parts: &[(i64, &[u8])], keep: &dyn Fn(&str) -> bool) -> Result<Vec<Decoded>, ChunkError> {
    if parts.iter().any(|(s, _)| *s < 0) {
        return Ok(vec![columns::decode_only(&columns::encode(&columns::merge(parts)?), keep)?]);
    }
    parts.iter().map(|(_, b)| columns::decode_only(b, keep)).collect()
}

/// The label a breakdown row shows for those who did not answer the question.
pub const NOT_ANSWERED: &str = "Không trả lời";

/// Whether `question` can break a report down: one answer per respondent,
/// from a short list.
pub fn can_break_down(q: &Question) -> bool {
    matches!(q.kind, QuestionKind::Single | QuestionKind::Yesno | QuestionKind::Likert5)
}

/// How a breakdown row names an answer.
pub fn label(q: &Question, answer: Option<&Answer>) -> String {
    match answer {
        None => NOT_ANSWERED.to_owned(),
        Some(Answer::DontKnow) => "Không biết".to_owned(),
        Some(Answer::YesNo(true)) => "Có".to_owned(),
        Some(Answer::YesNo(false)) => "Không".to_owned(),
        Some(Answer::Choice(c)) => {
            q.options.iter().find(|o| &o.code == c).map_or_else(|| c.clone(), |o| o.label.clone())
        }
        Some(Answer::Likert(l)) => {
            let labels = q.labels.clone().unwrap_or_else(default_likert_labels);
            let i = l.index();
            format!("{} – {}", i + 1, labels.get(i).cloned().unwrap_or_default())
        }
        Some(other) => other.to_cell(),
    }
}

/// The answers of `chunks` counted per unit, group and answer to `code`
/// (in place of the field). Responses of groups whose questionnaire does not
/// ask `code` are left out.
///
/// # Errors
/// A damaged chunk.
pub fn by_answer<'c>(campaign: &'c Campaign, chunks: &[AnswerChunk], code: &str) -> Result<Aggregate<'c>, ChunkError> {
    let mut agg = Aggregate::new(campaign);
    for ((unit, group, _field), parts) in by_cell(chunks) {
        let Some(questionnaire) = campaign.questionnaire_of(group) else { continue };
        let Some(by) = questionnaire.question(code) else { continue };
        for d in &decode_cell(&parts, &|_| true)? {
            count_chunk(&mut agg, unit, group, by, d);
        }
    }
    Ok(agg)
}

/// The free-text answers of the chunks: (unit, group, field, question, text),
/// for the questions each group's questionnaire asks as free text.
///
/// # Errors
/// A damaged chunk.
pub fn texts(campaign: &Campaign, chunks: &[AnswerChunk]) -> Result<Vec<crate::answers::TextAnswer>, ChunkError> {
    let mut out = Vec::new();
    for ((unit, group, field), parts) in by_cell(chunks) {
        let Some(questionnaire) = campaign.questionnaire_of(group) else { continue };
        let is_text = |code: &str| questionnaire.question(code).is_some_and(|q| q.kind == QuestionKind::Text);
        let key = CellKey { unit: unit.to_owned(), group: group.to_owned(), field: field.map(str::to_owned) };
        for d in &decode_cell(&parts, &is_text)? {
            out.extend(texts_of(campaign, &key, d, &vec![true; d.rows]));
        }
    }
    Ok(out)
}

/// The free-text answers of the rows of `d` that `keep` marks, in the cell `key`.
pub(crate) fn texts_of(
    campaign: &Campaign,
    key: &CellKey,
    d: &Decoded,
    keep: &[bool],
) -> Vec<crate::answers::TextAnswer> {
    let Some(questionnaire) = campaign.questionnaire_of(&key.group) else { return Vec::new() };
    let mut out = Vec::new();
    for (c, code) in d.questions.iter().enumerate() {
        if !questionnaire.question(code).is_some_and(|q| q.kind == QuestionKind::Text) {
            continue;
        }
        for r in (0..d.rows).filter(|r| keep[*r]) {
            let v = d.get(r, c);
            let text = if v > 0 { d.answers[usize::from(v - 1)].trim() } else { "" };
            if !text.is_empty() {
                out.push((key.unit.clone(), key.group.clone(), key.field.clone(), code.clone(), text.to_owned()));
            }
        }
    }
    out
}

/// Counts one chunk into `agg`, dense: counts[slot][question][answer].
fn count_chunk(agg: &mut Aggregate<'_>, unit: &str, group: &str, by: &Question, d: &Decoded) {
    let (nq, na) = (d.questions.len(), d.answers.len() + 1);
    let by_col = d.questions.iter().position(|q| q == &by.code);
    // One slot per distinct answer to the breakdown question.
    let mut slot_of = vec![usize::MAX; na];
    let mut slots: Vec<u16> = Vec::new();
    let mut responses: Vec<u64> = Vec::new();
    let mut counts: Vec<u64> = Vec::new();
    for r in 0..d.rows {
        let v = by_col.map_or(0, |c| d.get(r, c));
        let slot = if slot_of[usize::from(v)] == usize::MAX {
            slot_of[usize::from(v)] = slots.len();
            slots.push(v);
            responses.push(0);
            counts.resize(counts.len() + nq * na, 0);
            slots.len() - 1
        } else {
            slot_of[usize::from(v)]
        };
        responses[slot] += 1;
        let base = slot * nq * na;
        let row = &d.values[r * nq..(r + 1) * nq];
        for (q, v) in row.iter().enumerate() {
            counts[base + q * na + usize::from(*v)] += 1;
        }
    }
    // Each (question, answer) of the chunk parsed once.
    let questions: Vec<Option<(usize, &Question)>> = d.questions.iter().map(|q| agg.question_of(group, q)).collect();
    let mut parsed: BTreeMap<(usize, usize), Option<Answer>> = BTreeMap::new();
    let mut parse = |q: usize, a: usize| -> Option<Answer> {
        parsed
            .entry((q, a))
            .or_insert_with(|| {
                let (_, question) = questions[q]?;
                Answer::parse(question, &d.answers[a - 1]).ok().flatten()
            })
            .clone()
    };
    for (slot, v) in slots.iter().enumerate() {
        let answer = (*v > 0).then(|| by_col.and_then(|c| parse(c, usize::from(*v)))).flatten();
        let key = CellKey { unit: unit.to_owned(), group: group.to_owned(), field: Some(label(by, answer.as_ref())) };
        let len = agg.questions_len(group);
        let cell = agg.cells.entry(key).or_insert_with(|| Cell::sized(len));
        cell.responses += responses[slot];
        for (q, found) in questions.iter().enumerate() {
            let Some((i, _)) = found else { continue };
            for a in 1..na {
                let n = counts[slot * nq * na + q * na + a];
                if n > 0
                    && let Some(answer) = parse(q, a)
                {
                    cell.questions[*i].add_n(&answer, n);
                }
            }
        }
    }
}
